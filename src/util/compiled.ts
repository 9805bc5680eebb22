/**
 * Worker entry files must be compiled JS (Node 20 workers cannot load a .ts
 * entry): the path under dist/src/ of a module given relative to src/, whether
 * the caller runs from dist/ (the CLI) or from the sources (vitest).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST_SRC = HERE.endsWith(join('dist', 'src', 'util')) ? resolve(HERE, '..') : resolve(HERE, '..', '..', 'dist', 'src');

/** compiledModule('bench/pool-worker.js') → …/dist/src/bench/pool-worker.js; throws if the build is missing. */
export function compiledModule(srcRelativeJs: string): string {
  const file = resolve(DIST_SRC, srcRelativeJs);
  if (!existsSync(file)) throw new Error(`worker module ${file} is missing; run \`npm run build\` first`);
  return file;
}
