import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { fileIoHandler, WEIGHTS_BIN, writeFileAtomic } from './file-io-handler.ts';
import { computeModelId, MANIFEST_JSON, type ModelManifest } from './manifest.ts';

/**
 * Writes model.json + weights.bin through the tf.io handler, then manifest.json with the modelId
 * computed from the weights bytes as written. The manifest goes last, so a directory with a
 * manifest holds a complete model.
 */
export async function saveModel(model: tf.LayersModel, dir: string, manifest: Omit<ModelManifest, 'modelId'>): Promise<ModelManifest> {
  await model.save(fileIoHandler(dir));
  const weights = new Uint8Array(await readFile(join(dir, WEIGHTS_BIN)));
  const full: ModelManifest = { modelId: computeModelId(manifest, weights), ...manifest };
  await writeFileAtomic(join(dir, MANIFEST_JSON), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}
