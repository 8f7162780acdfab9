/**
 * The part of storage/serde's Serde the projector uses (Confluent wire format + Avro). decodeAs
 * throws on bytes that are not a record of the topic's schema; the error's `reason`, when present,
 * is what the dead letter says. A retriable `unknown-schema-id:<id>` (a schema registered by
 * another process after this one loaded the registry) is answered with loadSchema(id) and one more
 * decode, not a dead letter.
 */
export interface ProjectorSerde {
  encode(topic: string, value: object): Uint8Array;
  decodeAs<T>(topic: string, bytes: Uint8Array): T;
  loadSchema?(id: number): Promise<void>;
}

export function decodeFailure(err: unknown): string {
  if (err && typeof err === 'object' && typeof (err as { reason?: unknown }).reason === 'string') {
    return (err as { reason: string }).reason;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The schema id to load before decoding again, when the error says it is unknown (and retriable). */
export function unknownSchemaId(err: unknown): number | null {
  if (!err || typeof err !== 'object' || (err as { retriable?: unknown }).retriable !== true) return null;
  const m = /^unknown-schema-id:(\d+)$/.exec(decodeFailure(err));
  return m ? Number(m[1]) : null;
}
