// Option chains decoded alone, from bytes held in memory (no read, merge or operators).
// usage: node --import tsx bench/chain-decode.ts <logDir> [<chains per partition, default 5000>]
// Prints ns per chain for the topic's decode (the direct chain reader: a ColumnarChain, D173),
// then the same with every contract record made (`contracts` read), the last of five passes each.
import { openLog } from '../cli/log-access.ts';
import type { OptionChainSnapshot } from '../schemas/index.ts';

const [logDir, perPartition = '5000'] = process.argv.slice(2);
if (!logDir) throw new Error('usage: chain-decode.ts <logDir> [<chains per partition>]');
const access = await openLog(logDir);
const bodies: Uint8Array[] = [];
for (let p = 0; p < (await access.log.partitions('options')); p++) {
  for await (const batch of access.log.read('options', p, { batchSize: 256, toOffset: Number(perPartition) })) for (const r of batch) bodies.push(r.value.slice());
}
let contracts = 0;
let sink = 0;
const pass = (made: boolean): number => {
  const t = process.hrtime.bigint();
  for (const b of bodies) {
    const c = access.decode('options', b) as OptionChainSnapshot;
    sink += made ? (c.contracts[0]?.strike ?? 0) : c.spot;
  }
  return Number(process.hrtime.bigint() - t) / bodies.length;
};
for (const made of [false, true]) {
  let ns = 0;
  for (let i = 0; i < 5; i++) ns = pass(made);
  process.stdout.write(`${made ? 'decode + contract records' : 'decode'}: ${ns.toFixed(0)} ns per chain\n`);
}
for (const b of bodies.slice(0, 1000)) contracts += (access.decode('options', b) as OptionChainSnapshot).contracts.length;
process.stdout.write(`${bodies.length} chains, ${(contracts / Math.min(1000, bodies.length)).toFixed(1)} contracts each (first 1,000)${sink === 0 ? ' ' : ''}\n`);
await access.close();
