/**
 * Publishing a command's reports into an output folder that belongs to the user.
 *
 * The folder itself is never moved, replaced or re-created: its mode, owner,
 * group (setgid included) and, for a symlinked --out, the symlink stay as they
 * are, and `--out .` keeps the working directory in place. Only the files of the
 * parts being published (report/outputs.ts, one table) are replaced; every other
 * file is left alone.
 *
 * Steps: the destination is checked before any work (a file, a folder under a
 * file, an unwritable place: InputError, exit 2); the folder is locked
 * (util/lock.ts); the command writes every file into a hidden staging folder
 * inside the output folder; only when all are written is each renamed over its
 * old copy (rename(2) is atomic within a file system, and the staging folder is
 * on the same one by construction). Staging inside the output folder rather than
 * beside it: the parent may be unwritable or someone else's (`--out .` in a
 * shared checkout, a symlink's target), and cleaning stays confined to the
 * folder the user named. A staging folder left by a killed run is removed by the
 * next run that takes the lock (holding it, no other run can be using one).
 */
import { announceStaging } from '../supervise/heartbeat.js';
import { runBeforePublish } from './before-publish.js';
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { OutputPart } from '../report/outputs.js';
import { outputFiles } from '../report/outputs.js';
import { InputError } from './errors.js';
import { makeFolders } from './write.js';
import type { FolderLock } from './lock.js';
import { LOCK_FILE, lockFolder } from './lock.js';

/** Prefix of the staging folders inside an output folder. */
export const STAGE_PREFIX = '.softmax-stability-stage-';

/** One line for a file-system error: its code and what it means. */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const what: Record<string, string> = {
    ENOTDIR: 'a part of the path is a file, not a folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    EEXIST: 'exists and is not a folder',
    ENOSPC: 'no space left on the device',
    EISDIR: 'is a folder',
    ENOENT: 'cannot be created there',
  };
  return e.code !== undefined && what[e.code] !== undefined ? `${what[e.code]} (${e.code})` : (e.message ?? String(err));
}

/** The path with every existing ancestor's symlinks resolved (the path need not exist): two names of one place compare equal. */
export function realPath(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = dirname(abs);
  return parent === abs ? abs : join(realPath(parent), basename(abs));
}

/**
 * Checks, without creating anything, that `dir` is a folder or could be one: not
 * a file, not under a file. InputError naming `dir` and the option otherwise.
 * Returns whether it exists.
 */
export function checkOutputFolder(dir: string, option = '--out'): boolean {
  let at = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        const up = dirname(at);
        if (up === at) return false;
        at = up;
        continue;
      }
      throw new InputError(`cannot use as the output folder: ${fsReason(err)}`, dir, undefined, option);
    }
    if (isDir) return at === resolve(dir);
    if (at === resolve(dir)) throw new InputError('is a file, not a folder; give a folder to write the reports into', dir, undefined, option);
    throw new InputError(`cannot use as the output folder: a part of the path is a file, not a folder (${at})`, dir, undefined, option);
  }
}

/**
 * Makes sure `dir` is (or can be made) a writable folder: InputError otherwise,
 * naming `dir` and the option. Returns whether it had to be created.
 */
export function prepareOutputFolder(dir: string, option = '--out'): boolean {
  const existed = checkOutputFolder(dir, option);
  if (!existed) {
    try {
      makeFolders(dir);
    } catch (err) {
      throw new InputError(`cannot create the output folder: ${fsReason(err)}`, dir, undefined, option);
    }
  }
  return !existed;
}

/**
 * Checks an output FILE before any work: not a folder, not one of `inputs` (after
 * resolving symlinks), not under a file, and a file can be created in its nearest
 * existing folder (tried, then removed: root ignores mode bits, so asking
 * access(2) is not enough). Creates nothing.
 */
