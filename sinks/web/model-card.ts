/**
 * The model card /api/model serves: what manifest.json says about the model, without the
 * standardization vectors (large, and of no use on a screen). Read as plain JSON so fields a
 * newer manifest adds (family, calibration, gates) pass through as they are.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const LEFT_OUT = new Set(['standardization', 'formatVersion']);
/** A manifest is a few KB; anything far bigger is not served whole. */
const MAX_BYTES = 256 * 1024;

export async function readModelCard(modelDir: string): Promise<object | null> {
  let text: string;
  try {
    text = await readFile(join(modelDir, 'manifest.json'), 'utf8');
  } catch {
    return null;
  }
  if (text.length > MAX_BYTES) return { error: `manifest.json is larger than ${MAX_BYTES} bytes: not served` };
  const raw = JSON.parse(text) as Record<string, unknown>;
  const card: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!LEFT_OUT.has(k)) card[k] = v;
  return card;
}
