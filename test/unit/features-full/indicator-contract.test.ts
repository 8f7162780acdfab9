/** Every new stateful indicator of full-v1 passes the shared contract (test/unit/features/indicator-contract.ts). */
import { Adx } from '../../../processors/features/full/adx.ts';
import { Ema } from '../../../processors/features/full/ema.ts';
import { IvRank } from '../../../processors/features/full/iv-rank.ts';
import { LagDiff } from '../../../processors/features/full/lag-diff.ts';
import { Macd } from '../../../processors/features/full/macd.ts';
import { MeanDeviation } from '../../../processors/features/full/mean-deviation.ts';
import { ParkinsonVol } from '../../../processors/features/full/parkinson-vol.ts';
import { Rsi } from '../../../processors/features/rsi.ts';
import { indicatorContract } from '../features/indicator-contract.ts';
import { loadBars } from '../features/reference-data.ts';

const bars = loadBars();
const closes = bars.map((b) => b.close);
const rsi = new Rsi(14);
const rsis = closes.map((c) => rsi.add(c)).filter((x): x is number => x !== null);
// A made-up ATM IV series (0.3 ± 0.05) for IvRank.
const ivs = closes.map((c, i) => 0.3 + 0.05 * Math.sin(i / 3) + (c - 100) / 1000);

indicatorContract('Ema(12)', () => new Ema(12), closes);
indicatorContract('Macd(12, 26, 9)', () => new Macd(12, 26, 9), closes);
indicatorContract('Adx(14)', () => new Adx(14), bars);
indicatorContract('ParkinsonVol(20)', () => new ParkinsonVol(20), bars);
indicatorContract('LagDiff(5) on RSI', () => new LagDiff(5), rsis);
indicatorContract('MeanDeviation(10) on RSI', () => new MeanDeviation(10), rsis);
indicatorContract('IvRank(288, 20)', () => new IvRank(288, 20), ivs);
// A window that fills and slides, so replace() must bring back the value a full window dropped.
indicatorContract('IvRank(30, 20)', () => new IvRank(30, 20), ivs);
