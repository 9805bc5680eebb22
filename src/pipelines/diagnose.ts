/**
 * Tracing one row through a pipeline, step by step, to name the first step that
 * went wrong (SPEC section 5, `cause`).
 *
 * A trace re-runs the kernel's scalar arithmetic in the dtype (same operations,
 * same order, same rounding: `traces.test.ts` checks the loss bit for bit) and
 * looks at each step. A step went wrong when
 *
 * - a range event makes a finite quantity infinite or NaN: `exp-overflow`
 *   (exp(x) = Infinity), `sum-overflow` (a sum of finite terms is Infinity),
 *   `inf-minus-inf` (NaN from non-NaN operands), `log-of-zero` (log of a
 *   probability or sum that is 0 while its true value is not); these always count;
 * - or the error the step adds on its own, carried to the loss, is more than half
 *   an ulp of the (true) loss, enough to change its rounding: `exp-underflow` (a
 *   result flushed to 0 or into the subnormals; also a sum of exps left at 0),
 *   `division-underflow` (the same for a quotient), `absorption` (an addition
 *   that lost more than half an ulp of its smaller operand, i.e. digits of that
 *   operand vanished: 1 + 2e−9 = 1, m + log s at large m, x_j − m rounding away
 *   low digits of m), and step-specific names the trace passes (`cancellation`
 *   where the step's rounding is exposed by a later subtraction of nearly
 *   equal values).
 *
 * "Carried to the loss": a step whose result v has absolute error E moves the loss
 * by about E·|∂loss/∂v|. Each step receives `logScale` = −log|∂loss/∂v|, so the
 * test is log E − logScale > log(ulp(loss)/2). For a term or partial sum of
 * Σ exp(x_j − m) that is log Σ exp(x_j − m) (∂ log s/∂s = 1/s); for a quantity
 * that enters the loss additively it is 0. The true loss and the true sum come
 * from `reference`, in double with the shifted, cancellation-free form
 * loss = log1p(T) − (x_t − m), T = Σ_{j≠k} exp(x_j − m): a few double ulps off,
 * which only blurs the threshold, never a range event.
 *
 * A range event, which is what makes a loss infinite or NaN (a relevant quantity
 * flushed to exactly 0 counts as one), takes precedence over an earlier
 * precision event. Nothing flagged: 'rounding' (no single step,
 * accumulated rounding). Traces are
 * for rows whose outcome is not ok; on an ok row they may still return 'rounding'.
 */
import type { Dtype, FormatInfo } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { nextDown, nextUp } from '../float/ordinal.js';
import type { Cause } from './types.js';

export interface Traced {
  /** The loss the trace computed: equal, bit for bit, to the kernel's. */
  readonly loss: number;
  readonly cause: Cause;
}

/** The row's true quantities, in double (see the file comment). */
export interface Reference {
  /** Index of the first maximum, and the maximum. */
  readonly k: number;
  readonly m: number;
  /** log Σ_j exp(x_j − m) = log1p(T) ≥ 0. */
  readonly log1pT: number;
  /** log Σ_j exp(x_j) = m + log1p(T). */
  readonly lse: number;
  /** The true loss, about; Infinity for a masked target. */
  readonly loss: number;
  /** log of half an ulp of the true loss rounded to the dtype (+Infinity where it rounds to Infinity). */
  readonly logHalfUlpLoss: number;
}

/** One ulp at |v| in the format: the gap to the next value away from zero (below max: the last gap). */
export function ulpAt(v: number, fmt: FormatInfo): number {
  const a = Math.abs(v);
  if (a === Infinity || Number.isNaN(a)) return Infinity;
  if (a >= fmt.max) return fmt.max - nextDown(fmt.max, fmt.dtype);
  return nextUp(a, fmt.dtype) - a;
}

