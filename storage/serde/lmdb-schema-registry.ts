import { randomUUID } from 'node:crypto';
import type { Database, RootDatabase } from 'lmdb';
import type {
  Association,
  AssociationCreateOrUpdateRequest,
  AssociationResponse,
  Client,
  ClientConfig,
  Compatibility,
  SchemaInfo,
  SchemaMetadata,
  ServerConfig,
} from '@confluentinc/schemaregistry';
import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
import { acquireLmdbEnv, type SharedEnv } from '../log/lmdb-env.ts';
import { guardWrite } from '../log/resource-fault.ts';
import { isCompatible } from './avro-compatibility.ts';
import {
  canonicalSchema,
  emptyState,
  findVersion,
  liveVersions,
  notFound,
  schemaById,
  schemaIdentity,
  toInfo,
  toMetadata,
  versionOf,
  type RegistryState,
} from './registry-state.ts';

/** Confluent's default compatibility level. */
const DEFAULT_COMPATIBILITY = 'BACKWARD' as Compatibility;
const STATE_KEY = 'state';

/**
 * A Schema Registry for the embedded log, implementing `@confluentinc/schemaregistry`'s Client
 * so the library's serializers work against it. It lives in the `schema-registry` sub-database of
 * the log directory's lmdb environment: a log directory is self-describing and ids are stable
 * across restarts. Mutations run in lmdb write transactions on the stored state (safe with
 * several processes); reads use an in-memory copy that is reloaded on a miss, so schemas another
 * process registered are found. Only AVRO schemas; never infers a schema from a value.
 */
export class LmdbSchemaRegistry implements Client {
  private state: RegistryState;

  private readonly env: RootDatabase;
  private readonly db: Database<RegistryState, string>;

  private constructor(private readonly shared: SharedEnv) {
    this.env = shared.env;
    this.db = this.env.openDB<RegistryState, string>({ name: 'schema-registry' });
    this.state = this.load();
  }

  /** `readOnly`: registrations (the catalogue a Serde registers) apply in memory only, nothing is written. */
  static async open(dir: string, readOnly = false): Promise<LmdbSchemaRegistry> {
    return new LmdbSchemaRegistry(acquireLmdbEnv(dir, readOnly));
  }

  config(): ClientConfig {
    return { baseURLs: [`embedded:${this.shared.path}`] };
  }

  async register(subject: string, schema: SchemaInfo, normalize = false): Promise<number> {
    return (await this.registerFullResponse(subject, schema, normalize)).id!;
  }

  /** Same schema again: same id and version. Changed: checked against the compatibility level, new version. */
  async registerFullResponse(subject: string, info: SchemaInfo, normalize = false): Promise<SchemaMetadata> {
    return this.mutate((s) => {
      const text = canonicalSchema(s, info, normalize);
      const identity = schemaIdentity(text, info);
      const live = liveVersions(s, subject);
      const same = findVersion(s, subject, identity);
      if (same) return toMetadata(subject, same, schemaById(s, same.id));
      const level = s.configs[subject]?.compatibility ?? s.configs['']?.compatibility ?? DEFAULT_COMPATIBILITY;
      if (!isCompatible(level, text, live.map((v) => schemaById(s, v.id).schema))) {
        throw new RestError(`Schema being registered is incompatible with an earlier schema for subject '${subject}' (${level})`, 409, 409);
      }
      let stored = Object.values(s.schemas).find((x) => schemaIdentity(x.schema, toInfo(x)) === identity);
      if (!stored) {
        stored = { id: s.nextId++, guid: randomUUID(), schema: text, references: info.references ?? [] };
        if (info.metadata) stored.metadata = info.metadata;
        if (info.ruleSet) stored.ruleSet = info.ruleSet;
        s.schemas[String(stored.id)] = stored;
      }
      const all = s.subjects[subject] ?? (s.subjects[subject] = []);
      const version = { version: (all[all.length - 1]?.version ?? 0) + 1, id: stored.id, deleted: false };
      all.push(version);
      return toMetadata(subject, version, stored);
    });
  }

  /** Schema by id; ids are global here (as in Confluent), so `subject` is not needed to find it. */
  async getBySubjectAndId(_subject: string, id: number): Promise<SchemaInfo> {
    return toInfo(this.read((s) => schemaById(s, id)));
  }

