/**
 * Why a gradient failed (SPEC section 5, `cause` of a `grad` row): the generic
 * gradient (generic.ts, `STEPPED_GRAD`) re-run on a step arithmetic that watches
 * every step, then the outcome decides which event explains it.
 *
 * Events, in the order the steps run:
 * - range: a step that turns finite operands into an infinity or a NaN.
 *   `exp-overflow` (exp(x) = ∞), `sum-overflow` (a sum or product of finite
 *   values is ∞), `inf-minus-inf` (NaN from non-NaN operands: ∞ − ∞, 0·∞), and a
 *   division by 0 or log of 0, which is blamed on the underflow that made the
 *   zero (`division-underflow` when autograd divides by an underflowed
 *   probability, `exp-underflow` when every term of a sum flushed), else
 *   `log-of-zero`;
 * - underflow: an exp, quotient or product of nonzero values that is 0
 *   (`exp-underflow`, `division-underflow`), or subnormal (gradual underflow);
 * - cancellation: an addition of opposite-signed values whose result is at most
 *   half the larger one (Sterbenz: exact, so it exposes the operands' earlier
 *   rounding errors), e.g. the target's p_t − 1 when p_t rounds to 1; a product
 *   or quotient of a nonzero cancelled value is marked too.
 *
 * The cause: the first range event, if any (an overflowed exp can also leave a
 * finite but wrong gradient: log ∞ = ∞, exp(−∞) = 0); else for an `underflow`
 * gradient the first underflow; for an `inaccurate` one,
 * `cancellation` when the worst component is the result of a cancelling step,
 * the first underflow when the worst component is 0 or subnormal while its
 * correctly rounded value is not, and otherwise `rounding` (no single step: the
 * roundings of the terms, the sum and the quotient together).
 */
import type { FormatInfo } from '../float/dtype.js';
import type { RoundingFn, SteppedGrad, StepArith } from './generic.js';
import type { Cause } from './types.js';

/** The outcome of a scored gradient (SPEC section 4.2). */
export type GradOutcome = 'ok' | 'inaccurate' | 'overflow' | 'underflow' | 'nan';

const finite = Number.isFinite;

/** A step arithmetic that records the events of the file comment. */
class WatchedArith implements StepArith {
  range: Cause | undefined;
  underflow: Cause | undefined;
  subnormal: Cause | undefined;
  /** The underflow that produced the most recent zero (a later division by it or log of it is blamed on it). */
  private zeroBy: Cause | undefined;
  /** Results of cancelling additions. */
  readonly cancelled = new Set<number>();

  constructor(
    private readonly round: RoundingFn,
    private readonly fmt: FormatInfo,
  ) {}

  private onRange(cause: Cause): void {
    this.range ??= cause;
  }

  /** v = round(exact) from nonzero finite operands: a flush to 0, or a subnormal result. */
  private small(v: number, cause: Cause): void {
    if (v === 0) {
      this.underflow ??= cause;
      this.zeroBy = cause;
    } else if (Math.abs(v) < this.fmt.minNormal) {
      this.subnormal ??= cause;
    }
  }

  exp(x: number): number {
    const v = this.round(Math.exp(x));
    if (v === Infinity && x !== Infinity) this.onRange('exp-overflow');
    else if (x !== -Infinity) this.small(v, 'exp-underflow');
    return v;
  }

  log(x: number): number {
    if (x === 0) this.onRange(this.zeroBy ?? 'log-of-zero');
    return this.round(Math.log(x));
  }

  add(a: number, b: number): number {
    const v = this.round(a + b);
    if (Number.isNaN(v)) {
      if (!Number.isNaN(a) && !Number.isNaN(b)) this.onRange('inf-minus-inf');
    } else if (!finite(v)) {
      if (finite(a) && finite(b)) this.onRange('sum-overflow');
    } else if (a !== 0 && b !== 0 && a < 0 !== b < 0 && Math.abs(v) <= Math.max(Math.abs(a), Math.abs(b)) / 2) {
      this.cancelled.add(v);
    }
    return v;
  }

  sub(a: number, b: number): number {
    return this.add(a, -b);
  }

  /** A product or quotient of a nonzero cancelled value carries the cancellation on (naive-softmax's (∂/∂e_t)·e_t). */
  private carry(a: number, b: number, v: number): void {
    if ((a !== 0 && this.cancelled.has(a)) || (b !== 0 && this.cancelled.has(b))) this.cancelled.add(v);
  }

  mul(a: number, b: number): number {
    const v = this.round(a * b);
    this.carry(a, b, v);
    if (Number.isNaN(v)) {
      if (!Number.isNaN(a) && !Number.isNaN(b)) this.onRange('inf-minus-inf');
    } else if (!finite(v)) {
      if (finite(a) && finite(b)) this.onRange('sum-overflow');
    } else if (a !== 0 && b !== 0) {
      this.small(v, 'exp-underflow');
    }
    return v;
  }

  div(a: number, b: number): number {
    const v = this.round(a / b);
    this.carry(a, b, v);
    if (b === 0 && finite(a)) {
      this.onRange(this.zeroBy ?? 'division-underflow');
    } else if (Number.isNaN(v)) {
      if (!Number.isNaN(a) && !Number.isNaN(b)) this.onRange('inf-minus-inf');
    } else if (!finite(v)) {
      if (finite(a) && finite(b)) this.onRange('sum-overflow');
    } else if (a !== 0 && finite(a) && finite(b)) {
      this.small(v, 'division-underflow');
    }
    return v;
  }
}

/**
 * The cause of a failed gradient of one row: `stepped` is the pipeline's
 * generic gradient, `round` the arithmetic's rounding (the compute format),
 * `fmt` the format the result is judged in, `computed` and `oracle` the
 * gradient and its correctly rounded value, `worst` the worst component.
 * Returns undefined for an `ok` outcome.
 */
export function diagnoseGrad(
  stepped: SteppedGrad,
  row: ArrayLike<number>,
  target: number,
  round: RoundingFn,
  fmt: FormatInfo,
  outcome: GradOutcome,
  computed: ArrayLike<number>,
  oracle: ArrayLike<number>,
  worst: number,
): Cause | undefined {
  if (outcome === 'ok') return undefined;
  const A = new WatchedArith(round, fmt);
  stepped(row, target, A, new Float64Array(row.length));
  if (A.range !== undefined) return A.range;
  if (outcome === 'nan' || outcome === 'overflow') return 'rounding';
  if (outcome === 'underflow') return A.underflow ?? A.subnormal ?? 'rounding';
  const g = computed[worst];
  if (A.cancelled.has(g)) return 'cancellation';
  if (Math.abs(g) < fmt.minNormal && oracle[worst] !== 0) return A.underflow ?? A.subnormal ?? 'rounding';
  return 'rounding';
}
