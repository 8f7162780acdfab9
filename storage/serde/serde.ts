import avro from 'avsc';
import type { Client, SchemaInfo } from '@confluentinc/schemaregistry';
import { TOPIC_LIST } from '../../schemas/topics.ts';
import { DecodeError, EncodeError } from './serde-error.ts';
import { chainReader } from './chain-reader.ts';
import { tradeReader, type TradeReader } from './trade-reader.ts';
import { tradeWriter, type TradeWriter } from './trade-writer.ts';
import { bufferView } from '../../lib/bytes.ts';

/** A topic's reader schema and its direct reader, if any (Serde's cache of the last topic decoded). */
interface TopicDecoding {
  topic: string;
  reader: { id: number; type: avro.Type };
  fast: TradeReader | undefined;
}

/** Slabs of direct-written values (the size of Node's own Buffer pool), and the room kept for one value. */
const SLAB_BYTES = 8 * 1024;
const SLAB_ROOM = 512;

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro body. */
const MAGIC = 0;
const HEADER = 5;

type Resolver = ReturnType<avro.Type['createResolver']>;

/** TopicNameStrategy: the value schema of topic `t` is registered under subject `t-value`. */
export const valueSubject = (topic: string): string => `${topic}-value`;

/**
 * Confluent wire-format Avro encoding and decoding against a schema registry, synchronous on the
 * hot path: schemas are registered and loaded up front (registerCatalogue, registerTopic,
 * loadAll, loadSchema), and each schema id gets one cached avsc Type. Values are only ever
 * encoded with explicit registered schemas, never with one inferred from the value (which maps
 * numbers to Avro float and corrupts epoch-ms timestamps).
 */
export class Serde {
  private readonly types = new Map<number, avro.Type>();
  private readonly writers = new Map<string, { id: number; type: avro.Type }>();
  private readonly resolvers = new Map<string, Resolver>();
  /** Per topic: a direct reader for its current schema's common case (trades: trade-reader.ts, option chains: chain-reader.ts). */
  private readonly fast = new Map<string, TradeReader>();
  /** Per topic: a direct writer for its current schema's common case (trades: trade-writer.ts). */
  private readonly fastWriters = new Map<string, TradeWriter>();
  /** decodeAs's last topic, its schema and direct reader (cleared when a topic's schema changes). */
  private lastDecode: TopicDecoding | null = null;
  private scratch = Buffer.allocUnsafe(64 * 1024);
  /** Where the direct writers put values (a fresh slab when this one is nearly full). */
  private slab = Buffer.allocUnsafeSlow(0);
  private slabAt = 0;

  constructor(private readonly registry: Client) {}

  /** Registers every catalogue topic's schema under `<topic>-value`, then loads all known schemas. */
  async registerCatalogue(): Promise<void> {
    for (const spec of TOPIC_LIST) await this.registerTopic(spec.name, spec.schema);
    await this.loadAll();
  }

  /** Registers `schema` (same schema: same id) and makes it the schema `encode(topic, ...)` writes with. */
  async registerTopic(topic: string, schema: object): Promise<number> {
    const id = await this.registry.register(valueSubject(topic), { schemaType: 'AVRO', schema: JSON.stringify(schema) }, false);
    await this.loadSchema(id);
    const type = this.types.get(id)!;
    this.writers.set(topic, { id, type });
    this.lastDecode = null;
    const fast = tradeReader(type) ?? chainReader(type);
    if (fast) this.fast.set(topic, fast);
    else this.fast.delete(topic);
    const fastWriter = tradeWriter(type);
    if (fastWriter) this.fastWriters.set(topic, fastWriter);
    else this.fastWriters.delete(topic);
    return id;
  }

  /** Loads every version of every subject, so records written under older schemas still decode. */
  async loadAll(): Promise<void> {
    for (const subject of await this.registry.getAllSubjects()) {
      for (const version of await this.registry.getAllVersions(subject)) {
        const meta = await this.registry.getSchemaMetadata(subject, version, false);
        if (meta.id !== undefined && !this.types.has(meta.id)) this.types.set(meta.id, await this.parse(meta));
      }
    }
  }

