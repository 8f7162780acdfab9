// The bars stage alone, on a log's inputs held in memory (no read, decode or merge): what the graph's
// validation and bar operators cost per trade over the bar aggregator's own arithmetic.
// usage: node --import tsx bench/bars-stage.ts <logDir>
// Prints CPU ns per trade (the third of three warm passes each) of:
//   aggregator  BarAggregator.onTrade (1m + 5m) over the trades, in a plain loop
//   validate    tradeProblem + the aggregator, in a plain loop
//   operators   PushSource -> validateInputs -> buildBars (the graph's first two operators) over every input
import { openLog } from '../cli/log-access.ts';
import { MergedReader } from '../hosts/merged-reader.ts';
import { BarAggregator, DEFAULT_BAR_CONFIG } from '../processors/bars/bar-aggregator.ts';
import { newGraphStats } from '../processors/graph-events.ts';
import { buildBars } from '../processors/operators/build-bars.ts';
import { validateInputs } from '../processors/operators/validate-inputs.ts';
import { PushSource } from '../processors/push-source.ts';
import type { InputEvent } from '../processors/types.ts';
import { tradeProblem } from '../processors/validate/input-validator.ts';

const logDir = process.argv[2];
if (!logDir) throw new Error('usage: bars-stage.ts <logDir>');
const access = await openLog(logDir);
const inputs: InputEvent[] = [];
// Fresh objects (no reuseTrades): every input is kept.
await new MergedReader(access.log, access.decode).drain(Number.POSITIVE_INFINITY, (e) => void inputs.push(e));
await access.close();
const trades = inputs.filter((e): e is InputEvent & { kind: 'trade' } => e.kind === 'trade');
const cpuNs = (f: () => number): { ns: number; out: number } => {
  let last = { ns: 0, out: 0 };
  for (let pass = 0; pass < 3; pass++) {
    const cpu0 = process.cpuUsage();
    const out = f();
    const cpu = process.cpuUsage(cpu0);
    last = { ns: Math.round(((cpu.user + cpu.system) * 1000) / trades.length), out };
  }
  return last;
};
const aggregator = cpuNs(() => {
  const agg = new BarAggregator(DEFAULT_BAR_CONFIG);
  let bars = 0;
  for (const e of trades) bars += agg.onTrade(e.value, e.pos).closed.length;
  return bars;
});
const validate = cpuNs(() => {
  const agg = new BarAggregator(DEFAULT_BAR_CONFIG);
  let bars = 0;
  for (const e of trades) if (tradeProblem(e.value) === null) bars += agg.onTrade(e.value, e.pos).closed.length;
  return bars;
});
const operators = cpuNs(() => {
  const source = new PushSource<InputEvent>();
  let out = 0;
  source.pipe(validateInputs(newGraphStats()), buildBars(DEFAULT_BAR_CONFIG, newGraphStats())).subscribe(() => out++);
  for (const e of inputs) source.next(e);
  source.complete();
  return out;
});
process.stdout.write(`${JSON.stringify({ trades: trades.length, inputs: inputs.length, nsPerTrade: { aggregator, validate, operators } })}\n`);
