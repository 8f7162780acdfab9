export { LmdbSchemaRegistry } from './lmdb-schema-registry.ts';
export { Serde, valueSubject } from './serde.ts';
export { DecodeError, EncodeError, SerdeError } from './serde-error.ts';
