// npm run bench -- restart [--json]
// State rebuild time on restart, with and without a checkpoint, for two history lengths: a replay
// of the whole log through the graph (what a restart without checkpoints does before its first
// live signal) against restoring the latest checkpoint and replaying the tail after it. Logs are
// generated once and cached under var/bench/restart-d<days>/; checkpoints go to a fresh temp dir.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { replayWithCheckpoints } from '../hosts/checkpointing.ts';
import { replayLog } from '../hosts/replay/run-replay.ts';
import { DEFAULT_GRAPH_CONFIG } from '../processors/graph.ts';
import { CheckpointStore } from '../storage/checkpoints/checkpoint-store.ts';
import { openEmbeddedLog } from '../storage/log/open-log.ts';
import { benchSay } from './say.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
const say = benchSay('restart');
const rows: Record<string, unknown>[] = [];
const TAIL = 2_000;
for (const days of [2, 8]) {
  const dir = join('var', 'bench', `restart-d${days}`);
  const logDir = join(dir, 'log');
  if (!existsSync(join(dir, 'generated'))) {
    mkdirSync(dir, { recursive: true });
    say(`bench restart: generating ${days} market days (cached in ${dir})`);
    execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'generate', '--out', logDir, '--days', String(days), '--seed', '11'], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('touch', [join(dir, 'generated')]);
  }
  const ck = mkdtempSync(join(tmpdir(), 'tickflow-bench-ckpt-'));
  const el = await openEmbeddedLog(logDir);
  try {
    const store = new CheckpointStore(ck);
    const base = { log: el.log, decode: (t: string, b: Uint8Array) => el.serde.decodeAs(t, b), sinks: [], store, codeVersion: 'bench', config: DEFAULT_GRAPH_CONFIG };
    say(`bench restart: ${days} days, full replay (no checkpoint: what a restart does today)`);
    let t0 = performance.now();
    const fullStats = await replayLog({ log: base.log, decode: base.decode, sinks: [], config: DEFAULT_GRAPH_CONFIG });
    const fullMs = performance.now() - t0;
    // The live host checkpoints every 15 market minutes (~2,000 inputs of this market), so a
    // restart replays at most that much: write checkpoints that often (untimed), drop the
    // end-of-log one, and time resuming from the one before it.
    say(`bench restart: ${days} days, writing checkpoints every ${TAIL} inputs (untimed)`);
    await replayWithCheckpoints({ ...base, resume: false, everyInputs: TAIL });
    const names = store.names();
    if (names.length > 1) rmSync(join(store.dir, names[0] as string));
    say(`bench restart: ${days} days, resume from the latest checkpoint`);
    t0 = performance.now();
    const resumed = await replayWithCheckpoints({ ...base, everyInputs: Number.MAX_SAFE_INTEGER });
    const resumeMs = performance.now() - t0;
    const full = { stats: fullStats };
    rows.push({ days, inputs: full.stats.inputs, fullReplayMs: Math.round(fullMs), resumeMs: Math.round(resumeMs), resumedFrom: resumed.resumedFrom, tailInputs: resumed.replayed });
  } finally {
    await el.close();
    rmSync(ck, { recursive: true, force: true });
  }
}
if (values.json) console.log(JSON.stringify(rows));
else for (const r of rows) console.log(`${String(r.days)} days, ${String(r.inputs)} inputs: full replay ${String(r.fullReplayMs)} ms; from checkpoint at ${String(r.resumedFrom)} + tail of ${String(r.tailInputs)} inputs ${String(r.resumeMs)} ms`);
