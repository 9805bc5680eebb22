/**
 * Worker side of a fuzz campaign (compiled to dist/src/fuzz/worker.js and run
 * by the pool): shrinking one pipeline's failures in one unit. A built-in
 * pipeline comes from the registry; a user's comes from the suite file, loaded
 * once per worker with tsx as the main thread loads it.
 */
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import type { Pipeline } from '../pipelines/types.js';
import { loadSuite } from '../suite/load.js';
import type { ShrinkJob, ShrunkFailure } from './shrink.js';
import { shrinkFailures } from './shrink.js';

export interface ShrinkTask extends ShrinkJob {
  readonly pipeline: string;
  /** True when the suite lists the built-in itself (no need to load the suite file). */
  readonly builtin: boolean;
  readonly suiteFile: string;
}

const suites = new Map<string, Promise<readonly Pipeline[]>>();

async function pipelineOf(task: ShrinkTask): Promise<Pipeline> {
  if (task.builtin) {
    const p = BUILTIN_PIPELINES.find((q) => q.name === task.pipeline);
    if (p !== undefined) return p;
  }
  let loaded = suites.get(task.suiteFile);
  if (loaded === undefined) {
    loaded = loadSuite(task.suiteFile).then((s) => s.pipelines);
    suites.set(task.suiteFile, loaded);
  }
  const p = (await loaded).find((q) => q.name === task.pipeline);
  if (p === undefined) throw new Error(`pipeline ${task.pipeline} is not in ${task.suiteFile}`);
  return p;
}

export async function shrinkTask(task: ShrinkTask): Promise<ShrunkFailure[]> {
  return shrinkFailures(await pipelineOf(task), task);
}
