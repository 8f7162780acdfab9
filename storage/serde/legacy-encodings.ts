import avro from 'avsc';
import { MODEL_HEALTH_SCHEMA_V1, TOPICS } from '../../schemas/index.ts';

/**
 * Earlier schema versions of a derived topic whose records are compared in their own encoding
 * (D79). A report recorded under such a version cannot hold the fields added since; the same
 * output replayed today matches it when its encoding under that version, the bytes an old writer
 * would have written for it, equals the recorded record's body. Every field the old record holds
 * is then compared bit for bit, and the added ones are not (they did not exist). Only for the
 * model-health reports: their added field (`bands`, the live hit rate per confidence band) is a
 * diagnostic the graph now computes for every model with validation bands, so an old log's
 * reports could never match otherwise. Signals are not listed: an added Signal field must keep
 * its default to match (a replay with heads is not the recorded signal).
 */
const LEGACY: ReadonlyMap<string, readonly avro.Type[]> = new Map([[TOPICS.modelHealth.name, [avro.Type.forSchema(MODEL_HEALTH_SCHEMA_V1 as unknown as avro.Schema)]]]);

/** Confluent framing: magic byte and 4-byte schema id before the Avro body. */
const HEADER = 5;

/** True when the topic has earlier versions compared in their own encoding. */
export function hasLegacyEncodings(topic: string): boolean {
  return LEGACY.has(topic);
}

/**
 * The Avro bodies (no frame) of `value` under each earlier version of the topic's schema listed
 * above; empty for other topics. avsc leaves out the fields a version does not declare.
 */
export function legacyBodies(topic: string, value: object): Uint8Array[] {
  const types = LEGACY.get(topic);
  if (types === undefined) return [];
  const out: Uint8Array[] = [];
  for (const t of types) {
    try {
      out.push(t.toBuffer(value));
    } catch {
      /* not encodable under that version: matches nothing recorded under it */
    }
  }
  return out;
}

/** The Avro body of a framed record (a view). */
export function bodyOf(framed: Uint8Array): Uint8Array {
  return framed.subarray(HEADER);
}

/** The schema id in a framed record's header; -1 for a record too short to hold one. */
export function schemaIdOf(framed: Uint8Array): number {
  return framed.length >= HEADER ? (framed[1] as number) * 2 ** 24 + ((framed[2] as number) << 16) + ((framed[3] as number) << 8) + (framed[4] as number) : -1;
}
