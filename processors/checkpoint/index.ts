export {
  GRAPH_STATE_FORMAT, GRAPH_STATE_VERSION, GraphSnapshotMismatch, checkIdentity, graphConfigHash, graphIdentity,
  readGraphSnapshotHeader, restoreGraph, snapshotGraph, type GraphIdentity, type GraphSnapshotHeader,
} from './graph-snapshot.ts';
export { decodeState, encodeState } from './state-codec.ts';
export { GraphStateRegistry, type StatePart } from './state-registry.ts';
