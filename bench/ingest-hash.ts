// node --import tsx bench/ingest-hash.ts <checkout> <format> <file> ['{"symbol":"X",...}']
// Imports <file> with the ingest code of <checkout> (this tree: `.`, or an export of another
// commit, e.g. `git archive 2b0a940 | tar -x -C /tmp/base` with node_modules linked) into a fresh
// embedded log, and prints {records, sha256, summary}: the sha256 runs over every record of every
// topic (topic, partition, offset, key, timestamp, then the value bytes) in that order, so two
// checkouts that write the same log print the same hash. "Now" is pinned (2026-11-30) for the
// future-time bound. Used to show that an ingest change writes byte-identical logs.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, format, file, extra] = process.argv.slice(2);
if (root === undefined || format === undefined || file === undefined) throw new Error('usage: bench/ingest-hash.ts <checkout> <format> <file> [options-json]');
const load = async (rel: string): Promise<Record<string, unknown>> => (await import(pathToFileURL(resolve(root, rel)).href)) as Record<string, unknown>;
const { openLog } = (await load('cli/log-access.ts')) as unknown as typeof import('../cli/log-access.ts');
const { ingestFile } = (await load('sources/ingest/index.ts')) as unknown as typeof import('../sources/ingest/index.ts');
const dir = mkdtempSync(join(tmpdir(), 'tickflow-ingest-hash-'));
try {
  const access = await openLog(join(dir, 'log'));
  const options = { file: resolve(file), format, nowMs: Date.UTC(2026, 10, 30), ...(extra !== undefined ? (JSON.parse(extra) as object) : {}) } as Parameters<typeof ingestFile>[1];
  const summary = await ingestFile(access, options);
  const h = createHash('sha256');
  let records = 0;
  for (const topic of (await access.log.topics()).sort()) {
    const parts = await access.log.partitions(topic);
    for (let p = 0; p < parts; p++) {
      for await (const batch of access.log.read(topic, p)) {
        for (const r of batch) {
          records++;
          h.update(`${topic}\0${p}\0${r.offset}\0${r.key}\0${r.timestamp}\0`);
          h.update(r.value);
        }
      }
    }
  }
  await access.close();
  process.stdout.write(`${JSON.stringify({ records, sha256: h.digest('hex'), summary })}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
