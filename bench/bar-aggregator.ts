// The bar aggregator alone, on a log's trades held in memory (no read, decode or operators).
// usage: node --import tsx bench/bar-aggregator.ts <logDir>
// Prints CPU ns per trade of BarAggregator.onTrade (plus buildBars' traded-set add) for 1m, 1m+5m
// (the core graph) and 1m/5m/15m/1h (the full set), the third of three passes each (warm).
import { openLog } from '../cli/log-access.ts';
import { MergedReader } from '../hosts/merged-reader.ts';
import { BarAggregator } from '../processors/bars/bar-aggregator.ts';
import type { LogPosition } from '../processors/types.ts';
import type { Trade } from '../schemas/index.ts';

const logDir = process.argv[2];
if (!logDir) throw new Error('usage: bar-aggregator.ts <logDir>');
const access = await openLog(logDir);
const trades: Trade[] = [];
const positions: LogPosition[] = [];
await new MergedReader(access.log, access.decode).drain(Number.POSITIVE_INFINITY, (e) => {
  if (e.kind !== 'trade') return;
  trades.push(e.value);
  positions.push(e.pos);
});
await access.close();
const results: Record<string, { nsPerTrade: number; bars: number }> = {};
for (const intervals of [['1m'], ['1m', '5m'], ['1m', '5m', '15m', '1h']]) {
  for (let pass = 0; pass < 3; pass++) {
    const agg = new BarAggregator({ intervals, maxOutOfOrdernessMs: 2_000 });
    const traded = new Set<string>();
    let bars = 0;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < trades.length; i++) {
      const t = trades[i] as Trade;
      traded.add(t.symbol);
      bars += agg.onTrade(t, positions[i] as LogPosition).closed.length;
    }
    const cpu = process.cpuUsage(cpu0);
    if (pass === 2) results[intervals.join('+')] = { nsPerTrade: Math.round(((cpu.user + cpu.system) * 1000) / trades.length), bars };
  }
}
process.stdout.write(`${JSON.stringify({ trades: trades.length, results })}\n`);
