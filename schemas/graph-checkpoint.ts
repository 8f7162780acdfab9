/**
 * GraphCheckpoint v1: the state of one processing unit's graph between two inputs, on the
 * compacted `checkpoints` topic (Kafka; the embedded log keeps files instead). `unit` names the
 * unit (`partition/2`: the consumer-group unit of input partition 2), `identity` is a hash of the
 * graph identity (code version, feature set, model, configuration; the record key is
 * `unit|identity`, so compaction keeps the latest checkpoint per unit and graph), `positions` the
 * next offset per input `topic/partition` the state corresponds to, `state` the gzipped
 * snapshotGraph() text (its header repeats the identity in full).
 */
export interface GraphCheckpoint {
  unit: string;
  identity: string;
  inputs: number;
  positions: Record<string, number>;
  state: Uint8Array;
}

export const GRAPH_CHECKPOINT_SCHEMA = {
  type: 'record',
  name: 'GraphCheckpoint',
  namespace: 'tickflow.v1',
  doc: "A processing unit's graph state at input positions (gzipped snapshot text).",
  fields: [
    { name: 'unit', type: 'string' },
    { name: 'identity', type: 'string' },
    { name: 'inputs', type: 'long' },
    { name: 'positions', type: { type: 'map', values: 'long' } },
    { name: 'state', type: 'bytes' },
  ],
} as const;