export function reference(row: ArrayLike<number>, target: number, fmt: FormatInfo): Reference {
  const n = row.length;
  let k = -1;
  for (let j = 0; j < n; j++) if (row[j] > -Infinity && (k < 0 || row[j] > row[k])) k = j;
  const m = k < 0 ? -Infinity : row[k];
  let T = 0;
  for (let j = 0; j < n; j++) if (j !== k && row[j] > -Infinity) T += Math.exp(row[j] - m);
  const log1pT = Math.log1p(T);
  const xt = row[target];
  const loss = xt === -Infinity ? Infinity : log1pT - (xt - m);
  return { k, m, log1pT, lse: m + log1pT, loss, logHalfUlpLoss: Math.log(ulpAt(fmt.round(loss), fmt) / 2) };
}

/** Veltkamp's splitter for doubles, 2^27 + 1. */
const SPLITTER = 134217729;

/** The exact error a·b − fl(a·b) of a double product (Dekker's TwoProduct; no overflow assumed). */
export function productError(a: number, b: number, p: number): number {
  const ca = SPLITTER * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLITTER * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return al * bl - (((p - ah * bh) - al * bh) - ah * bl);
}

/**
 * (a + b) − c for c = the dtype's rounding of a + b, to double accuracy. Knuth's
 * TwoSum gives the double sum's error exactly; for float32, c − s is exact too
 * (c is the double s rounded to 24 bits, so both share an exponent range).
 */
export function additionError(a: number, b: number, c: number): number {
  const s = a + b;
  const bb = s - a;
  const err = a - (s - bb) + (b - bb);
  return s - c + err;
}

/**
 * One trace: the dtype's operations, each checked as the file comment says.
 * The first flagged step wins.
 */
export class Trace {
  readonly fmt: FormatInfo;
  readonly ref: Reference;
  private firstRange: Cause | undefined;
  private firstPrecision: Cause | undefined;
  /** log(minSubnormal/2), which is not a double for float64. */
  private readonly logHalfMinSub: number;

  constructor(row: ArrayLike<number>, target: number, dtype: Dtype) {
    this.fmt = formatOf(dtype);
    this.ref = reference(row, target, this.fmt);
    this.logHalfMinSub = Math.log(this.fmt.minSubnormal) - Math.LN2;
  }

  get cause(): Cause | undefined {
    return this.firstRange ?? this.firstPrecision;
  }

  /** A range event: the step made a finite quantity infinite, NaN, or a sum 0. */
  range(cause: Cause): void {
    if (this.firstRange === undefined) this.firstRange = cause;
  }

  /** A precision event: the step's own error moves the loss by more than half an ulp. */
  note(cause: Cause): void {
    if (this.firstPrecision === undefined) this.firstPrecision = cause;
  }

  /** Whether an error of exp(logErr) at a step with the given logScale moves the loss by more than half an ulp. */
  relevant(logErr: number, logScale: number): boolean {
    return logErr - logScale > this.ref.logHalfUlpLoss;
  }

  round(x: number): number {
    return this.fmt.round(x);
  }

  /** log |v − exact| for v = the dtype's rounding of a value whose double is `exact`; float64 gets the bound ulp/2. */
  private logRoundingError(v: number, exact: number): number {
    if (this.fmt.dtype === 'float32') return Math.log(Math.abs(v - exact));
    return Math.log(ulpAt(v, this.fmt) / 2);
  }

  /** log of the error of an exp result v in [0, minNormal): all of exp(x) if v = 0, else the subnormal rounding. */
  private logUnderflowError(x: number, v: number): number {
    if (v === 0) return x;
    // float32: Math.exp(x) is a normal double here (x > −104), 2^−53 close to exp(x).
    // float64: half the subnormal spacing bounds the error.
    return this.fmt.dtype === 'float32' ? Math.log(Math.abs(v - Math.exp(x))) : this.logHalfMinSub;
  }

  /** exp x; a relevant rounding of a normal result gets `cause` (given where the pipeline exposes it). */
  exp(x: number, logScale: number, cause?: Cause): number {
    const exact = Math.exp(x);
    const v = this.fmt.round(exact);
    if (v === Infinity && x !== Infinity) this.range('exp-overflow');
    else if (v < this.fmt.minNormal) {
      // Flushed to 0: a range event; subnormal: lost digits.
      if (x !== -Infinity && this.relevant(this.logUnderflowError(x, v), logScale)) (v === 0 ? this.range : this.note).call(this, 'exp-underflow');
    } else if (cause !== undefined && this.relevant(this.logRoundingError(v, exact), logScale)) this.note(cause);
    return v;
  }

