import type { Trade } from '../../schemas/index.ts';
import type { InputEvent } from '../../processors/types.ts';
import type { LogRecord } from '../../storage/log/event-log.ts';
import type { StoredFrames } from '../../storage/log/stored-record.ts';
import { decodeInput, inputTsInit, newPick, pickHeads, recordToInput, type MergeHead, type TopicDecoder } from '../merged-reader.ts';
import type { ReaderBoot } from './reader-worker.ts';

/**
 * The inputs of every input partition, handed from the reader thread to the graph's thread (D169)
 * through SharedArrayBuffer chunks: no structured clone, no message per input. Each partition
 * (a merge cursor: topic rank, partition) has its own ring of chunks, which the reader fills with
 * the partition's records in log order; the graph's thread merges the rings' heads in the merge
 * order (MergedReader's: key, topic rank, partition), and gives chunks back as it empties them.
 * The reader fills a chunk at a time, of the emptiest ring that has a free one, so the ring the
 * merge waits on is always being filled: no deadlock, and memory is bounded by the rings (default
 * 8 x 128 KB each: a chunk holds a chain of ~1,800 contracts).
 *
 * A chunk is a run of records, each a whole number of 8-byte slots: a header slot (kind | BIG),
 * the merge key or the record timestamp, the offset, then the kind's fields as float64 slots
 * (every integer here is below 2^53, as the decoded values themselves are JS numbers), then for
 * some kinds bytes padded to 8:
 *   trade        key tsInit; tsEvent, price, size, symbol id * 2 + (side SELL ? 1 : 0), tradeId
 *                (a trade the reader decoded)
 *   record       record timestamp; value and key byte lengths, their bytes: a stored record as it
 *                is (a chain, a candle, a trade the reader left to the graph's side or could not
 *                decode), decoded on the graph's side when it becomes its partition's head, as
 *                MergedReader decodes heads (its key is then its tsInit, or the timestamp if it
 *                does not decode)
 *   symbol       (no key or offset) id, byte length, UTF-8 bytes; ids are per partition, defined
 *                before the first trade of that partition that uses them
 *   end          the partition has no more records
 * A record too large for a chunk (a chain of a few hundred contracts, or a record far larger than
 * its kind's, which will not decode) has the BIG flag and a message id instead of its bytes,
 * which come by postMessage.
 *
 * Who reads and decodes what balances the two threads: the reader reads every record and decodes
 * the trades, most of the records, unless the graph's side has had to wait for a chunk since the
 * reader's previous read (the reader behind: it leaves that read's trades to the graph's side);
 * the graph's side decodes the rest (D172, D173; docs/benchmarks.md, issue 19).
 */

const KIND_TRADE = 1;
const KIND_RECORD = 2;
const KIND_SYMBOL = 3;
const KIND_END = 4;
const KIND_MASK = 7;
const BIG = 8;

/** Slots for `bytes` bytes, rounded up. */
function slots(bytes: number): number {
  return (bytes + 7) >>> 3;
}

export interface HandoffBuffers {
  /** Cursor c's chunk r is at byte (c * ring + r) * chunkBytes. */
  data: SharedArrayBuffer;
  /**
   * Int32: state of chunk (c, r) at [c * ring + r] (0 free, 1 full); its used bytes at
   * [cursors * ring + c * ring + r]; then the count of chunks given back, the cancel flag, and the
   * count of the graph's waits for a chunk (the reader's cue to leave trades to the graph's side).
   */
  control: SharedArrayBuffer;
  cursors: number;
  ring: number;
  chunkBytes: number;
}

export function handoffBuffers(cursors: number, ring = 8, chunkBytes = 128 * 1024): HandoffBuffers {
  if (chunkBytes % 8 !== 0 || chunkBytes < 64) throw new Error(`chunkBytes must be a multiple of 8 and at least 64 (got ${chunkBytes})`);
  if (ring < 1) throw new Error(`ring must be at least 1 (got ${ring})`);
  return { data: new SharedArrayBuffer(cursors * ring * chunkBytes), control: new SharedArrayBuffer(4 * (2 * cursors * ring + 3)), cursors, ring, chunkBytes };
}

