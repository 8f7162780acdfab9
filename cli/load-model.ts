import { isConfluenceBundle, loadConfluence } from '../model/confluence/bundle.ts';
import { manifestFamily } from '../model/onnx/onnx-manifest.ts';
import type { ConfluenceModel } from '../processors/confluence/confluence-model.ts';
import type { OnnxPredictor } from '../model/onnx/onnx-predictor.ts';
import { loadPredictor, type MlpPredictor } from '../model/predictor.ts';
import { featureSetByHash } from '../processors/graph.ts';
import { UsageError } from './output.ts';

/**
 * Loads the model a command was pointed at (`--model`). A model whose files are incomplete or
 * inconsistent, or built for a feature set this version does not have, is the user's problem:
 * a UsageError naming the directory, not a stack trace. A model imported from ONNX (manifest
 * family "onnx", `tickflow model import --onnx`) is served through onnxruntime-node, imported only then.
 * A confluence bundle (confluence.json, `tickflow model confluence`) loads its members the same way.
 */
export async function loadModel(dir: string, flag = 'model'): Promise<MlpPredictor | OnnxPredictor | ConfluenceModel> {
  let predictor: MlpPredictor | OnnxPredictor | ConfluenceModel;
  try {
    predictor = isConfluenceBundle(dir)
      ? await loadConfluence(dir, (d) => loadSingle(d, flag), (p) => featureSetByHash(p.featureSetHash).signalInterval)
      : (await manifestFamily(dir)) === 'onnx' ? await (await import('../model/onnx/onnx-predictor.ts')).loadOnnxPredictor(dir) : await loadPredictor(dir);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.name === 'ModelError' || err.code === 'ENOENT') throw new UsageError(`--${flag} ${dir}: cannot load the model (${err.message.split('\n')[0] ?? ''})`, { cause: e });
    throw e;
  }
  try {
    featureSetByHash(predictor.featureSetHash);
  } catch (e) {
    throw new UsageError(`--${flag} ${dir}: the model was built for another feature set (${(e as Error).message})`, { cause: e });
  }
  return predictor;
}

async function loadSingle(dir: string, flag: string): Promise<MlpPredictor | OnnxPredictor> {
  const p = await loadModel(dir, flag);
  if ('confluence' in p) throw new UsageError(`--${flag} ${dir}: a confluence bundle cannot be a member of another`);
  return p;
}
