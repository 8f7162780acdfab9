/**
 * API answers computed once per log position (docs/decisions.md D130). An answer of `/api/bars`,
 * `/api/signals`, `/api/features`, `/api/symbols` or `/api/model` is a function of the question
 * (route and parameters) and of the records of the partitions it reads; records are immutable and
 * appended at the end, so while those partitions' end offsets are unchanged the answer is the same
 * bytes. Each question keeps its latest serialized answer, its log position (the `version`) and an
 * ETag (a hash of the bytes): a request at the same position is served the stored bytes, and
 * requests for the same question and position that arrive while it is being computed share that
 * one computation. A question asked again after the log grew is computed anew. Memory is bounded
 * by the bytes of the stored answers (least recently used out first).
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Bytes of stored answers kept at most (two weeks of 5m bars of one symbol is about 0.5 MB; chart signals 1.5 MB). */
export const DEFAULT_RESPONSE_CACHE_BYTES = 64 * 1024 * 1024;

export interface Answer {
  status: number;
  /** The serialized body (JSON text). */
  body: Buffer;
  /** Strong validator of the body: `"<sha1 base64url>"`. */
  etag: string;
  headers?: Record<string, string>;
}

interface Stored {
  version: string;
  answer: Answer;
}

export class ResponseCache {
  private readonly stored: LRUCache<string, Stored>;
  private readonly inflight = new Map<string, Promise<Answer>>();

  constructor(maxBytes = DEFAULT_RESPONSE_CACHE_BYTES) {
    this.stored = new LRUCache<string, Stored>({ maxSize: maxBytes, sizeCalculation: (s) => Math.max(1, s.answer.body.byteLength) });
  }

  /**
   * The answer to `question` at log position `version`: the stored one when it was computed at this
   * position, else `compute()`'s (shared with concurrent callers of the same question and position;
   * `onCompute` is called once per computation). Answers with a status other than 200 are not kept.
   */
  get(question: string, version: string, compute: () => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>, onCompute?: () => void): Promise<Answer> {
    const s = this.stored.get(question);
    if (s !== undefined && s.version === version) return Promise.resolve(s.answer);
    const flightKey = `${question}\u0000${version}`;
    const flying = this.inflight.get(flightKey);
    if (flying !== undefined) return flying;
    onCompute?.();
    const p = compute()
      .then((r) => {
        const answer = serialize(r.status, r.body, r.headers);
        if (r.status === 200) this.stored.set(question, { version, answer });
        return answer;
      })
      .finally(() => this.inflight.delete(flightKey));
    this.inflight.set(flightKey, p);
    return p;
  }

  /** Bytes of the answers held now. */
  get bytes(): number {
    return this.stored.calculatedSize;
  }
}

/** A JSON body with its ETag. */
export function serialize(status: number, body: unknown, headers?: Record<string, string>): Answer {
  const bytes = Buffer.from(JSON.stringify(body));
  return { status, body: bytes, etag: etagOf(bytes), ...(headers !== undefined ? { headers } : {}) };
}

export function etagOf(bytes: Buffer): string {
  return `"${createHash('sha1').update(bytes).digest('base64url')}"`;
}

/** RFC 9110 If-None-Match: true when the header lists `etag` (weak comparison) or is `*`. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const strip = (t: string): string => (t.startsWith('W/') ? t.slice(2) : t);
  for (const raw of header.split(',')) {
    const t = raw.trim();
    if (t === '*' || strip(t) === etag) return true;
  }
  return false;
}
