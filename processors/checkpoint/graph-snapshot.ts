import { createHash } from 'node:crypto';
import type { GraphStats } from '../graph-events.ts';
import type { GraphConfig } from '../graph.ts';
import type { Predictor } from '../types.ts';
import { decodeState, encodeState } from './state-codec.ts';
import type { GraphStateRegistry } from './state-registry.ts';

export const GRAPH_STATE_FORMAT = 'tickflow-graph-state';
/**
 * Bump when any part's state shape or meaning changes: older snapshots are then refused.
 * 2: open bar windows keep one input range per (topic, partition) instead of one in all, and
 * stats.deadLetterReasons counts by problem code (`trade:non-positive-price`), not by record kind.
 * 3: the infer operator keeps a sequence model's last feature rows per symbol (part `infer`).
 */
export const GRAPH_STATE_VERSION = 3;

/** What a snapshot is only valid for: the same code, feature set, model and graph configuration. */
export interface GraphIdentity {
  /** Given by the host (e.g. package version + commit): processors cannot read it themselves. */
  codeVersion: string;
  featureSetHash: string;
  /** null: a graph without a model (features only). */
  modelId: string | null;
  /** sha256 of the bar, signal-interval and signal-rule configuration (graphConfigHash). */
  configHash: string;
}

export interface GraphSnapshotHeader extends GraphIdentity {
  format: typeof GRAPH_STATE_FORMAT;
  stateVersion: number;
  /** Inputs the graph had consumed (stats.inputs) when the snapshot was taken. */
  inputs: number;
}

interface GraphSnapshotDoc {
  header: GraphSnapshotHeader;
  stats: GraphStats;
  parts: Record<string, unknown>;
}

/** A snapshot that another graph (code, feature set, model or configuration) wrote. */
export class GraphSnapshotMismatch extends Error {
  constructor(
    readonly field: keyof GraphIdentity | 'format' | 'stateVersion',
    readonly expected: unknown,
    readonly found: unknown,
  ) {
    super(`graph snapshot ${field} ${JSON.stringify(found)} does not match ${JSON.stringify(expected)}`);
    this.name = 'GraphSnapshotMismatch';
  }
}

export function graphConfigHash(config: GraphConfig): string {
  // Keys in a fixed order: the hash is a function of the values only.
  const canon = JSON.stringify([
    config.bars.intervals, config.bars.maxOutOfOrdernessMs, config.signalInterval,
    config.rule.minProbability, config.rule.minEdge, config.featureSet.id, config.featureSet.hash,
  ]);
  return createHash('sha256').update(canon).digest('hex');
}

export function graphIdentity(config: GraphConfig, predictor: Predictor | null, codeVersion: string): GraphIdentity {
  return { codeVersion, featureSetHash: config.featureSet.hash, modelId: predictor?.modelId ?? null, configHash: graphConfigHash(config) };
}

/**
 * The whole state of a graph built with `buildGraph(..., { state: registry, stats })`, between two
 * inputs, as JSON text (state-codec.ts: exact for every double). Pure: the host stores it with the
 * log positions it corresponds to.
 */
export function snapshotGraph(registry: GraphStateRegistry, stats: GraphStats, identity: GraphIdentity): string {
  const doc: GraphSnapshotDoc = {
    header: { format: GRAPH_STATE_FORMAT, stateVersion: GRAPH_STATE_VERSION, ...identity, inputs: stats.inputs },
    stats,
    parts: registry.snapshotParts(),
  };
  return encodeState(doc);
}

/** The header alone, checked for format and version (not for identity). Throws on foreign text. */
export function readGraphSnapshotHeader(text: string): GraphSnapshotHeader {
  return parseDoc(text).header;
}

/**
 * Restores a freshly built graph (no input yet) and its stats from snapshotGraph() text. Throws
 * GraphSnapshotMismatch, before touching anything, when the snapshot belongs to another identity;
 * the caller then falls back to a full replay.
 */
export function restoreGraph(registry: GraphStateRegistry, stats: GraphStats, text: string, identity: GraphIdentity): GraphSnapshotHeader {
  const doc = parseDoc(text);
  checkIdentity(doc.header, identity);
  if (stats.inputs !== 0) throw new Error('restoreGraph: the graph has already consumed inputs');
  registry.restoreParts(doc.parts);
  Object.assign(stats, doc.stats, { deadLetterReasons: { ...doc.stats.deadLetterReasons } });
  return doc.header;
}

/** Throws GraphSnapshotMismatch naming the first field in which the header differs from `identity`. */
export function checkIdentity(header: GraphSnapshotHeader, identity: GraphIdentity): void {
  for (const k of ['codeVersion', 'featureSetHash', 'modelId', 'configHash'] as const) {
    if (header[k] !== identity[k]) throw new GraphSnapshotMismatch(k, identity[k], header[k]);
  }
}

function parseDoc(text: string): GraphSnapshotDoc {
  let raw: unknown;
  try {
    raw = decodeState(text);
  } catch (err) {
    throw new TypeError(`graph snapshot: not JSON (${(err as Error).message})`);
  }
  const doc = raw as Partial<GraphSnapshotDoc> | null;
  const h = doc?.header;
  if (doc === null || typeof doc !== 'object' || h === undefined || typeof doc.parts !== 'object' || typeof doc.stats !== 'object') throw new TypeError('graph snapshot: missing header, stats or parts');
  if (h.format !== GRAPH_STATE_FORMAT) throw new GraphSnapshotMismatch('format', GRAPH_STATE_FORMAT, h.format);
  if (h.stateVersion !== GRAPH_STATE_VERSION) throw new GraphSnapshotMismatch('stateVersion', GRAPH_STATE_VERSION, h.stateVersion);
  return doc as GraphSnapshotDoc;
}
