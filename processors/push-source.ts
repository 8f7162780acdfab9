import { Observable, type Subscriber } from 'rxjs';

/**
 * The graph's input: an Observable the host pushes into, like an RxJS Subject, without its
 * per-value cost. RxJS's Node build is ES5: Subject.next allocates a closure and an iterator (with
 * its result objects) for every value, ~240 bytes, which at millions of inputs per second was a
 * large part of replay's garbage (docs/benchmarks.md). next() here loops over the subscribers with
 * an index and allocates nothing. Values go to the subscribers present at the time, synchronously
 * and in order; after complete() nothing more is delivered and late subscribers complete at once.
 */
export class PushSource<T> extends Observable<T> {
  /** Copy-on-write: (un)subscribing replaces the array, so a next() in progress is not disturbed. */
  private readonly state: { done: boolean; subs: readonly Subscriber<T>[] };

  constructor() {
    const state: { done: boolean; subs: readonly Subscriber<T>[] } = { done: false, subs: [] };
    super((subscriber) => {
      if (state.done) {
        subscriber.complete();
        return undefined;
      }
      state.subs = [...state.subs, subscriber];
      return () => {
        state.subs = state.subs.filter((s) => s !== subscriber);
      };
    });
    this.state = state;
  }

  next(value: T): void {
    if (this.state.done) return;
    const subs = this.state.subs;
    for (let i = 0; i < subs.length; i++) (subs[i] as Subscriber<T>).next(value);
  }

  complete(): void {
    if (this.state.done) return;
    this.state.done = true;
    const subs = this.state.subs;
    this.state.subs = [];
    for (const s of subs) s.complete();
  }
}
