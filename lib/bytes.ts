/**
 * `bytes` as a Buffer over the same memory (no copy): itself when it is one. Log record values are
 * Uint8Arrays (the embedded log's values read from a block are plain views of it, D171); a Buffer is
 * needed where Node's Buffer API or avsc's `bytes` type (Buffer.isBuffer) takes them.
 */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