  /** A sum of exps that is 0 while some logit is finite: every term flushed (0/0 or log 0 follows). */
  checkSumZero(s: number): void {
    if (s === 0 && this.ref.m > -Infinity) this.range('exp-underflow');
  }

  /** Checks an exp result that is used on its own (beside its place in a sum) for gradual underflow. */
  checkUnderflow(x: number, v: number, logScale: number): void {
    if (v !== 0 && v < this.fmt.minNormal && x !== -Infinity && this.relevant(this.logUnderflowError(x, v), logScale)) this.note('exp-underflow');
  }

  add(a: number, b: number, logScale: number, cause: Cause = 'absorption'): number {
    const c = this.fmt.round(a + b);
    if (Number.isNaN(c)) {
      if (!Number.isNaN(a) && !Number.isNaN(b)) this.range('inf-minus-inf');
      return c;
    }
    if (!Number.isFinite(a) || !Number.isFinite(b)) return c;
    if (!Number.isFinite(c)) {
      this.range('sum-overflow');
      return c;
    }
    const err = Math.abs(additionError(a, b, c));
    // Digits of the smaller operand vanished: more than half its own ulp was lost.
    if (err > ulpAt(Math.min(Math.abs(a), Math.abs(b)), this.fmt) / 2 && this.relevant(Math.log(err), logScale)) this.note(cause);
    return c;
  }

  sub(a: number, b: number, logScale: number, cause: Cause = 'absorption'): number {
    return this.add(a, -b, logScale, cause);
  }

  mul(a: number, b: number): number {
    return this.fmt.round(a * b);
  }

  /**
   * a / b. A quotient that flushes to 0 or into the subnormals is `division-underflow`;
   * a normal quotient whose rounding alone is relevant gets `cause`.
   */
  div(a: number, b: number, logScale: number, cause: Cause | undefined): number {
    const q = this.fmt.round(a / b);
    if (Number.isNaN(q) || a === 0 || !Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(q)) return q;
    if (Math.abs(q) < this.fmt.minNormal) {
      const logErr = q === 0 ? Math.log(Math.abs(a)) - Math.log(Math.abs(b)) : this.logQuotientError(a, b, q);
      if (this.relevant(logErr, logScale)) (q === 0 ? this.range : this.note).call(this, 'division-underflow');
    } else if (cause !== undefined && this.relevant(this.logQuotientError(a, b, q), logScale)) {
      this.note(cause);
    }
    return q;
  }

  /** log |q − a/b|: float32 from the double quotient; float64 from the exact residual a − q·b. */
  private logQuotientError(a: number, b: number, q: number): number {
    if (this.fmt.dtype === 'float32') return Math.log(Math.abs(q - a / b));
    const p = q * b;
    if (!Number.isFinite(p) || Math.abs(q) < this.fmt.minNormal) return this.logHalfMinSub;
    const residual = a - p - productError(q, b, p);
    return Math.log(Math.abs(residual / b));
  }

  /** log x. A zero argument is `log-of-zero` (when the true loss is finite); a relevant rounding gets `cause`. */
  log(x: number, logScale: number, cause?: Cause): number {
    const exact = Math.log(x);
    const v = this.fmt.round(exact);
    if (x === 0) {
      if (Number.isFinite(this.ref.loss)) this.range('log-of-zero');
      return v;
    }
    if (cause !== undefined && Number.isFinite(v) && v !== 0 && this.relevant(this.logRoundingError(v, exact), logScale)) this.note(cause);
    return v;
  }

  log1p(x: number): number {
    return this.fmt.round(Math.log1p(x));
  }

  done(loss: number): Traced {
    return { loss, cause: this.cause ?? 'rounding' };
  }
}
