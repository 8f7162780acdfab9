/**
 * The tick rule (Lee & Ready 1991, "Inferring trade direction from intraday data", J. Finance
 * 46(2)): a trade above the previous trade's price was buyer-initiated (BUY), below it
 * seller-initiated (SELL); at the same price (zero tick) it takes the side of the last price
 * change. null until a price change has been seen (the first trades cannot be classified).
 */
export class TickRule {
  private lastPrice = Number.NaN;
  private lastSide: 'BUY' | 'SELL' | null = null;

  /** The side of a trade at `price`, given the trades before it. */
  next(price: number): 'BUY' | 'SELL' | null {
    if (price > this.lastPrice) this.lastSide = 'BUY';
    else if (price < this.lastPrice) this.lastSide = 'SELL';
    this.lastPrice = price;
    return this.lastSide;
  }
}
