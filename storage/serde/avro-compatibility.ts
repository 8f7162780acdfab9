import avro from 'avsc';
import type { Compatibility } from '@confluentinc/schemaregistry';

/**
 * Schema Registry compatibility levels checked with avsc's schema resolution: a reader schema
 * can read what a writer schema wrote iff `reader.createResolver(writer)` succeeds (the Avro
 * specification's resolution rules: matching names, promotable primitives, defaults for added
 * fields, ...).
 */
export function canRead(readerSchema: string, writerSchema: string): boolean {
  const reader = avro.Type.forSchema(JSON.parse(readerSchema) as avro.Schema);
  const writer = avro.Type.forSchema(JSON.parse(writerSchema) as avro.Schema);
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `candidate` may follow `existing` (live versions, oldest first) under `level`.
 * BACKWARD: the new schema reads data of the latest one; FORWARD: the latest reads the new one's
 * data; FULL: both; *_TRANSITIVE: against every version instead of only the latest.
 */
export function isCompatible(level: Compatibility, candidate: string, existing: readonly string[]): boolean {
  if (existing.length === 0 || level === ('NONE' as Compatibility)) return true;
  const transitive = level.endsWith('_TRANSITIVE');
  const base = transitive ? level.slice(0, -'_TRANSITIVE'.length) : level;
  const against = transitive ? existing : existing.slice(-1);
  return against.every((old) => {
    const backward = base === 'FORWARD' || canRead(candidate, old);
    const forward = base === 'BACKWARD' || canRead(old, candidate);
    return backward && forward;
  });
}
