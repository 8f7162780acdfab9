import avro from 'avsc';
import type { Metadata, Reference, RuleSet, SchemaInfo, SchemaMetadata, ServerConfig } from '@confluentinc/schemaregistry';
import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';

/** A schema body; ids are global and never reused, and bodies are never dropped (old records still decode). */
export interface StoredSchema {
  id: number;
  guid: string;
  /** Canonical text: the JSON re-serialised without whitespace (see canonicalSchema). */
  schema: string;
  references: Reference[];
  metadata?: Metadata;
  ruleSet?: RuleSet;
}

export interface StoredVersion {
  version: number;
  id: number;
  deleted: boolean;
}

/** The whole registry; small (one entry per schema version), so it is stored as one value. */
export interface RegistryState {
  nextId: number;
  schemas: Record<string, StoredSchema>;
  subjects: Record<string, StoredVersion[]>;
  /** Per subject; the key '' holds the global default. */
  configs: Record<string, ServerConfig>;
}

export const emptyState = (): RegistryState => ({ nextId: 1, schemas: {}, subjects: {}, configs: {} });

/** Confluent's REST error codes, so library code that inspects them (404 → fallback) behaves. */
export const notFound = {
  subject: (s: string) => new RestError(`Subject '${s}' not found.`, 404, 40401),
  version: (s: string, v: number) => new RestError(`Version ${v} not found for subject '${s}'.`, 404, 40402),
  schema: (what: string) => new RestError(`Schema ${what} not found.`, 404, 40403),
};
export const invalidSchema = (why: string) => new RestError(`Invalid schema: ${why}`, 422, 42201);

/**
 * Validates an Avro schema (with its references resolved from `state`) and returns its canonical
 * text: JSON.parse + JSON.stringify, so whitespace does not matter but field order and docs do,
 * as in Confluent's registry. With `normalize`, avsc's expanded schema is used instead (named
 * types fully qualified, `{"type": "string"}` written as `"string"`).
 */
export function canonicalSchema(state: RegistryState, info: SchemaInfo, normalize: boolean): string {
  if (info.schemaType !== undefined && info.schemaType !== 'AVRO') {
    throw invalidSchema(`the embedded registry holds AVRO schemas only, not ${info.schemaType}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(info.schema);
  } catch (e) {
    throw invalidSchema((e as Error).message);
  }
  const registry: Record<string, avro.Type> = {};
  try {
    for (const ref of info.references ?? []) {
      avro.Type.forSchema(JSON.parse(versionOf(state, ref.subject, ref.version).schema) as avro.Schema, { registry });
    }
    const type = avro.Type.forSchema(parsed as avro.Schema, { registry });
    return JSON.stringify(normalize ? type.schema({ exportAttrs: true }) : parsed);
  } catch (e) {
    if (e instanceof RestError) throw e;
    throw invalidSchema((e as Error).message);
  }
}

/** Identity of a schema for id reuse: text, references, metadata and rule set. */
export function schemaIdentity(schema: string, info: SchemaInfo): string {
  return JSON.stringify([schema, info.references ?? [], info.metadata ?? null, info.ruleSet ?? null]);
}

/** The (live, or any with `deleted`) version of a subject whose schema has this identity. */
export function findVersion(state: RegistryState, subject: string, identity: string, deleted = false): StoredVersion | undefined {
  return liveVersions(state, subject, deleted).find((v) => {
    const s = schemaById(state, v.id);
    return schemaIdentity(s.schema, toInfo(s)) === identity;
  });
}

export function liveVersions(state: RegistryState, subject: string, deleted = false): StoredVersion[] {
  return (state.subjects[subject] ?? []).filter((v) => deleted || !v.deleted);
}

export function schemaById(state: RegistryState, id: number): StoredSchema {
  const s = state.schemas[String(id)];
  if (!s) throw notFound.schema(`id ${id}`);
  return s;
}

/** Version `version` of a subject (-1: the latest), as SchemaMetadata. */
export function versionOf(state: RegistryState, subject: string, version: number, deleted = false): SchemaMetadata {
  const versions = liveVersions(state, subject, deleted);
  if (versions.length === 0) throw notFound.subject(subject);
  const v = version === -1 ? versions[versions.length - 1] : versions.find((x) => x.version === version);
  if (!v) throw notFound.version(subject, version);
  return toMetadata(subject, v, schemaById(state, v.id));
}

export function toInfo(s: StoredSchema): SchemaInfo {
  const info: SchemaInfo = { schema: s.schema, schemaType: 'AVRO', references: s.references };
  if (s.metadata) info.metadata = s.metadata;
  if (s.ruleSet) info.ruleSet = s.ruleSet;
  return info;
}

export function toMetadata(subject: string, v: StoredVersion, s: StoredSchema): SchemaMetadata {
  return { ...toInfo(s), id: s.id, guid: s.guid, subject, version: v.version };
}
