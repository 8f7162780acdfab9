import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, tempDir } from '../../helpers/cli.ts';
import { realKafka } from '../../helpers/kafka-broker.ts';

// A broker of its own: the test mirrors into the catalogue's topics, which must start empty.
const kafka = await realKafka({ own: true });
const skip = 'skip' in kafka ? kafka.skip : false;
const broker = 'skip' in kafka ? '' : kafka.brokers.join(',');
after(() => ('skip' in kafka ? undefined : kafka.stop()));

/**
 * The same events replayed from a real Kafka broker and from the embedded log give the same
 * dataset and the same backtest, byte for byte.
 */
describe('replay from Kafka equals replay from the embedded log', { skip }, () => {
  const tmp = tempDir('tickflow-kparity-');
  after(() => tmp.cleanup());
  const log = join(tmp.dir, 'log');

  test('generate → mirror to Kafka → dataset and backtest sha256 equal', async () => {
    // 0.4 days: the smallest history whose dataset leaves `train` a validation split (as in
    // real-broker.test.ts); the parity is byte for byte whatever the size (it was 0.6 days).
    const g = await runCli(['generate', '--out', log, '--days', '0.4', '--seed', '9', '--signal-strength', '2']);
    assert.equal(g.code, 0, g.stderr);
    const c = await runCli(['topics', 'create', '--broker', broker, '--replication-factor', '1']);
    assert.equal(c.code, 0, c.stderr);
    const m = await runCli(['mirror', '--from', log, '--to', 'kafka', '--broker', broker]);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(m.json.records, g.json.events);

    const fromLog = await runCli(['replay', 'dataset', '--log', log, '--out', join(tmp.dir, 'log.csv')]);
    const fromKafka = await runCli(['replay', 'dataset', '--broker', broker, '--out', join(tmp.dir, 'kafka.csv')]);
    assert.equal(fromKafka.code, 0, fromKafka.stderr);
    assert.ok((fromLog.json.rows as number) > 100);
    assert.equal(fromKafka.json.sha256, fromLog.json.sha256);

    const model = join(tmp.dir, 'model');
    const t = await runCli(['train', '--dataset', join(tmp.dir, 'log.csv'), '--out', model, '--seed', '2', '--epochs', '2']);
    assert.equal(t.code, 0, t.stderr);
    const b1 = await runCli(['replay', 'backtest', '--log', log, '--model', model, '--out', join(tmp.dir, 'bt-log'), '--allow-ungated']);
    const b2 = await runCli(['replay', 'backtest', '--broker', broker, '--model', model, '--out', join(tmp.dir, 'bt-kafka'), '--allow-ungated']);
    assert.equal(b2.code, 0, b2.stderr);
    assert.equal(b2.json.sha256, b1.json.sha256);
  });
});
