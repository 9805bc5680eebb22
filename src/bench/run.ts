/**
 * The throughput benchmark (issues 5 and 11): every pipeline × dtype × shape of
 * the suite, the worker-pool batch path, each measured against the fixed
 * reference loop in paired, interleaved rounds.
 *
 * - Inputs are made before timing (`data.ts`); each call's losses are scanned
 *   inside the timed region: a NaN stops the run (`BenchNaNError`), and their
 *   sum goes to `sink`, so no call's work can be dropped.
 * - Reference (`reference-exp-sum`, compute float64): Σ Math.exp(x_i) in double
 *   over every logit of the batch in the task's dtype (`reference`), one per
 *   shape and dtype inline and one per dtype on each pool (`poolReference`).
 * - Paired rounds (`pairedRounds`): reference block, task block, reference block,
 *   task block, …, each block a calibrated number of calls lasting ≥ ROUND_MS.
 *   Each round gives one ratio of elements/s taken under the same conditions;
 *   relative_to_reference is the median of the ratios and ci_low/ci_high its 95%
 *   distribution-free interval from order statistics (`stats.ts`: Conover 1999
 *   §3.2; Le Boudec 2010 §2.2.1). mean_ms, p99_ms and rme_pct describe the
 *   task's per-call time over its rounds, samples counts the rounds.
 * - Budget (`bench.budgetSeconds`): spread over the tasks as they come; a task
 *   whose interval is narrow after MIN_ROUNDS stops early and leaves the rest
 *   of its share to later ones.
 * - Pool (`path=pool`): the pool shape split across `workers` threads
 *   (`pool.ts`), timed on the wall clock around split-compute-join, paired with
 *   the reference loop run on the same pool (`poolReference`: Σ exp over the
 *   whole batch, split and joined the same way), which gets its own
 *   `reference-exp-sum … pool` row; the same shape runs inline too, so the
 *   elements/s of pool over inline is the speed-up.
 *   Peers are not run in the pool.
 * - Peers run in their native dtypes (tfjs: float32 only); onnxruntime is timed
 *   through its async session.run.
 * - Half formats (float16, bfloat16; SPEC 2.1) run inline only, at `bench.halfShapes`
 *   (default 128x1000), in each compute mode of the suite: pure through the
 *   pipeline's generic kernel (every step rounded in JavaScript: emulated, slow),
 *   widened through its float32 kernel and one rounding per loss
 *   (src/pipelines/variant.ts). A pipeline without a generic kernel skips them.
 */
import { loadavg } from 'node:os';
import type { Dtype } from '../float/dtype.js';
import { DTYPES as DTYPE_ORDER, isHalf } from '../float/dtype.js';
import type { Compute, Variant } from '../pipelines/variant.js';
import { runsIn, runVariant, variantsOf } from '../pipelines/variant.js';
import { externalClock, frameStats } from '../external/pipeline.js';
import { variantLabel } from '../report/key.js';
import { isPeer } from '../peers/registry.js';
import { ORT_PIPELINE_NAME, OrtLogSoftmax } from '../peers/onnxruntime.js';
import { TFJS_PIPELINE_NAME } from '../peers/tfjs.js';
import type { Pipeline } from '../pipelines/types.js';
import type { RunMeta } from '../report/meta.js';
import { runMeta } from '../report/meta.js';
import type { Suite } from '../suite/load.js';
import type { BenchBatch } from './data.js';
import { halfLogits, LOGIT_RANGE, makeBatch } from './data.js';
import { BenchPool } from './pool.js';
import { referenceLoop, referenceLoop32 } from './reference.js';
import { medianInterval, summariseTimings } from './stats.js';
import { pulse } from '../supervise/heartbeat.js';
import { descendantsCpuMs, processCpuAvailable } from './process-cpu.js';

