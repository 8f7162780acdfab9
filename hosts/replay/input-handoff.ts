import type { Bar, OptionChainSnapshot, Trade } from '../../schemas/index.ts';
import type { InputEvent, LogPosition } from '../../processors/types.ts';
import type { TopicDecoder } from '../merged-reader.ts';

/**
 * The merged input sequence handed from the reader thread to the graph's thread (D169), in
 * chunks of a SharedArrayBuffer: no structured clone, no message per input.
 *
 * A chunk is a run of records, each a whole number of 8-byte slots: a header slot (kind, topic
 * rank, partition), then the kind's fields as float64 slots (every integer here is below 2^53,
 * as the decoded values themselves are JS numbers), then for some kinds bytes padded to 8.
 *   trade        offset, tsEvent, tsInit, price, size, symbol id * 2 + (side SELL ? 1 : 0), tradeId
 *   chain/candle offset, byte length, the record value (decoded on the graph's side)
 *   undecodable  offset, tsInit, payload/key/reason byte lengths, their bytes
 *   symbol       id, byte length, UTF-8 bytes (before the first trade that uses the id)
 *   end          the sequence is complete
 * A record too large for a chunk (an option chain of tens of thousands of contracts, a large
 * undecodable payload) carries its length with the BIG flag, and its bytes come by postMessage,
 * in order (BigQueue).
 *
 * Trades cross as numbers, decoded once on the reader's side (their decode is the reader's
 * hottest part and would otherwise load the graph's side). Option chains and candles cross as
 * their stored bytes and are decoded by the graph's side with the replay's own decoder: a decoded
 * chain is ~60 objects, slower to write as slots than to decode again, and the reader has already
 * decoded it once for its merge key (and to know whether it decodes at all).
 */

export const KIND_TRADE = 1;
export const KIND_CHAIN = 2;
export const KIND_CANDLE = 3;
export const KIND_UNDECODABLE = 4;
export const KIND_SYMBOL = 5;
export const KIND_END = 6;
const BIG = 8;
const KIND_MASK = 7;

/** Header slot: kind | BIG, topic rank * 16, partition * 256. */
function header(kind: number, rank: number, partition: number): number {
  return kind + rank * 16 + partition * 256;
}

/** Slots for `bytes` bytes, rounded up. */
function slots(bytes: number): number {
  return (bytes + 7) >>> 3;
}

export interface HandoffBuffers {
  /** The chunks, `chunks` x `chunkBytes` bytes. */
  data: SharedArrayBuffer;
  /** Per chunk: state (0 free, 1 full) at [k], used bytes at [chunks + k]; [2 * chunks] = cancel. */
  control: SharedArrayBuffer;
  chunks: number;
  chunkBytes: number;
}

export function handoffBuffers(chunks = 8, chunkBytes = 256 * 1024): HandoffBuffers {
  if (chunkBytes % 8 !== 0 || chunkBytes < 256) throw new Error(`chunkBytes must be a multiple of 8 and at least 256 (got ${chunkBytes})`);
  return { data: new SharedArrayBuffer(chunks * chunkBytes), control: new SharedArrayBuffer(4 * (2 * chunks + 1)), chunks, chunkBytes };
}

const utf8 = new TextEncoder();

/** The reader thread's side: writes inputs into free chunks, blocking (Atomics.wait) when none is. */
export class HandoffWriter {
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly ctl: Int32Array;
  private readonly slotsPerChunk: number;
  private k = 0;
  /** Next free slot in chunk k (absolute slot index). */
  private at: number;
  private end: number;
  private readonly symbols = new Map<string, number>();
  private lastSymbol = '';
  private lastId = -1;

  constructor(
    private readonly b: HandoffBuffers,
    private readonly topicRank: (topic: string) => number,
    /** Sends a BIG record's bytes (postMessage), before the chunk that names it is published. */
    private readonly sendBig: (bytes: Uint8Array) => void,
  ) {
    this.f64 = new Float64Array(b.data);
    this.u8 = new Uint8Array(b.data);
    this.ctl = new Int32Array(b.control);
    this.slotsPerChunk = b.chunkBytes / 8;
    this.at = 0;
    this.end = this.slotsPerChunk;
  }

  /** True once the graph's side asked the reader to stop. */
  get cancelled(): boolean {
    return Atomics.load(this.ctl, 2 * this.b.chunks) !== 0;
  }

