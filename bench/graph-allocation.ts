// What the replay's graph thread allocates, by function: V8's sampling heap profiler (through
// node:inspector) with objects collected by minor and major GCs included, over one threaded
// replay to signals (as `bench/measure.ts pipeline`). The reader thread is not sampled.
// usage: node --import tsx bench/graph-allocation.ts <logDir> <modelDir> [<top, default 25>]
import { Session } from 'node:inspector/promises';
import { openLog } from '../cli/log-access.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { loadPredictor } from '../model/predictor.ts';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const [logDir, modelDir, top = '25'] = process.argv.slice(2);
if (!logDir || !modelDir) throw new Error('usage: graph-allocation.ts <logDir> <modelDir> [<top>]');
const access = await openLog(logDir);
const predictor = await loadPredictor(modelDir);
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
await replayLog({ log: access.log, decode: access.decode, sinks: [{ onEvent: () => undefined }], predictor });
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };
const by = new Map<string, number>();
let total = 0;
const walk = (n: ProfileNode): void => {
  const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop() ?? ''}`;
  by.set(key, (by.get(key) ?? 0) + n.selfSize);
  total += n.selfSize;
  for (const c of n.children) walk(c);
};
walk(profile.head);
process.stdout.write(`graph thread allocated ${(total / 2 ** 20).toFixed(0)} MB\n`);
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) process.stdout.write(`${(v / 2 ** 20).toFixed(1).padStart(8)} MB  ${k}\n`);
session.disconnect();
await access.close();
