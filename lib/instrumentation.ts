/**
 * Instrumentation events, as kafkajs has them (`consumer.on(consumer.events.GROUP_JOIN, ...)`):
 * a host exposes `events`, a typed EventEmitter, and emits named events with a small payload
 * (`host.events.on('caught-up', ({ inputs }) => ...)`). Logs are for people; events are for code
 * (tests, metrics, a supervisor) and carry the same facts without parsing text.
 * The map of a host's events lives beside the host (hosts/host-events.ts).
 */
import { EventEmitter } from 'node:events';

/** Event name -> the listener's argument tuple. */
export type EventMap<T> = { [K in keyof T]: unknown[] };

/** An EventEmitter whose event names and payloads are typed by `T`. */
export class Instrumentation<T extends EventMap<T>> extends EventEmitter<T> {}

/** Resolves with the payload of the next `name` event (tests await a condition, not a sleep). */
export function nextEvent<T extends EventMap<T>, K extends keyof T & string>(emitter: Instrumentation<T>, name: K, signal?: AbortSignal): Promise<T[K]> {
  return EventEmitter.once(emitter as EventEmitter, name, signal ? { signal } : {}) as Promise<T[K]>;
}
