// Lint: typescript-eslint with type information (floating promises are bugs here), no import
// cycles, and processors/ kept pure: no I/O modules, no wall clock, no unseeded randomness.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const IO_MODULES = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http', 'ws', 'kafkajs', 'lmdb', '@clickhouse/client', '@tensorflow/tfjs', 'child_process', 'node:child_process'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'var/**', 'bin/**', 'eslint.config.js', 'test/fixtures/**'] },
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
      'no-restricted-imports': ['error', { paths: IO_MODULES.map((name) => ({ name, message: 'processors/ is pure: no I/O (see docs/time-and-determinism.md)' })) }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'no wall clock in processors/: time comes from events' },
        { selector: "NewExpression[callee.name='Date']", message: 'no wall clock in processors/: time comes from events' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'no unseeded randomness: use processors/math/rng.ts' },
        { selector: "CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate)$/]", message: 'no timers in processors/: event time only' },
        { selector: "MemberExpression[object.name='performance'][property.name='now']", message: 'no wall clock in processors/' },
      ],
    },
  },
);
