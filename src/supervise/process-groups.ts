/**
 * Process groups of external pipelines (SPEC 7): each process is started as the
 * leader of a group of its own (`spawn(…, { detached: true })`, POSIX setsid), so
 * one signal to the group (`kill(-pgid, …)`) reaches the process and whatever it
 * started. These helpers end groups; a group that is already gone is no error.
 */

/** How long a process has, after its stdin closes at the normal end of a run, to exit by itself before its group is killed (ms). */
export const PROCESS_GRACE_MS = 2000;

/** Sends `signal` to every process of the group led by `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs every group, synchronously (safe in an 'exit' hook). */
export function killGroups(pgids: Iterable<number>): void {
  for (const pgid of pgids) signalGroup(pgid, 'SIGKILL');
}

/** Waits up to `graceMs` for every group to be gone (polling every 20 ms), then SIGKILLs what is left. */
export async function endGroups(pgids: Iterable<number>, graceMs: number = PROCESS_GRACE_MS): Promise<void> {
  const all = [...pgids];
  const until = Date.now() + graceMs;
  while (all.some((g) => signalGroup(g, 0)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  killGroups(all);
}
