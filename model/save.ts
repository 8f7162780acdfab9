import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './file-io-handler.ts';
import { computeModelId, MANIFEST_JSON, type ModelManifest } from './manifest.ts';

/**
 * Writes the family's parameter files (through `write`, which returns the bytes to hash), then
 * manifest.json with the modelId computed from those bytes. The manifest goes last, so a
 * directory with a manifest holds a complete model.
 */
export async function saveModel(write: (dir: string) => Promise<Uint8Array>, dir: string, manifest: Omit<ModelManifest, 'modelId'>): Promise<ModelManifest> {
  await mkdir(dir, { recursive: true });
  const bytes = await write(dir);
  const full: ModelManifest = { modelId: computeModelId(manifest, bytes), ...manifest };
  await writeFileAtomic(join(dir, MANIFEST_JSON), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}
