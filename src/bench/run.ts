/**
 * The throughput benchmark (issue 5): tinybench tasks for every pipeline × dtype
 * × shape of the suite, the worker-pool batch path, and the fixed reference
 * loop every row is divided by.
 *
 * - Inputs are made before timing (`data.ts`); each call's losses are scanned
 *   inside the timed region: a NaN stops the run (`BenchNaNError`), and their
 *   sum goes to `sink`, so no call's work can be dropped.
 * - A call shorter than 1 ms is timed in batches of calls lasting ≥ 1 ms (one
 *   tinybench sample = one batch's mean), so the timer's own cost stays out.
 * - Reference (`reference-exp-sum`, float64, inline): Σ Math.exp(x_i) over a
 *   float64 array of the task's size (the same logits), timed before the tasks
 *   of its shape. Every row's relative_to_reference is its elements/s over the
 *   reference's of the same rows × classes in this run; the reference's own is 1.
 * - Pool (`path=pool`): the pool shape split across `workers` threads
 *   (`pool.ts`), timed around split-compute-join; the same shape runs inline
 *   too, so pool/inline is the pool's speed-up. Peers are not run in the pool.
 * - Peers run in their native dtypes (tfjs: float32 only); onnxruntime is timed
 *   through its async session.run.
 */
import { loadavg } from 'node:os';
import { Bench } from 'tinybench';
import type { Dtype } from '../float/dtype.js';
import { isPeer } from '../peers/registry.js';
import { ORT_PIPELINE_NAME, OrtLogSoftmax } from '../peers/onnxruntime.js';
import { TFJS_PIPELINE_NAME } from '../peers/tfjs.js';
import type { Pipeline } from '../pipelines/types.js';
import type { RunMeta } from '../report/meta.js';
import { runMeta } from '../report/meta.js';
import type { Suite } from '../suite/load.js';
import type { BenchBatch } from './data.js';
import { LOGIT_RANGE, makeBatch } from './data.js';
import { BenchPool } from './pool.js';

export const REFERENCE_NAME = 'reference-exp-sum';

export interface BenchRow {
  readonly pipeline: string;
  readonly dtype: Dtype;
  readonly path: 'inline' | 'pool';
  /** Threads computing the batch: 1 inline, the pool's size for path=pool. */
  readonly workers: number;
  /** Rows of the batch. */
  readonly batch: number;
  readonly classes: number;
  readonly meanMs: number;
  readonly p99Ms: number;
  readonly rmePct: number;
  readonly samples: number;
  readonly elementsPerS: number;
  readonly relative: number;
}

export interface BenchRun {
  readonly rows: readonly BenchRow[];
  readonly meta: RunMeta;
  readonly startedAt: string;
  readonly seconds: number;
  /** 1-, 5- and 15-minute load averages before and after the run. */
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly inputs: string;
}

export class BenchNaNError extends Error {
  override readonly name = 'BenchNaNError';
  constructor(
    readonly pipeline: string,
    readonly dtype: Dtype,
    readonly rows: number,
    readonly classes: number,
    readonly row: number,
  ) {
    super(`${pipeline} (${dtype}) returned NaN for row ${row} of the ${rows}x${classes} benchmark batch (logits uniform in [−${LOGIT_RANGE}, ${LOGIT_RANGE}), no overflow for a shifted pipeline)`);
  }
}

/** Where every timed result ends up, so that no call's work is dead code. */
let sinkValue = 0;
export function sink(): number {
  return sinkValue;
}

function keep(out: Float32Array | Float64Array, rows: number, pipeline: string, dtype: Dtype, classes: number): void {
  let s = 0;
  for (let r = 0; r < rows; r++) {
    const v = out[r];
    if (v !== v) throw new BenchNaNError(pipeline, dtype, rows, classes, r);
    s += v;
  }
  sinkValue += s;
}

/** Σ exp(x_i): the fixed reference loop. */
export function referenceLoop(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp(a[i]);
  return s;
}

/** The shortest batch of calls that is one sample. */
const SAMPLE_MS = 1;