export function prepareOutputFile(file: string, option = '--out', inputs: readonly string[] = []): void {
  const abs = resolve(file);
  for (const input of inputs) {
    if (realPath(input) === realPath(abs)) throw new InputError(`is also the input ${input}: writing it would destroy what is being read; give another ${option}`, file, undefined, option);
  }
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new InputError(`is a folder; give a file name for ${option}`, file, undefined, option);
  // Probe the nearest existing folder: nothing is created before the work is done.
  let at = dirname(abs);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  if (!statSync(at).isDirectory()) throw new InputError(`cannot write here: a part of the path is a file, not a folder (${at})`, file, undefined, option);
  const probe = join(at, `.${basename(abs)}.${process.pid}.probe`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
  } catch (err) {
    throw new InputError(`cannot write here: ${fsReason(err)}`, file, undefined, option);
  }
}


export interface OutputFolderOptions {
  /** The command, recorded in the lock (e.g. "run"). */
  readonly command: string;
  /** Parts whose files this command publishes (their names not staged are removed). */
  readonly parts: readonly OutputPart[];
  readonly option?: string;
}

/**
 * Runs `work` with a fresh staging folder, then publishes what it wrote into
 * `dir`. On any error nothing in `dir` changes. Signals go to the supervisor
 * (supervise/supervisor.ts), never to this compute thread: the stage and the lock
 * are announced to it, and a run it stops (Ctrl-C, SIGTERM, the watchdog) has
 * both removed. A staged file outside the parts' table is a bug (Error).
 */
export async function withOutputFolder<T>(dir: string, options: OutputFolderOptions, work: (stage: string) => Promise<T>): Promise<T> {
  const option = options.option ?? '--out';
  const created = prepareOutputFolder(dir, option);
  let lock: FolderLock;
  try {
    lock = lockFolder(dir, options.command);
    announceStaging(join(dir, LOCK_FILE), true); // ours now: a stopped run has it removed with the stage
  } catch (err) {
    if (created) rmdirQuiet(dir);
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot write into the output folder: ${fsReason(err)}`, dir, undefined, option);
  }
  let stage: string | undefined;
  let published = false;
  const cleanUp = () => {
    if (stage !== undefined) {
      rmSync(stage, { recursive: true, force: true });
      announceStaging(stage, false);
    }
    lock.release();
    announceStaging(join(dir, LOCK_FILE), false);
    if (created && !published) rmdirQuiet(dir);
  };
  try {
    for (const name of readdirSync(dir)) if (name.startsWith(STAGE_PREFIX)) rmSync(join(dir, name), { recursive: true, force: true });
    stage = mkdtempSync(join(dir, STAGE_PREFIX));
    announceStaging(stage, true); // a run the supervisor stops (Ctrl-C, watchdog) has it removed
    const result = await work(stage);
    // External processes closed and checked (a reply too long, seen when their input ends): a fault here writes nothing.
    runBeforePublish();
    publishStaged(stage, dir, options.parts);
    published = true;
    return result;
  } finally {
    cleanUp();
  }
}

/**
 * Moves the staged files of `parts` into `dir`, each by one rename over its old
 * copy, and removes the parts' names that were not staged. Checks first that
 * every staged file is in the table, so a refusal changes nothing.
 */
export function publishStaged(stage: string, dir: string, parts: readonly OutputPart[]): void {
  const owned = outputFiles(parts);
  const staged = readdirSync(stage);
  const stray = staged.filter((f) => !owned.includes(f));
  if (stray.length > 0) throw new Error(`internal: ${stray.join(', ')} staged but not among the files of ${parts.join(', ')} (report/outputs.ts)`);
  for (const name of owned) {
    const target = join(dir, name);
    if (existsSync(target) && lstatSync(target).isDirectory()) throw new InputError('is a folder where the harness writes a report file; move it away', target);
  }
  for (const name of owned) {
    const target = join(dir, name);
    if (staged.includes(name)) renameSync(join(stage, name), target);
    else if (existsSync(target) && lstatSync(target).isFile()) rmSync(target);
  }
}

function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty or gone: leave it */
  }
}
