import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ModelError } from './errors.ts';

/**
 * Reads `path` as JSON and validates it with `schema`: the one way the model directory's JSON files
 * (manifest.json, an ONNX model's manifest.json, confluence.json) are read. Throws
 * ModelError('MANIFEST_INVALID') naming the file, and `what` it should have been, with zod's reasons.
 */
export async function readJsonFile<S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ModelError('MANIFEST_INVALID', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ModelError('MANIFEST_INVALID', `${path} is not a valid ${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
