import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeedStateStore, SavedFeedState } from './feed-writer.ts';

/**
 * A feed's latest saved state in one file beside the embedded log (`feed-state.<source>.json`),
 * replaced whole by a rename, so a reader sees the old state or the new one. Not fsync'ed: a lost
 * or torn file only means the feed is regenerated from its start, as without one; a state ahead
 * of the log's recorded position (a log that lost its tail) is ignored by levelFeedWithLog.
 */
export class FileFeedStateStore implements FeedStateStore {
  private readonly path: string;

  constructor(dir: string, source: string) {
    this.path = join(dir, `feed-state.${source}.json`);
  }

  async load(): Promise<SavedFeedState | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return null;
    }
    try {
      const s = JSON.parse(text) as SavedFeedState;
      return typeof s.source === 'string' && typeof s.feed === 'string' && Number.isSafeInteger(s.at) && typeof s.state === 'string' ? s : null;
    } catch {
      return null;
    }
  }

  async save(s: SavedFeedState): Promise<void> {
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(s));
    await rename(tmp, this.path);
  }
}
