import type { CommandSpec, Flags } from './command-spec.ts';
import { DB_MIGRATE, DB_REBUILD, QUERY } from './specs/clickhouse.ts';
import { GENERATE } from './specs/generate.ts';
import { INGEST } from './specs/ingest.ts';
import { MIRROR } from './specs/mirror.ts';
import { MODEL } from './specs/model.ts';
import { MODELS } from './specs/models.ts';
import { PATTERNS } from './specs/patterns.ts';
import { REPLAY_BACKTEST, REPLAY_CONFLUENCE, REPLAY_DATASET, REPLAY_WALK_FORWARD } from './specs/replay.ts';
import { RUN_GATEWAY, RUN_PROCESSORS, RUN_PROJECTOR } from './specs/run.ts';
import { START } from './specs/start.ts';
import { TOPICS_CREATE } from './specs/topics.ts';
import { TRAIN } from './specs/train.ts';
import { TUNE } from './specs/tune.ts';
import { VERIFY } from './specs/verify.ts';

/** A command module: `run(values, subcommand)` with the values its spec parsed; returns the exit code. */
type Command = { run: (values: never, sub: string) => Promise<number> };

export interface Entry {
  summary: string;
  /** The command's spec, or one per subcommand. */
  specs: CommandSpec<Flags> | Record<string, CommandSpec<Flags>>;
  /** Loaded only after the arguments are valid: a usage error or --help costs no heavy imports. */
  load: () => Promise<Command>;
}

export const COMMANDS: Record<string, Entry> = {
  start: { summary: 'run the live system on the seeded synthetic market (history, model, live signals)', specs: START, load: () => import('./commands/start.ts') },
  generate: { summary: 'write a seeded synthetic market into a new log', specs: GENERATE, load: () => import('./commands/generate.ts') },
  ingest: { summary: 'import a CSV or Parquet of trades, klines, bars or option chains into a log', specs: INGEST, load: () => import('./commands/ingest.ts') },
  replay: { summary: 'replay a log: dataset (training CSV/Parquet), backtest, walk-forward or a confluence evaluation', specs: { dataset: REPLAY_DATASET, backtest: REPLAY_BACKTEST, 'walk-forward': REPLAY_WALK_FORWARD, confluence: REPLAY_CONFLUENCE }, load: () => import('./commands/replay.ts') },
  patterns: { summary: 'pattern statistics of a log: what followed each candlestick pattern, per context', specs: PATTERNS, load: () => import('./commands/patterns.ts') },
  train: { summary: 'train a model on a dataset', specs: TRAIN, load: () => import('./commands/train.ts') },
  tune: { summary: 'seeded hyper-parameter search scored by purged cross-validation', specs: TUNE, load: () => import('./commands/tune.ts') },
  model: { summary: 'bring models in from ONNX (model import --onnx), out to ONNX, or bundle timeframes (model confluence)', specs: MODEL, load: () => import('./commands/model.ts') },
  models: { summary: 'the model registry: list, show, promote, diff, drift', specs: MODELS, load: () => import('./commands/models.ts') },
  verify: { summary: 'replay a log twice and compare with its recorded signals', specs: VERIFY, load: () => import('./commands/verify.ts') },
  run: { summary: 'the scale-out roles on Kafka: processors, gateway, projector', specs: { processors: RUN_PROCESSORS, gateway: RUN_GATEWAY, projector: RUN_PROJECTOR }, load: () => import('./commands/run.ts') },
  topics: { summary: 'create the catalogue topics on a Kafka cluster', specs: { create: TOPICS_CREATE }, load: () => import('./commands/topics.ts') },
  mirror: { summary: 'copy a log between the embedded log and Kafka', specs: MIRROR, load: () => import('./commands/mirror.ts') },
  db: { summary: 'ClickHouse: migrate, rebuild from a log', specs: { migrate: DB_MIGRATE, rebuild: DB_REBUILD }, load: () => import('./commands/db.ts') },
  query: { summary: 'ClickHouse: query signals, bars or backtest runs', specs: QUERY, load: () => import('./commands/query.ts') },
};
