#!/usr/bin/env node
/**
 * The `softmax-stability` bin. The main thread only supervises (`supervise/supervisor.ts`):
 * the command, the suite file and every phase run in a worker thread, so that
 * Ctrl-C, SIGTERM and the watchdog always act at once. Exit status: 0 success,
 * 1 the gate found a regression, 2 bad usage, bad input or a failure of user
 * code (one line on stderr), 3 an internal error, 130/143 interrupted.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { supervise } from './supervise/supervisor.js';

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
  supervise(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`softmax-stability: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 3;
    },
  );
}
