/**
 * How a user runs this harness from a folder, for the commands the reports print
 * (replays, baseline refreshes): `npx softmax-stability` where npx finds the bin
 * without the registry (a node_modules/.bin/softmax-stability in the folder or
 * above it, or the harness's own checkout), else `node <this package's cli.js>`,
 * which runs from anywhere (npx would fetch an unrelated package from the
 * registry there).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../suite/load.js';

function npxFindsIt(cwd: string): boolean {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', '.bin', 'softmax-stability'))) return true;
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'softmax-stability') return true;
      } catch {
        // not a package.json npx can read either
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/** The command prefix that runs this harness from `cwd` (see the module comment). */
export function harnessCommand(cwd: string = process.cwd()): string {
  if (npxFindsIt(cwd)) return 'npx softmax-stability';
  const cli = join(PACKAGE_ROOT, 'dist', 'src', 'cli.js');
  return `node ${/^[\w@%+=:,./-]+$/.test(cli) ? cli : `'${cli.replace(/'/g, `'\\''`)}'`}`;
}