/** Index of the count of chunks given back (the reader waits on it when every ring is full). */
function releasedAt(b: HandoffBuffers): number {
  return 2 * b.cursors * b.ring;
}
function cancelAt(b: HandoffBuffers): number {
  return 2 * b.cursors * b.ring + 1;
}
function starvedAt(b: HandoffBuffers): number {
  return 2 * b.cursors * b.ring + 2;
}

/** How often and how long one side of the hand-off waited for the other. */
export interface WaitTotal {
  count: number;
  ms: number;
}

/** No waits yet (a HandoffWaits to be filled by a threaded replay). */
export function newHandoffWaits(): HandoffWaits {
  return { graph: { count: 0, ms: 0 }, reader: { count: 0, ms: 0 } };
}

/**
 * The hand-off's waits in one replay: the graph's thread for a chunk the reader had not published
 * yet (the reader behind), the reader for a chunk back (every ring full: the graph behind).
 * What a threaded replay spends there is time the two threads do not overlap.
 */
export interface HandoffWaits {
  graph: WaitTotal;
  reader: WaitTotal;
  /** Milliseconds from the replay's start until the reader thread was ready (its modules loaded, the log open); until then the graph's thread reads. */
  readyMs?: number;
  /** How the reader thread loaded its modules (reader-worker-boot.mjs). */
  boot?: ReaderBoot;
}

const utf8 = new TextEncoder();

/** The writing state of one cursor's ring. */
interface RingWriter {
  /** Chunk being filled (its state is 0 while it is). */
  r: number;
  /** Next free slot and the end of the chunk being filled (absolute slot indexes). */
  at: number;
  end: number;
  symbols: Map<string, number>;
  lastSymbol: string;
  lastId: number;
}

/** The reader thread's side: writes each cursor's inputs into its ring. */
export class HandoffWriter {
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly ctl: Int32Array;
  private readonly slotsPerChunk: number;
  private readonly rings: RingWriter[] = [];
  private bigId = 0;
  /** Time this thread spent blocked in waitRelease (HandoffWaits). */
  readonly waits: WaitTotal = { count: 0, ms: 0 };

  constructor(
    private readonly b: HandoffBuffers,
    /** Sends a BIG record's bytes (postMessage) under its id, before the chunk that names it is published. */
    private readonly sendBig: (id: number, bytes: Uint8Array) => void,
  ) {
    this.f64 = new Float64Array(b.data);
    this.u8 = new Uint8Array(b.data);
    this.ctl = new Int32Array(b.control);
    this.slotsPerChunk = b.chunkBytes / 8;
    for (let c = 0; c < b.cursors; c++) {
      const at = c * b.ring * this.slotsPerChunk;
      this.rings.push({ r: 0, at, end: at + this.slotsPerChunk, symbols: new Map(), lastSymbol: '', lastId: -1 });
    }
  }

  /** True once the graph's side asked the reader to stop. */
  get cancelled(): boolean {
    return Atomics.load(this.ctl, cancelAt(this.b)) !== 0;
  }

  /** How many times the graph's side has had to wait for a chunk so far. */
  graphWaits(): number {
    return Atomics.load(this.ctl, starvedAt(this.b));
  }

  /** How many chunks the graph's side has given back so far (waitRelease's argument). */
  released(): number {
    return Atomics.load(this.ctl, releasedAt(this.b));
  }

  /** Blocks until a chunk is given back after `seen` were (or the wait times out, or cancel). */
  waitRelease(seen: number): void {
    const t0 = performance.now();
    Atomics.wait(this.ctl, releasedAt(this.b), seen, 1000);
    this.waits.count++;
    this.waits.ms += performance.now() - t0;
  }

  /** How many of cursor c's chunks are full, waiting for the graph's side (0 to ring). */
  fullChunks(c: number): number {
    let n = 0;
    for (let r = 0; r < this.b.ring; r++) n += Atomics.load(this.ctl, c * this.b.ring + r);
    return n;
  }

  /** The index in its ring of cursor c's chunk being filled (it moves on when that chunk is published). */
  chunkBeingFilled(c: number): number {
    return (this.rings[c] as RingWriter).r;
  }

  /** True when cursor c's chunk being filled is free (writes can go in). */
  hasRoom(c: number): boolean {
    const w = this.rings[c] as RingWriter;
    return Atomics.load(this.ctl, c * this.b.ring + w.r) === 0;
  }

