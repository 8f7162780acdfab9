import { Atr } from '../../../processors/features/atr.ts';
import { Bollinger } from '../../../processors/features/bollinger.ts';
import { LogReturn } from '../../../processors/features/log-return.ts';
import { OrderFlowImbalance } from '../../../processors/features/order-flow-imbalance.ts';
import { RealizedVol } from '../../../processors/features/realized-vol.ts';
import { RollingMean } from '../../../processors/features/rolling-mean.ts';
import { Rsi } from '../../../processors/features/rsi.ts';
import { VolumeRatio } from '../../../processors/features/volume-ratio.ts';
import { VwapZ } from '../../../processors/features/vwap-z.ts';
import { indicatorContract } from './indicator-contract.ts';
import { loadBars } from './reference-data.ts';

const bars = loadBars();
const closes = bars.map((b) => b.close);
const volumes = bars.map((b) => b.volume);
// OFI is null for a bar without buyVolume; the contract needs a series where it is defined.
const barsWithBuy = bars.filter((b) => b.buyVolume !== null);
const ofis = barsWithBuy.map((b) => (2 * (b.buyVolume as number)) / b.volume - 1);

for (const n of [1, 3, 9]) indicatorContract(`LogReturn(${n})`, () => new LogReturn(n), closes);
indicatorContract('RealizedVol(12)', () => new RealizedVol(12), closes);
indicatorContract('Rsi(14)', () => new Rsi(14), closes);
indicatorContract('Atr(14)', () => new Atr(14), bars);
indicatorContract('Bollinger(20, 2)', () => new Bollinger(20, 2), closes);
indicatorContract('VwapZ(20)', () => new VwapZ(20), bars);
indicatorContract('VolumeRatio(20)', () => new VolumeRatio(20), volumes);
indicatorContract('OrderFlowImbalance', () => new OrderFlowImbalance(), barsWithBuy);
indicatorContract('RollingMean(6)', () => new RollingMean(6), ofis);
