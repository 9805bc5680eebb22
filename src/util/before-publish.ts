/**
 * Checks that run before a command publishes its files (`withOutputFolder`, `score --out`
 * or its stdout): an external pipeline (SPEC 7) closes its processes' stdin there and
 * waits for them to exit, so that bytes a process writes after its last reply (a reply
 * longer than its frame said, found only once its input ends) fail the run with exit 2
 * before anything is written (src/external/pipeline.ts registers the check).
 */

/** A check: throws (an InputError, exit 2) to stop the publication. */
export type BeforePublish = () => void;

const checks = new Set<BeforePublish>();

/** Registers a check for this thread; returns a function that removes it. */
export function onBeforePublish(check: BeforePublish): () => void {
  checks.add(check);
  return () => checks.delete(check);
}

/** Runs every check of this thread, in the order registered; the first to throw stops the rest. */
export function runBeforePublish(): void {
  for (const check of [...checks]) check();
}