  /**
   * Writes one trade of cursor c, decoded (`offset`: its record's). False when it does not fit and
   * the ring has no free chunk: nothing was written.
   */
  writeTrade(c: number, t: Trade, offset: number): boolean {
    const w = this.rings[c] as RingWriter;
    let id = w.lastId;
    let newBytes: Uint8Array | null = null;
    if (t.symbol !== w.lastSymbol) {
      const known = w.symbols.get(t.symbol);
      if (known === undefined) {
        id = w.symbols.size;
        newBytes = utf8.encode(t.symbol);
      } else id = known;
    }
    const need = 8 + (newBytes === null ? 0 : 3 + slots(newBytes.length));
    const s = this.reserve(c, w, need);
    if (s < 0) return false;
    const f = this.f64;
    let p = s;
    if (newBytes !== null) {
      w.symbols.set(t.symbol, id);
      f[p] = KIND_SYMBOL;
      f[p + 1] = id;
      f[p + 2] = newBytes.length;
      this.u8.set(newBytes, (p + 3) * 8);
      p += 3 + slots(newBytes.length);
    }
    w.lastSymbol = t.symbol;
    w.lastId = id;
    f[p] = KIND_TRADE;
    f[p + 1] = t.tsInit;
    f[p + 2] = offset;
    f[p + 3] = t.tsEvent;
    f[p + 4] = t.price;
    f[p + 5] = t.size;
    f[p + 6] = id * 2 + (t.side === 'SELL' ? 1 : 0);
    f[p + 7] = t.tradeId;
    return true;
  }

  /**
   * Writes the current record of `frames` (StoredFrames.next) as it is stored (decoded by the
   * graph's side when it becomes its partition's head, or found undecodable there). False when it
   * does not fit and the ring has no free chunk.
   */
  writeFrame(c: number, frames: StoredFrames): boolean {
    const b = frames.bytes;
    return this.writeRaw(c, frames.timestamp, frames.offset, b, frames.valueStart, frames.valueEnd, b, frames.keyStart, frames.keyEnd);
  }

  /** A stored record as it is: its value is value[vs, ve), its key's UTF-8 key[ks, ke). */
  private writeRaw(c: number, timestamp: number, offset: number, value: Uint8Array, vs: number, ve: number, key: Uint8Array, ks: number, ke: number): boolean {
    const w = this.rings[c] as RingWriter;
    const nv = ve - vs;
    const nk = ke - ks;
    const n = nv + nk;
    const big = 5 + slots(n) > this.slotsPerChunk;
    const s = this.reserve(c, w, big ? 6 : 5 + slots(n));
    if (s < 0) return false;
    const f = this.f64;
    f[s] = KIND_RECORD | (big ? BIG : 0);
    f[s + 1] = timestamp;
    f[s + 2] = offset;
    f[s + 3] = nv;
    f[s + 4] = nk;
    if (big) {
      const all = new Uint8Array(n);
      all.set(value.subarray(vs, ve), 0);
      all.set(key.subarray(ks, ke), nv);
      f[s + 5] = this.big(all);
    } else {
      const at = (s + 5) * 8;
      copyBytes(value, vs, ve, this.u8, at);
      copyBytes(key, ks, ke, this.u8, at + nv);
    }
    return true;
  }

  /** Marks the end of cursor c and publishes its chunk; false when there was no room (try again later). */
  end(c: number): boolean {
    const w = this.rings[c] as RingWriter;
    const s = this.reserve(c, w, 1);
    if (s < 0) return false;
    this.f64[s] = KIND_END;
    this.publish(c, w);
    return true;
  }

  private big(bytes: Uint8Array): number {
    const id = this.bigId++;
    this.sendBig(id, bytes);
    return id;
  }

  /**
   * Slot index of `n` free slots in cursor c's chunk being filled: when they do not fit, that
   * chunk is published and the next one taken if free; -1 if it is not (nothing changes then
   * but the publishing).
   */
  private reserve(c: number, w: RingWriter, n: number): number {
    if (n > this.slotsPerChunk) throw new Error(`a record of ${n * 8} bytes does not fit a ${this.b.chunkBytes}-byte hand-off chunk (a trade symbol that long?)`);
    if (w.at + n > w.end) {
      // The chunk being filled may still be empty after a failed reserve: publish only a used one.
      const base = (c * this.b.ring + w.r) * this.slotsPerChunk;
      if (w.at > base) this.publish(c, w);
      if (Atomics.load(this.ctl, c * this.b.ring + w.r) !== 0) return -1;
    }
    const s = w.at;
    w.at += n;
    return s;
  }