  /** Makes one schema id decodable (after a DecodeError `unknown-schema-id:<id>`, which is retriable). */
  async loadSchema(id: number): Promise<void> {
    if (!this.types.has(id)) this.types.set(id, await this.parse(await this.registry.getBySubjectAndId('', id)));
  }

  /** Schema id that `encode(topic, ...)` writes. */
  schemaIdFor(topic: string): number {
    const writer = this.writers.get(topic);
    if (!writer) throw new EncodeError(`unknown-topic:${topic}`, `no schema registered for topic ${topic}`);
    return writer.id;
  }

  encode(topic: string, value: object): Uint8Array {
    const writer = this.writers.get(topic);
    if (!writer) throw new EncodeError(`unknown-topic:${topic}`, `no schema registered for topic ${topic}`);
    const fast = this.fastWriters.get(topic);
    if (fast !== undefined) {
      // The direct writer writes straight into a shared slab and the value is a view of it (no
      // copy), as Buffer.allocUnsafe's pool does; it gives exactly avsc's bytes, or -1 (no room,
      // or not its case: then avsc below writes, or throws).
      if (this.slab.length - this.slabAt < SLAB_ROOM) {
        this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
        this.slabAt = 0;
      }
      const at = this.slabAt;
      const fastEnd = fast(value, this.slab, at + HEADER);
      if (fastEnd >= 0) {
        const slab = this.slab;
        slab[at] = MAGIC;
        slab.writeUInt32BE(writer.id, at + 1);
        // Next value on an 8-byte boundary.
        this.slabAt = (fastEnd + 7) & ~7;
        return slab.subarray(at, fastEnd);
      }
    }
    let s = this.scratch;
    let end: number;
    try {
      // avsc's encode validates each field as it writes and returns -(missing bytes) when full.
      while ((end = writer.type.encode(value, s, HEADER)) < 0) s = this.scratch = Buffer.allocUnsafe(2 * s.length - end);
    } catch (e) {
      throw new EncodeError(`avro: ${(e as Error).message}`, `cannot encode a ${topic} value: ${(e as Error).message}`, { cause: e });
    }
    s[0] = MAGIC;
    s.writeUInt32BE(writer.id, 1);
    const out = Buffer.allocUnsafe(end);
    s.copy(out, 0, 0, end);
    return out;
  }

  /** Decodes with the writer's own schema (the id in the bytes). */
  decode(bytes: Uint8Array): { schemaId: number; value: unknown } {
    const buf = framed(bytes);
    const schemaId = buf.readUInt32BE(1);
    const type = this.types.get(schemaId);
    if (!type) throw unknownId(schemaId);
    return { schemaId, value: body(type, buf, undefined) };
  }