export { referenceLoop, referenceLoop32 } from './reference.js';

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
  /** Mean ms per call over the rounds (the reference: per rows × classes elements). */
  readonly meanMs: number;
  /** 99th percentile of the rounds' ms per call. */
  readonly p99Ms: number;
  /** Half the width of the 95% interval of the median ms per call, % of it; undefined below 6 rounds. */
  readonly rmePct: number | undefined;
  /** Rounds. */
  readonly samples: number;
  /** rows × classes / mean seconds per call. */
  readonly elementsPerS: number;
  /** Median over rounds of (task elements/s) / (reference elements/s) measured in adjacent blocks. */
  readonly relative: number;
  /** Arithmetic format (SPEC 2.1): the dtype for float32 and float64. */
  readonly compute: string;
  /** `loss` (gradients later). */
  readonly quantity: 'loss' | 'grad';
  /** 95% order-statistic interval of `relative`; undefined below 6 rounds. */
  readonly ciLow: number | undefined;
  readonly ciHigh: number | undefined;
}

export interface BenchRun {
  readonly rows: readonly BenchRow[];
  readonly meta: RunMeta;
  readonly startedAt: string;
  readonly seconds: number;
  /** The suite's bench.budgetSeconds. */
  readonly budgetSeconds: number;
  /** 1-, 5- and 15-minute load averages before and after the run. */
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly inputs: string;
  /** The external pipelines (SPEC 7) and, for each, the clock its rows were timed on (`externalClocks`: `descendants` or `wall`); absent when the suite has none. */
  readonly external?: { readonly pipelines: readonly string[]; readonly clocks: readonly Clock[] };
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

/** Shortest timed block of calls, ms: long enough for performance.now()'s resolution and overhead to stay below 0.1%. */
export const ROUND_MS = 5;
/** Longest reference block, ms, when the task's block is longer (the reference then samples the same moment, at a fraction of its cost). */
const REFERENCE_BLOCK_MAX_MS = 25;
/** Rounds every task gets, whatever the budget: the fewest whose 95% order-statistic interval of the median is [X(2), X(8)]. */
export const MIN_ROUNDS = 9;
/** A task whose rounds each take longer than this may stop at FLOOR_ROUNDS when its share of the budget is spent (tfjs on 4M elements takes ~4 s a call). */
const LONG_ROUND_MS = 250;
const FLOOR_ROUNDS = 3;
/** No task goes past this many rounds. */
const MAX_ROUNDS = 400;
/** A task stops early, after MIN_ROUNDS, once its interval is this narrow (width over the median): the rest of its share goes to later tasks. */
export const TARGET_WIDTH = 0.02;

/** A timed call: synchronous kernels are never awaited (a microtask per call would cost as much as a 1x10 kernel). */
export type Call = { readonly sync: () => void } | { readonly async: () => Promise<void> };

/**
 * What a block is timed with, ms. `cpu`: the process's CPU time (getrusage: user +
 * system, µs resolution, every thread of the process), for inline tasks: time
 * during which another process holds the core does not count, so a busy machine
 * does not stretch one block of a pair and not the other. `wall`: elapsed time,
 * for pool tasks, whose point is the elapsed time of a parallel batch.
 * `descendants`: the CPU time of the processes this one started, every thread
 * (`process-cpu.ts`), for an external pipeline's task (SPEC 7), paired with the
 * reference loop on `cpu` (`EXTERNAL_CLOCKS`).
 */
export type Clock = 'cpu' | 'wall' | 'descendants';
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const CLOCKS: Record<Clock, () => number> = {
  wall: () => performance.now(),
  cpu: cpuMs,
  descendants: descendantsCpuMs,
};

/**
 * The clocks of an external pipeline's task and of its reference block: the processes'
 * CPU time (what its implementation computes, and its own reading and writing of the
 * frames) against the reference loop's CPU time. Not the wall clock: a call is a chain
 * of hand-overs (compute thread, helper thread, the process and back), each waiting for
 * a free core, so on a loaded machine the wall-clock ratio moved with the load between
 * the baseline and the gate, not with the code (12 of 12 unchanged gate runs flagged an
 * external pipeline; README, "External pipelines"). Not this process's CPU time either:
 * its side of the hand-over (encoding, postMessage, waking the helper) is the harness's
 * cost, measured and reported apart (the frames' round trip in the log,
 * scripts/boundary-cost.ts), and it varied by more than the tolerance between runs
 * (7 of 12). The processes' CPU time still varies between runs where a frame's compute
 * is small: a process that sleeps between frames wakes with cold caches, which cost it
 * more the busier the machine (README, "External pipelines": the C example at 16x100).
 * The processes' CPU time is blind to children that have exited and to GPU time: an entry
 * with `clock: 'wall'` (SPEC 7 entry, `spec.ts`) is timed on the wall clock, task and
 * reference, and so is every external pipeline where the system does not tell a
 * descendant's CPU time (no Linux /proc).
 */
export function externalClocks(p: Pipeline): [task: Clock, reference: Clock] {
  return externalClock(p) !== 'wall' && processCpuAvailable() ? ['descendants', 'cpu'] : ['wall', 'wall'];
}

/** Runs `call` `reps` times; returns the block's duration in ms on `clock`. */
async function timeBlock(call: Call, reps: number, clock: Clock = 'wall'): Promise<number> {
  const now = CLOCKS[clock];
  const t0 = now();
  if ('sync' in call) {
    const f = call.sync;
    for (let k = 0; k < reps; k++) f();
  } else {
    const f = call.async;
    for (let k = 0; k < reps; k++) await f();
  }
  return now() - t0;
}

/** A warm-up block is at least this long, ms: ≥ 1000 ticks of the CPU clock's 1 µs resolution. */
const WARM_BLOCK_MS = 1;
/** Most calls in one warm-up block (a call that takes no measurable time at all still ends). */
const WARM_MAX_REPS = 2 ** 22;

/**
 * Warms a call up (≥ `warmMs` in all on `clock`) and returns its fastest time per
 * call, ms, from blocks of calls long enough to be timed: the number of calls per
 * block doubles until a block lasts WARM_BLOCK_MS (the "autorange" of Python's
 * timeit). Timing single calls instead reads 0 µs on the CPU clock for a call of
 * ten logits, and blocks calibrated from that ran 10 to 50 times longer than
 * ROUND_MS.
 */
async function warm(call: Call, warmMs: number, clock: Clock = 'wall'): Promise<number> {
  const now = CLOCKS[clock];
  const start = now();
  let reps = 1;
  let ms = await timeBlock(call, reps, clock);
  while (ms < WARM_BLOCK_MS && reps < WARM_MAX_REPS) {
    reps *= 2;
    ms = await timeBlock(call, reps, clock);
  }
  let best = ms / reps;
  while (now() - start < warmMs) {
    best = Math.min(best, (await timeBlock(call, reps, clock)) / reps);
    pulse();
  }
  return Math.max(best, 1e-7);
}

/**
 * The bench phase's time budget: each task's share is what is left of the budget
 * over the tasks left, so a task that finishes early (its interval narrow) or a
 * cheap one leaves more to the rest. The budget is soft: every task gets at least
 * MIN_ROUNDS rounds (FLOOR_ROUNDS for a task whose rounds last over LONG_ROUND_MS).
 */
export class BenchBudget {
  private readonly deadline: number;
  private left: number;
  constructor(seconds: number, tasks: number) {
    this.deadline = performance.now() + seconds * 1000;
    this.left = Math.max(tasks, 1);
  }
  /** The next task's share, ms (0 once the budget is spent); counts the task as started. */
  take(): number {
    const share = Math.max(0, this.deadline - performance.now()) / this.left;
    this.left = Math.max(this.left - 1, 1);
    return share;
  }
}

/** The reference loop over one batch: its call, its elements per call, and its fastest call once warmed. */
export interface Reference {
  readonly call: Call;
  readonly elements: number;
  readonly bestMs: number;
  /** The clock its row reports: `cpu` inline, `wall` on a pool. */
  readonly clock: Clock;
  /** ms per element of every reference block timed with this batch on `clock`. */
  readonly perElementMs: number[];
  /** The same, of the blocks timed on another clock (paired with an external pipeline's task, `externalClocks`): the row's figures only where no block was on `clock`. */
  readonly otherClockMs: number[];
}

/**
 * The reference loop over every value of `x` (the very array the tasks of its
 * dtype read), warmed up; `nan` makes the error thrown if it returns NaN.
 *
 * Over the whole batch, not a cache-resident prefix: a task at 4096x1000 streams
 * 16 or 32 MB per call, and when another process shares the caches and the memory
 * bus, a streaming block slows more than a cache-resident one. Paired with a
 * 512 KiB prefix, the ratios of the 4096x1000 rows fell by more than 15% between
 * unchanged gate runs under a load average of 2 to 3 (1 of 4 runs flagged two
 * float64 rows); paired with a loop that reads the same bytes, both blocks of a
 * round pay the same for memory.
 */
export async function reference(x: Float32Array | Float64Array, nan: () => Error): Promise<Reference> {
  const call: Call =
    x instanceof Float32Array
      ? {
          sync: () => {
            const s = referenceLoop32(x);
            if (s !== s) throw nan();
            sinkValue += s;
          },
        }
      : {
          sync: () => {
            const s = referenceLoop(x);
            if (s !== s) throw nan();
            sinkValue += s;
          },
        };
  return { call, elements: x.length, bestMs: await warm(call, 2 * ROUND_MS, 'cpu'), clock: 'cpu', perElementMs: [], otherClockMs: [] };
}

/**
 * The reference loop on a pool: Σ exp(x) over every logit of the batch in `dtype`,
 * split across the pool's threads and joined as the pool's tasks are
 * (`BenchPool.reference`), warmed up on the wall clock. Pool rows are paired
 * with it rather than with the inline reference: a pool block needs every
 * core at once, so another process taking one core for a few ms (or the host
 * taking a vCPU) slows a pool block and not an inline reference block beside it;
 * between runs that made pool ratios move by more than their intervals (3 of 3
 * unchanged gate runs flagged a pool row). Paired with the pool's own reference,
 * both blocks of a round need the same cores at the same moment.
 */
export async function poolReference(pool: BenchPool, b: BenchBatch, dtype: Dtype): Promise<Reference> {
  const { rows, classes } = b;
  const x = dtype === 'float32' ? b.x32 : b.x64;
  const call: Call = {
    async: async () => {
      const s = await pool.reference(rows, classes, x);
      if (s !== s) throw new BenchNaNError(REFERENCE_NAME, dtype, rows, classes, 0);
      sinkValue += s;
    },
  };
  return { call, elements: rows * classes, bestMs: await warm(call, 2 * ROUND_MS, 'wall'), clock: 'wall', perElementMs: [], otherClockMs: [] };
}

/** What the rounds of one task measured. */
export interface PairedRounds {
  /** Per round: the task's elements/s over the reference's, in adjacent blocks. */
  readonly ratios: number[];
  /** Per round: the task's mean ms per call. */
  readonly perCallMs: number[];
}

/**
 * Paired measurement: rounds of (reference block, task block), each block a
 * calibrated number of calls lasting ≥ ROUND_MS, so that each round's ratio is
 * taken under the same conditions of the machine (drift between rounds cancels
 * in the ratio). Task blocks are timed on `clock` (CPU time for inline tasks, wall
 * time for the pool's, an external pipeline's processes' CPU time), reference blocks
 * on `refClock` (the same but for an external pipeline: `externalClocks`). Rounds go on until MIN_ROUNDS are done and either the median's
 * 95% interval is narrower than TARGET_WIDTH or the task's share of the budget
 * is spent.
 */
export async function pairedRounds(ref: Reference, task: Call, elements: number, shareMs: number, clock: Clock = 'cpu', refClock: Clock = clock): Promise<PairedRounds> {
  // A task timed on `descendants` is calibrated on the wall clock (a block lasts ROUND_MS of elapsed time): a block of
  // ROUND_MS of the processes' CPU time took tens of times longer for a cheap call, and left too few rounds in the budget.
  const best = await warm(task, 2 * ROUND_MS, clock === 'descendants' ? 'wall' : clock);
  const taskReps = Math.max(1, Math.ceil(ROUND_MS / best));
  const refTarget = Math.max(ROUND_MS, Math.min(taskReps * best, REFERENCE_BLOCK_MAX_MS));
  const refReps = Math.max(1, Math.ceil(refTarget / ref.bestMs));
  const ratios: number[] = [];
  const perCallMs: number[] = [];
  const start = performance.now();
  for (;;) {
    const refMs = await timeBlock(ref.call, refReps, refClock);
    const taskMs = await timeBlock(task, taskReps, clock);
    (refClock === ref.clock ? ref.perElementMs : ref.otherClockMs).push(refMs / (refReps * ref.elements));
    perCallMs.push(taskMs / taskReps);
    ratios.push((elements * taskReps * refMs) / (ref.elements * refReps * taskMs));
    // The watchdog's heartbeat (at most every 250 ms): a round is progress, even when neither
    // block enters a pipeline anew (the reference never does; a task's loop posts once).
    pulse();
    const n = ratios.length;
    const spent = performance.now() - start;
    if (n >= MAX_ROUNDS) break;
    if (n >= MIN_ROUNDS) {
      if (spent >= shareMs) break;
      const iv = medianInterval(ratios);
      if (iv.low !== undefined && iv.high !== undefined && (iv.high - iv.low) / iv.median <= TARGET_WIDTH) break;
    } else if (n >= FLOOR_ROUNDS && spent >= shareMs && spent / n > LONG_ROUND_MS) {
      break;
    }
  }
  return { ratios, perCallMs };
}

/** Kernels are called as methods (`p.float32(…)`), as runKernel does: a user's kernel may use `this`. */
function syncCall(p: Pipeline, { dtype, compute }: Variant, b: BenchBatch, out: Float32Array | Float64Array): Call {
  const { rows, classes, targets } = b;
  if (isHalf(dtype)) {
    const x = halfLogits(b, dtype);
    const v = { dtype, compute };
    return {
      sync: () => {
        runVariant(p, v, x, rows, classes, targets, out);
        keep(out, rows, p.name, dtype, classes);
      },
    };
  }
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

/** The native dtypes a pipeline is benchmarked in: the suite's, less those a peer only emulates (tfjs has no float64). */
export function benchDtypes(p: Pipeline, dtypes: readonly Dtype[]): Dtype[] {
  const native = dtypes.filter((d) => !isHalf(d) && runsIn(p, d));
  return p.name === TFJS_PIPELINE_NAME ? native.filter((d) => d === 'float32') : native;
}

/** Same shape. */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** The inline shapes in order: `bench.shapes`, then the `halfShapes` not among them; only those with a task (halfShapes only when the suite runs a half format). */
function inlineShapes(suite: Suite): (readonly [number, number])[] {
  const { shapes, halfShapes } = suite.bench;
  const all = [...shapes, ...halfShapes.filter((h) => !shapes.some((s) => sameShape(s, h)))];
  return all.filter((shape) => suite.pipelines.some((p) => inlineVariants(p, suite, shape).length > 0));
}

/**
 * The fewest logits (rows × classes) of a shape at which an external pipeline (SPEC 7) is
 * benchmarked. Below it a frame's cost is mostly the process waking up, reading and writing,
 * which varies from one stretch of a run to the next by several times the compute: the C
 * example's process spent 11 µs and, in other stretches, 37 µs of CPU time on a 16x100 frame,
 * and an unchanged gate read a 1x10 row 3.8 times slower than its baseline. At 128x1000
 * (about 0.5 ms of CPU a frame) the lowest of six stretches was 16% below the highest, at
 * the edge of the gate's 15% tolerance (README, "External pipelines", with the gate's count). The frames' round trip at small shapes is measured by
 * scripts/boundary-cost.ts instead.
 */
export const EXTERNAL_MIN_LOGITS = 100_000;

/** Whether a pipeline is benchmarked at a shape: an external pipeline from EXTERNAL_MIN_LOGITS logits on, any other always. */
export function benchedAt(p: Pipeline, shape: readonly number[]): boolean {
  return frameStats(p) === undefined || shape[0] * shape[1] >= EXTERNAL_MIN_LOGITS;
}

/** The note `bench` prints for the external pipelines it leaves out of some shapes; undefined when none is. */
export function smallShapesNote(suite: Suite): string | undefined {
  const shapes = [...suite.bench.shapes, ...suite.bench.halfShapes, ...(suite.bench.workers.length > 0 ? [suite.bench.poolShape] : [])];
  const small = [...new Set(shapes.filter((s) => s[0] * s[1] < EXTERNAL_MIN_LOGITS).map((s) => `${s[0]}x${s[1]}`))];
  const left = suite.pipelines.filter((p) => frameStats(p) !== undefined).map((p) => p.name);
  if (small.length === 0 || left.length === 0) return undefined;
  return `${left.join(', ')} not benchmarked at ${small.join(', ')}: an external pipeline is benchmarked at ${EXTERNAL_MIN_LOGITS.toLocaleString('en-US')} logits a frame or more, where its compute outweighs the process's waking, which varies by several times between stretches of a run (the frames' round trip at small shapes: npx tsx scripts/boundary-cost.ts)`;
}

/** The inline tasks of a pipeline at a shape: its native dtypes at `shapes`, the half formats' compute modes at `halfShapes`. */
export function inlineVariants(p: Pipeline, suite: Suite, shape: readonly number[]): Variant[] {
  const out: Variant[] = [];
  if (!benchedAt(p, shape)) return out;
  if (suite.bench.shapes.some((s) => sameShape(s, shape))) out.push(...benchDtypes(p, suite.dtypes).map((d) => ({ dtype: d, compute: d })));
  if (suite.bench.halfShapes.some((s) => sameShape(s, shape))) out.push(...variantsOf(suite.dtypes.filter(isHalf), suite.compute).filter((v) => runsIn(p, v.dtype)));
  return out;
}

export interface RunBenchOptions {
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** Inline shapes, then the pool shape (inline and on each pool); peers are not run in the pool. */
function taskCount(suite: Suite): number {
  const inlineTasks = inlineShapes(suite).reduce((n, shape) => n + suite.pipelines.reduce((m, p) => m + inlineVariants(p, suite, shape).length, 0), 0);
  const pooled = suite.pipelines.filter((p) => !isPeer(p) && benchedAt(p, suite.bench.poolShape)).length * suite.dtypes.filter((d) => !isHalf(d)).length;
  const inlineAtPoolShape = poolShapeIsInline(suite) ? 0 : 1;
  return inlineTasks + (pooled > 0 && suite.bench.workers.length > 0 ? pooled * (inlineAtPoolShape + suite.bench.workers.length) : 0);
}

/** When the pool shape is also an inline shape, its inline rows (and reference row) are those of the shapes loop: not measured twice. */
function poolShapeIsInline(suite: Suite): boolean {
  const [r, c] = suite.bench.poolShape;
  return suite.bench.shapes.some(([sr, sc]) => sr === r && sc === c);
}

export async function runBench(suite: Suite, options: RunBenchOptions = {}): Promise<BenchRun> {
  const log = options.log ?? (() => undefined);
  const { poolShape, workers, budgetSeconds } = suite.bench;
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const t0 = performance.now();
  const rows: BenchRow[] = [];
  const ortSessions = new Map<Dtype, OrtLogSoftmax>();
  const budget = new BenchBudget(budgetSeconds, taskCount(suite));

  const push = (r: BenchRow): void => {
    rows.push(r);
    const ci = r.ciLow === undefined || r.ciHigh === undefined ? 'no 95% interval' : `[${fmt(r.ciLow)}, ${fmt(r.ciHigh)}]`;
    log(
      `  ${r.pipeline.padEnd(26)} ${variantLabel(r)} ${r.path.padEnd(6)} ${String(r.workers).padStart(2)}  ${`${r.batch}x${r.classes}`.padEnd(11)} ${fmt(r.meanMs)} ms  ${fmt(r.elementsPerS / 1e6)} M elements/s  ${fmt(r.relative)} x reference ${ci}, ${r.samples} rounds`,
    );
  };

  /** A batch's references, one per dtype (the array its tasks read), made when first needed. */
  type References = Map<Dtype, Reference>;
  const referenceFor = async (refs: References, b: BenchBatch, dtype: Dtype): Promise<Reference> => {
    let ref = refs.get(dtype);
    if (ref === undefined) {
      // The array the dtype's tasks read: float16/bfloat16 values are held in a Float32Array (data.ts).
      const x = isHalf(dtype) ? halfLogits(b, dtype) : dtype === 'float32' ? b.x32 : b.x64;
      ref = await reference(x, () => new BenchNaNError(REFERENCE_NAME, dtype, b.rows, b.classes, 0));
      refs.set(dtype, ref);
    }
    return ref;
  };
  const referenceRow = (b: BenchBatch, ref: Reference, dtype: Dtype, path: 'inline' | 'pool', threads: number): BenchRow => {
    // Per-element times scaled to the batch: the time Σ exp takes over rows × classes elements.
    const t = summariseTimings((ref.perElementMs.length > 0 ? ref.perElementMs : ref.otherClockMs).map((ms) => ms * b.rows * b.classes));
    // compute = the dtype (a report key's compute must be a mode of its dtype): the row is "the reference of
    // this dtype's tasks"; the loop itself adds its exps in double whatever the logits' dtype.
    return { pipeline: REFERENCE_NAME, dtype, compute: dtype, quantity: 'loss', path, workers: threads, batch: b.rows, classes: b.classes, ...t, elementsPerS: (b.rows * b.classes * 1000) / t.meanMs, relative: 1, ciLow: 1, ciHigh: 1 };
  };
  /** Inserts the reference rows of `refs` at `at` (before the tasks they served), in dtype order. */
  const referenceRows = (at: number, b: BenchBatch, refs: References, path: 'inline' | 'pool', threads: number): void => {
    const made = [...refs].sort(([d1], [d2]) => DTYPE_ORDER.indexOf(d1) - DTYPE_ORDER.indexOf(d2)).map(([d, ref]) => referenceRow(b, ref, d, path, threads));
    rows.splice(at, 0, ...made);
    for (const rr of made) log(`  ${REFERENCE_NAME.padEnd(26)} ${rr.dtype} ${path.padEnd(6)} ${String(threads).padStart(2)}  ${`${b.rows}x${b.classes}`.padEnd(11)} ${fmt(rr.elementsPerS / 1e6)} M elements/s (the reference, ${rr.samples} blocks)`);
  };

  const measureTask = async (ref: Reference, b: BenchBatch, p: string, dtype: Dtype, path: 'inline' | 'pool', threads: number, call: Call, compute: Compute = dtype, clock: Clock = path === 'pool' ? 'wall' : 'cpu', refClock: Clock = clock): Promise<void> => {
    const elements = b.rows * b.classes;
    const r = await pairedRounds(ref, call, elements, budget.take(), clock, refClock);
    const t = summariseTimings(r.perCallMs);
    const iv = medianInterval(r.ratios);
    push({ pipeline: p, dtype, compute, quantity: 'loss', path, workers: threads, batch: b.rows, classes: b.classes, ...t, elementsPerS: (elements * 1000) / t.meanMs, relative: iv.median, ciLow: iv.low, ciHigh: iv.high });
  };

  const inline = async (refs: References, p: Pipeline, v: Variant, b: BenchBatch): Promise<void> => {
    const { dtype } = v;
    const out = dtype === 'float64' ? new Float64Array(b.rows) : new Float32Array(b.rows);
    let call: Call;
    if (p.name === ORT_PIPELINE_NAME && !isHalf(dtype)) {
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
      call = syncCall(p, v, b, out);
    }
    // An external pipeline (SPEC 7) computes in another process, whose CPU time this process's clock does not see (externalClocks).
    await measureTask(await referenceFor(refs, b, dtype), b, p.name, dtype, 'inline', 1, call, v.compute, ...(frameStats(p) !== undefined ? externalClocks(p) : (['cpu'] as const)));
  };

  try {
    for (const [r, c] of inlineShapes(suite)) {
      const b = makeBatch(r, c, suite.seed);
      const refs: References = new Map();
      const at = rows.length;
      for (const p of suite.pipelines) for (const v of inlineVariants(p, suite, [r, c])) await inline(refs, p, v, b);
      referenceRows(at, b, refs, 'inline', 1);
    }

    // The pool path times float32 and float64 only: the half formats are emulated inline (see the file comment).
    const pooled = suite.pipelines.filter((p) => !isPeer(p) && benchedAt(p, poolShape));
    if (pooled.length > 0 && workers.length > 0 && suite.dtypes.some((d) => !isHalf(d))) {
      const [r, c] = poolShape;
      const b = makeBatch(r, c, suite.seed, true);
      const pools = workers.map((w) => new BenchPool(w, suite.file));
      try {
        await Promise.all(pools.map((pool) => pool.start(pooled[0].name)));
        // When the pool shape is also an inline shape, its inline rows are those of the loop above.
        const again = poolShapeIsInline(suite);
        const inlineRefs: References = new Map();
        // The inline reference loops the external pipelines' pool rows are paired with (no rows of their own).
        const externalRefs: References = new Map();
        // Each pool's rows are paired with the reference loop run on that pool, per dtype (poolReference).
        const poolRefs = pools.map(() => new Map<Dtype, Reference>());
        const at = rows.length;
        for (const p of pooled) {
          for (const dtype of benchDtypes(p, suite.dtypes)) {
            if (!again) await inline(inlineRefs, p, { dtype, compute: dtype }, b);
            const x = dtype === 'float32' ? b.x32 : b.x64;
            const out = dtype === 'float32' ? new Float32Array(new SharedArrayBuffer(r * 4)) : new Float64Array(new SharedArrayBuffer(r * 8));
            for (const [i, pool] of pools.entries()) {
              const batch = async () => {
                await pool.batch(p.name, dtype, r, c, x, b.targets, out);
                keep(out, r, p.name, dtype, c);
              };
              if (frameStats(p) !== undefined && externalClocks(p)[0] === 'descendants') {
                // An external pipeline: its processes' CPU time over the pool's batch against the inline reference loop's
                // (externalClocks); the pool reference's blocks need every core at once, which a CPU clock does not see.
                await measureTask(await referenceFor(externalRefs, b, dtype), b, p.name, dtype, 'pool', pool.workers, { async: batch }, dtype, ...externalClocks(p));
                continue;
              }
              let ref = poolRefs[i].get(dtype);
              if (ref === undefined) {
                ref = await poolReference(pool, b, dtype);
                poolRefs[i].set(dtype, ref);
              }
              await measureTask(ref, b, p.name, dtype, 'pool', pool.workers, { async: batch });
            }
          }
        }
        // Reference rows first: the pools' (last inserted, so they follow), then the inline ones.
        for (const [i, pool] of [...pools.entries()].reverse()) referenceRows(at, b, poolRefs[i], 'pool', pool.workers);
        referenceRows(at, b, inlineRefs, 'inline', 1);
      } finally {
        await Promise.all(pools.map((pool) => pool.close()));
      }
    }
  } finally {
    await Promise.all([...ortSessions.values()].map((s) => s.release()));
  }

  const externals = suite.pipelines.filter((p) => frameStats(p) !== undefined);
  return {
    rows,
    meta: runMeta(suite.name, suite.seed),
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    budgetSeconds,
    loadBefore,
    loadAfter: loadavg(),
    inputs: `logits uniform in [−${LOGIT_RANGE}, ${LOGIT_RANGE}) rounded to float32, uniform targets, seed ${suite.seed}`,
    ...(externals.length > 0 ? { external: { pipelines: externals.map((p) => p.name), clocks: externals.map((p) => externalClocks(p)[0]) } } : {}),
  };
}

/** 4 significant digits. */
export function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
}
