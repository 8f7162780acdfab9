/**
 * Asks another thread for something at most once per `minIntervalMs`: callers that arrive while
 * an ask waits for its turn share it. Every caller gets an answer computed after its call (never
 * a cached one), so the answerer's cost is bounded by the interval, not by the number of callers;
 * a caller waits at most `minIntervalMs` more than the ask itself takes.
 */
export class ThrottledAsk<T> {
  private waiting: Promise<T> | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  /** Asks actually sent. */
  sent = 0;

  constructor(
    private readonly send: () => Promise<T>,
    private readonly minIntervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<T> {
    if (this.waiting !== null) return this.waiting;
    const delay = this.lastSentAt + this.minIntervalMs - this.now();
    if (delay <= 0) return this.fire();
    const waiting = new Promise<T>((resolve, reject) => {
      setTimeout(() => {
        this.waiting = null;
        this.fire().then(resolve, reject);
      }, delay);
    });
    this.waiting = waiting;
    return waiting;
  }

  private fire(): Promise<T> {
    this.lastSentAt = this.now();
    this.sent++;
    return this.send();
  }
}
