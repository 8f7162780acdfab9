import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PARAMS_JSON } from '../../../model/family.ts';
import { computeModelId, MANIFEST_JSON } from '../../../model/manifest.ts';
import { openLogFrom, type LogSource } from '../../../cli/log-access.ts';
import { INPUT_TOPICS } from '../../../hosts/merged-reader.ts';
import { runCliBatch } from '../../helpers/cli-batch.ts';
import { tempDir } from '../../helpers/cli.ts';
import { realKafka } from '../../helpers/kafka-broker.ts';

// A broker of its own: the test mirrors into the catalogue's topics, which must start empty.
const kafka = await realKafka({ own: true });
const skip = 'skip' in kafka ? kafka.skip : false;
const broker = 'skip' in kafka ? '' : kafka.brokers.join(',');
after(() => ('skip' in kafka ? undefined : kafka.stop()));

/**
 * The model's decision policy made to trade: threshold 0 (any positive net edge) and class moves
 * of +-0.2 %, the modelId recomputed (model/manifest.ts). On 0.4 days the policy fitted on the
 * validation split (about 30 rows) finds no edge after costs and holds on every bar, and a
 * backtest of no trades would compare little (an empty ledger is equal whatever the replay read).
 */
function tradingPolicy(model: string): void {
  const manifest = JSON.parse(readFileSync(join(model, MANIFEST_JSON), 'utf8')) as Record<string, unknown> & { policy: Record<string, unknown> };
  const rest: Record<string, unknown> & { policy: Record<string, unknown> } = { ...manifest };
  delete rest['modelId'];
  rest.policy = { ...rest.policy, minNetEdge: 0, classMoves: [0.002, 0, -0.002] };
  const modelId = computeModelId(rest, new Uint8Array(readFileSync(join(model, PARAMS_JSON))));
  writeFileSync(join(model, MANIFEST_JSON), `${JSON.stringify({ modelId, ...rest }, null, 2)}\n`);
}

/**
 * Every input record of a log, decoded, per topic and partition in offset order: how many, and a
 * sha256 over key, timestamp and decoded value. A dataset or a backtest can come out the same with
 * a record missing (a dropped trade among hundreds in a bar moves nothing that rounds into a
 * signal: one in 500 dropped changed neither); this cannot.
 */
async function inputDigest(source: LogSource): Promise<Record<string, { records: number; sha256: string }>> {
  const access = await openLogFrom(source, { readOnly: true });
  try {
    const out: Record<string, { records: number; sha256: string }> = {};
    for (const topic of INPUT_TOPICS) {
      const partitions = await access.log.partitions(topic);
      for (let p = 0; p < partitions; p++) {
        const h = createHash('sha256');
        let records = 0;
        for await (const batch of access.log.read(topic, p)) {
          for (const r of batch) {
            h.update(`${r.key}\0${r.timestamp}\0${JSON.stringify(access.decode(topic, r.value))}\n`);
            records++;
          }
        }
        out[`${topic}/${p}`] = { records, sha256: h.digest('hex') };
      }
    }
    return out;
  } finally {
    await access.close();
  }
}

/**
 * The same events replayed from a real Kafka broker and from the embedded log give the same
 * dataset and the same backtest (with trades), byte for byte.
 */
describe('replay from Kafka equals replay from the embedded log', { skip }, () => {
  const tmp = tempDir('tickflow-kparity-');
  after(() => tmp.cleanup());
  const log = join(tmp.dir, 'log');
  const model = join(tmp.dir, 'model');

  test('generate → mirror to Kafka → dataset and backtest sha256 equal', async () => {
    // The CLI runs in two processes (test/helpers/cli-batch.ts), not one each: a process start
    // is about 0.6 CPU s. 0.4 days: the smallest history whose dataset leaves `train` a
    // validation split; the parity is byte for byte whatever the size (it was 0.6 days).
    const [g, c, m, fromLog, fromKafka, t] = await runCliBatch([
      ['generate', '--out', log, '--days', '0.4', '--seed', '9', '--signal-strength', '2'],
      ['topics', 'create', '--broker', broker, '--replication-factor', '1'],
      ['mirror', '--from', log, '--to', 'kafka', '--broker', broker],
      ['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'log.csv')],
      ['replay', 'dataset', '--broker', broker, '--out', join(tmp.dir, 'kafka.csv')],
      // Logistic without cross-validation: the parity holds for any model (auto fitted four families).
      ['train', '--dataset', join(tmp.dir, 'log.csv'), '--out', model, '--seed', '2', '--epochs', '2', '--family', 'logistic', '--cv-folds', '0'],
    ]);
    for (const r of [g, c, m, fromLog, fromKafka, t]) assert.equal(r!.code, 0, r!.stderr);
    assert.equal(m!.json.records, g!.json.events);
    assert.ok((fromLog!.json.rows as number) > 100);
    assert.equal(fromKafka!.json.sha256, fromLog!.json.sha256);
    // The inputs themselves, record for record: what both replays read.
    const [onLog, onKafka] = [await inputDigest({ log }), await inputDigest({ broker })];
    assert.ok(Object.values(onLog).reduce((n, d) => n + d.records, 0) === g!.json.events, 'the embedded log holds every generated event');
    assert.deepEqual(onKafka, onLog);

    tradingPolicy(model);
    const [b1, b2] = await runCliBatch([
      ['replay', 'backtest', '--log', log, '--model', model, '--out', join(tmp.dir, 'bt-log'), '--allow-ungated'],
      ['replay', 'backtest', '--broker', broker, '--model', model, '--out', join(tmp.dir, 'bt-kafka'), '--allow-ungated'],
    ]);
    assert.equal(b1!.code, 0, b1!.stderr);
    assert.equal(b2!.code, 0, b2!.stderr);
    assert.ok((b1!.json.trades as number) >= 5, `trades ${String(b1!.json.trades)}`);
    assert.equal(b2!.json.trades, b1!.json.trades);
    assert.equal(b2!.json.sha256, b1!.json.sha256);
  });
});
