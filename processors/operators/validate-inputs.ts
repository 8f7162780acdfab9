import type { OperatorFunction } from 'rxjs';
import type { DeadLetter } from '../../schemas/index.ts';
import type { Flow, GraphStats } from '../graph-events.ts';
import type { InputEvent } from '../types.ts';
import { candleProblem, chainProblem, tradeProblem } from '../validate/input-validator.ts';
import { syncFlatMap } from './sync-flat-map.ts';

const EMPTY = new Uint8Array(0);

/**
 * Routes undecodable records and invalid trades/chains to dead letters with a reason (counted per
 * reason class); valid inputs pass on unchanged.
 */
export function validateInputs(stats: GraphStats): OperatorFunction<InputEvent, Flow> {
  const reject = (e: InputEvent, reason: string, key: string, tsInit: number, payload: Uint8Array): Flow => {
    stats.deadLetters++;
    const reasonClass = reason.split(/[ :]/, 2).join(':');
    stats.deadLetterReasons[reasonClass] = (stats.deadLetterReasons[reasonClass] ?? 0) + 1;
    const deadLetter: DeadLetter = { tsInit, topic: e.pos.topic, partition: e.pos.partition, offset: e.pos.offset, key, reason, payload };
    return { kind: 'deadLetter', deadLetter };
  };
  return syncFlatMap<InputEvent, Flow>((e, emit) => {
    stats.inputs++;
    switch (e.kind) {
      case 'undecodable':
        emit(reject(e, `decode: ${e.reason}`, e.key, e.tsInit, e.payload));
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