interface Timing {
  readonly meanMs: number;
  readonly p99Ms: number;
  readonly rmePct: number;
  readonly samples: number;
}

/** A timed call: synchronous kernels are never awaited (a microtask per call would cost as much as a 1x10 kernel). */
type Call = { readonly sync: () => void } | { readonly async: () => Promise<void> };

/** Warms a call up (≥ one call, ≥ warmMs), then times it with tinybench; each sample is the mean of `reps` calls. */
async function measure(name: string, call: Call, time: number, iterations: number): Promise<Timing> {
  const now = () => performance.now();
  const warmMs = Math.min(time / 2, 250);
  let calls = 0;
  let best = Infinity;
  const warmStart = now();
  do {
    const t0 = now();
    if ('sync' in call) call.sync();
    else await call.async();
    best = Math.min(best, now() - t0);
    calls++;
  } while (now() - warmStart < warmMs && calls < 1e6);
  const reps = best >= SAMPLE_MS ? 1 : Math.ceil(SAMPLE_MS / Math.max(best, 1e-4));
  const bench = new Bench({ name, time, iterations, warmup: false, throws: true });
  if ('sync' in call) {
    const f = call.sync;
    bench.add(name, () => {
      const t0 = now();
      for (let k = 0; k < reps; k++) f();
      const dt = now() - t0;
      return { overriddenDuration: dt / reps, overriddenIterationCost: dt };
    });
  } else {
    const f = call.async;
    bench.add(
      name,
      async () => {
        const t0 = now();
        for (let k = 0; k < reps; k++) await f();
        const dt = now() - t0;
        return { overriddenDuration: dt / reps, overriddenIterationCost: dt };
      },
      { async: true },
    );
  }
  await bench.run();
  const r = bench.tasks[0].result;
  if (r.state === 'errored') throw r.error;
  if (r.state !== 'completed') throw new Error(`benchmark task ${name} ended ${r.state}`);
  return { meanMs: r.latency.mean, p99Ms: r.latency.p99, rmePct: r.latency.rme, samples: r.latency.samplesCount };
}

/** Kernels are called as methods (`p.float32(…)`), as runKernel does: a user's kernel may use `this`. */
function syncCall(p: Pipeline, dtype: Dtype, b: BenchBatch, out: Float32Array | Float64Array): Call {
  const { rows, classes, targets } = b;
  if (dtype === 'float32') {
    const o = out as Float32Array;
    return {
      sync: () => {
        p.float32(b.x32, rows, classes, targets, o);
        keep(o, rows, p.name, dtype, classes);
      },
    };
  }
  const o = out as Float64Array;
  return {
    sync: () => {
      p.float64(b.x64, rows, classes, targets, o);
      keep(o, rows, p.name, dtype, classes);
    },
  };
}

/** The dtypes a pipeline is benchmarked in: the suite's, less those a peer only emulates (tfjs has no float64). */
export function benchDtypes(p: Pipeline, dtypes: readonly Dtype[]): Dtype[] {
  return p.name === TFJS_PIPELINE_NAME ? dtypes.filter((d) => d === 'float32') : [...dtypes];
}