  /** Publishes cursor c's chunk being filled and moves to the next chunk of its ring. */
  private publish(c: number, w: RingWriter): void {
    const k = c * this.b.ring + w.r;
    const base = k * this.slotsPerChunk;
    Atomics.store(this.ctl, this.b.cursors * this.b.ring + k, (w.at - base) * 8);
    Atomics.store(this.ctl, k, 1);
    Atomics.notify(this.ctl, k);
    w.r = (w.r + 1) % this.b.ring;
    w.at = (c * this.b.ring + w.r) * this.slotsPerChunk;
    w.end = w.at + this.slotsPerChunk;
  }
}

const utf8d = new TextDecoder();

// Node 16+ has Atomics.waitAsync; the project's TypeScript lib (es2022) does not declare it.
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;

/** The reading state of one cursor's ring on the graph's side. */
interface RingReader extends MergeHead {
  /** The cursor's index (its ring's). */
  i: number;
  partition: number;
  topic: string;
  /** Chunk being read (held while `reading`), the next record's slot and the end of its records (absolute). */
  r: number;
  reading: boolean;
  s: number;
  stop: number;
  /** The head's merge key (valid while the cursor has a head). */
  headKey: number;
  /** A stored record's head, decoded here when it became the head (its key is its tsInit). */
  head: InputEvent | null;
  /** A trades partition: its trades are decoded into this event, reused (MergedReader's spare). */
  spare: (InputEvent & { kind: 'trade' }) | null;
  symbols: string[];
}

/** What settle found at a cursor's position. */
const HEAD = 0;
const ENDED = 1;
const WAIT = 2;
const WAIT_BIG = 3;

/**
 * The graph's side: merges the cursors' rings in MergedReader's order and turns their records
 * back into the InputEvents the reader decoded. Trades come in one reused event, position and
 * Trade record (as MergedReader's reuseTrades: the consumer keeps nothing of an input once emit
 * returns; what the graph keeps of a position it copies).
 */
export class HandoffMerge {
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly ctl: Int32Array;
  private readonly slotsPerChunk: number;
  private readonly rings: RingReader[];
  private readonly trade: InputEvent & { kind: 'trade' };
  private readonly bigs = new Map<number, Uint8Array>();
  private bigWaiter: (() => void) | null = null;
  private failure: Error | null = null;
  /** Time this thread spent waiting for chunks (HandoffWaits). */
  readonly waits: WaitTotal = { count: 0, ms: 0 };

  constructor(
    private readonly b: HandoffBuffers,
    /**
     * Every merge cursor's topic rank and partition, in MergedReader's order: the reader's cursors,
     * ring 0 the first of them, and so on.
     */
    cursors: readonly { rank: number; partition: number }[],
    topics: readonly string[],
    private readonly decode: TopicDecoder,
  ) {
    this.f64 = new Float64Array(b.data);
    this.u8 = new Uint8Array(b.data);
    this.ctl = new Int32Array(b.control);
    this.slotsPerChunk = b.chunkBytes / 8;
    this.rings = cursors.map((c, i) => {
      const s = i * b.ring * this.slotsPerChunk;
      return { i, topicRank: c.rank, partition: c.partition, topic: topics[c.rank] as string, r: 0, reading: false, s, stop: s, headKey: 0, head: null, spare: topics[c.rank] === 'trades' ? { kind: 'trade', pos: { topic: 'trades', partition: c.partition, offset: 0 }, value: undefined as unknown as Trade } : null, symbols: [] };
    });
    const value: Trade = { tsEvent: 0, tsInit: 0, symbol: '', price: 0, size: 0, side: 'BUY', tradeId: 0 };
    this.trade = { kind: 'trade', pos: { topic: '', partition: 0, offset: 0 }, value };
  }

