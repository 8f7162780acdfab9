import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeatureSetDef } from '../../processors/features/full/feature-set-def.ts';
import { ModelError } from '../errors.ts';
import { writeFileAtomic } from '../file-io-handler.ts';
import { computeModelId, MANIFEST_JSON } from '../manifest.ts';
import { MODEL_ONNX, type OnnxManifest } from './onnx-manifest.ts';
import { readOnnxModelInfo } from './onnx-model-info.ts';
import { checkServable, probabilityColumns } from './onnx-predictor.ts';
import { DETERMINISTIC_SESSION_OPTIONS, ONNXRUNTIME_VERSION, OnnxSession } from './onnx-session.ts';

export interface ImportOnnxOptions {
  /** The ONNX file's bytes. */
  bytes: Uint8Array;
  /** The model's input columns, in order: features of `featureSet`. */
  features: readonly string[];
  featureSet: FeatureSetDef;
  /** The directory to write (model.onnx + manifest.json). */
  out: string;
  /** Column order of the probabilities when the graph does not say (see probabilityColumns). */
  classes?: readonly string[];
}

/**
 * Checks that a feature list names features of the feature set, each once; the reason otherwise.
 * The list is the model's input column order, so any subset in any order is accepted.
 */
export function checkFeatureList(features: readonly string[], featureSet: FeatureSetDef): void {
  const bad = (why: string): never => {
    throw new ModelError('FEATURE_LIST_INVALID', `--features does not match feature set ${featureSet.id}: ${why}`);
  };
  if (features.length === 0) bad('the list is empty');
  const dup = features.filter((f, i) => features.indexOf(f) !== i);
  if (dup.length) bad(`${[...new Set(dup)].join(', ')} listed twice`);
  const known = new Set(featureSet.names);
  const unknown = features.filter((f) => !known.has(f));
  if (unknown.length) bad(`${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in it (it has ${featureSet.names.length} features, e.g. ${featureSet.names.slice(0, 4).join(', ')})`);
}

/**
 * `tickflow model import --onnx`: wraps a classifier trained elsewhere in a model directory. The
 * file must load in onnxruntime, take one float tensor [N, features] and give class probabilities
 * [N, 3] as a plain tensor; the feature list must name features of the feature set. Writes
 * model.onnx (the bytes as given) and then manifest.json, so a directory with a manifest holds a
 * complete model.
 */
export async function importOnnx(o: ImportOnnxOptions): Promise<OnnxManifest> {
  checkFeatureList(o.features, o.featureSet);
  const info = readOnnxModelInfo(o.bytes);
  const session = new OnnxSession(o.bytes);
  let served;
  try {
    served = checkServable(session, o.features.length);
  } finally {
    session.dispose();
  }
  const { executionProviders, intraOpNumThreads, interOpNumThreads, executionMode, graphOptimizationLevel } = DETERMINISTIC_SESSION_OPTIONS;
  const manifest: Omit<OnnxManifest, 'modelId'> = {
    formatVersion: 1,
    family: 'onnx',
    featureSetId: o.featureSet.id,
    featureSetHash: o.featureSet.hash,
    featureNames: [...o.features],
    onnx: {
      file: MODEL_ONNX,
      sha256: createHash('sha256').update(o.bytes).digest('hex'),
      bytes: o.bytes.byteLength,
      irVersion: info.irVersion,
      producer: info.producer,
      opsets: info.opsets,
      input: { name: served.input.name, type: served.input.type ?? '', shape: served.input.shape },
      output: { name: served.output.name, type: served.output.type ?? '', shape: served.output.shape },
      classLabels: info.classLabels,
      columns: probabilityColumns(info.classLabels, o.classes),
    },
    runtime: { package: 'onnxruntime-node', version: ONNXRUNTIME_VERSION, executionProviders: [...executionProviders], intraOpNumThreads, interOpNumThreads, executionMode, graphOptimizationLevel },
  };
  const full: OnnxManifest = { modelId: computeModelId(manifest, o.bytes), ...manifest };
  await mkdir(o.out, { recursive: true });
  await writeFileAtomic(join(o.out, MODEL_ONNX), o.bytes);
  await writeFileAtomic(join(o.out, MANIFEST_JSON), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}
