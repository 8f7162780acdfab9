import type { OperatorFunction } from 'rxjs';
import type { DeadLetter } from '../../schemas/index.ts';
import type { Flow, GraphStats } from '../graph-events.ts';
import type { InputEvent } from '../types.ts';
import { candleProblem, chainProblem, tradeProblem, type InputProblem } from '../validate/input-validator.ts';
import { syncFlatMap } from './sync-flat-map.ts';

const EMPTY = new Uint8Array(0);

/**
 * Routes undecodable records and invalid trades/chains/candles to dead letters with a reason,
 * counted in stats.deadLetterReasons under the problem's code (`trade:non-positive-price`, ...;
 * `decode:undecodable` for records that did not decode); valid inputs pass on unchanged.
 */
export function validateInputs(stats: GraphStats): OperatorFunction<InputEvent, Flow> {
  const reject = (e: InputEvent, p: InputProblem, key: string, tsInit: number, payload: Uint8Array): Flow => {
    stats.deadLetters++;
    stats.deadLetterReasons[p.code] = (stats.deadLetterReasons[p.code] ?? 0) + 1;
    const deadLetter: DeadLetter = { tsInit, topic: e.pos.topic, partition: e.pos.partition, offset: e.pos.offset, key, reason: p.reason, payload };
    return { kind: 'deadLetter', deadLetter };
  };
  return syncFlatMap<InputEvent, Flow>((e, emit) => {
    stats.inputs++;
    switch (e.kind) {
      case 'undecodable':
        emit(reject(e, { code: 'decode:undecodable', reason: `decode: ${e.reason}` }, e.key, e.tsInit, e.payload));
        return;
      case 'trade': {
        const p = tradeProblem(e.value);
        // Payload is kept empty for decodable-but-invalid records: the log position locates them.
        emit(p === null ? e : reject(e, p, e.value.symbol, e.value.tsInit, EMPTY));
        if (p === null) stats.trades++;
        return;
      }
      case 'chain': {
        const p = chainProblem(e.value);
        emit(p === null ? e : reject(e, p, e.value.underlying, e.value.tsInit, EMPTY));
        if (p === null) stats.chains++;
        return;
      }
      case 'candle': {
        const p = candleProblem(e.value);
        emit(p === null ? e : reject(e, p, e.value.symbol, e.value.tsInit, EMPTY));
        return;
      }
    }
  });
}