  /** A BIG record's bytes arrived. */
  addBig(id: number, bytes: Uint8Array): void {
    this.bigs.set(id, bytes);
    this.bigWaiter?.();
  }

  /** The reader failed: the merge stops waiting and throws `err`. */
  fail(err: Error): void {
    this.failure ??= err;
    this.bigWaiter?.();
    for (let k = 0; k < this.b.cursors * this.b.ring; k++) Atomics.notify(this.ctl, k);
  }

  /** Asks the reader thread to stop, and wakes it if it waits for a chunk. */
  cancel(): void {
    Atomics.store(this.ctl, cancelAt(this.b), 1);
    Atomics.add(this.ctl, releasedAt(this.b), 1);
    Atomics.notify(this.ctl, releasedAt(this.b));
  }

  /** Emits every input of every cursor in the merge order; resolves with the count. */
  async run(emit: (e: InputEvent) => void): Promise<number> {
    const active: RingReader[] = [];
    for (const c of this.rings) if ((await this.settled(c)) === HEAD) active.push(c);
    if (active.length === 0) return 0;
    const pick = newPick(active[0] as RingReader);
    let n = 0;
    while (active.length > 0) {
      // As MergedReader.merge: the best head, and the runner-up's key.
      pickHeads(active, pick);
      const { best, bc, stopKey, winsTie } = pick;
      for (;;) {
        // Awaits only for a chunk not yet published or a BIG record's bytes: the common path is synchronous.
        this.emitHead(bc, emit);
        n++;
        let st = this.settle(bc);
        if (st >= WAIT) st = await this.settled(bc);
        if (st === ENDED) {
          active.splice(best, 1);
          break;
        }
        const k = bc.headKey;
        if (k > stopKey || (k === stopKey && !winsTie)) break;
      }
    }
    return n;
  }

  /** Moves cursor c to its next input (through symbol records and chunk ends), waiting for chunks. */
  private async settled(c: RingReader): Promise<number> {
    for (;;) {
      const st = this.settle(c);
      if (st === WAIT) await this.chunkOf(c);
      else if (st === WAIT_BIG) await this.bigArrival();
      else return st;
    }
  }

  private settle(c: RingReader): number {
    const f = this.f64;
    for (;;) {
      if (c.s >= c.stop) {
        if (!this.nextChunk(c)) return WAIT;
        continue;
      }
      const h = f[c.s] as number;
      const kind = h & KIND_MASK;
      if (kind === KIND_SYMBOL) {
        const n = f[c.s + 2] as number;
        c.symbols[f[c.s + 1] as number] = utf8d.decode(this.u8.subarray((c.s + 3) * 8, (c.s + 3) * 8 + n));
        c.s += 3 + slots(n);
        continue;
      }
      if (kind === KIND_END) {
        this.release(c);
        return ENDED;
      }
      if (kind === KIND_RECORD) {
        // As MergedReader decodes a cursor's head: its merge key is the decoded tsInit, or the
        // record timestamp when it does not decode. A BIG record waits for its bytes (WAIT_BIG).
        const big = (h & BIG) !== 0;
        const id = f[c.s + 5] as number;
        if (big && !this.bigs.has(id)) return WAIT_BIG;
        const nv = f[c.s + 3] as number;
        const nk = f[c.s + 4] as number;
        const at = (c.s + 5) * 8;
        if (!big) {
          // Decoded from the chunk in place (a trade into the partition's reused event): no copy of
          // the bytes, which the decoded value does not keep (the input schemas have no bytes
          // fields). On any failure, the in-thread reader's path below, which decodes a copy again
          // and fails the same way, keeping the copy as the undecodable record's payload.
          try {
            const e = this.decodeInPlace(c, f[c.s + 2] as number, this.u8.subarray(at, at + nv));
            c.s += 5 + slots(nv + nk);
            c.head = e;
            c.headKey = e.value.tsInit;
            return HEAD;
          } catch {
            // below
          }
        }
        const all = big ? this.takeBig(id) : this.u8.slice(at, at + nv + nk);
        // A Uint8Array view, as the embedded log's reader gives a value read from a block (D171).
        const value = all.subarray(0, nv);
        const rec: LogRecord = { topic: c.topic, partition: c.partition, offset: f[c.s + 2] as number, key: utf8d.decode(all.subarray(nv, nv + nk)), timestamp: f[c.s + 1] as number, value };
        c.s += big ? 6 : 5 + slots(nv + nk);
        const e = recordToInput(rec, this.decode, null);
        c.head = e;
        c.headKey = inputTsInit(e);
        return HEAD;
      }
      c.headKey = f[c.s + 1] as number;
      return HEAD;
    }
  }

