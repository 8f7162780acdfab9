/** LateEvent v1: an input that arrived after its window had closed, kept with the reason. */
export interface LateEvent {
  tsEvent: number;
  tsInit: number;
  symbol: string;
  topic: string;
  partition: number;
  offset: number;
  /** Watermark at the moment the event was seen. */
  watermark: number;
  reason: string;
}

export const LATE_EVENT_SCHEMA = {
  type: 'record',
  name: 'LateEvent',
  namespace: 'tickflow.v1',
  doc: 'An input routed away because its window had already closed.',
  fields: [
    { name: 'tsEvent', type: 'long' },
    { name: 'tsInit', type: 'long' },
    { name: 'symbol', type: 'string' },
    { name: 'topic', type: 'string' },
    { name: 'partition', type: 'int' },
    { name: 'offset', type: 'long' },
    { name: 'watermark', type: 'long' },
    { name: 'reason', type: 'string' },
  ],
} as const;
