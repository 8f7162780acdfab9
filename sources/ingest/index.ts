export { defaultCalendar, ingestFile, INGEST_FORMATS } from './ingest-file.ts';
export type { IngestFormat, IngestOptions } from './ingest-file.ts';
export type { IngestSummary } from './ingest-stats.ts';
export { IngestInputError } from './ingest-error.ts';
export { candleId, type IngestTarget } from './ingest-candles.ts';
export { snapshotId } from './ingest-chains.ts';