  /** Cursor c's record at `offset`, decoded from `bytes` (a view of its chunk); throws as the decoder does. */
  private decodeInPlace(c: RingReader, offset: number, bytes: Uint8Array): InputEvent & { kind: 'trade' | 'chain' | 'candle' } {
    // A trades cursor's reused event keeps its position object (its offset set once decoded).
    const spare = c.spare;
    const e = decodeInput(c.topic, bytes, spare !== null ? spare.pos : { topic: c.topic, partition: c.partition, offset }, this.decode, spare);
    e.pos.offset = offset;
    return e;
  }

  /** Past the end of the chunk being read: gives it back, and takes the next if the reader has published it. */
  private nextChunk(c: RingReader): boolean {
    if (c.reading) {
      this.release(c);
      c.r = (c.r + 1) % this.b.ring;
    }
    const k = c.i * this.b.ring + c.r;
    if (Atomics.load(this.ctl, k) !== 1) return false;
    c.s = k * this.slotsPerChunk;
    c.stop = c.s + Atomics.load(this.ctl, this.b.cursors * this.b.ring + k) / 8;
    c.reading = true;
    return true;
  }

  /** Gives cursor c's chunk being read back to the reader. */
  private release(c: RingReader): void {
    Atomics.store(this.ctl, c.i * this.b.ring + c.r, 0);
    c.reading = false;
    Atomics.add(this.ctl, releasedAt(this.b), 1);
    Atomics.notify(this.ctl, releasedAt(this.b));
  }

  /** Waits until cursor c's next chunk is published (or the reader failed). */
  private async chunkOf(c: RingReader): Promise<void> {
    const k = c.i * this.b.ring + c.r;
    while (Atomics.load(this.ctl, k) !== 1) {
      this.check();
      const w = waitAsync(this.ctl, k, 0);
      if (w.async) {
        Atomics.add(this.ctl, starvedAt(this.b), 1);
        const t0 = performance.now();
        await w.value;
        this.waits.count++;
        this.waits.ms += performance.now() - t0;
      }
    }
    this.check();
  }

  /** Emits cursor c's head and moves past it. */
  private emitHead(c: RingReader, emit: (e: InputEvent) => void): void {
    if (c.head !== null) {
      // A stored record, decoded when it became the head (c.s is already past it).
      const e = c.head;
      c.head = null;
      emit(e);
      return;
    }
    // A trade the reader decoded.
    const f = this.f64;
    const s = c.s;
    const trade = this.trade;
    const pos = trade.pos;
    pos.topic = c.topic;
    pos.partition = c.partition;
    pos.offset = f[s + 2] as number;
    const t = trade.value;
    t.tsEvent = f[s + 3] as number;
    t.tsInit = f[s + 1] as number;
    t.price = f[s + 4] as number;
    t.size = f[s + 5] as number;
    const sym = f[s + 6] as number;
    t.symbol = c.symbols[sym >>> 1] as string;
    t.side = (sym & 1) === 0 ? 'BUY' : 'SELL';
    t.tradeId = f[s + 7] as number;
    c.s = s + 8;
    emit(trade);
  }

  private takeBig(id: number): Uint8Array {
    const bytes = this.bigs.get(id) as Uint8Array;
    this.bigs.delete(id);
    return bytes;
  }

  /** Waits for the next BIG record's bytes to arrive (or the reader's failure). */
  private async bigArrival(): Promise<void> {
    this.check();
    await new Promise<void>((resolve) => (this.bigWaiter = resolve));
    this.bigWaiter = null;
    this.check();
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }
}

/** Copies src[from, to) to dst at `at`: a loop for a few bytes (a trade's key and value), else set. */
function copyBytes(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): void {
  if (to - from <= 64) {
    for (let i = from; i < to; i++) dst[at++] = src[i] as number;
  } else {
    dst.set(src.subarray(from, to), at);
  }
}
