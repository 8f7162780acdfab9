import { WebSocket, type ClientOptions } from 'ws';
import { waitFor } from '../../helpers/wait-for.ts';

export type Msg = { type: string; [k: string]: unknown };

/** A real ws client that records every JSON message and lets a test wait on conditions. */
export class TestClient {
  readonly received: Msg[] = [];
  closeCode: number | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse((data as Buffer).toString('utf8')) as Msg);
      this.wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => {}); // refused / reset: the tests look at closeCode instead
  }

  static async connect(port: number, path = '/ws', options: ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, options);
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(value: unknown): void {
    // Strings go as text frames, Buffers as binary frames, anything else as JSON text.
    this.ws.send(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }

  /** Resolves when cond() holds (checked after every message or close); rejects after timeoutMs. */
  until(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const check = (): void => {
        if (!cond()) return void this.waiters.push(check);
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  /** The first message after index `from` matching pred. */
  async next(pred: (m: Msg) => boolean, what: string, from = 0): Promise<Msg> {
    await this.until(() => this.received.slice(from).some(pred), what);
    return this.received.slice(from).find(pred) as Msg;
  }

  /** Sends a request and waits for the next reply of `type` after it. */
  async request(value: unknown, type: string): Promise<Msg> {
    const from = this.received.length;
    this.send(value);
    return this.next((m) => m.type === type, `a ${type} reply`, from);
  }

  closed(what = 'close'): Promise<void> {
    return this.until(() => this.closeCode !== null, what);
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

/** Polls a server-side condition on the event loop (for state with no client-visible event). */
export function waitUntil(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  return waitFor(what, cond, { timeoutMs });
}
