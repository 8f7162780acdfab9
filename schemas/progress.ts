/**
 * FeedProgress v1: a writer of market data (a feed, an importer, the mirror) saying that it has
 * durably appended every input event of its own with tsInit <= watermark. Processors that run
 * apart from the feed (on Kafka, as a consumer group) may process inputs up to the lowest
 * watermark of all sources, and not beyond: that is what makes their order the replay order
 * (docs/time-and-determinism.md). A source that will append nothing more says so with
 * watermark = CLOSED_WATERMARK.
 */
export interface FeedProgress {
  source: string;
  watermark: number;
}

/** "This source has nothing more to append": does not hold back the processors (the latest JS Date). */
export const CLOSED_WATERMARK = 8_640_000_000_000_000;

export const FEED_PROGRESS_SCHEMA = {
  type: 'record',
  name: 'FeedProgress',
  namespace: 'tickflow.v1',
  doc: 'A market-data writer has appended all of its inputs with tsInit <= watermark.',
  fields: [
    { name: 'source', type: 'string' },
    { name: 'watermark', type: 'long' },
  ],
} as const;