  /** Writes one input; `stored` is its record's stored value (sent for chains and candles). */
  write(e: InputEvent, stored: Uint8Array): void {
    const pos = e.pos;
    const rank = this.topicRank(pos.topic);
    if (e.kind === 'trade') {
      const t = e.value;
      let id: number;
      if (t.symbol === this.lastSymbol) id = this.lastId;
      else {
        const known = this.symbols.get(t.symbol);
        if (known === undefined) {
          id = this.symbols.size;
          this.symbols.set(t.symbol, id);
          const bytes = utf8.encode(t.symbol);
          const s = this.reserve(3 + slots(bytes.length));
          this.f64[s] = header(KIND_SYMBOL, 0, 0);
          this.f64[s + 1] = id;
          this.f64[s + 2] = bytes.length;
          this.u8.set(bytes, (s + 3) * 8);
        } else id = known;
        this.lastSymbol = t.symbol;
        this.lastId = id;
      }
      const s = this.reserve(8);
      const f = this.f64;
      f[s] = header(KIND_TRADE, rank, pos.partition);
      f[s + 1] = pos.offset;
      f[s + 2] = t.tsEvent;
      f[s + 3] = t.tsInit;
      f[s + 4] = t.price;
      f[s + 5] = t.size;
      f[s + 6] = id * 2 + (t.side === 'SELL' ? 1 : 0);
      f[s + 7] = t.tradeId;
      return;
    }
    if (e.kind === 'undecodable') {
      const key = utf8.encode(e.key);
      const reason = utf8.encode(e.reason);
      const n = e.payload.length + key.length + reason.length;
      const big = 6 + slots(n) > this.slotsPerChunk;
      const s = this.reserve(big ? 6 : 6 + slots(n));
      this.f64[s] = header(KIND_UNDECODABLE | (big ? BIG : 0), rank, pos.partition);
      this.f64[s + 1] = pos.offset;
      this.f64[s + 2] = e.tsInit;
      this.f64[s + 3] = e.payload.length;
      this.f64[s + 4] = key.length;
      this.f64[s + 5] = reason.length;
      const all = new Uint8Array(n);
      all.set(e.payload, 0);
      all.set(key, e.payload.length);
      all.set(reason, e.payload.length + key.length);
      if (big) this.sendBig(all);
      else this.u8.set(all, (s + 6) * 8);
      return;
    }
    // A chain or candle: its stored bytes (the value the reader decoded it from).
    const bytes = stored;
    const kind = e.kind === 'chain' ? KIND_CHAIN : KIND_CANDLE;
    const big = 3 + slots(bytes.length) > this.slotsPerChunk;
    const s = this.reserve(big ? 3 : 3 + slots(bytes.length));
    this.f64[s] = header(kind | (big ? BIG : 0), rank, pos.partition);
    this.f64[s + 1] = pos.offset;
    this.f64[s + 2] = bytes.length;
    if (big) this.sendBig(bytes.slice());
    else this.u8.set(bytes, (s + 3) * 8);
  }

  /** Marks the end of the sequence and publishes the last chunk. */
  finish(): void {
    const s = this.reserve(1);
    this.f64[s] = header(KIND_END, 0, 0);
    this.publish();
  }

  /** Slot index of `n` free slots, publishing the current chunk first when they do not fit. */
  private reserve(n: number): number {
    if (this.at + n > this.end) {
      this.publish();
      this.take();
    }
    const s = this.at;
    this.at += n;
    return s;
  }

  private publish(): void {
    const base = this.k * this.slotsPerChunk;
    Atomics.store(this.ctl, this.b.chunks + this.k, (this.at - base) * 8);
    Atomics.store(this.ctl, this.k, 1);
    Atomics.notify(this.ctl, this.k);
    this.k = (this.k + 1) % this.b.chunks;
  }

  /** Waits until chunk k is free (the graph's side has consumed it). */
  private take(): void {
    while (Atomics.load(this.ctl, this.k) !== 0) {
      if (this.cancelled) throw new HandoffCancelled();
      Atomics.wait(this.ctl, this.k, 1, 1000);
    }
    if (this.cancelled) throw new HandoffCancelled();
    this.at = this.k * this.slotsPerChunk;
    this.end = this.at + this.slotsPerChunk;
  }
}

/** Thrown in the reader thread when the graph's side stopped reading. */
export class HandoffCancelled extends Error {
  constructor() {
    super('the graph side stopped reading');
  }
}

const utf8d = new TextDecoder();

// Node 16+ has Atomics.waitAsync; the project's TypeScript lib (es2022) does not declare it.
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string } }).waitAsync;

/**
 * The graph's side: turns chunks back into the InputEvents the reader merged, in its order. Trades
 * come in one reused event, position and Trade record (as MergedReader's reuseTrades: the consumer
 * keeps nothing of an input once emit returns; what the graph keeps of a position it copies).
 */
export class HandoffReader {
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly ctl: Int32Array;
  private readonly slotsPerChunk: number;
  private readonly symbols: string[] = [];
  private readonly trade: InputEvent & { kind: 'trade' };

  constructor(
    private readonly b: HandoffBuffers,
    private readonly topics: readonly string[],
    private readonly decode: TopicDecoder,
  ) {
    this.f64 = new Float64Array(b.data);
    this.u8 = new Uint8Array(b.data);
    this.ctl = new Int32Array(b.control);
    this.slotsPerChunk = b.chunkBytes / 8;
    const value: Trade = { tsEvent: 0, tsInit: 0, symbol: '', price: 0, size: 0, side: 'BUY', tradeId: 0 };
    this.trade = { kind: 'trade', pos: { topic: '', partition: 0, offset: 0 }, value };
  }

  /** True when chunk k is full (published by the reader). */
  full(k: number): boolean {
    return Atomics.load(this.ctl, k) === 1;
  }

