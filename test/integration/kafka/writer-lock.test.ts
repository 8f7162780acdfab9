/**
 * One writer per log on Kafka (storage/kafka/kafka-writer-lock.ts, decisions.md D90), on a real
 * broker (test/helpers/kafka-broker.ts: the shared one; every case but the CLI one uses a lock and
 * topic of its own). Writers are separate processes (test/fixtures/kafka/lock-writer.ts) so that
 * they can be SIGKILLed and SIGSTOPped: a second writer is refused naming the holder; a killed
 * holder's lock frees after its session timeout and a new writer proceeds; a frozen holder woken
 * after another writer took the lock appends nothing more, and the log holds no record of it after
 * the first of the new writer's.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaEventLog, KafkaWriterFencedError } from '../../../storage/kafka/kafka-event-log.ts';
import { DEFAULT_WRITER_LOCK } from '../../../storage/kafka/kafka-writer-lock.ts';
import { realKafka, type RealKafka } from '../../helpers/kafka-broker.ts';
import { nodeEntry, runCli, tempDir } from '../../helpers/cli.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const kafka = await realKafka();
const skip = 'skip' in kafka ? kafka.skip : false;
const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'kafka', 'lock-writer.ts');
/** The broker's smallest allowed session timeout (group.min.session.timeout.ms). */
const SESSION_MS = 6_000;

interface Writer {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
  appended(): number;
}

