/** DeadLetter v1: an input rejected as invalid, with the reason and its raw bytes. */
export interface DeadLetter {
  tsInit: number;
  topic: string;
  partition: number;
  offset: number;
  key: string;
  reason: string;
  payload: Uint8Array;
}

export const DEAD_LETTER_SCHEMA = {
  type: 'record',
  name: 'DeadLetter',
  namespace: 'tickflow.v1',
  doc: 'A rejected input: where it was, why, and its original bytes.',
  fields: [
    { name: 'tsInit', type: 'long' },
    { name: 'topic', type: 'string' },
    { name: 'partition', type: 'int' },
    { name: 'offset', type: 'long' },
    { name: 'key', type: 'string' },
    { name: 'reason', type: 'string' },
    { name: 'payload', type: 'bytes' },
  ],
} as const;
