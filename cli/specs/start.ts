import { defineCommand } from '../command-spec.ts';
import { duration, featureSetFlag, identifier, intervalFlag, num, oneOf, text, toggle } from '../flags.ts';
import { kafkaFlags } from './log-source.ts';
import { parseSource } from '../../sources/exchange/source-spec.ts';
import { CALENDAR_NAMES } from './ingest.ts';

export const START = defineCommand({
  name: 'start',
  summary: 'Runs the live system on the seeded synthetic market (or, with --source, on a venue\'s live trades or NSE\'s live option chains): without a model it writes history, exports a training set and trains one, then goes live; on an existing log it resumes.',
  output: 'on stop {"marketStart":ms,"marketEnd":ms,"inputs":N,"appendedInputs":N,"signals":N,"liveSignals":N,"late":N,"deadLetters":N,"signalLatencyMs":{…}}',
  flags: {
    source: text({ help: 'the market: synthetic (seeded), live trades of a venue, e.g. binance:BTCUSDT,ETHUSDT, or the live option chains of NSE, e.g. nse:NIFTY,BANKNIFTY (a venue needs a trained model, or --broker with --feed-only)', arg: 'source', default: 'synthetic' }),
    'venue-rest': text({ help: "with a venue --source: its REST base URL instead of the venue's (a local server, a testnet)", arg: 'url' }),
    'venue-ws': text({ help: "with a venue --source: its WebSocket base URL instead of the venue's", arg: 'url' }),
    'stall-seconds': num({ help: 'with a venue --source: reopen a stream that is silent this long', gt: 0, default: '30' }),
    'poll-seconds': num({ help: 'with --source nse:...: seconds between polls of each underlying\'s option chain', gt: 0, default: '60' }),
    'stale-polls': num({ help: 'with --source nse:...: report an underlying stale after this many polls in a row with an unchanged records.timestamp', int: true, min: 1, default: '5' }),
    'max-age': duration({ help: 'with --source nse:...: a snapshot older than this when received is dead-lettered stale', default: '15m' }),
    calendar: oneOf(CALENDAR_NAMES, { help: 'with --source nse:...: the session calendar that decides when to poll (default nse; crypto polls at any hour)' }),
    log: text({ help: 'the embedded log to write (default var/log)', arg: 'logDir' }),
    ...kafkaFlags('append to Kafka instead'),
    model: text({ help: 'the model directory (trained from the history when missing; default: the champion of var/models, else var/model)', arg: 'modelDir' }),
    speed: num({ help: 'market seconds per wall second', gt: 0, default: '100' }),
    'stop-after': duration({ help: 'stop after this much market time (default: Ctrl-C stops)' }),
    port: num({ help: 'port of the WebSocket, the dashboard page and its API (0 picks a free one)', int: true, min: 0, max: 65535, default: '8080' }),
    host: text({ help: 'interface to listen on (a non-loopback host needs --token)', arg: 'host', default: '127.0.0.1' }),
    token: text({ help: 'secret the page, API and WebSocket require (16 to 256 printable characters)', arg: 'secret' }),
    'max-clients': num({ help: 'WebSocket clients accepted at once (more are refused with 503)', int: true, min: 1, max: 100000, default: '200' }),
    'ws-in-process': toggle('run the WebSocket fan-out on the processing thread instead of its worker thread (for comparison)'),
    'api-rate-limit': num({ help: 'page/API requests a minute from one client address (more get 429 with Retry-After)', int: true, min: 1, max: 1000000, default: '1000' }),
    'api-global-rate-limit': num({ help: 'page/API requests a second from all clients together, /api/health excepted (more get 429 with Retry-After)', int: true, min: 1, max: 1000000, default: '100' }),
    seed: num({ help: 'market seed', int: true, min: 0, default: '1' }),
    'history-days': num({ help: 'days of history written before going live (0: none, with an existing model)', min: 0, default: '14' }),
    'signal-strength': num({ help: 'how predictable the market is (0 = not at all)', min: 0, default: '1' }),
    backend: oneOf(['wasm', 'cpu', 'tensorflow'], { help: 'tfjs backend for training a missing model', default: 'wasm' }),
    'no-ws': toggle('no WebSocket server'),
    clickhouse: text({ help: 'also project the outputs into ClickHouse at this URL', arg: 'url' }),
    database: identifier({ help: 'ClickHouse database', default: 'default' }),
    'feature-set': featureSetFlag({ help: 'the feature set of a model trained here', default: 'core' }),
    interval: intervalFlag("the bar interval that gets features and signals; must be the model's"),
    'feed-only': toggle('with --broker: write inputs and progress markers only (processing runs in `tickflow run processors`)'),
    'allow-ungated': toggle('trade with a model that failed its validation gates'),
    'hold-only': toggle('go live with HOLD signals only (no BUY/SELL); also accepts a model that failed its gates'),
  },
  check: (v) => {
    let venue: string;
    try {
      venue = parseSource(v.source).venue;
    } catch (e) {
      return (e as Error).message;
    }
    if (venue === 'synthetic' && (v['venue-rest'] !== undefined || v['venue-ws'] !== undefined)) return '--venue-rest/--venue-ws are for a venue --source (e.g. binance:BTCUSDT)';
    if (venue !== 'nse' && v.calendar !== undefined) return '--calendar is for --source nse:... (when to poll)';
    if (venue !== 'synthetic' && v.clickhouse !== undefined) return '--clickhouse is not supported with a venue --source yet; project the log with `tickflow run projector`';
    if (v.broker !== undefined && v.log !== undefined) return 'give either --log or --broker, not both';
    if (v.broker === undefined && v.registry !== undefined) return '--registry is for Kafka (--broker); the embedded log keeps its own registry';
    if (v['feed-only'] && v.broker === undefined) return '--feed-only needs --broker: processing then runs in `tickflow run processors --broker ...`';
    if (v['feed-only'] && v.clickhouse !== undefined) return '--feed-only writes inputs only, there are no outputs to project; project the derived topics with `tickflow run projector --broker ...`';
    return undefined;
  },
});
