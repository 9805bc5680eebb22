/**
 * Flags of the scripts in `scripts/` (node:util parseArgs): `--help` prints the
 * script's usage and exits 0; an unknown flag or a missing value prints one line,
 * `SCRIPT: MESSAGE`, and exits 2 (bad usage, as the CLI does), never a stack trace
 * whose exit status 1 would read as the script's own verdict.
 */
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';

export function scriptArgs<O extends NonNullable<ParseArgsConfig['options']>>(script: string, options: O, usage: string): ReturnType<typeof parseArgs<{ options: O }>>['values'] {
  if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    process.stderr.write(`${script}: ${(err as Error).message.split('\n')[0]}; see --help\n`);
    process.exit(2);
  }
}
