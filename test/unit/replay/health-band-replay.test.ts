import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LogSink, RecordedOutputs, toCurrentSchema } from '../../../hosts/log-sink.ts';
import { replayLog } from '../../../hosts/replay/run-replay.ts';
import { CORE_FEATURE_SET } from '../../../processors/features/full/core-feature-set.ts';
import { graphConfigFor } from '../../../processors/graph.ts';
import type { GraphEvent } from '../../../processors/graph-events.ts';
import { verifyLog } from '../../../research/verify.ts';
import { MODEL_HEALTH_SCHEMA, MODEL_HEALTH_SCHEMA_V1, TOPICS, type HealthBand, type ModelHealth, type Signal } from '../../../schemas/index.ts';
import { writeSyntheticHistory } from '../../../sources/synthetic/write-history.ts';
import { openEmbeddedLog, type EmbeddedLog } from '../../../storage/log/open-log.ts';
import { SCENARIO_MARKET, scenarioPredictor, scenarioReports, v1Digest } from '../../fixtures/health/band-replay-scenario.ts';

/**
 * The per-band field against replay: a seeded market replayed with a predictor whose health
 * reference carries validation bands. Today's reports, read as ModelHealth v1, are the bytes the
 * code before the field computed (test/fixtures/health/band-replay-old-code.json, produced by
 * running the scenario on that code); a log holding those v1 reports (an old log) verifies
 * identical and a restart over it appends none of them again; two replays give the same bytes.
 */
const OLD = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'health', 'band-replay-old-code.json'), 'utf8')) as { output: { reports: number; sha256V1: string } };
const HEALTH = TOPICS.modelHealth.name;

describe('model-health bands in replay', () => {
  let dir: string;
  let el: EmbeddedLog;
  let reports: ModelHealth[];
  const decode = (t: string, b: Uint8Array): unknown => el.serde.decodeAs(t, b);
  const encode = (t: string, v: object): Uint8Array => el.serde.encode(t, v);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickflow-band-replay-'));
    el = await openEmbeddedLog(join(dir, 'log'));
    await writeSyntheticHistory(el.log, el.serde, SCENARIO_MARKET);
    reports = await scenarioReports(el.log, decode);
  });
  after(async () => {
    await el.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the reports carry matured bands, and read as v1 they are the old code\'s bytes', () => {
    assert.equal(reports.length, OLD.output.reports);
    assert.equal(v1Digest(reports), OLD.output.sha256V1);
    const last = reports.at(-1) as ModelHealth;
    const bands = last.bands as HealthBand[];
    assert.equal(bands.length, 7);
    assert.equal(bands.reduce((s, b) => s + b.matured, 0), last.matured, 'every matured signal is in one band');
    assert.ok(bands.filter((b) => b.matured > 0).length >= 3, JSON.stringify(bands.map((b) => b.matured)));
  });

  test('same log, same health report bytes (a second replay)', async () => {
    const again = await scenarioReports(el.log, decode);
    assert.deepEqual(again.map((r) => Buffer.from(encode(HEALTH, r)).toString('hex')), reports.map((r) => Buffer.from(encode(HEALTH, r)).toString('hex')));
  });

  test('an old log (v1 reports) verifies identical, and a restart over it appends none of its outputs again', async () => {
    // The signals and, under the v1 schema, the health reports the old code recorded.
    const signals: Signal[] = [];
    await replayLog({ log: el.log, decode, predictor: scenarioPredictor(), config: graphConfigFor(CORE_FEATURE_SET), sinks: [{ onEvent: (e: GraphEvent) => void (e.kind === 'signal' && signals.push(e.signal)) }] });
    await el.log.append(TOPICS.signals.name, signals.map((s) => ({ key: s.symbol, timestamp: s.tsEvent, value: encode(TOPICS.signals.name, s) })));
    const v1Id = await el.serde.registerTopic(HEALTH, MODEL_HEALTH_SCHEMA_V1);
    await el.log.append(HEALTH, reports.map((r) => ({ key: r.symbol, timestamp: r.tsEvent, value: encode(HEALTH, r) })));
    assert.notEqual(await el.serde.registerTopic(HEALTH, MODEL_HEALTH_SCHEMA), v1Id);

    const r = await verifyLog({ log: el.log, decode, encode, predictor: scenarioPredictor() });
    assert.equal(r.identical, true, JSON.stringify(r.firstDifference));
    assert.deepEqual(r.modelHealth, { reports: reports.length, recorded: reports.length, identical: true });
    // A model whose health differs in a v1 field (a shorter label window) does not verify against it.
    const p = scenarioPredictor();
    const other = { ...p, health: { ...p.health!, options: { ...p.health!.options, labelWindow: 24 } } };
    const bad = await verifyLog({ log: el.log, decode, encode, predictor: other });
    assert.equal(bad.modelHealth.identical, false);
    assert.equal(bad.firstDifference?.topic, HEALTH);

    const recorded = await RecordedOutputs.read(el.log, [TOPICS.signals.name, HEALTH], toCurrentSchema(encode, decode));
    const sink = new LogSink(el.log, { encode }, recorded);
    await replayLog({ log: el.log, decode, predictor: scenarioPredictor(), config: graphConfigFor(CORE_FEATURE_SET), sinks: [sink] });
    const queued = sink.take();
    assert.equal(queued.get(HEALTH), undefined, 'no health report appended again');
    assert.equal(queued.get(TOPICS.signals.name), undefined, 'no signal appended again');
    assert.equal(sink.skipped, signals.length + reports.length);
  });
});