export interface RunBenchOptions {
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export async function runBench(suite: Suite, options: RunBenchOptions = {}): Promise<BenchRun> {
  const log = options.log ?? (() => undefined);
  const { time, iterations, shapes, poolShape, workers } = suite.bench;
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const t0 = performance.now();
  const rows: BenchRow[] = [];
  const ortSessions = new Map<Dtype, OrtLogSoftmax>();

  const push = (r: Omit<BenchRow, 'elementsPerS' | 'relative'>, referenceEps: number | undefined): number => {
    const elementsPerS = (r.batch * r.classes * 1000) / r.meanMs;
    const relative = referenceEps === undefined ? 1 : elementsPerS / referenceEps;
    rows.push({ ...r, elementsPerS, relative });
    log(
      `  ${r.pipeline.padEnd(26)} ${r.dtype} ${r.path.padEnd(6)} ${String(r.workers).padStart(2)}  ${`${r.batch}x${r.classes}`.padEnd(11)} ${fmt(r.meanMs)} ms  ${fmt(elementsPerS / 1e6)} M elements/s  ${relative.toFixed(3)} x reference`,
    );
    return elementsPerS;
  };

  const reference = async (b: BenchBatch): Promise<number> => {
    const sync = () => {
      const s = referenceLoop(b.x64);
      if (s !== s) throw new BenchNaNError(REFERENCE_NAME, 'float64', b.rows, b.classes, 0);
      sinkValue += s;
    };
    const t = await measure(`${REFERENCE_NAME} ${b.rows}x${b.classes}`, { sync }, time, iterations);
    return push({ pipeline: REFERENCE_NAME, dtype: 'float64', path: 'inline', workers: 1, batch: b.rows, classes: b.classes, ...t }, undefined);
  };

  const inline = async (p: Pipeline, dtype: Dtype, b: BenchBatch, refEps: number): Promise<void> => {
    const out = dtype === 'float32' ? new Float32Array(b.rows) : new Float64Array(b.rows);
    let call: Call;
    if (p.name === ORT_PIPELINE_NAME) {
      let s = ortSessions.get(dtype);
      if (s === undefined) {
        s = await OrtLogSoftmax.create(dtype);
        ortSessions.set(dtype, s);
      }
      const session = s;
      const x = dtype === 'float32' ? b.x32 : b.x64;
      call = {
        async: async () => {
          await session.losses(x, b.rows, b.classes, b.targets, out);
          keep(out, b.rows, p.name, dtype, b.classes);
        },
      };
    } else {
      call = syncCall(p, dtype, b, out);
    }
    const t = await measure(`${p.name} ${dtype} ${b.rows}x${b.classes}`, call, time, iterations);
    push({ pipeline: p.name, dtype, path: 'inline', workers: 1, batch: b.rows, classes: b.classes, ...t }, refEps);
  };

  try {
    for (const [r, c] of shapes) {
      const b = makeBatch(r, c, suite.seed);
      const refEps = await reference(b);
      for (const p of suite.pipelines) for (const dtype of benchDtypes(p, suite.dtypes)) await inline(p, dtype, b, refEps);
    }

    const pooled = suite.pipelines.filter((p) => !isPeer(p));
    if (pooled.length > 0 && workers.length > 0) {
      const [r, c] = poolShape;
      const b = makeBatch(r, c, suite.seed, true);
      const pools = workers.map((w) => new BenchPool(w, suite.file));
      try {
        await Promise.all(pools.map((pool) => pool.start(pooled[0].name)));
        const refEps = await reference(b);
        for (const p of pooled) {
          for (const dtype of suite.dtypes) {
            await inline(p, dtype, b, refEps);
            const x = dtype === 'float32' ? b.x32 : b.x64;
            const out = dtype === 'float32' ? new Float32Array(new SharedArrayBuffer(r * 4)) : new Float64Array(new SharedArrayBuffer(r * 8));
            for (const pool of pools) {
              const batch = async () => {
                await pool.batch(p.name, dtype, r, c, x, b.targets, out);
                keep(out, r, p.name, dtype, c);
              };
              const t = await measure(`${p.name} ${dtype} pool ${pool.workers}`, { async: batch }, time, iterations);
              push({ pipeline: p.name, dtype, path: 'pool', workers: pool.workers, batch: r, classes: c, ...t }, refEps);
            }
          }
        }
      } finally {
        await Promise.all(pools.map((pool) => pool.close()));
      }
    }
  } finally {
    await Promise.all([...ortSessions.values()].map((s) => s.release()));
  }

  return {
    rows,
    meta: runMeta(suite.name, suite.seed),
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    loadBefore,
    loadAfter: loadavg(),
    inputs: `logits uniform in [−${LOGIT_RANGE}, ${LOGIT_RANGE}) rounded to float32, uniform targets, seed ${suite.seed}`,
  };
}

/** 4 significant digits. */
export function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
}
