/**
 * The `softmax-stability` command's parser and commands (SPEC section 1), run by
 * the compute worker (`supervise/compute-worker.ts`) under the supervisor of
 * `cli.ts`. Exit status: 0 success, 1 the gate found a regression, 2 bad usage
 * or bad input (one line on stderr).
 */
import { Command, CommanderError } from 'commander';
import { registerScore } from './score/command.js';
import { registerMap } from './regions/command.js';
import { registerFuzz } from './fuzz/command.js';
import { registerBench } from './bench/command.js';
import { registerGate } from './gate/command.js';
import { registerHistory } from './history/command.js';
import { registerRun } from './run/command.js';
import { InputError } from './util/errors.js';
import { oracleTier } from './oracle/tier.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './suite/load.js';

/** The version of the running package, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
import { missingPeersLine } from './peers/registry.js';

export function buildProgram(): Command {
  const program = new Command('softmax-stability')
    .description(`numerical stability harness for softmax, log-softmax, NLL and cross-entropy\n\nReference (commands, options, file columns): ${join(PACKAGE_ROOT, 'docs', 'reference.md')}`)
    .version(packageVersion(), '-V, --version', "print the harness's version (package.json)")
    .exitOverride()
    // Commander's error lines are held until main() knows whether a clearer one replaces them (swallowedValue).
    .configureOutput({ writeErr: (s) => void (heldError += s) });
  registerScore(program);
  registerMap(program);
  registerFuzz(program);
  registerBench(program);
  registerRun(program);
  registerGate(program);
  registerHistory(program);
  for (const c of program.commands) c.exitOverride();
  // Commands that run pipelines say first which optional peers are missing (issue 12 item 8).
  program.hook('preAction', (_program, action) => {
    oracleTier(); // a bad SOFTMAX_STABILITY_ORACLE is one line and exit 2 before any work
    if (action.name() === 'merge') return;
    const line = missingPeersLine();
    if (line !== undefined) process.stderr.write(`${line}\n`);
  });
  return program;
}

let heldError = '';

/**
 * The flag that took the next flag as its value (`score c.csv --reduction --out x.csv`:
 * --reduction = "--out", then x.csv is one argument too many), as one line naming it;
 * undefined when no flag of the command did.
 */
function swallowedValue(program: Command, argv: readonly string[]): string | undefined {
  const cmd = program.commands.find((c) => c.name() === argv[0]);
  if (cmd === undefined) return undefined;
  for (let i = 1; i + 1 < argv.length; i++) {
    const opt = cmd.options.find((o) => o.long === argv[i] && o.required);
    if (opt !== undefined && argv[i + 1].startsWith('--')) return `field ${opt.long}: got no value (the next argument ${JSON.stringify(argv[i + 1])} is a flag); give ${opt.long} ${opt.flags.slice(opt.long!.length).trim()}`;
  }
  return undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  heldError = '';
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      const swallowed = err.exitCode === 0 ? undefined : swallowedValue(program, argv);
      process.stderr.write(swallowed === undefined ? heldError : `softmax-stability: ${swallowed}\n`);
      heldError = '';
      // --help and --version end here with exit code 0; usage errors are status 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`softmax-stability: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
