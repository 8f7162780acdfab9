import { Observable, type OperatorFunction } from 'rxjs';

/**
 * The graph's one piece of operator machinery: each input may emit any number of outputs,
 * synchronously and in order. Cheaper than mergeMap over arrays on the hot path (millions of
 * trades per second), and it keeps outputs strictly in input order, which replay depends on.
 */
export function syncFlatMap<I, O>(fn: (value: I, emit: (out: O) => void) => void): OperatorFunction<I, O> {
  return (source) =>
    new Observable<O>((subscriber) => {
      const emit = (out: O): void => subscriber.next(out);
      return source.subscribe({
        next: (value) => {
          try {
            fn(value, emit);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