  /** Waits (without blocking the event loop) until chunk k is full or `wake` is called. */
  async waitFull(k: number): Promise<void> {
    const w = waitAsync(this.ctl, k, 0);
    if (w.async) await w.value;
  }

  /** Wakes a waitFull (the reader failed). */
  wake(): void {
    for (let k = 0; k < this.b.chunks; k++) Atomics.notify(this.ctl, k);
  }

  /** Asks the reader thread to stop, and wakes it if it waits for a free chunk. */
  cancel(): void {
    Atomics.store(this.ctl, 2 * this.b.chunks, 1);
    for (let k = 0; k < this.b.chunks; k++) Atomics.notify(this.ctl, k);
  }

  /** Gives chunk k back to the reader. */
  release(k: number): void {
    Atomics.store(this.ctl, k, 0);
    Atomics.notify(this.ctl, k);
  }

  /**
   * Emits chunk k's records from slot `from` (relative to the chunk) on. Returns -1 at the end of
   * the chunk, -2 at the end of the sequence, or the slot of a BIG record, whose bytes the caller
   * must pass to `big` before going on from the slot after it (returned by `big`).
   */
  run(k: number, from: number, emit: (e: InputEvent) => void): number {
    const f = this.f64;
    const base = k * this.slotsPerChunk;
    const stop = base + Atomics.load(this.ctl, this.b.chunks + k) / 8;
    let s = base + from;
    const trade = this.trade;
    const t = trade.value;
    const topics = this.topics;
    while (s < stop) {
      const h = f[s] as number;
      const kind = h & KIND_MASK;
      const rank = (h >>> 4) & 15;
      const partition = h >>> 8;
      if (h & BIG) return s - base;
      if (kind === KIND_TRADE) {
        const pos = trade.pos;
        pos.topic = topics[rank] as string;
        pos.partition = partition;
        pos.offset = f[s + 1] as number;
        t.tsEvent = f[s + 2] as number;
        t.tsInit = f[s + 3] as number;
        t.price = f[s + 4] as number;
        t.size = f[s + 5] as number;
        const sym = f[s + 6] as number;
        t.symbol = this.symbols[sym >>> 1] as string;
        t.side = (sym & 1) === 0 ? 'BUY' : 'SELL';
        t.tradeId = f[s + 7] as number;
        s += 8;
        emit(trade);
      } else if (kind === KIND_SYMBOL) {
        const n = f[s + 2] as number;
        this.symbols[f[s + 1] as number] = utf8d.decode(this.u8.subarray((s + 3) * 8, (s + 3) * 8 + n));
        s += 3 + slots(n);
      } else if (kind === KIND_END) {
        return -2;
      } else if (kind === KIND_UNDECODABLE) {
        const n = (f[s + 3] as number) + (f[s + 4] as number) + (f[s + 5] as number);
        emit(this.undecodable(s, this.u8.slice((s + 6) * 8, (s + 6) * 8 + n), topics[rank] as string, partition));
        s += 6 + slots(n);
      } else {
        const n = f[s + 2] as number;
        emit(this.valued(kind, topics[rank] as string, partition, f[s + 1] as number, this.u8.slice((s + 3) * 8, (s + 3) * 8 + n)));
        s += 3 + slots(n);
      }
    }
    return -1;
  }

  /** Emits the BIG record at slot `at` of chunk k with its bytes; returns the slot after it. */
  big(k: number, at: number, bytes: Uint8Array, emit: (e: InputEvent) => void): number {
    const f = this.f64;
    const s = k * this.slotsPerChunk + at;
    const h = f[s] as number;
    const kind = h & KIND_MASK;
    const topic = this.topics[(h >>> 4) & 15] as string;
    const partition = h >>> 8;
    if (kind === KIND_UNDECODABLE) {
      emit(this.undecodable(s, bytes, topic, partition));
      return at + 6;
    }
    emit(this.valued(kind, topic, partition, f[s + 1] as number, bytes));
    return at + 3;
  }

  private undecodable(s: number, all: Uint8Array, topic: string, partition: number): InputEvent {
    const f = this.f64;
    const np = f[s + 3] as number;
    const nk = f[s + 4] as number;
    const pos: LogPosition = { topic, partition, offset: f[s + 1] as number };
    // A Buffer, as the stored record's value is (the in-thread reader's payload): a dead letter's
    // JSON shows which.
    const payload = Buffer.from(all.buffer, all.byteOffset, np);
    return { kind: 'undecodable', pos, key: utf8d.decode(all.subarray(np, np + nk)), tsInit: f[s + 2] as number, reason: utf8d.decode(all.subarray(np + nk)), payload };
  }

  /** A chain or candle, decoded here from its stored bytes (the reader decoded it without error). */
  private valued(kind: number, topic: string, partition: number, offset: number, bytes: Uint8Array): InputEvent {
    const pos: LogPosition = { topic, partition, offset };
    if (kind === KIND_CHAIN) return { kind: 'chain', pos, value: this.decode(topic, bytes) as OptionChainSnapshot };
    return { kind: 'candle', pos, value: this.decode(topic, bytes) as Bar };
  }
}
