import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { isSpec, type CommandSpec, type Flags } from '../../../cli/command-spec.ts';
import { COMMANDS } from '../../../cli/registry.ts';
import { CliQueue } from '../../helpers/cli-queue.ts';

/** Every command and subcommand, with its spec: `[['replay', 'dataset'], REPLAY_DATASET], ...`. */
const ALL: [string[], CommandSpec<Flags>][] = Object.entries(COMMANDS).flatMap(([name, e]) =>
  isSpec(e.specs) ? [[[name], e.specs] as [string[], CommandSpec<Flags>]] : Object.entries(e.specs).map(([sub, spec]) => [[name, sub], spec] as [string[], CommandSpec<Flags>]),
);

// The help runs go through the CLI's runTickflow in ONE child process (test/helpers/cli-batch.ts);
// 'the process edge' below runs two of them as real `tickflow` processes and requires the same
// exit code, stdout and stderr.
const cli = new CliQueue();

describe('--help for every command: usage from its spec, defaults visible, exit 0', () => {
  test('the list covers every command of the registry', () => {
    assert.deepEqual([...new Set(ALL.map(([words]) => words[0]))], Object.keys(COMMANDS));
    assert.ok(ALL.length >= 17, `${ALL.length} commands and subcommands`);
  });

  for (const [words, spec] of ALL) {
    // --help wins over anything else on the line, even a mistake: it does no work.
    const result = cli.queue([...words, '--speed', '0', '--help']);
    test(`tickflow ${words.join(' ')} --help`, () => {
      const r = result();
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.ok(r.stdout.startsWith(`usage: tickflow ${words.join(' ')} `), r.stdout);
      assert.ok(r.stdout.includes(spec.summary), 'the summary');
      for (const [name, flag] of Object.entries(spec.flags)) {
        const form = flag.positional ? `<${name}>` : `--${name}`;
        const line = r.stdout.split('\n').find((l) => l.startsWith(`  ${form} `) || l === `  ${form}`);
        assert.ok(line !== undefined, `${form} is described\n${r.stdout}`);
        if (flag.positional) assert.ok(r.stdout.split('\n')[0]?.includes(`<${name}>`), `${form} is in the usage line`);
        if (flag.default !== undefined) assert.ok(line.includes(`default ${flag.default}`), `--${name} shows its default ${flag.default}: ${line}`);
        if (flag.required) assert.ok(line.includes('required'), `--${name} says it is required: ${line}`);
      }
    });
  }

  for (const name of Object.keys(COMMANDS).filter((n) => !isSpec(COMMANDS[n]!.specs))) {
    const result = cli.queue([name, '--help']);
    test(`tickflow ${name} --help lists its subcommands`, () => {
      const r = result();
      assert.equal(r.code, 0, r.stderr);
      for (const sub of Object.keys(COMMANDS[name]!.specs)) assert.match(r.stdout, new RegExp(`^  ${sub} `, 'm'));
    });
  }

  const top = cli.queue(['--help']);
  test('tickflow --help lists every command', () => {
    const r = top();
    assert.equal(r.code, 0, r.stderr);
    for (const name of Object.keys(COMMANDS)) assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'));
  });
});

describe('the process edge: real processes answer as the batch did', () => {
  for (const args of [['--help'], ['replay', 'backtest', '--speed', '0', '--help']]) {
    cli.processEdge(args, 0);
  }
});

before(async () => {
  await cli.run();
});
