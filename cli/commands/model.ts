import { readFile, writeFile } from 'node:fs/promises';
import { EXPORT_ML_OPSET, EXPORT_OPSET, exportOnnx, probeRows } from '../../model/onnx/onnx-export.ts';
import { importOnnx } from '../../model/onnx/onnx-import.ts';
import { manifestFamily } from '../../model/onnx/onnx-manifest.ts';
import { OnnxSession, Tensor } from '../../model/onnx/onnx-session.ts';
import { loadPredictor } from '../../model/predictor.ts';
import { featureSetById } from '../../processors/graph.ts';
import type { ValuesOf } from '../command-spec.ts';
import { info, printJson, UsageError } from '../output.ts';
import type { MODEL_CONFLUENCE, MODEL_EXPORT, MODEL_IMPORT } from '../specs/model.ts';
import { confluenceCommand } from './confluence.ts';

type Options = ValuesOf<typeof MODEL_IMPORT> | ValuesOf<typeof MODEL_EXPORT> | ValuesOf<typeof MODEL_CONFLUENCE>;

/** Exported probabilities against tickflow's float64 scoring: the same operations in the same precision. */
const EXPORT_TOLERANCE = 1e-9;

/** `tickflow model import|export --onnx`: models in and out as ONNX; `model confluence`: a timeframe bundle. */
export async function run(values: Options, sub: string): Promise<number> {
  if (sub === 'export') return exportCommand(values as ValuesOf<typeof MODEL_EXPORT>);
  if (sub === 'confluence') return confluenceCommand(values as ValuesOf<typeof MODEL_CONFLUENCE>);
  if (sub !== 'import') throw new UsageError(`unknown model subcommand ${JSON.stringify(sub)}`);
  return importCommand(values as ValuesOf<typeof MODEL_IMPORT>);
}

/** `tickflow model import --onnx`: a model trained elsewhere, wrapped with a manifest. */
async function importCommand(values: ValuesOf<typeof MODEL_IMPORT>): Promise<number> {
  const featureSet = featureSetById(values['feature-set'], values.interval);
  const m = await importOnnx({
    bytes: new Uint8Array(await readFile(values.onnx)),
    features: values.features,
    featureSet,
    out: values.out,
    ...(values.classes === undefined ? {} : { classes: values.classes }),
  });
  info(`model ${m.modelId} (onnx, ${m.featureNames.length} features of ${m.featureSetId}, columns ${m.onnx.columns.join('/')}) written to ${values.out}`);
  printJson({
    modelId: m.modelId,
    family: m.family,
    featureSetId: m.featureSetId,
    featureSetHash: m.featureSetHash,
    features: m.featureNames.length,
    input: m.onnx.input,
    output: m.onnx.output,
    columns: m.onnx.columns,
    runtime: `${m.runtime.package}@${m.runtime.version}`,
    out: values.out,
  });
  return 0;
}

/**
 * `tickflow model export --onnx`: writes the model as ONNX, then loads the file in onnxruntime-node
 * (the deterministic session) and compares its probabilities with tickflow's on probe rows; a
 * difference above EXPORT_TOLERANCE is a bug, reported with exit 1 (the file stays for inspection).
 */
async function exportCommand(values: ValuesOf<typeof MODEL_EXPORT>): Promise<number> {
  if ((await manifestFamily(values.model)) === 'onnx') throw new UsageError(`--model ${values.model} was imported from ONNX: its model.onnx is the export`);
  const predictor = await loadPredictor(values.model);
  const bytes = await exportOnnx(values.model, predictor.manifest);
  await writeFile(values.onnx, bytes);
  const rows = probeRows(predictor.manifest);
  const d = predictor.featureNames.length;
  const session = new OnnxSession(bytes);
  let maxAbsDiff = 0;
  try {
    const out = session.run('X', new Tensor('float64', Float64Array.from(rows.flatMap((r) => Array.from(r))), [rows.length, d]), 'probabilities') as Float64Array;
    for (const [i, row] of rows.entries()) {
      const own = predictor.predict(row);
      for (let c = 0; c < 3; c++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs((out[i * 3 + c] as number) - own[c]!));
    }
  } finally {
    session.dispose();
  }
  if (!(maxAbsDiff <= EXPORT_TOLERANCE)) throw new Error(`model export: ${values.onnx} differs from tickflow's predictions by up to ${maxAbsDiff} on ${rows.length} probe rows (tolerance ${EXPORT_TOLERANCE})`);
  info(`model ${predictor.modelId} written to ${values.onnx} (${bytes.byteLength} bytes); onnxruntime-node agrees with tickflow on ${rows.length} probe rows (max |diff| ${maxAbsDiff.toExponential(2)})`);
  const family = predictor.manifest.family ?? 'mlp';
  printJson({ modelId: predictor.modelId, family, onnx: values.onnx, bytes: bytes.byteLength, opset: EXPORT_OPSET, ...(family === 'gbdt' ? { mlOpset: EXPORT_ML_OPSET } : {}), checkedRows: rows.length, maxAbsDiff });
  return 0;
}
