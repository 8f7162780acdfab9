import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CLASSES } from '../processors/types.ts';
import { ModelError } from './errors.ts';

/**
 * A training dataset in memory. Features are float64 (the live graph computes float64 features, so
 * evaluating on float64 rows scores exactly what live would score); memory is rows x dim x 8 bytes.
 */
export interface Dataset {
  featureNames: string[];
  /** From the metadata (sidecar or `# featureSetHash=...` first line), else null. */
  featureSetHash: string | null;
  /** The metadata: `<file>.meta.json` beside a CSV, else every `key=value` token of an optional first comment line (older CSVs, Parquet key-value metadata). */
  meta: Record<string, string>;
  /** sha256 (hex) of the file's bytes. */
  sha256: string;
  rows: number;
  dim: number;
  /** Distinct symbols; `symbolIndex[i]` points into it. */
  symbols: string[];
  symbolIndex: Uint32Array;
  /** Epoch ms, non-decreasing. */
  barEnd: Float64Array;
  /** Row-major, rows x dim. */
  features: Float64Array;
  fwdReturn: Float64Array;
  /**
   * Triple-barrier datasets (a `labelEnd` column before fwdReturn): each row's label end, epoch ms
   * (the first barrier touch or the time limit), which the purge uses instead of barEnd + horizon.
   */
  labelEnd?: Float64Array;
  /** Class indices in CLASSES order. */
  labels: Uint8Array;
  /** Rows left out, by reason (they are data, not errors). */
  skipped: { emptyFeature: number; nonFiniteFeature: number; missingLabel: number };
}

/**
 * The dataset's bar interval in ms: its `barIntervalMs` metadata, else its `interval` label
 * (`replay dataset --interval 1d` writes `interval=1d`), else 5 minutes (older datasets).
 */
export function datasetBarIntervalMs(meta: Record<string, string>): number {
  const explicit = Number(meta['barIntervalMs']);
  if (explicit > 0) return explicit;
  const m = /^(\d+)([mhd])$/.exec(meta['interval'] ?? '');
  if (m !== null && Number(m[1]) > 0) return Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000);
  return 5 * 60_000;
}

