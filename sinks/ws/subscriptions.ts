import { MAX_SYMBOLS, type Channel, type SymbolSelection } from './client-message.ts';

/** One client's subscriptions: per channel, either every symbol or a set of symbols. */
export class Subscriptions {
  private readonly byChannel = new Map<Channel, '*' | Set<string>>();

  /** Adds to the channel's subscription; returns the result, or an error when it would exceed MAX_SYMBOLS. */
  subscribe(channel: Channel, symbols: SymbolSelection): { symbols: string[] } | { error: string } {
    const current = this.byChannel.get(channel);
    if (symbols === '*' || current === '*') {
      this.byChannel.set(channel, '*');
    } else {
      const next = new Set([...(current ?? []), ...symbols]);
      if (next.size > MAX_SYMBOLS) return { error: `too many symbols on ${channel}: limit ${MAX_SYMBOLS}` };
      this.byChannel.set(channel, next);
    }
    return { symbols: this.list(channel) };
  }

  /** "*" drops the channel; named symbols are removed one by one (not from a "*" subscription). */
  unsubscribe(channel: Channel, symbols: SymbolSelection): { symbols: string[] } | { error: string } {
    const current = this.byChannel.get(channel);
    if (symbols === '*') {
      this.byChannel.delete(channel);
    } else if (current === '*') {
      return { error: `cannot unsubscribe single symbols from a "*" subscription to ${channel}; unsubscribe the channel` };
    } else if (current) {
      for (const s of symbols) current.delete(s);
      if (current.size === 0) this.byChannel.delete(channel);
    }
    return { symbols: this.list(channel) };
  }

  matches(channel: Channel, symbol: string): boolean {
    const current = this.byChannel.get(channel);
    return current === '*' || (current?.has(symbol) ?? false);
  }

  /** ["*"], the sorted symbols, or [] when not subscribed. */
  list(channel: Channel): string[] {
    const current = this.byChannel.get(channel);
    if (current === '*') return ['*'];
    return current ? [...current].sort() : [];
  }
}
