import { createHash } from 'node:crypto';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { confluenceModel, type ConfluenceModel } from '../../processors/confluence/confluence-model.ts';
import type { Predictor } from '../../processors/types.ts';
import { ModelError } from '../errors.ts';
import { readJsonFile } from '../read-json.ts';

/** The file that makes a directory a confluence bundle (instead of a model's manifest.json). */
export const CONFLUENCE_JSON = 'confluence.json';
export const CONFLUENCE_FORMAT = 'tickflow-confluence-v1';

export const bundleSchema = z.strictObject({
  format: z.literal(CONFLUENCE_FORMAT),
  /** First 16 hex digits of sha256(canonical JSON of members (interval, modelId), weights, k). */
  modelId: z.string().regex(/^[0-9a-f]{16}$/),
  k: z.number().int().min(1),
  /**
   * configured: given on the command line; learned: fitFusionWeights on the rows of `fit` (a window
   * out of every member's training period; see research/confluence.ts).
   */
  weights: z.strictObject({
    source: z.enum(['configured', 'learned']),
    values: z.array(z.number().refine(Number.isFinite)),
    fit: z.strictObject({ from: z.number(), to: z.number(), rows: z.number().int(), l2: z.number(), iterations: z.number().int(), converged: z.boolean() }).optional(),
  }),
  /** Base (finest) timeframe first; dir is relative to the bundle (members/<interval>). */
  members: z.array(z.strictObject({ interval: z.string().min(1), modelId: z.string().min(1), dir: z.string().min(1) })).min(1),
});
export type ConfluenceBundle = z.infer<typeof bundleSchema>;

export function isConfluenceBundle(dir: string): boolean {
  return existsSync(join(dir, CONFLUENCE_JSON));
}

/** The bundle's identity: its members' intervals and model ids, the weights and k (order matters). */
export function bundleModelId(members: readonly { interval: string; modelId: string }[], weights: readonly number[], k: number): string {
  const what = { members: members.map((m) => ({ interval: m.interval, modelId: m.modelId })), weights: [...weights], k };
  return createHash('sha256').update(canonicalJson(what)).digest('hex').slice(0, 16);
}

/** Reads and validates confluence.json; ModelError('MANIFEST_INVALID') with the reasons otherwise. */
export async function readBundle(dir: string): Promise<ConfluenceBundle> {
  const path = join(dir, CONFLUENCE_JSON);
  const b = await readJsonFile(path, bundleSchema, 'confluence bundle');
  if (b.weights.values.length !== b.members.length) throw new ModelError('MANIFEST_INVALID', `${path}: ${b.weights.values.length} weights for ${b.members.length} timeframes`);
  if (b.k > b.members.length) throw new ModelError('MANIFEST_INVALID', `${path}: k=${b.k} exceeds the ${b.members.length} timeframes`);
  const id = bundleModelId(b.members, b.weights.values, b.k);
  if (id !== b.modelId) throw new ModelError('MANIFEST_INVALID', `${path}: modelId ${b.modelId} does not match its contents (${id})`);
  return b;
}

/**
 * Loads a bundle: each member through `loadMember` (the caller's model loader, so ONNX members work
 * as anywhere else), checked against the modelId the bundle recorded, and the signal interval each
 * member was trained on (`intervalOf`) against the one recorded.
 */
export async function loadConfluence(dir: string, loadMember: (dir: string) => Promise<Predictor>, intervalOf: (p: Predictor) => string): Promise<ConfluenceModel> {
  const b = await readBundle(dir);
  const members = [];
  for (const m of b.members) {
    const p = await loadMember(join(dir, m.dir));
    if (p.modelId !== m.modelId) throw new ModelError('MANIFEST_INVALID', `${join(dir, CONFLUENCE_JSON)}: member ${m.interval} is model ${p.modelId}, the bundle recorded ${m.modelId}`);
    if (intervalOf(p) !== m.interval) throw new ModelError('MANIFEST_INVALID', `${join(dir, CONFLUENCE_JSON)}: member ${m.modelId} was trained on ${intervalOf(p)} bars, the bundle says ${m.interval}`);
    members.push({ interval: m.interval, predictor: p });
  }
  return confluenceModel(b.modelId, members, b.weights.values, b.k);
}

/** Writes a bundle to `out`: copies each member's model directory to members/<interval>, then confluence.json. */
export async function writeBundle(out: string, members: readonly { interval: string; modelId: string; dir: string }[], weights: ConfluenceBundle['weights'], k: number): Promise<ConfluenceBundle> {
  await mkdir(join(out, 'members'), { recursive: true });
  const recorded = [];
  for (const m of members) {
    const rel = join('members', m.interval);
    await cp(m.dir, join(out, rel), { recursive: true });
    recorded.push({ interval: m.interval, modelId: m.modelId, dir: rel });
  }
  const bundle: ConfluenceBundle = { format: CONFLUENCE_FORMAT, modelId: bundleModelId(members, weights.values, k), k, weights, members: recorded };
  await writeFile(join(out, CONFLUENCE_JSON), `${JSON.stringify(bundle, null, 2)}\n`);
  return bundle;
}