/** `# featureSetHash=abc horizonBars=6` -> { featureSetHash: 'abc', horizonBars: '6' }. */
export function parseMetaLine(line: string): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const token of line.replace(/^#\s*/, '').split(/[\s,;]+/)) {
    const eq = token.indexOf('=');
    if (eq > 0) meta[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return meta;
}

/** Growable float64 column. */
class F64 {
  buf = new Float64Array(1024);
  len = 0;
  push(v: number): void {
    if (this.len === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = v;
  }
  done(): Float64Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * Streams `symbol,barEnd,<features...>[,labelEnd],fwdReturn,label` (format in model/README.md) line by line.
 * A malformed header, a wrong cell count, an unknown label or time going backwards throws;
 * a row with an empty or non-numeric feature, or an empty label, is skipped and counted.
 */
export async function readDataset(path: string, options: { exclude?: ReadonlySet<string> } = {}): Promise<Dataset> {
  const exclude = options.exclude ?? new Set<string>();
  let keep: number[] = [];
  const hash = createHash('sha256');
  const lines = datasetLines(path, hash);

  let meta: Record<string, string> = readDatasetMeta(path);
  let header: string[] | null = null;
  let dim = 0;
  let lineNo = 0;
  const symbols: string[] = [];
  const symbolIds = new Map<string, number>();
  const symbolIndex: number[] = [];
  const barEnd = new F64();
  const features = new F64();
  const fwdReturn = new F64();
  const labelEnd = new F64();
  let hasLabelEnd = false;
  const labels: number[] = [];
  const skipped = { emptyFeature: 0, nonFiniteFeature: 0, missingLabel: 0 };
  const row = new Float64Array(4096);
  let lastBarEnd = -Infinity;
  const fail = (msg: string): never => {
    throw new ModelError('DATASET_INVALID', `${path}:${lineNo}: ${msg}`);
  };

  for await (const line of lines) {
    lineNo++;
    if (line === '') continue;
    if (header === null) {
      if (lineNo === 1 && line.startsWith('#')) {
        meta = parseMetaLine(line);
        continue;
      }
      header = line.split(',');
      hasLabelEnd = header.at(-3) === 'labelEnd';
      dim = header.length - 4 - (hasLabelEnd ? 1 : 0);
      if (header[0] !== 'symbol' || header[1] !== 'barEnd' || header.at(-2) !== 'fwdReturn' || header.at(-1) !== 'label') {
        fail(`header must be symbol,barEnd,<features...>[,labelEnd],fwdReturn,label; got ${line.slice(0, 120)}`);
      }
      if (dim < 1 || dim > row.length) fail(`need 1..${row.length} feature columns, got ${dim}`);
      if (new Set(header).size !== header.length) fail('duplicate column names in header');
      keep = [];
      for (let j = 0; j < dim; j++) if (!exclude.has(header[j + 2] as string)) keep.push(j);
      if (keep.length === 0) fail('every feature column is excluded');
      continue;
    }
    const cells = line.split(',');
    const off = hasLabelEnd ? 1 : 0;
    if (cells.length !== dim + 4 + off) fail(`expected ${dim + 4 + off} cells, got ${cells.length}`);
    const t = Number(cells[1]);
    if (cells[1] === '' || !Number.isFinite(t)) fail(`barEnd is not a number: ${cells[1]}`);
    if (t < lastBarEnd) fail(`rows must be sorted by barEnd (${t} after ${lastBarEnd})`);
    lastBarEnd = t;
    const labelText = cells[dim + 3 + off] as string;
    if (labelText === '') {
      skipped.missingLabel++;
      continue;
    }
    const label = (CLASSES as readonly string[]).indexOf(labelText);
    if (label < 0) fail(`unknown label ${JSON.stringify(labelText)} (expected one of ${CLASSES.join('/')})`);
    let bad: 'empty' | 'nonFinite' | null = null;
    for (const j of keep) {
      const cell = cells[j + 2] as string;
      const v = Number(cell);
      if (cell === '') bad ??= 'empty';
      else if (!Number.isFinite(v)) bad ??= 'nonFinite';
      row[j] = v;
    }
    if (bad === 'empty') skipped.emptyFeature++;
    if (bad === 'nonFinite') skipped.nonFiniteFeature++;
    if (bad !== null) continue;
    const symbol = cells[0] as string;
    let id = symbolIds.get(symbol);
    if (id === undefined) {
      id = symbols.push(symbol) - 1;
      symbolIds.set(symbol, id);
    }
    symbolIndex.push(id);
    barEnd.push(t);
    for (const j of keep) features.push(row[j] as number);
    if (hasLabelEnd) {
      const end = Number(cells[dim + 2]);
      if (cells[dim + 2] === '' || !(end > t)) fail(`labelEnd must be a time after barEnd, got ${cells[dim + 2]}`);
      labelEnd.push(end);
    }
    const fr = cells[dim + 2 + off] as string;
    fwdReturn.push(fr === '' ? Number.NaN : Number(fr));
    labels.push(label);
  }
  if (header === null) fail('no header line');
  return {
    featureNames: keep.map((j) => (header as string[])[j + 2] as string),
    featureSetHash: meta['featureSetHash'] ?? null,
    meta,
    sha256: hash.digest('hex'),
    rows: labels.length,
    dim: keep.length,
    symbols,
    symbolIndex: Uint32Array.from(symbolIndex),
    barEnd: barEnd.done(),
    features: features.done(),
    fwdReturn: fwdReturn.done(),
    ...(hasLabelEnd ? { labelEnd: labelEnd.done() } : {}),
    labels: Uint8Array.from(labels),
    skipped,
  };
}

/**
 * Feature columns empty in more than half of the labelled rows: features the data cannot give
 * (option-chain features of a symbol without chains, order flow without taker volume). Training
 * leaves them out rather than dropping nearly every row; the model's featureNames record what it
 * uses, and the live graph then needs only those to be present.
 */
export async function mostlyEmptyColumns(path: string): Promise<Set<string>> {
  const lines = datasetLines(path, createHash('sha256'));
  let header: string[] | null = null;
  let empty: number[] = [];
  let rows = 0;
  for await (const line of lines) {
    if (line === '' || (header === null && line.startsWith('#'))) continue;
    const cells = line.split(',');
    if (header === null) {
      header = cells;
      empty = new Array<number>(Math.max(0, cells.length - 4 - (cells.at(-3) === 'labelEnd' ? 1 : 0))).fill(0);
      continue;
    }
    if (cells[cells.length - 1] === '') continue;
    rows++;
    for (let j = 0; j < empty.length; j++) if (cells[j + 2] === '') empty[j] = (empty[j] as number) + 1;
  }
  const out = new Set<string>();
  if (header === null) return out;
  for (let j = 0; j < empty.length; j++) if ((empty[j] as number) * 2 > rows) out.add(header[j + 2] as string);
  return out;
}

/** Where a CSV dataset keeps its metadata: a sidecar JSON, so that the CSV itself is plain for pandas and polars. */
export function datasetMetaPath(path: string): string {
  return `${path}.meta.json`;
}

/** The sidecar metadata of a dataset file ({} when there is none); values as strings, as in the `#` line. */
export function readDatasetMeta(path: string): Record<string, string> {
  const side = datasetMetaPath(path);
  if (!existsSync(side)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(side, 'utf8'));
  } catch (e) {
    throw new ModelError('DATASET_INVALID', `${side}: not JSON (${(e as Error).message})`, { cause: e });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ModelError('DATASET_INVALID', `${side}: expected a JSON object`);
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}

/**
 * The dataset as CSV lines, whatever the file: a CSV streams line by line; a Parquet file
 * (replay dataset --out x.parquet) is read with hyparquet and rendered as the same lines (its
 * key-value metadata as the `# k=v` line; numbers in shortest round-trip form, so no value
 * changes). Feeds `hash` with the file's bytes.
 */
async function* datasetLines(path: string, hash: Hash): AsyncGenerator<string> {
  if (!path.endsWith('.parquet')) {
    const stream = createReadStream(path);
    stream.on('data', (chunk) => hash.update(chunk));
    yield* createInterface({ input: stream, crlfDelay: Infinity });
    return;
  }
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
  hash.update(readFileSync(path));
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const kv = metadata.key_value_metadata ?? [];
  if (kv.length) yield `# ${kv.map((e) => `${e.key}=${e.value ?? ''}`).join(' ')}`;
  const columns = metadata.schema.slice(1).map((c) => c.name);
  yield columns.join(',');
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return String(v);
    throw new ModelError('DATASET_INVALID', `${path}: unexpected Parquet value ${JSON.stringify(v)}`);
  };
  let start = 0;
  for (const rg of metadata.row_groups) {
    const end = start + Number(rg.num_rows);
    const rows = (await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end })) as Record<string, unknown>[];
    for (const r of rows) yield columns.map((c) => cell(r[c])).join(',');
    start = end;
  }
}
