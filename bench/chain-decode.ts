// Option chain decode alone: avsc's generic reader against the direct reader (D104), on a log's
// chain values held in memory. usage: node --import tsx bench/chain-decode.ts <logDir>
// Prints CPU µs per chain for each, the last of four alternating passes (warm). The direct reader
// gives a ColumnarChain (D173), its contract records made when read: `direct` reads them (the work
// avsc does), `directColumns` does not (what a replay does for most chains).
import avro from 'avsc';
import { openLog } from '../cli/log-access.ts';
import { ColumnarChain, OPTION_CHAIN_SNAPSHOT_SCHEMA } from '../schemas/index.ts';
import { chainReader } from '../storage/serde/chain-reader.ts';

const logDir = process.argv[2];
if (!logDir) throw new Error('usage: chain-decode.ts <logDir>');
const access = await openLog(logDir);
const values: Buffer[] = [];
const parts = await access.log.partitions('options');
for (let p = 0; p < parts; p++) {
  for await (const batch of access.log.read('options', p, { batchSize: 256 })) for (const r of batch) values.push(Buffer.from(r.value));
}
await access.close();
const type = avro.Type.forSchema(OPTION_CHAIN_SNAPSHOT_SCHEMA as unknown as avro.Schema);
const direct = chainReader(type);
if (direct === null) throw new Error('no direct reader for the chain schema');
const HEADER = 5;
let contracts = 0;
const time = (f: (v: Buffer) => number): number => {
  const cpu0 = process.cpuUsage();
  for (const v of values) contracts += f(v);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / values.length;
};
let avsc = 0;
let fast = 0;
let columns = 0;
for (let pass = 0; pass < 4; pass++) {
  avsc = time((v) => (type.decode(v, HEADER).value as { contracts: unknown[] }).contracts.length);
  fast = time((v) => (direct(v, HEADER) as { contracts: unknown[] }).contracts.length);
  columns = time((v) => (direct(v, HEADER) as ColumnarChain).contractCount);
}
process.stdout.write(`${JSON.stringify({ chains: values.length, contractsPerChain: contracts / values.length / 12, avscMicrosPerChain: +avsc.toFixed(2), directMicrosPerChain: +fast.toFixed(2), directColumnsMicrosPerChain: +columns.toFixed(2) })}\n`);
