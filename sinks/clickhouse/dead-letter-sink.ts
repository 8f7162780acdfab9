/**
 * Appends the projector's dead letters to the `dead-letters` topic, once per input position:
 * before its first append it reads the topic and remembers the positions it already dead-lettered
 * (reason starting with its prefix), so a rebuild that meets the same bad record again does not
 * grow the log. Dead letters are rare, so the one scan is cheap.
 */
import type { DeadLetter } from '../../schemas/dead-letter.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import type { ProjectorSerde } from './projector-serde.ts';

const TOPIC = TOPICS.deadLetters.name;

export class DeadLetterSink {
  private known: Promise<Set<string>> | null = null;

  constructor(
    private readonly log: EventLog,
    private readonly serde: ProjectorSerde,
    readonly reasonPrefix: string,
  ) {}

  /** Appends the letters not written before; resolves with how many were appended. */
  async write(letters: readonly DeadLetter[]): Promise<number> {
    this.known ??= this.scan().catch((e: unknown) => {
      this.known = null;
      throw e;
    });
    const known = await this.known;
    const fresh = letters.filter((d) => !known.has(positionKey(d)));
    if (fresh.length === 0) return 0;
    await this.log.append(
      TOPIC,
      // Keyed by the source topic, as the catalogue says (key: 'source').
      fresh.map((d) => ({ key: d.topic, timestamp: d.tsInit, value: this.serde.encode(TOPIC, d) })),
    );
    for (const d of fresh) known.add(positionKey(d));
    return fresh.length;
  }

  private async scan(): Promise<Set<string>> {
    const seen = new Set<string>();
    if (!(await this.log.topics()).includes(TOPIC)) return seen;
    const partitions = await this.log.partitions(TOPIC);
    for (let p = 0; p < partitions; p++) {
      for await (const batch of this.log.read(TOPIC, p)) {
        for (const record of batch) {
          try {
            const d = this.serde.decodeAs<DeadLetter>(TOPIC, record.value);
            if (d.reason.startsWith(this.reasonPrefix)) seen.add(positionKey(d));
          } catch {
            // an undecodable dead letter is not one of ours
          }
        }
      }
    }
    return seen;
  }
}

const positionKey = (d: DeadLetter): string => `${d.topic}|${d.partition}|${d.offset}`;
