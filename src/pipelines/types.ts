/**
 * The shape every pipeline has, built-in or a user's.
 *
 * A kernel computes the per-row losses of a batch: `logits` is `rows × classes`
 * in row-major order, `targets[r]` the class of row r, and the loss of row r goes
 * to `out[r]`. Kernels are plain functions over typed arrays and allocate nothing
 * per call (scratch vectors come from `scratch.ts`), so the same code serves the
 * fuzzer, the region map and the benchmarks.
 *
 * A float32 kernel takes and returns float32 values and rounds every arithmetic
 * result with `Math.fround`; exp, log and log1p are evaluated in double and then
 * rounded (SPEC section 2).
 */
import type { BatchOptions } from '../cases/options.js';
import type { Dtype, HalfDtype, NativeDtype } from '../float/dtype.js';
import type { GenericGrad, GenericLoss } from './generic.js';

export type Kernel<A extends Float32Array | Float64Array> = (
  logits: A,
  rows: number,
  classes: number,
  targets: Int32Array,
  out: A,
) => void;

/** The first intermediate step that went wrong in a row (SPEC section 5, `cause`). */
export type Cause =
  | 'exp-overflow'
  | 'exp-underflow'
  | 'sum-overflow'
  | 'log-of-zero'
  | 'inf-minus-inf'
  | 'division-underflow'
  | 'absorption'
  | 'cancellation'
  | 'rounding'
  | 'peer';

export interface Pipeline {
  /** Kebab-case name, as in SPEC section 2 and in every report. */
  readonly name: string;
  /** One line: the formula. */
  readonly formula: string;
  readonly float32: Kernel<Float32Array>;
  readonly float64: Kernel<Float64Array>;
  /**
   * Optional: the loss of one row written against a format's rounding function
   * (`(row, target, round) => loss`, src/pipelines/generic.ts: every arithmetic
   * result and every exp, log, log1p evaluated in double passed through `round`).
   * With it the pipeline runs in float16 and bfloat16 (SPEC 2.1): pure, with
   * `round` the format's rounding, and widened, through the float32 kernel
   * (src/pipelines/variant.ts). Without it the pipeline is left out of the half
   * formats, with a note. The built-ins have theirs in generic.ts.
   */
  readonly generic?: GenericLoss;
  /**
   * Optional: the first intermediate step that went wrong for one row, by
   * re-running the row's arithmetic step by step. Used by the region map and the
   * failure reports; pipelines without it report no cause beyond the outcome.
   * `dtype` is the arithmetic format (`compute`: float32 for a widened half row).
   */
  readonly diagnose?: (row: ArrayLike<number>, target: number, dtype: Dtype) => Cause | undefined;
  /**
   * Optional: the backward pass (SPEC section 2.2). A pipeline without it is not
   * in the gradient reports (`score --grad`).
   */
  readonly grad?: PipelineGrad;
  /**
   * Optional: kernels of the pipeline's own in the half formats, for a pipeline that
   * computes in float16 or bfloat16 itself (an external process gets the format's 16 bits,
   * SPEC 7). `logits` and `out` hold values of the format in Float32Arrays. Where given,
   * the format's pure mode (`compute` = the format, SPEC 2.1) runs it instead of `generic`
   * (src/pipelines/variant.ts); the widened mode still runs the float32 kernel and rounds
   * each loss once to the format.
   */
  readonly half?: Partial<Record<HalfDtype, Kernel<Float32Array>>>;
  /** Optional: the only formats the pipeline runs in (default: every format it has a kernel for, `runsIn`). */
  readonly dtypes?: readonly Dtype[];
  /**
   * Optional: the per-row losses l_n under batch options (SPEC 6) computed by the pipeline
   * itself, for a class-index target per row: an external process gets the options in its
   * frame (SPEC 7). `dtype` is the arithmetic format (`compute`: float32 for a widened half
   * row), `logits` rows × classes row-major, `weight` the class weights as values of the
   * storage dtype (or undefined for all 1); returns the rows' l_n, values of `dtype`.
   * Without it the harness composes l_n from the loss kernel as PyTorch does
   * (src/pipelines/options.ts); either way the harness applies the reduction and the
   * masked-row convention.
   */
  readonly optionLosses?: (dtype: Dtype, logits: ArrayLike<number>, rows: number, classes: number, targets: Int32Array, options: BatchOptions, weight: ArrayLike<number> | undefined) => Float64Array;
}

/**
 * A backward kernel: the gradient of each row's loss with respect to its logits.
 * `logits` is `rows × classes` row-major, `targets[r]` the class of row r, and
 * ∂loss_r/∂x_{r,j} goes to `out[r·classes + j]` (`out` is `rows × classes` too).
 * Allocation-free like the forward kernels; float32 kernels round every step
 * with `Math.fround` (SPEC section 2.2).
 */
export type GradKernel<A extends Float32Array | Float64Array> = Kernel<A>;

/**
 * A pipeline's backward pass: one kernel per format, and optionally `generic`,
 * the same arithmetic written against a rounding function (`GenericGrad` of
 * generic.ts: `(row, target, round, out)`, every step passed through `round`).
 * `generic` is what the half formats' pure mode runs (`round` = the format's
 * rounding); their widened mode runs the float32 kernel and rounds each
 * component once to the storage format, so it needs no `generic`.
 */
export interface PipelineGrad {
  readonly float32: GradKernel<Float32Array>;
  readonly float64: GradKernel<Float64Array>;
  readonly generic?: GenericGrad;
  /** Optional: backward kernels of the pipeline's own in the half formats (see `Pipeline.half`); the pure mode runs them instead of `generic`. */
  readonly half?: Partial<Record<HalfDtype, GradKernel<Float32Array>>>;
}

/**
 * Runs a kernel on a batch of its own dtype (the dispatch in one place, typed):
 * a pipeline's loss kernels, or its `grad` kernels (then `out` is rows × classes).
 */
export function runKernel(
  p: Pick<Pipeline, 'float32' | 'float64'> | PipelineGrad,
  dtype: NativeDtype,
  logits: Float32Array | Float64Array,
  rows: number,
  classes: number,
  targets: Int32Array,
  out: Float32Array | Float64Array,
): void {
  if (dtype === 'float32') p.float32(logits as Float32Array, rows, classes, targets, out as Float32Array);
  else p.float64(logits as Float64Array, rows, classes, targets, out as Float64Array);
}

