import { LmdbSchemaRegistry } from '../serde/lmdb-schema-registry.ts';
import { Serde } from '../serde/serde.ts';
import { LmdbEventLog, type LmdbEventLogOptions } from './lmdb-event-log.ts';

export interface EmbeddedLog {
  log: LmdbEventLog;
  serde: Serde;
  registry: LmdbSchemaRegistry;
  /** Closes the log and the registry. */
  close: () => Promise<void>;
}

/**
 * Opens (creating if needed) an embedded log directory: the event log, its schema registry, and
 * a Serde with the topic catalogue registered (identical schemas keep their ids across restarts).
 *
 * Opening the same directory twice in one process works: lmdb-js shares one native environment
 * per path, both handles see each other's writes, and follow() on one wakes on appends made
 * through the other. Each handle must be closed on its own.
 */
export async function openEmbeddedLog(dir: string, options: LmdbEventLogOptions = {}): Promise<EmbeddedLog> {
  const log = await LmdbEventLog.open(dir, options);
  const registry = await LmdbSchemaRegistry.open(dir, options.readOnly === true).catch(async (e: unknown) => {
    await log.close();
    throw e;
  });
  try {
    const serde = new Serde(registry);
    await serde.registerCatalogue();
    return { log, serde, registry, close: async () => void (await Promise.all([log.close(), registry.close()])) };
  } catch (e) {
    await Promise.all([log.close(), registry.close()]);
    throw e;
  }
}
