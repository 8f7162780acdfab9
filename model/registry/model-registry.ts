import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError } from '../errors.ts';
import { writeFileAtomic } from '../model-files.ts';
import { gateStatus, type GateStatus } from '../evaluation/gate-check.ts';
import { MANIFEST_JSON, readManifest, type ModelManifest } from '../manifest.ts';

/**
 * A models directory (default var/models): one model per subdirectory (each with its manifest.json),
 * and a `champion` file naming the subdirectory that `start` and `run processors` use unless
 * `--model` says otherwise. Read-only except for promote.
 */
export const DEFAULT_MODELS_DIR = 'var/models';
export const CHAMPION_FILE = 'champion';

export interface ModelEntry {
  id: string;
  /** Subdirectory name inside the models directory. */
  name: string;
  dir: string;
  family: string;
  /** When the manifest was written (file time: the manifest itself holds no timestamps, so that ids are reproducible). */
  created: string;
  datasetSha256: string;
  /** First and last bar end (ISO) of the rows the model was trained and tested on. */
  logRange: { from: string; to: string };
  featureSetHash: string;
  rows: number;
  gates: { status: GateStatus; failed: string[] };
  /** Test-split (holdout) metrics: value, interval when evaluated, baseline. */
  metrics: Record<string, { value: number | null; ci95: [number, number] | null; baseline: number | null }>;
  cv: { folds: number; auc: { mean: number | null; ci95: [number, number] | null }; logLoss: { mean: number | null; ci95: [number, number] | null } } | null;
  champion: boolean;
}

export function summarize(manifest: ModelManifest, name: string, dir: string, created: Date, champion: boolean): ModelEntry {
  const e = manifest.evaluation;
  const metrics: ModelEntry['metrics'] = {};
  if (e !== undefined) {
    for (const [k, r] of Object.entries(e.holdout)) metrics[k] = { value: r.value, ci95: r.ci95, baseline: r.baseline.value };
  } else {
    metrics['auc'] = { value: manifest.metrics.macroAuc, ci95: null, baseline: manifest.baseline.macroAuc };
    metrics['accuracy'] = { value: manifest.metrics.accuracy, ci95: null, baseline: manifest.baseline.accuracy };
    metrics['logLoss'] = { value: manifest.metrics.logLoss, ci95: null, baseline: manifest.baseline.logLoss };
  }
  const family = (manifest as Record<string, unknown>)['family'];
  return {
    id: manifest.modelId,
    name,
    dir,
    family: typeof family === 'string' ? family : 'mlp',
    created: created.toISOString(),
    datasetSha256: manifest.datasetSha256,
    logRange: { from: new Date(manifest.split.train.firstBarEnd).toISOString(), to: new Date(manifest.split.test.lastBarEnd).toISOString() },
    featureSetHash: manifest.featureSetHash,
    rows: manifest.createdFrom.rows,
    gates: { status: gateStatus(manifest), failed: e?.gates.failed ?? [] },
    metrics,
    cv: e?.cv ? { folds: e.cv.folds, auc: e.cv.auc, logLoss: e.cv.logLoss } : null,
    champion,
  };
}

export class ModelRegistry {
  constructor(readonly root: string = DEFAULT_MODELS_DIR) {}

  /** The champion's subdirectory name, or null. */
  async championName(): Promise<string | null> {
    const path = join(this.root, CHAMPION_FILE);
    if (!existsSync(path)) return null;
    const name = (await readFile(path, 'utf8')).trim();
    return name === '' ? null : name;
  }

  /** The champion's directory, or null when none was promoted. */
  async championDir(): Promise<string | null> {
    const name = await this.championName();
    return name === null ? null : join(this.root, name);
  }

  /** Every model, oldest first (ties by id); subdirectories without a valid manifest are skipped and counted. */
  async list(): Promise<{ models: ModelEntry[]; invalid: string[] }> {
    if (!existsSync(this.root)) return { models: [], invalid: [] };
    const champion = await this.championName();
    const models: ModelEntry[] = [];
    const invalid: string[] = [];
    for (const d of (await readdir(this.root, { withFileTypes: true })).filter((x) => x.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const dir = join(this.root, d.name);
      if (!existsSync(join(dir, MANIFEST_JSON))) continue;
      try {
        const manifest = await readManifest(dir);
        models.push(summarize(manifest, d.name, dir, (await stat(join(dir, MANIFEST_JSON))).mtime, d.name === champion));
      } catch {
        invalid.push(d.name);
      }
    }
    models.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : 1));
    return { models, invalid };
  }

  /** A model by id, id prefix or subdirectory name; a usage mistake (unknown, ambiguous) is a ModelError. */
  async find(ref: string): Promise<ModelEntry> {
    const { models } = await this.list();
    const exact = models.filter((m) => m.id === ref || m.name === ref);
    const hits = exact.length > 0 ? exact : models.filter((m) => m.id.startsWith(ref));
    if (hits.length === 0) throw new ModelError('MODEL_NOT_FOUND', `no model ${JSON.stringify(ref)} in ${this.root} (${models.length} models: tickflow models list)`);
    if (hits.length > 1) throw new ModelError('MODEL_NOT_FOUND', `${JSON.stringify(ref)} matches ${hits.length} models in ${this.root}: ${hits.map((m) => m.id).join(', ')}`);
    return hits[0] as ModelEntry;
  }

  /** Makes a model the champion; one that failed its gates only with allowUngated. */
  async promote(ref: string, allowUngated = false): Promise<ModelEntry> {
    const m = await this.find(ref);
    if (m.gates.status === 'failed' && !allowUngated) {
      throw new ModelError('MODEL_UNGATED', `model ${m.id} failed its validation gates (${m.gates.failed.join(', ')}): not promoted; pass --allow-ungated to promote it anyway`);
    }
    await writeFileAtomic(join(this.root, CHAMPION_FILE), `${m.name}\n`);
    return { ...m, champion: true };
  }
}

/** Two models side by side: every metric and gate figure, a then b. */
export function diffModels(a: ModelEntry, b: ModelEntry): Record<string, unknown> {
  const names = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort();
  const metrics = Object.fromEntries(names.map((k) => [k, { a: a.metrics[k] ?? null, b: b.metrics[k] ?? null }]));
  const pair = <T>(f: (m: ModelEntry) => T): { a: T; b: T; same: boolean } => {
    const va = f(a);
    const vb = f(b);
    return { a: va, b: vb, same: JSON.stringify(va) === JSON.stringify(vb) };
  };
  return {
    a: a.id,
    b: b.id,
    family: pair((m) => m.family),
    datasetSha256: pair((m) => m.datasetSha256),
    logRange: pair((m) => m.logRange),
    featureSetHash: pair((m) => m.featureSetHash),
    gates: pair((m) => m.gates),
    cv: pair((m) => m.cv),
    metrics,
  };
}
