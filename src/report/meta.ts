/** Provenance of a figure: every table and picture names its seed, suite, commit and machine. */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { PACKAGE_ROOT } from '../suite/load.js';

export interface RunMeta {
  readonly suite: string;
  readonly seed: number;
  readonly commit: string;
  readonly machine: string;
}

let cachedCommit: string | undefined;

/** The checkout's commit (with "+dirty" when the work tree differs), or "unknown" outside git. */
export function currentCommit(): string {
  if (cachedCommit !== undefined) return cachedCommit;
  try {
    const opts = { cwd: PACKAGE_ROOT, encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts).trim() !== '';
    cachedCommit = dirty ? `${head}+dirty` : head;
  } catch {
    cachedCommit = 'unknown';
  }
  return cachedCommit;
}

/** "2 x Intel(R) Xeon(R) … , 24 GiB, Node v20.20.2, linux x64" */
export function machineDescription(): string {
  const c = cpus();
  const model = (c[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  const gib = Math.round(totalmem() / 2 ** 30);
  return `${c.length} x ${model}, ${gib} GiB, Node ${process.version}, ${process.platform} ${process.arch}`;
}

export function runMeta(suite: string, seed: number): RunMeta {
  return { suite, seed, commit: currentCommit(), machine: machineDescription() };
}

/** One line for a caption: "suite ci, seed 7, commit abc123, machine …". */
export function metaLine(m: RunMeta): string {
  return `suite ${m.suite}, seed ${m.seed}, commit ${m.commit}, machine ${m.machine}`;
}
