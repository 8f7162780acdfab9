// Lint: typescript-eslint with type information (floating promises are bugs here), no import
// cycles, layers whose imports point inward only (docs/architecture.md), and processors/ kept pure:
// no I/O modules, no wall clock, no unseeded randomness, no environment (docs/time-and-determinism.md).
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const NODE_IO = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'dns', 'dns/promises', 'os', 'child_process', 'cluster', 'worker_threads', 'perf_hooks', 'timers', 'timers/promises', 'process', 'readline', 'v8', 'vm', 'inspector'];
const IO_MODULES = [...NODE_IO, ...NODE_IO.map((m) => `node:${m}`), 'ws', 'kafkajs', 'lmdb', '@clickhouse/client', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'pino', 'prom-client'];
const RANDOM_CRYPTO = ['randomBytes', 'randomUUID', 'randomInt', 'randomFill', 'randomFillSync', 'getRandomValues', 'webcrypto', 'generateKeySync', 'generateKeyPairSync'];

// Layers, innermost first. A layer may import only from layers before it (and itself); the rule
// below is generated from this list so the picture in docs/architecture.md and the lint agree.
export const LAYERS = [
  ['lib', 'tiny shared helpers with no domain knowledge (sleep, retry, errors)'],
  ['schemas', 'event types, Avro schemas, topic catalogue'],
  ['processors', 'the pure kernel: validation, bars, features, inference, decision'],
  ['model', 'the model lab: training, evaluation, saving and loading models'],
  ['storage', 'the event log: embedded lmdb, Kafka, serde and schema registry'],
  ['hosts', 'the merged reader and the three hosts: replay, live, consumer group'],
  ['sources', 'what feeds the log: file importers, the synthetic market, exchange feeds'],
  ['sinks', 'what reads the derived topics: WebSocket, ClickHouse, web page'],
  ['research', 'jobs on the replay host: dataset export, backtest, verify'],
  ['cli', 'the tickflow command: parses, validates, wires'],
];
// Siblings that must not know each other.
const SIBLINGS = [['sources', 'sinks']];
const layerZones = LAYERS.flatMap(([name], i) => {
  const outer = LAYERS.slice(i + 1).map(([n]) => n);
  for (const [a, b] of SIBLINGS) if (name === a) outer.splice(outer.indexOf(b), 1);
  const zones = outer.map((from) => ({ target: `./${name}`, from: `./${from}`, message: `${name}/ may not import ${from}/: dependencies point inward (docs/architecture.md)` }));
  for (const [a, b] of SIBLINGS) {
    if (name === a) zones.push({ target: `./${a}`, from: `./${b}`, message: `${a}/ and ${b}/ are siblings and do not import each other` });
    if (name === b) zones.push({ target: `./${b}`, from: `./${a}`, message: `${a}/ and ${b}/ are siblings and do not import each other` });
  }
  zones.push({ target: `./${name}`, from: ['./bench', './test'], message: 'production code does not import tests or benchmarks' });
  return zones;
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'var/**', 'bin/**', 'eslint.config.js', 'test/fixtures/**', '**/*.compiled.js'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    plugins: { 'import-x': importX },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Too noisy for code that handles decoded unknown values deliberately.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['processors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...IO_MODULES.map((name) => ({ name, message: 'processors/ is pure: no I/O, clock or environment (see docs/time-and-determinism.md)' })),
            ...['crypto', 'node:crypto'].map((name) => ({ name, importNames: RANDOM_CRYPTO, message: 'no unseeded randomness in processors/: use processors/math/rng.ts' })),
          ],
          patterns: [
            { group: ['**/lib/sleep.ts', '**/lib/retry.ts'], message: 'processors/ is pure: no timers or retries (they belong to the hosts)' },
            { group: ['**/lib/log.ts', '**/lib/instrumentation.ts', '**/lib/metrics.ts'], message: 'processors/ is pure: no logs, events or metrics (the hosts report what the kernel counts)' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'performance', 'crypto', 'fetch', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'require'].map((name) => ({
          name,
          message: `processors/ is pure: no ${name} (time, randomness and environment come in as inputs)`,
        })),
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'no wall clock in processors/: time comes from events' },
        { selector: "NewExpression[callee.name='Date']", message: 'no wall clock in processors/: time comes from events' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'no unseeded randomness: use processors/math/rng.ts' },
        { selector: "CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate)$/]", message: 'no timers in processors/: event time only' },
        { selector: "MemberExpression[object.name='performance'][property.name='now']", message: 'no wall clock in processors/' },
        { selector: "MemberExpression[object.name='globalThis']", message: 'no globalThis in processors/: everything comes in as an input' },
        { selector: "ImportExpression", message: 'no dynamic import in processors/' },
      ],
    },
  },
);
