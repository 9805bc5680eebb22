/**
 * One writer per output folder: a lock file made with O_EXCL (`open(…, 'wx')`),
 * holding the pid, host and command of the run that holds it.
 *
 * A second run into the same folder is refused (InputError, exit 2) with the
 * folder and the holder's pid. A lock whose holder is dead (same host, and
 * `kill(pid, 0)` says ESRCH: a run ended by SIGKILL or a power cut) is stale
 * and taken over. A pid lock, not a lock refreshed by a timer (proper-lockfile's
 * mtime scheme): the map phase computes synchronously for minutes, during which
 * no timer runs, so a refreshed lock would look stale while its holder is alive.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from './errors.js';

/** The lock file's name inside the output folder. */
export const LOCK_FILE = '.softmax-stability.lock';

interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly started: string;
}

export interface FolderLock {
  readonly file: string;
  /** Removes the lock file (idempotent). */
  release(): void;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? (h as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `h` has ended (only decidable on this host). */
function isDead(h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  if (h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes the lock of folder `dir` (which must exist) for `command`. Throws
 * InputError naming the folder and the holder's pid when another live run holds
 * it; other file-system errors (EACCES, EROFS, …) are thrown as they are.
 */
export function lockFolder(dir: string, command: string): FolderLock {
  const file = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(file);
      if (holder !== undefined && isDead(holder)) {
        // Stale: move it aside under a name of our own (one rename wins), then try again.
        const aside = `${file}.stale-${process.pid}`;
        try {
          renameSync(file, aside);
          rmSync(aside, { force: true });
        } catch {
          /* another run took it over first: try again */
        }
        continue;
      }
      const who = holder === undefined ? 'a run whose lock file cannot be read' : `pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.started})`;
      throw new InputError(`another run is writing into this folder: ${who}; wait for it to end, or use another --out (if no run is going, delete ${file})`, dir, undefined, '--out');
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      file,
      release() {
        if (released) return;
        released = true;
        const h = readHolder(file);
        if (h?.pid === process.pid && h.host === me.host) rmSync(file, { force: true });
      },
    };
  }
  throw new InputError(`cannot take the lock ${file}: other runs keep taking it over; try again`, dir, undefined, '--out');
}
