import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportDataset } from '../../../research/dataset.ts';
import { syntheticConfig } from '../../../sources/synthetic/synthetic-config.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { openEmbeddedLog } from '../../../storage/log/open-log.ts';

/**
 * Golden replay: a small seeded market, replayed into a dataset, must hash to the committed value.
 * The hash covers the generator, the Avro encoding, the merge order, bars, watermarks and every
 * core feature. A change that alters it must say why in its commit, and update GOLDEN.
 * History: per-symbol watermarks (2026-11-21) set the current value.
 */
const GOLDEN = 'd73d601aae9cdb38c704859f8caaf0d6d97a23c77a40af7c42876c61018a80a8';

test('a seeded 6-hour market replays into the golden dataset hash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickflow-golden-'));
  try {
    const el = await openEmbeddedLog(join(dir, 'log'));
    try {
      const r = await writeSyntheticHistory(el.log, el.serde, syntheticConfig({ days: 0.25, seed: 2026, signalStrength: 1 }));
      assert.ok(r.events > 10_000, `events ${r.events}`);
      const ds = await exportDataset({ log: el.log, decode: (t, b) => el.serde.decodeAs(t, b), out: join(dir, 'd.csv') });
      assert.ok(ds.rows > 100);
      assert.equal(ds.sha256, GOLDEN);
    } finally {
      await el.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
