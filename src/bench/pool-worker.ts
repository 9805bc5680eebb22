/**
 * A pool worker of the batch path: computes rows [from, to) of a batch whose
 * logits, targets and losses live in SharedArrayBuffers (views, no copies), with
 * a pipeline looked up by name in the suite, which the worker loads once itself
 * (so a user's own pipeline runs here as it does inline).
 */
import type { Dtype } from '../float/dtype.js';
import type { Pipeline } from '../pipelines/types.js';
import { runKernel } from '../pipelines/types.js';
import { referenceLoop, referenceLoop32 } from './reference.js';
import { loadSuite } from '../suite/load.js';

export interface PoolTask {
  readonly suiteFile: string;
  readonly pipeline: string;
  readonly dtype: Dtype;
  readonly classes: number;
  readonly from: number;
  readonly to: number;
  /** rows × classes logits of `dtype` (Float32Array or Float64Array memory). */
  readonly logits: SharedArrayBuffer;
  readonly targets: SharedArrayBuffer;
  /** rows losses of `dtype`. */
  readonly out: SharedArrayBuffer;
}

const suites = new Map<string, Promise<readonly Pipeline[]>>();

async function pipelineOf(suiteFile: string, name: string): Promise<Pipeline> {
  let loaded = suites.get(suiteFile);
  if (loaded === undefined) {
    loaded = loadSuite(suiteFile).then((s) => s.pipelines);
    suites.set(suiteFile, loaded);
  }
  const p = (await loaded).find((q) => q.name === name);
  if (p === undefined) throw new Error(`pipeline ${JSON.stringify(name)} is not in the suite ${suiteFile}`);
  return p;
}

/** Loads the suite and returns; the pool calls it once per worker before timing. */
export async function prepare(task: { suiteFile: string; pipeline: string }): Promise<number> {
  await pipelineOf(task.suiteFile, task.pipeline);
  return 0;
}

/** rows [from, to) of a batch for the pool's reference loop. */
export interface PoolReferenceTask {
  readonly dtype: Dtype;
  readonly classes: number;
  readonly from: number;
  readonly to: number;
  /** rows × classes logits of `dtype`. */
  readonly logits: SharedArrayBuffer;
}

/**
 * The reference loop on the pool: Σ exp(x) over rows [from, to), the same loop
 * as the inline reference (`referenceLoop` in run.ts), over the worker's whole
 * share of the batch, so a pool row's reference block reads the same memory,
 * on the same threads, through the same split and join as its task block.
 */
export function referenceRows(task: PoolReferenceTask): number {
  const n = (task.to - task.from) * task.classes;
  const at = task.from * task.classes;
  return task.dtype === 'float32' ? referenceLoop32(new Float32Array(task.logits, at * 4, n)) : referenceLoop(new Float64Array(task.logits, at * 8, n));
}

export default async function computeRows(task: PoolTask): Promise<number> {
  const p = await pipelineOf(task.suiteFile, task.pipeline);
  const { from, to, classes } = task;
  const rows = to - from;
  const targets = new Int32Array(task.targets, from * 4, rows);
  if (task.dtype === 'float32') {
    runKernel(p, 'float32', new Float32Array(task.logits, from * classes * 4, rows * classes), rows, classes, targets, new Float32Array(task.out, from * 4, rows));
  } else {
    runKernel(p, 'float64', new Float64Array(task.logits, from * classes * 8, rows * classes), rows, classes, targets, new Float64Array(task.out, from * 8, rows));
  }
  return rows;
}
