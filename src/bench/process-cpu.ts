/**
 * CPU time of the processes this one started (and theirs, down the tree), for the
 * bench's clock of external pipelines (SPEC 7; `run.ts`, clock `processes`).
 *
 * An external pipeline's call is a chain of hand-overs: the compute thread posts the
 * frame to a helper thread, which writes it to the process's stdin; the process wakes,
 * computes and writes its reply; the helper wakes and posts it back. Timed on the wall
 * clock, each hand-over waits for a free core, so on a machine whose load varies between
 * the baseline and the gate the ratio to the reference loop (which hands nothing over)
 * moves with the load, not with the code (README, "External pipelines": 12 of 12
 * unchanged gate runs flagged one). Timed on CPU time (this process's, every thread, plus
 * every descendant's, every thread), waiting does not count, as for the built-ins'
 * inline rows.
 *
 * Source: Linux's /proc: `/proc/PID/task/TID/children` (the children of each thread,
 * Linux ≥ 3.5 with CONFIG_PROC_CHILDREN) and `/proc/PID/task/TID/schedstat` (its first
 * field: the thread's time on a CPU, nanoseconds; Documentation/scheduler/sched-stats.rst).
 * Elsewhere (macOS, Windows) `processCpuAvailable()` is false and the bench keeps the wall
 * clock for external pipelines.
 */
import { readdirSync, readFileSync } from 'node:fs';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // a thread or process that ended between the listing and the read
  }
}

function tasksOf(pid: number | 'self'): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** The pids of the children of every thread of `pid`. */
function childrenOf(pid: number | 'self'): number[] {
  const out: number[] = [];
  for (const tid of tasksOf(pid)) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text === undefined) continue;
    for (const w of text.split(' ')) if (w.trim() !== '') out.push(Number(w));
  }
  return out;
}

/** Every descendant of this process (children, their children, …). */
export function descendants(): number[] {
  const out: number[] = [];
  for (let next = childrenOf('self'); next.length > 0; ) {
    out.push(...next);
    next = next.flatMap(childrenOf);
  }
  return out;
}

/** CPU time of `pids`, every thread of each, ms (a process that ended meanwhile counts 0). */
export function cpuMsOf(pids: readonly number[]): number {
  let ns = 0;
  for (const pid of pids) {
    for (const tid of tasksOf(pid)) {
      const text = read(`/proc/${pid}/task/${tid}/schedstat`);
      if (text !== undefined) ns += Number(text.slice(0, text.indexOf(' ')));
    }
  }
  return ns / 1e6;
}

/** CPU time of every descendant of this process, every thread, ms. */
export function descendantsCpuMs(): number {
  return cpuMsOf(descendants());
}

let available: boolean | undefined;
/** Whether this system tells a descendant's CPU time (Linux's /proc with `children` and `schedstat`). */
export function processCpuAvailable(): boolean {
  if (available === undefined) {
    const tid = tasksOf('self')[0];
    const stat = read('/proc/self/schedstat');
    available = tid !== undefined && read(`/proc/self/task/${tid}/children`) !== undefined && stat !== undefined && Number.isFinite(Number(stat.split(' ')[0]));
  }
  return available;
}
