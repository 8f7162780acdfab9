/**
 * FeedPosition v1: a feed's own position, recorded before each round of appends (the intent).
 * Rounds are consecutive runs of the feed's own sequence (events numbered 0, 1, 2, ... in the
 * order the feed produces them): the round is events [from, to). `ends` are, per partition of
 * the feed's topics, the offset from which this round's records are (at or after: another writer
 * may have appended in between). A restart reads the latest position, regenerates events
 * [from, to), finds those already in the log by content after `ends`, appends the rest and
 * continues at `to` — whatever else was appended to the same topics (docs/reliability.md).
 */
export interface FeedPosition {
  source: string;
  /** The feed's parameters (JSON), enough to regenerate its sequence (`verify`); '' if it cannot be. */
  feed: string;
  from: number;
  to: number;
  ends: FeedPartitionEnd[];
}

export interface FeedPartitionEnd {
  topic: string;
  partition: number;
  offset: number;
}

export const FEED_POSITION_SCHEMA = {
  type: 'record',
  name: 'FeedPosition',
  namespace: 'tickflow.v1',
  doc: "A feed's round of appends: its own events [from, to), written after the given partition offsets.",
  fields: [
    { name: 'source', type: 'string' },
    { name: 'feed', type: 'string' },
    { name: 'from', type: 'long' },
    { name: 'to', type: 'long' },
    {
      name: 'ends',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'FeedPartitionEnd',
          fields: [
            { name: 'topic', type: 'string' },
            { name: 'partition', type: 'int' },
            { name: 'offset', type: 'long' },
          ],
        },
      },
    },
  ],
} as const;
