/**
 * Bisection over the ordinals of a dtype: between two values, every value of the
 * dtype is a candidate, so the result is a pair of adjacent values (SPEC
 * section 5, `last_value` / `first_value`).
 */
import type { AnyDtype, Dtype } from '../float/dtype.js';
import { fromOrdinal, ordinal } from '../float/ordinal.js';
import type { Outcome } from '../score/outcome.js';

/**
 * The largest x in [lo, hi) with pred(x), given pred(lo) and not pred(hi): the
 * last value before a change. Where pred changes more than once in between, one
 * of the changes (bisection keeps pred(lo) ∧ ¬pred(hi) at every step).
 */
export function lastWhere(pred: (x: number) => boolean, lo: number, hi: number, dtype: AnyDtype): number {
  let a = ordinal(lo, dtype);
  let b = ordinal(hi, dtype);
  if (!(a < b)) throw new RangeError(`lastWhere: ${lo} is not below ${hi}`);
  while (b - a > 1n) {
    const mid = (a + b) >> 1n; // floor, also for negative ordinals
    if (pred(fromOrdinal(mid, dtype))) a = mid;
    else b = mid;
  }
  return fromOrdinal(a, dtype);
}

/** How bad an outcome is: a boundary is the edge of the worse region of the two. */
export const SEVERITY: Readonly<Record<Outcome, number>> = { ok: 0, inaccurate: 1, underflow: 2, overflow: 3, nan: 4 };

export interface Boundary {
  readonly fromOutcome: Outcome;
  readonly toOutcome: Outcome;
  /** Adjacent values of the dtype: last has fromOutcome, first has toOutcome. */
  readonly last: number;
  readonly first: number;
}

/**
 * The exact edge between two grid points lo < hi with different outcomes. The
 * bisection follows the more severe of the two outcomes (nan > overflow >
 * underflow > inaccurate > ok): it finds the edge of that region, which is
 * where a hard failure starts even when ok and inaccurate alternate next to it.
 * The pair reports the outcomes its two values actually have, so where a third
 * outcome lies between the grid points the from or to outcome is that third one.
 */
export function bisectBoundary(
  outcomeAt: (v: number) => Outcome,
  lo: number,
  hi: number,
  loOutcome: Outcome,
  hiOutcome: Outcome,
  dtype: Dtype,
): Boundary {
  const follow = SEVERITY[loOutcome] >= SEVERITY[hiOutcome] ? loOutcome : hiOutcome;
  const inside = (v: number) => outcomeAt(v) === follow;
  const last = follow === loOutcome ? lastWhere(inside, lo, hi, dtype) : lastWhere((v) => !inside(v), lo, hi, dtype);
  const first = fromOrdinal(ordinal(last, dtype) + 1n, dtype);
  const fromOutcome = last === lo ? loOutcome : outcomeAt(last);
  const toOutcome = first === hi ? hiOutcome : outcomeAt(first);
  return { fromOutcome, toOutcome, last, first };
}