  async getByGuid(guid: string): Promise<SchemaInfo> {
    return toInfo(
      this.read((s) => {
        const found = Object.values(s.schemas).find((x) => x.guid === guid);
        if (!found) throw notFound.schema(`guid ${guid}`);
        return found;
      }),
    );
  }

  async getId(subject: string, schema: SchemaInfo, normalize = false): Promise<number> {
    return (await this.getIdFullResponse(subject, schema, normalize)).id!;
  }

  async getIdFullResponse(subject: string, schema: SchemaInfo, normalize = false): Promise<SchemaMetadata> {
    return this.read((s) => {
      const identity = schemaIdentity(canonicalSchema(s, schema, normalize), schema);
      const v = findVersion(s, subject, identity);
      if (!v) throw notFound.schema(`under subject '${subject}'`);
      return toMetadata(subject, v, schemaById(s, v.id));
    });
  }

  async getLatestSchemaMetadata(subject: string): Promise<SchemaMetadata> {
    return this.read((s) => versionOf(s, subject, -1));
  }

  async getSchemaMetadata(subject: string, version: number, deleted = false): Promise<SchemaMetadata> {
    return this.read((s) => versionOf(s, subject, version, deleted));
  }

  /** Latest version whose metadata properties include every given key/value pair. */
  async getLatestWithMetadata(subject: string, metadata: { [key: string]: string }, deleted = false): Promise<SchemaMetadata> {
    return this.read((s) => {
      const matches = liveVersions(s, subject, deleted).filter((v) => {
        const props = schemaById(s, v.id).metadata?.properties ?? {};
        return Object.entries(metadata).every(([k, val]) => props[k] === val);
      });
      const v = matches[matches.length - 1];
      if (!v) throw notFound.schema(`with metadata ${JSON.stringify(metadata)} under subject '${subject}'`);
      return toMetadata(subject, v, schemaById(s, v.id));
    });
  }

  async getAllVersions(subject: string): Promise<number[]> {
    return this.read((s) => {
      const versions = liveVersions(s, subject);
      if (versions.length === 0) throw notFound.subject(subject);
      return versions.map((v) => v.version);
    });
  }

  async getVersion(subject: string, schema: SchemaInfo, normalize = false, deleted = false): Promise<number> {
    return this.read((s) => {
      const identity = schemaIdentity(canonicalSchema(s, schema, normalize), schema);
      const v = findVersion(s, subject, identity, deleted);
      if (!v) throw notFound.schema(`under subject '${subject}'`);
      return v.version;
    });
  }

  async getAllSubjects(): Promise<string[]> {
    this.state = this.load();
    return Object.keys(this.state.subjects).filter((k) => liveVersions(this.state, k).length > 0).sort();
  }

  /** Soft delete hides the versions; permanent delete (after a soft one) forgets them. Schema bodies stay resolvable by id. */
  async deleteSubject(subject: string, permanent = false): Promise<number[]> {
    return this.mutate((s) => {
      const all = s.subjects[subject] ?? [];
      const targets = all.filter((v) => (permanent ? v.deleted : !v.deleted));
      if (targets.length === 0) throw notFound.subject(subject);
      if (permanent) s.subjects[subject] = all.filter((v) => !v.deleted);
      else for (const v of targets) v.deleted = true;
      return targets.map((v) => v.version);
    });
  }

  async deleteSubjectVersion(subject: string, version: number, permanent = false): Promise<number> {
    return this.mutate((s) => {
      const all = s.subjects[subject] ?? [];
      const v = all.find((x) => x.version === version && x.deleted === permanent);
      if (!v) throw notFound.version(subject, version);
      if (permanent) s.subjects[subject] = all.filter((x) => x !== v);
      else v.deleted = true;
      return version;
    });
  }

  async testSubjectCompatibility(subject: string, schema: SchemaInfo): Promise<boolean> {
    return this.read((s) => isCompatible(this.levelOf(s, subject), canonicalSchema(s, schema, false), liveVersions(s, subject).map((v) => schemaById(s, v.id).schema)));
  }

  async testCompatibility(subject: string, version: number, schema: SchemaInfo): Promise<boolean> {
    return this.read((s) => {
      const level = this.levelOf(s, subject).replace('_TRANSITIVE', '') as Compatibility;
      return isCompatible(level, canonicalSchema(s, schema, false), [versionOf(s, subject, version).schema]);
    });
  }