function writer(name: string, topic: string, label: string, everyMs = 50): Writer {
  const { brokers } = kafka as RealKafka;
  const child = spawn(process.execPath, [...nodeEntry(FIXTURE), brokers.join(','), name, topic, label, String(SESSION_MS), String(everyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  let rest = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited, appended: () => lines.filter((l) => l.event === 'appended').length };
}

const has = (w: Writer, event: string) => (): boolean => w.lines.some((l) => l.event === event);
const stop = async (w: Writer): Promise<void> => {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await w.exited;
};

/** The values of `topic`, read committed, in offset order (all writers use one key: one partition). */
async function values(topic: string): Promise<string[]> {
  const log = await KafkaEventLog.connect({ brokers: (kafka as RealKafka).brokers });
  try {
    const out: string[] = [];
    for (let p = 0; p < (await log.partitions(topic)); p++) for await (const batch of log.read(topic, p)) for (const r of batch) out.push(Buffer.from(r.value).toString());
    return out;
  } finally {
    await log.close();
  }
}

// The cases run at once (each its own lock and topic, the CLI case the catalogue's lock, the
// fence case in-process clients): their waits are mostly a session timeout (6 s) each, the
// broker's minimum, so one after another the file was mostly waiting (decisions D143).
describe('one writer per log on Kafka', { skip, concurrency: true }, () => {
  const started: Writer[] = [];
  const fresh = (): { name: string; topic: string } => {
    const id = randomUUID().slice(0, 8);
    return { name: `lock-${id}`, topic: `lock-data-${id}` };
  };
  const spawnWriter = (name: string, topic: string, label: string, everyMs?: number): Writer => {
    const w = writer(name, topic, label, everyMs);
    started.push(w);
    return w;
  };
  after(async () => {
    for (const w of started) await stop(w);
    if (!('skip' in kafka)) await kafka.stop();
  });

  test('a second writer is refused with exit 2, naming the holder; the holder goes on appending', { timeout: 90_000 }, async () => {
    const { name, topic } = fresh();
    const a = spawnWriter(name, topic, 'A');
    await waitFor('A appends', has(a, 'appended'), { timeoutMs: 60_000 });
    const b = spawnWriter(name, topic, 'B');
    assert.equal(await b.exited, 2);
    const refused = b.lines.find((l) => l.event === 'refused');
    assert.ok(refused, `B was not refused: ${JSON.stringify(b.lines)}`);
    assert.match(String(refused.message), new RegExp(`being written by process ${a.child.pid} on \\S+ \\(tickflow lock-writer A\\); stop it first`));
    const before = a.appended();
    await waitFor('A appends after B was refused', () => a.appended() > before + 3, { timeoutMs: 30_000 });
    await stop(a);
    assert.ok((await values(topic)).every((v) => v.startsWith('A-')));
  });

  test('the CLI: ingest --broker while another writer holds the log is one line, exit 2', { timeout: 90_000 }, async () => {
    // The catalogue's lock name: only this case takes it on the shared broker (tests that write the
    // catalogue's topics use brokers of their own).
    const a = spawnWriter(DEFAULT_WRITER_LOCK, `lock-data-${randomUUID().slice(0, 8)}`, 'A');
    await waitFor('A appends', has(a, 'appended'), { timeoutMs: 60_000 });
    const tmp = tempDir('tickflow-lock-');
    try {
      const file = join(tmp.dir, 'trades.csv');
      writeFileSync(file, 'ts,symbol,price,size,side\n2026-01-05T00:00:00Z,BTC,40000,1,buy\n');
      const r = await runCli(['ingest', '--broker', (kafka as RealKafka).brokers.join(','), '--file', file, '--format', 'trades']);
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`is being written by process ${a.child.pid} on \\S+ \\(tickflow lock-writer A\\); stop it first`));
    } finally {
      tmp.cleanup();
      await stop(a);
    }
  });

  test('a holder killed with SIGKILL: its lock frees after the session timeout and the next writer proceeds', { timeout: 120_000 }, async () => {
    const { name, topic } = fresh();
    const a = spawnWriter(name, topic, 'A');
    await waitFor('A appends', has(a, 'appended'), { timeoutMs: 60_000 });
    a.child.kill('SIGKILL');
    await a.exited;
    const killedAt = performance.now();
    const c = spawnWriter(name, topic, 'C');
    await waitFor(() => `C takes the lock: ${JSON.stringify(c.lines)}`, () => c.appended() >= 3, { timeoutMs: 90_000 });
    // Not asserted (timing); in the test's output: about the session timeout.
    console.log(`# C appended ${((performance.now() - killedAt) / 1000).toFixed(1)} s after A was killed (session timeout ${SESSION_MS / 1000} s)`);
    await stop(c);
    const all = await values(topic);
    const firstC = all.findIndex((v) => v.startsWith('C-'));
    assert.ok(firstC > 0 && all.slice(firstC).every((v) => v.startsWith('C-')), `order: ${all.join(',')}`);
  });

  test('a holder frozen (SIGSTOP) past its session timeout and woken after another writer took the lock appends nothing more', { timeout: 150_000 }, async () => {
    const { name, topic } = fresh();
    const a = spawnWriter(name, topic, 'A', 20);
    await waitFor('A appends', () => a.appended() >= 5, { timeoutMs: 60_000 });
    a.child.kill('SIGSTOP');
    const c = spawnWriter(name, topic, 'C', 20);
    await waitFor(() => `C takes the lock: ${JSON.stringify(c.lines)}`, () => c.appended() >= 3, { timeoutMs: 90_000 });
    const aBefore = a.appended();
    a.child.kill('SIGCONT');
    // A stops with exit 2: fenced by the broker (its next append) or told by the group that the lock went to C.
    assert.equal(await a.exited, 2);
    const failed = a.lines.find((l) => l.event === 'failed');
    assert.ok(failed && (failed.name === 'KafkaWriterFencedError' || failed.name === 'KafkaWriterLockLostError'), JSON.stringify(a.lines.slice(-3)));
    await waitFor('C goes on appending', () => c.appended() >= 10, { timeoutMs: 30_000 });
    await stop(c);
    const all = await values(topic);
    const fromA = all.filter((v) => v.startsWith('A-'));
    const firstC = all.findIndex((v) => v.startsWith('C-'));
    // Nothing of A after C's first record, and exactly what A reported appended (nothing in flight when frozen surfaced later).
    assert.ok(all.slice(firstC).every((v) => v.startsWith('C-')), `order: ${all.join(',')}`);
    assert.equal(fromA.length, a.appended(), `A reported ${a.appended()} appends (${aBefore} before it was woken), the log holds ${fromA.length}`);
    assert.deepEqual(fromA, fromA.map((_, i) => `A-${i}`));
  });

  test('the fence: an open transaction of a writer frozen mid-append is aborted by the next holder, and its commit is refused', { timeout: 60_000 }, async () => {
    const { name, topic } = fresh();
    const { brokers } = kafka as RealKafka;
    const client = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const old = client.producer({ transactionalId: name, idempotent: true, maxInFlightRequests: 1 });
    await old.connect();
    const txn = await old.transaction();
    await txn.send({ topic, messages: [{ key: 'k', value: 'old-in-flight' }] });
    // The next holder opens the log with the lock's transactional id.
    const log = await KafkaEventLog.connect({ brokers, writer: { transactionalId: name } });
    try {
      await log.append(topic, [{ key: 'k', timestamp: 1_700_000_000_000, value: Buffer.from('new-0') }]);
      await assert.rejects(txn.commit(), (e: Error) => /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|epoch|fenced/i.test(`${e.name} ${e.message} ${String((e as { type?: string }).type)}`));
      assert.deepEqual(await values(topic), ['new-0']);
      // And a later writer fences this one: its next append is refused for good.
      const next = await KafkaEventLog.connect({ brokers, writer: { transactionalId: name } });
      await next.close();
      await assert.rejects(log.append(topic, [{ key: 'k', timestamp: 1_700_000_000_001, value: Buffer.from('new-1') }]), KafkaWriterFencedError);
      await assert.rejects(log.append(topic, [{ key: 'k', timestamp: 1_700_000_000_002, value: Buffer.from('new-2') }]), KafkaWriterFencedError);
      assert.deepEqual(await values(topic), ['new-0']);
    } finally {
      await log.close();
      await old.disconnect();
    }
  });
});
