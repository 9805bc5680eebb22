#!/usr/bin/env node
/**
 * The `softmax-stability` command (SPEC section 1). Exit status: 0 success, 1 the
 * gate found a regression, 2 bad usage or bad input (one line on stderr).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerScore } from './score/command.js';
import { registerMap } from './regions/command.js';
import { registerFuzz } from './fuzz/command.js';
import { registerBench } from './bench/command.js';
import { registerGate } from './gate/command.js';
import { registerHistory } from './history/command.js';
import { registerRun } from './run/command.js';
import { InputError } from './util/errors.js';

export function buildProgram(): Command {
  const program = new Command('softmax-stability')
    .description('numerical stability harness for softmax, log-softmax, NLL and cross-entropy')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerScore(program);
  registerMap(program);
  registerFuzz(program);
  registerBench(program);
  registerRun(program);
  registerGate(program);
  registerHistory(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[], { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
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

/** Run as the bin (also through node_modules/.bin's symlink), not when imported. */
function invokedDirectly(): boolean {
  if (process.argv[1] === undefined) return false;
  try {
    return realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // A crashed worker is reported in one line; anything else is a bug, with its stack.
      const crash = err instanceof Error && err.name === 'WorkerCrashError';
      process.stderr.write(`softmax-stability: ${crash ? err.message : `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`}\n`);
      process.exitCode = 3;
    },
  );
}