  /**
   * Decodes into the topic's current schema, resolving older writer schemas by Avro's rules
   * (added fields get their defaults), so callers always see one shape per topic. `reuse`: a value
   * decodeAs returned before for this topic that the caller no longer uses: the direct reader may
   * fill it and return it instead of a new one (trades; the value is the same either way).
   */
  decodeAs<T>(topic: string, bytes: Uint8Array, reuse?: object): T {
    const last = this.decoderOf(topic);
    if (last === null) throw new DecodeError(`unknown-topic:${topic}`, `no schema registered for topic ${topic}`);
    const reader = last.reader;
    const schemaId = schemaIdOf(bytes);
    if (schemaId === reader.id) {
      // The direct reader gives exactly avsc's value, or undefined (then avsc decides).
      const value = last.fast?.(bytes, HEADER, reuse);
      return (value ?? body(reader.type, framed(bytes), undefined)) as T;
    }
    const buf = framed(bytes);
    const writer = this.types.get(schemaId);
    if (!writer) throw unknownId(schemaId);
    const key = `${schemaId}>${reader.id}`;
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      try {
        resolver = reader.type.createResolver(writer);
      } catch (e) {
        throw new DecodeError(`incompatible-schema:${schemaId}->${reader.id}`, `schema ${schemaId} cannot be read as ${topic}'s schema ${reader.id}`, { cause: e });
      }
      this.resolvers.set(key, resolver);
    }
    return body(reader.type, buf, resolver) as T;
  }

  /**
   * decodeAs's direct reader on the value at [start, end) of `bytes` (a view of a larger buffer
   * is not made): the value decodeAs would give, or undefined when it is not the direct reader's
   * (another schema id, a body out of its common case, no direct reader for the topic); the caller
   * then decodes a copy of the value with decodeAs, which decides (replay's reader thread, D173).
   */
  decodeDirect<T>(topic: string, bytes: Uint8Array, start: number, end: number, reuse?: object): T | undefined {
    const last = this.decoderOf(topic);
    if (last === null || last.fast === undefined || end - start < HEADER || bytes[start] !== MAGIC || idAt(bytes, start) !== last.reader.id) return undefined;
    return last.fast(bytes, start + HEADER, reuse, end) as T | undefined;
  }

  /** The topic's reader schema and direct reader; null when the topic has no schema. */
  private decoderOf(topic: string): TopicDecoding | null {
    // The previous call's topic (a replay decodes runs of trades) skips two map lookups.
    let last = this.lastDecode;
    if (last === null || last.topic !== topic) {
      const writer = this.writers.get(topic);
      if (!writer) return null;
      last = this.lastDecode = { topic, reader: writer, fast: this.fast.get(topic) };
    }
    return last;
  }

  private async parse(info: SchemaInfo): Promise<avro.Type> {
    const registry: Record<string, avro.Type> = {};
    for (const ref of info.references ?? []) {
      const meta = await this.registry.getSchemaMetadata(ref.subject, ref.version, true);
      avro.Type.forSchema(JSON.parse(meta.schema) as avro.Schema, { registry });
    }
    return avro.Type.forSchema(JSON.parse(info.schema) as avro.Schema, { registry });
  }
}

/** Checks the Confluent header and returns the bytes as a Buffer (a view, no copy), as avsc needs. */
function framed(bytes: Uint8Array): Buffer {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('not-bytes', 'value is not a Uint8Array');
  if (bytes.length > 0 && bytes[0] !== MAGIC) throw new DecodeError('bad-magic-byte', `magic byte ${bytes[0]}, expected ${MAGIC}`);
  if (bytes.length < HEADER) throw new DecodeError('truncated', `${bytes.length} bytes, shorter than the ${HEADER}-byte header`);
  return bufferView(bytes);
}

/** The schema id of a Confluent frame, after the checks framed() makes (without its Buffer view). */
function schemaIdOf(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER || bytes[0] !== MAGIC) return framed(bytes).readUInt32BE(1);
  return idAt(bytes, 0);
}

/** The big-endian schema id after the magic byte of the frame at `start`. */
function idAt(bytes: Uint8Array, start: number): number {
  return ((bytes[start + 1] as number) * 0x1000000 + (((bytes[start + 2] as number) << 16) | ((bytes[start + 3] as number) << 8) | (bytes[start + 4] as number))) >>> 0;
}

function body(type: avro.Type, buf: Buffer, resolver: Resolver | undefined): unknown {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(buf, HEADER, resolver);
  } catch (e) {
    throw new DecodeError(`avro: ${(e as Error).message}`, `cannot decode: ${(e as Error).message}`, { cause: e });
  }
  // avsc reports running out of bytes as offset -1; anything left over is not part of the value.
  if (decoded.offset < 0) throw new DecodeError('truncated', `Avro body ends early (${buf.length} bytes)`);
  if (decoded.offset !== buf.length) {
    throw new DecodeError(`trailing-bytes:${buf.length - decoded.offset}`, `${buf.length - decoded.offset} bytes after the Avro value`);
  }
  return decoded.value;
}

function unknownId(id: number): DecodeError {
  return new DecodeError(`unknown-schema-id:${id}`, `schema id ${id} is not loaded (await serde.loadSchema(${id}))`, { retriable: true });
}
