// node --import tsx bench/parquet-corruption.ts [--variants 200] [--seed 11] [--rows 20000] [--lib <hyparquet src/index.js>] [--deadline 8] [--ingest]
// Randomised corruption of Parquet files, looking for reads that never end (docs/reliability.md,
// decisions.md D115). Two base files from the soak's generator (bench/soak-parquet.ts): the broken
// option-chain rows and a trades table, `rows` rows each. Each variant XORs every k-th byte of a
// random range with one random byte (k, the range and the byte from a seeded generator), then
// `parquetReadObjects` reads the whole file in a worker thread ended after `deadline` seconds. A
// read still running is re-run with a 30 s deadline before it is counted as a hang and its file
// kept in var/parquet-corruption/. `--lib` points at another copy of hyparquet (e.g. an unpatched
// one) to compare on the same variants. --ingest also reads each variant with ingest's reader
// (sources/ingest/record-source.ts: the decoding worker under its stall watchdog, D133, with
// --deadline as the stall timeout) and counts where the two outcomes differ (the same rows, or the
// same reason in `not a readable Parquet file (<reason>)`). Prints one JSON object on stdout.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Rng } from '../processors/math/rng.ts';
import { parquetCases } from './soak-parquet.ts';
import { benchSay } from './say.ts';
import { openRecordSource } from '../sources/ingest/record-source.ts';

const { values } = parseArgs({ options: { variants: { type: 'string', default: '200' }, seed: { type: 'string', default: '11' }, rows: { type: 'string', default: '20000' }, lib: { type: 'string' }, deadline: { type: 'string', default: '8' }, ingest: { type: 'boolean', default: false } } });
const say = benchSay('parquet-corruption');
const lib = values.lib === undefined ? import.meta.resolve('hyparquet') : pathToFileURL(resolve(values.lib)).href;
const out = join('var', 'parquet-corruption');
mkdirSync(out, { recursive: true });

/** Reads `bytes` with hyparquet in a worker; 'ok N', 'error <message>' or 'hang'. */
async function read(bytes: Uint8Array, deadlineMs: number): Promise<string> {
  const worker = new Worker(`const { parentPort, workerData } = require('node:worker_threads');
import(workerData.lib).then(({ parquetReadObjects }) => { const b = workerData.bytes; return parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) }); })
  .then((rows) => parentPort.postMessage('ok ' + rows.length), (e) => parentPort.postMessage('error ' + String(e && e.message).slice(0, 80)));`, { eval: true, workerData: { bytes, lib } });
  try {
    return await new Promise<string>((done) => {
      const timer = setTimeout(() => done('hang'), deadlineMs);
      worker.once('message', (m: string) => (clearTimeout(timer), done(m)));
      worker.once('error', (e) => (clearTimeout(timer), done(`worker error ${e.message.slice(0, 80)}`)));
    });
  } finally {
    await worker.terminate();
  }
}

/** The same file through ingest's reader: 'ok N', 'error <hyparquet's message>' or 'stall'. */
async function readAsIngest(bytes: Uint8Array, deadlineMs: number): Promise<string> {
  const file = join(out, 'ingest-variant.parquet');
  writeFileSync(file, bytes);
  try {
    const source = await openRecordSource(file, undefined, deadlineMs);
    let n = 0;
    for await (const rec of source.records) if (rec !== undefined) n++;
    return `ok ${n}`;
  } catch (e) {
    const m = /^.*?: not a readable Parquet file \((.*)\)$/.exec((e as Error).message);
    if (m === null) return `other ${(e as Error).message.slice(0, 80)}`;
    return m[1]!.startsWith('decoding made no progress') ? 'stall' : `error ${m[1]!.slice(0, 80)}`;
  }
}

const rows = Number(values.rows);
const bases: [string, Uint8Array][] = [];
for (const name of ['chain-rows', 'wrong-column-names']) {
  const file = join(out, `${name}-${rows}.parquet`);
  parquetCases(rows).find((c) => c.name === name)!.write(file);
  bases.push([name, new Uint8Array(readFileSync(file))]);
}
const rng = new Rng(Number(values.seed));
const result: Record<string, { variants: number; ok: number; errors: number; hangs: string[]; ingest?: { same: number; differ: string[] } }> = {};
for (const [name, base] of bases) {
  const r: (typeof result)[string] = (result[name] = { variants: 0, ok: 0, errors: 0, hangs: [], ...(values.ingest ? { ingest: { same: 0, differ: [] } } : {}) });
  for (let k = 0; k < Number(values.variants); k++) {
    const bytes = base.slice();
    const step = 20 + Math.floor(rng.next() * 200);
    const lo = Math.max(4, Math.floor(rng.next() * bytes.length * 0.8));
    const hi = Math.min(bytes.length - 8, lo + Math.floor(rng.next() * (bytes.length - lo)));
    const x = 1 + Math.floor(rng.next() * 255);
    for (let i = lo; i < hi; i += step) bytes[i] = bytes[i]! ^ x;
    let got = await read(bytes, Number(values.deadline) * 1000);
    if (got === 'hang') got = await read(bytes, 30_000);
    r.variants++;
    if (got === 'hang') {
      const file = join(out, `hang-${name}-seed${values.seed}-${k}.parquet`);
      writeFileSync(file, bytes);
      r.hangs.push(file);
    } else if (got.startsWith('ok')) r.ok++;
    else r.errors++;
    if (r.ingest !== undefined) {
      const viaIngest = await readAsIngest(bytes, Number(values.deadline) * 1000);
      // hyparquet's messages are cut at 80 characters on both sides.
      if (viaIngest === (got === 'hang' ? 'stall' : got.slice(0, 6 + 80))) r.ingest.same++;
      else r.ingest.differ.push(`variant ${k}: hyparquet ${got}; ingest ${viaIngest}`);
    }
    if (k % 25 === 0 || got === 'hang') say(`${name} variant ${k}: ${got}`);
  }
}
process.stdout.write(`${JSON.stringify({ lib, seed: Number(values.seed), rows, result })}\n`);
