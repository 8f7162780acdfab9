/**
 * What a WebSocket client may send, and its validation. Bad input is data: every failure is a
 * message naming the problem, never an exception.
 */
export const CHANNELS = ['signals', 'bars'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Text frames larger than this get an error reply (larger than the ws maxPayload: the socket is closed 1009). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_SYMBOLS = 1_000;
export const MAX_SYMBOL_LENGTH = 64;

/** '*' = every symbol. */
export type SymbolSelection = '*' | string[];

export type ClientMessage =
  | { op: 'subscribe' | 'unsubscribe'; channel: Channel; symbols: SymbolSelection }
  | { op: 'ping' };

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; error: string };

const UTF8 = new TextDecoder('utf-8');

const fail = (error: string): ParseResult => ({ ok: false, error });

function isChannel(x: unknown): x is Channel {
  return typeof x === 'string' && (CHANNELS as readonly string[]).includes(x);
}

/** Absent or containing "*" means all symbols; otherwise a non-empty array of short strings. */
function parseSymbols(raw: unknown): { symbols: SymbolSelection } | { error: string } {
  if (raw === undefined) return { symbols: '*' };
  if (!Array.isArray(raw) || raw.some((s) => typeof s !== 'string' || s.length === 0)) {
    return { error: 'bad symbols: must be an array of non-empty strings' };
  }
  const list = raw as string[];
  if (list.length === 0) return { error: 'bad symbols: empty array (omit symbols or use ["*"] for all)' };
  if (list.length > MAX_SYMBOLS) return { error: `bad symbols: more than ${MAX_SYMBOLS}` };
  if (list.some((s) => s.length > MAX_SYMBOL_LENGTH)) {
    return { error: `bad symbols: a symbol is longer than ${MAX_SYMBOL_LENGTH} characters` };
  }
  return { symbols: list.includes('*') ? '*' : [...new Set(list)] };
}

/** Validates one text frame (UTF-8 bytes); the size is checked before anything is decoded. */
export function parseClientMessage(bytes: Uint8Array): ParseResult {
  if (bytes.byteLength > MAX_MESSAGE_BYTES) {
    return fail(`message too large: ${bytes.byteLength} bytes (limit ${MAX_MESSAGE_BYTES})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(bytes));
  } catch (err) {
    return fail(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('message must be a JSON object');
  }
  const msg = value as Record<string, unknown>;
  const op = msg['op'];
  if (op === 'ping') return { ok: true, message: { op: 'ping' } };
  if (op !== 'subscribe' && op !== 'unsubscribe') {
    return fail(`unknown op ${JSON.stringify(op) ?? 'undefined'}: expected "subscribe", "unsubscribe" or "ping"`);
  }
  const channel = msg['channel'];
  if (!isChannel(channel)) {
    return fail(`unknown channel ${JSON.stringify(channel) ?? 'undefined'}: expected "signals" or "bars"`);
  }
  const parsed = parseSymbols(msg['symbols']);
  if ('error' in parsed) return fail(parsed.error);
  return { ok: true, message: { op, channel, symbols: parsed.symbols } };
}
