/**
 * The worker-pool batch path: a batch split into one contiguous row range per
 * worker, computed in place over SharedArrayBuffers (the logits are never
 * copied: each task message carries the buffers' handles, which share memory),
 * then joined. `BenchPool.batch` is the split-compute-join the benchmark times.
 */
import type { Dtype } from '../float/dtype.js';
import { compiledModule, WorkerPool } from '../pool/pool.js';
import type { PoolReferenceTask, PoolTask } from './pool-worker.js';

export class BenchPool {
  /** The shared pool (one task per thread at a time; a thread that dies fails the run with WorkerCrashError, not a hang). */
  private readonly pool: WorkerPool;
  private readonly file = compiledModule('bench/pool-worker.js');

  constructor(
    readonly workers: number,
    private readonly suiteFile: string,
  ) {
    this.pool = new WorkerPool({ threads: workers });
  }

  /** Starts every worker and loads the suite in each (outside any timed region). */
  async start(pipeline: string): Promise<void> {
    // Each worker runs one task at a time, so `workers` concurrent calls reach every worker.
    const load = () => this.pool.run<number>(this.file, 'prepare', { suiteFile: this.suiteFile, pipeline });
    await Promise.all(Array.from({ length: this.workers }, load));
  }

  /** The rows [from, to) of each worker's share of a `rows`-row batch. */
  private ranges(rows: number): [number, number][] {
    const out: [number, number][] = [];
    for (let w = 0; w < this.workers; w++) {
      const from = Math.floor((rows * w) / this.workers);
      const to = Math.floor((rows * (w + 1)) / this.workers);
      if (to > from) out.push([from, to]);
    }
    return out;
  }

  /**
   * The reference loop on the pool: Σ exp(x) over every logit of the batch
   * (float32 or float64), split, run and joined as `batch` is; returns the sum. Pool rows are
   * paired with this, so a block of the reference and a block of the task share
   * the same threads and the same moment of the machine (issue 11).
   */
  async reference(rows: number, classes: number, logits: Float32Array | Float64Array): Promise<number> {
    if (!(logits.buffer instanceof SharedArrayBuffer) || logits.byteOffset !== 0) throw new Error('the pool path needs whole SharedArrayBuffer-backed arrays');
    const dtype: Dtype = logits instanceof Float32Array ? 'float32' : 'float64';
    const parts = await Promise.all(
      this.ranges(rows).map(([from, to]) => {
        const task: PoolReferenceTask = { dtype, classes, from, to, logits: logits.buffer as SharedArrayBuffer };
        return this.pool.run<number>(this.file, 'referenceRows', task);
      }),
    );
    return parts.reduce((a, b) => a + b, 0);
  }

  /** Computes every row of the batch: split into `workers` ranges, run, joined. */
  async batch(pipeline: string, dtype: Dtype, rows: number, classes: number, logits: Float32Array | Float64Array, targets: Int32Array, out: Float32Array | Float64Array): Promise<void> {
    const shared = [logits.buffer, targets.buffer, out.buffer];
    if (!shared.every((b) => b instanceof SharedArrayBuffer) || logits.byteOffset !== 0 || targets.byteOffset !== 0 || out.byteOffset !== 0) {
      throw new Error('the pool path needs whole SharedArrayBuffer-backed arrays');
    }
    const tasks: Promise<number>[] = [];
    for (const [from, to] of this.ranges(rows)) {
      const task: PoolTask = {
        suiteFile: this.suiteFile,
        pipeline,
        dtype,
        classes,
        from,
        to,
        logits: logits.buffer as SharedArrayBuffer,
        targets: targets.buffer as SharedArrayBuffer,
        out: out.buffer as SharedArrayBuffer,
      };
      tasks.push(this.pool.run<number>(this.file, 'default', task));
    }
    await Promise.all(tasks);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
