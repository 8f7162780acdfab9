import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_UNACKED_SENDS, sendUntilAcknowledged, type KafkaMessage, type PartitionAck } from '../../../storage/kafka/produce-chunks.ts';
import { KafkaLogError } from '../../../storage/kafka/kafka-log-error.ts';

const msg = (partition: number, n: number): KafkaMessage => ({ key: `k${partition}-${n}`, value: Buffer.from([n]), timestamp: String(n), partition });

/**
 * A broker stand-in that appends what it is sent to per-partition logs and answers as kafkajs does:
 * one RecordMetadata per partition with its baseOffset, except for partitions it "forgets" on the
 * first sends (kafkajs, after a leader moves to a broker that already answered, returns without
 * resending that partition: its records are not written and its acknowledgement is missing).
 */
function fakeBroker(forget: (partition: number, sendNo: number) => boolean) {
  const logs = new Map<number, string[]>();
  const sends: KafkaMessage[][] = [];
  const send = (messages: KafkaMessage[]): Promise<PartitionAck[]> => {
    sends.push(messages);
    const acks: PartitionAck[] = [];
    for (const p of [...new Set(messages.map((m) => m.partition))]) {
      if (forget(p, sends.length)) continue;
      const log = logs.get(p) ?? [];
      acks.push({ partition: p, baseOffset: String(log.length) });
      for (const m of messages) if (m.partition === p) log.push(m.key);
      logs.set(p, log);
    }
    return Promise.resolve(acks);
  };
  return { logs, sends, send };
}

describe('sendUntilAcknowledged', () => {
  const messages = [msg(0, 1), msg(2, 1), msg(1, 1), msg(2, 2), msg(0, 2), msg(1, 2), msg(2, 3)];

  test('a partition left unacknowledged is sent again, alone, and every position matches where the record landed', async () => {
    const broker = fakeBroker((p, sendNo) => p === 2 && sendNo === 1);
    const said: string[] = [];
    const positions = await sendUntilAcknowledged('t', messages, broker.send, (m) => said.push(m));
    assert.equal(broker.sends.length, 2);
    assert.deepEqual(broker.sends[1]!.map((m) => m.key), ['k2-1', 'k2-2', 'k2-3']);
    // Nothing written twice, nothing missing, and each position names the record's real place.
    assert.deepEqual(broker.logs.get(2), ['k2-1', 'k2-2', 'k2-3']);
    positions.forEach((pos, i) => {
      assert.equal(pos.partition, messages[i]!.partition);
      assert.equal(broker.logs.get(pos.partition)![pos.offset], messages[i]!.key);
    });
    assert.equal(said.length, 1);
    assert.match(said[0]!, /partition\(s\) 2 .*3 records again/);
  });

  test('offsets continue after records already in the partition', async () => {
    const broker = fakeBroker((p, sendNo) => p === 1 && sendNo <= 2);
    await sendUntilAcknowledged('t', [msg(1, 0)], broker.send, () => {}).catch(() => undefined);
    const positions = await sendUntilAcknowledged('t', messages, broker.send, () => {});
    positions.forEach((pos, i) => assert.equal(broker.logs.get(pos.partition)![pos.offset], messages[i]!.key));
  });

  test('a partition that never gets acknowledged ends in a retriable error naming it, after a bounded number of sends', async () => {
    const broker = fakeBroker((p) => p === 1);
    await assert.rejects(sendUntilAcknowledged('bars', messages, broker.send, () => {}), (e: unknown) => {
      assert.ok(e instanceof KafkaLogError);
      assert.equal(e.retriable, true);
      assert.match(e.message, /append to bars: no acknowledgement for partition\(s\) 1 after 10 sends/);
      return true;
    });
    assert.equal(broker.sends.length, MAX_UNACKED_SENDS);
  });
});
