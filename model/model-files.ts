import { rename, writeFile } from 'node:fs/promises';

// The names and the atomic write of model files, apart from file-io-handler.ts (which needs tfjs),
// so code that only reads manifests or writes small files costs no tfjs import.

/** File names of an MLP model directory (tfjs layers format). */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** Writes to a temporary name then renames, so a reader never sees half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}
