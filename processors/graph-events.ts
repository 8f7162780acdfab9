import type { Bar, DeadLetter, FeatureVector, InputRange, LateEvent, ModelHealth, OptionChainSnapshot, Signal } from '../schemas/index.ts';
import type { InputEvent } from './types.ts';

/** What the processing graph emits, in one deterministic sequence. */
export type GraphEvent =
  /** inputs: the bar's lineage, one offset range per input topic and partition (ClosedBar). */
  | { kind: 'bar'; bar: Bar; inputs: InputRange[] }
  | { kind: 'late'; late: LateEvent }
  | { kind: 'deadLetter'; deadLetter: DeadLetter }
  /**
   * chain: the underlying's option chain as of the bar end (the one joined for the chain
   * features; null or absent when none), for the decision policy's contract choice. Between
   * operators only: buildGraph drops it from its outputs.
   */
  | { kind: 'features'; vector: FeatureVector; inputs: InputRange[]; chain?: OptionChainSnapshot | null }
  | { kind: 'signal'; signal: Signal }
  | { kind: 'health'; health: ModelHealth };

/** Between operators the stream carries inputs not yet consumed and outputs already made. */
export type Flow = InputEvent | GraphEvent;

/** Counters a host can print or export. Mutated by the operators, read by hosts. */
export interface GraphStats {
  inputs: number;
  trades: number;
  chains: number;
  deadLetters: number;
  deadLetterReasons: Record<string, number>;
  late: number;
  bars: number;
  features: number;
  signals: number;
}

export function newGraphStats(): GraphStats {
  return { inputs: 0, trades: 0, chains: 0, deadLetters: 0, deadLetterReasons: {}, late: 0, bars: 0, features: 0, signals: 0 };
}
