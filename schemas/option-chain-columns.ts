import type { OptionChainSnapshot, OptionContract } from './option-chain-snapshot.ts';

/**
 * An option chain as the replay's direct reader decodes it (storage/serde/chain-reader.ts,
 * decisions.md D173): every contract's numbers in one array of doubles, CONTRACT_STRIDE per
 * contract, and the contracts as records made only when something reads `contracts` (once; the
 * same array after). Validation reads the columns (processors/validate); the features and the
 * decision read `contracts`, for the few chains they look at. A decoded chain used to be ~56
 * records of ten boxed doubles each (~12 KB), two thirds of what the replay's graph thread
 * allocated, for chains most of which nothing but validation ever read.
 *
 * It is an OptionChainSnapshot: the same fields and values as the record avsc decodes, `contracts`
 * an accessor on the prototype; `toJSON` gives the plain record (checkpoints keep chains as JSON).
 */
export class ColumnarChain implements OptionChainSnapshot {
  /** CONTRACT_STRIDE doubles per contract: its length says how many contracts. */
  readonly #values: number[];
  readonly #make: ContractMaker;
  #made: OptionContract[] | null = null;

  constructor(
    public tsEvent: number,
    public tsInit: number,
    public underlying: string,
    public spot: number,
    values: number[],
    make: ContractMaker,
  ) {
    this.#values = values;
    this.#make = make;
  }

  /** The contracts as records, made on the first read (the columns' values, in their order). */
  get contracts(): OptionContract[] {
    let made = this.#made;
    if (made === null) {
      const n = this.#values.length / CONTRACT_STRIDE;
      made = new Array<OptionContract>(n);
      for (let k = 0; k < n; k++) made[k] = this.#make(this.#values, k * CONTRACT_STRIDE);
      this.#made = made;
    }
    return made;
  }

  set contracts(contracts: OptionContract[]) {
    this.#made = contracts;
  }

  /**
   * The records of the contracts with this expiry, in chain order (as `contracts.filter`): made
   * from the columns while `contracts` has not been read (then not kept), else taken from it.
   */
  contractsExpiring(expiry: number): OptionContract[] {
    if (this.#made !== null) return this.#made.filter((c) => c.expiry === expiry);
    const v = this.#values;
    const out: OptionContract[] = [];
    for (let at = 0; at < v.length; at += CONTRACT_STRIDE) if (v[at + COL.expiry] === expiry) out.push(this.#make(v, at));
    return out;
  }

  /** Contracts in the chain (without making them). */
  get contractCount(): number {
    return this.#made === null ? this.#values.length / CONTRACT_STRIDE : this.#made.length;
  }

  /** The columns (CONTRACT_STRIDE doubles per contract, see COL), or null once `contracts` was read or replaced (chainColumns). */
  get columns(): readonly number[] | null {
    return this.#made === null ? this.#values : null;
  }

  toJSON(): OptionChainSnapshot {
    return { tsEvent: this.tsEvent, tsInit: this.tsInit, underlying: this.underlying, spot: this.spot, contracts: this.contracts };
  }
}

/**
 * A chain's columns while its contract records have not been made (a ColumnarChain's; their length
 * is the contracts' count times CONTRACT_STRIDE), else null: then read `contracts`. The one test
 * every reader of the columns makes (validation, the nearest expiry, the signal's contract).
 */
export function chainColumns(c: OptionChainSnapshot): readonly number[] | null {
  return c instanceof ColumnarChain ? c.columns : null;
}

/**
 * The contracts of `chain` with this expiry, in chain order (as `contracts.filter`); of a
 * ColumnarChain, only those are made from the columns (ColumnarChain.contractsExpiring).
 */
export function contractsExpiring(chain: OptionChainSnapshot, expiry: number): OptionContract[] {
  return chain instanceof ColumnarChain ? chain.contractsExpiring(expiry) : chain.contracts.filter((c) => c.expiry === expiry);
}

/** Makes the contract record whose CONTRACT_STRIDE doubles start at `at`. */
export type ContractMaker = (values: readonly number[], at: number) => OptionContract;

/** Where each field of a contract is among its CONTRACT_STRIDE doubles. */
export const COL = { expiry: 0, strike: 1, bid: 2, ask: 3, last: 4, iv: 5, delta: 6, gamma: 7, openInterest: 8, volume: 9, flags: 10 } as const;
export const CONTRACT_STRIDE = 11;
/**
 * A contract's flags (COL.flags): bit j (0-5) set when the j-th nullable field (bid, ask, last,
 * iv, delta, gamma) is null (its column then holds 0); SECOND_RIGHT set for a put ('P'; the
 * direct reader takes only the Right enum [C, P]).
 */
export const SECOND_RIGHT = 64;
