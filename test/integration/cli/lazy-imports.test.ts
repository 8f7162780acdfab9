// Which packages a command loads before its first useful work (docs/benchmarks.md, first run and
// restart): `tickflow start` on the embedded log with a saved model must not import the trainer
// (tfjs), the Parquet writer, Kafka, the Confluent registry client, ClickHouse, ONNX Runtime or ccxt;
// those load at their point of use. Each case imports the command module in a child process with a
// module hook that records every URL Node loads (ESM, and CommonJS entered through import).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';

const dir = mkdtempSync(join(tmpdir(), 'tickflow-lazy-imports-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const hooks = join(dir, 'hooks.mjs');
writeFileSync(hooks, `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.TICKFLOW_LOADED, url + '\\n');
  return next(url, context);
}
`);
const register = join(dir, 'register.mjs');
writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);

/** The node_modules packages whose files Node loaded while importing `module` (a path in the repository). */
function packagesLoadedBy(module: string): Set<string> {
  const out = join(dir, `${module.replaceAll('/', '_')}.txt`);
  writeFileSync(out, '');
  const r = spawnSync(process.execPath, ['--import', register, '--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(process.cwd(), module)).href)});`], {
    env: { ...process.env, TICKFLOW_LOADED: out },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const pkgs = new Set<string>();
  for (const url of readFileSync(out, 'utf8').split('\n')) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m?.[1] !== undefined) pkgs.add(m[1]);
  }
  return pkgs;
}

const HEAVY = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node', 'kafkajs', 'ccxt', '@clickhouse/client', 'hyparquet-writer', 'hyparquet', 'playwright-core'];

test('start: importing the command loads none of the heavy, command-specific packages', () => {
  const pkgs = packagesLoadedBy('cli/commands/start.ts');
  // The hook does see packages: the embedded log's lmdb is there (so an empty set is not a pass).
  assert.ok(pkgs.has('lmdb'), `expected lmdb among ${[...pkgs].join(', ')}`);
  assert.deepEqual(HEAVY.filter((p) => pkgs.has(p)), []);
});

test('replay: dataset and backtest runs load neither the trainer (tfjs) nor ClickHouse; walk-forward and --clickhouse import them when used', () => {
  const pkgs = packagesLoadedBy('cli/commands/replay.ts');
  assert.ok(pkgs.has('lmdb'), `expected lmdb among ${[...pkgs].join(', ')}`);
  // hyparquet-writer is the dataset's Parquet output, which replay dataset may write.
  assert.deepEqual(HEAVY.filter((p) => p !== 'hyparquet-writer' && p !== 'hyparquet' && pkgs.has(p)), []);
});

test('the CLI entry (usage, --help) loads no command module dependencies', () => {
  const pkgs = packagesLoadedBy('cli/registry.ts');
  assert.deepEqual([...HEAVY, 'lmdb', 'rxjs'].filter((p) => pkgs.has(p)), []);
});

test('the trainer still loads tfjs where it is used (the hook sees it)', () => {
  assert.ok(packagesLoadedBy('model/backend.ts').has('@tensorflow/tfjs'));
});
