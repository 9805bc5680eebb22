/** Files written whole or not at all: a temporary file beside the target, then rename(2), which is atomic within a file system. */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  makeFolders(dirname(path));
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * `mkdir -p`, one level at a time from the nearest existing ancestor. Not
 * `mkdirSync(…, { recursive: true })`: under /proc, Node 20's loops for ever.
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}
