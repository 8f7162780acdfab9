import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PARAMS_JSON } from '../../../model/family.ts';
import { computeModelId, MANIFEST_JSON } from '../../../model/manifest.ts';
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