  async getCompatibility(subject: string): Promise<Compatibility> {
    const level = this.read((s) => s.configs[subject]?.compatibility);
    if (!level) throw new RestError(`Subject '${subject}' does not have subject-level compatibility configured`, 404, 40408);
    return level;
  }

  async updateCompatibility(subject: string, update: Compatibility): Promise<Compatibility> {
    await this.updateConfig(subject, { compatibility: update });
    return update;
  }

  async getDefaultCompatibility(): Promise<Compatibility> {
    return this.read((s) => s.configs['']?.compatibility ?? DEFAULT_COMPATIBILITY);
  }

  async updateDefaultCompatibility(update: Compatibility): Promise<Compatibility> {
    await this.updateDefaultConfig({ compatibility: update });
    return update;
  }

  async getConfig(subject: string): Promise<ServerConfig> {
    const config = this.read((s) => s.configs[subject]);
    if (!config) throw new RestError(`Subject '${subject}' does not have a config`, 404, 40408);
    return { ...config, compatibilityLevel: config.compatibility ?? DEFAULT_COMPATIBILITY };
  }

  async updateConfig(subject: string, update: ServerConfig): Promise<ServerConfig> {
    if (subject === '') throw new RestError('Subject must not be empty', 422, 42208);
    return this.mutate((s) => (s.configs[subject] = mergeConfig(s.configs[subject], update)));
  }

  async getDefaultConfig(): Promise<ServerConfig> {
    const config = this.read((s) => s.configs['']) ?? {};
    return { ...config, compatibilityLevel: config.compatibility ?? DEFAULT_COMPATIBILITY };
  }

  async updateDefaultConfig(update: ServerConfig): Promise<ServerConfig> {
    return this.mutate((s) => (s.configs[''] = mergeConfig(s.configs[''], update)));
  }

  /** No associations offline: the serializers' ASSOCIATED strategy then falls back to TopicNameStrategy. */
  async getAssociationsByResourceName(..._query: Parameters<Client['getAssociationsByResourceName']>): Promise<Association[]> {
    return [];
  }

  async createAssociation(_request: AssociationCreateOrUpdateRequest): Promise<AssociationResponse> {
    throw new Error('LmdbSchemaRegistry: associations are a Confluent Cloud feature; the embedded registry uses TopicNameStrategy subjects');
  }

  async deleteAssociations(): Promise<void> {
    throw new Error('LmdbSchemaRegistry: associations are a Confluent Cloud feature; the embedded registry uses TopicNameStrategy subjects');
  }

  clearLatestCaches(): void {
    this.state = this.load();
  }

  clearCaches(): void {
    this.state = this.load();
  }

  // Client declares close(): void; the library's own SchemaRegistryClient returns a promise too.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  async close(): Promise<void> {
    await this.shared.release();
  }

  private levelOf(s: RegistryState, subject: string): Compatibility {
    return s.configs[subject]?.compatibility ?? s.configs['']?.compatibility ?? DEFAULT_COMPATIBILITY;
  }

  private load(): RegistryState {
    return structuredClone(this.db.get(STATE_KEY)) ?? emptyState();
  }

  /** Runs a query on the cached state; on a 404 reloads (another process may have written) and retries once. */
  private read<T>(query: (s: RegistryState) => T): T {
    try {
      return query(this.state);
    } catch (e) {
      if (!(e instanceof RestError && e.status === 404)) throw e;
      this.state = this.load();
      return query(this.state);
    }
  }

  /** Applies a change to the stored state in one durable write transaction. */
  private async mutate<T>(change: (s: RegistryState) => T): Promise<T> {
    if (this.shared.readOnly) {
      // A read-only log: the change is applied to this process's copy (the same ids a writer would give).
      const s = structuredClone(this.state);
      const r = change(s);
      this.state = s;
      return r;
    }
    const { result, state } = await guardWrite(
      this.shared.path,
      'registering a schema',
      async () => {
        const done = await this.env.transaction(() => {
          const s = this.load();
          const r = change(s);
          this.db.putSync(STATE_KEY, s);
          return { result: r, state: s };
        });
        await this.env.flushed;
        return done;
      },
      async () => 'every record appended before',
    );
    this.state = state;
    return result;
  }
}

function mergeConfig(current: ServerConfig | undefined, update: ServerConfig): ServerConfig {
  const merged: ServerConfig = { ...current, ...update };
  if (update.compatibilityLevel && !update.compatibility) merged.compatibility = update.compatibilityLevel;
  delete merged.compatibilityLevel;
  return merged;
}
