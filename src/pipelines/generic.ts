/**
 * One generic kernel per built-in pipeline, written against a format's rounding
 * function: every arithmetic result (and every exp, log, log1p, evaluated in
 * double) is passed through `round`, in the order of the hand-tuned kernels.
 *
 * - `round = Math.fround` is the float32 arithmetic of SPEC section 2, and
 *   `round = identity` the float64 one: `generic.test.ts` checks the fast
 *   float32/float64 kernels bit for bit against these on the mpmath cases and on
 *   random rows, so the fast kernels are only a faster spelling of the same
 *   arithmetic.
 * - `round = roundFloat16` / `roundBfloat16` (src/float/half.ts) is the pure
 *   half-precision arithmetic of SPEC section 2.1; the widened mode is the
 *   float32 evaluation rounded once to the storage format ({@link widenedLoss}).
 *
 * A double holds every value of the four formats exactly, and each step's exact
 * result (a sum, difference, product or quotient of two values of a format of at
 * most 24 bits) rounds correctly to the format when computed in double and then
 * rounded once: double has 53 ≥ 2·24 + 2 bits (Figueroa 1995, "When is double
 * rounding innocuous?"). exp, log and log1p are evaluated in double, then
 * rounded, as SPEC section 2 says.
 *
 * Shapes: `row` is one row of `classes` logits, already values of the format;
 * `target` a class index in [0, row.length). Returns the row's loss, a value of
 * the format. Allocates nothing, except the float64 accurate path, which copies
 * its row into the typed array its kernel takes.
 */
import { accurateCrossEntropy } from './accurate.js';

/** Rounds a double to a format (identity for float64). */
export type RoundingFn = (x: number) => number;

/** The loss of one row in a format given by its rounding function. */
export type GenericLoss = (row: ArrayLike<number>, target: number, round: RoundingFn) => number;

/** max(row); −Infinity entries (masked classes) never win. */
function max(row: ArrayLike<number>): number {
  let m = -Infinity;
  for (let j = 0; j < row.length; j++) if (row[j] > m) m = row[j];
  return m;
}

/** s = Σ exp(x_j − m), each term and partial sum rounded. */
function shiftedSum(row: ArrayLike<number>, m: number, round: RoundingFn): number {
  let s = 0;
  for (let j = 0; j < row.length; j++) s = round(s + round(Math.exp(round(row[j] - m))));
  return s;
}

/** naive-softmax: p = exp(x) / Σ exp(x), loss = −log p[t]. */
const naive: GenericLoss = (row, target, round) => {
  let s = 0;
  for (let j = 0; j < row.length; j++) s = round(s + round(Math.exp(row[j])));
  const p = round(round(Math.exp(row[target])) / s);
  return -round(Math.log(p));
};

/** unshifted-log-softmax: z = x − log Σ exp(x), loss = −z[t]. */
const unshifted: GenericLoss = (row, target, round) => {
  let s = 0;
  for (let j = 0; j < row.length; j++) s = round(s + round(Math.exp(row[j])));
  return -round(row[target] - round(Math.log(s)));
};

/** stable-log-softmax: z = (x − m) − log Σ exp(x − m), loss = −z[t]. */
const stable: GenericLoss = (row, target, round) => {
  const m = max(row);
  const ls = round(Math.log(shiftedSum(row, m, round)));
  return -round(round(row[target] - m) - ls);
};

/** fused-cross-entropy: loss = log Σ exp(x − m) − (x[t] − m). */
const fused: GenericLoss = (row, target, round) => {
  const m = max(row);
  return round(round(Math.log(shiftedSum(row, m, round))) - round(row[target] - m));
};

/** logsumexp-minus-target: loss = (m + log Σ exp(x − m)) − x[t]. */
const logsumexpMinusTarget: GenericLoss = (row, target, round) => {
  const m = max(row);
  return round(round(m + round(Math.log(shiftedSum(row, m, round)))) - row[target]);
};

/** log1p-log-softmax: k = argmax, s = Σ_{j≠k} exp(x_j − m), loss = log1p(s) − (x[t] − m). */
const log1p: GenericLoss = (row, target, round) => {
  let k = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[k]) k = j;
  const m = row[k];
  let s = 0;
  for (let j = 0; j < row.length; j++) if (j !== k) s = round(s + round(Math.exp(round(row[j] - m))));
  return round(round(Math.log1p(s)) - round(row[target] - m));
};

/** online-softmax: running max and rescaled running sum (Milakov & Gimelshein 2018), loss = log d − (x[t] − m). */
const online: GenericLoss = (row, target, round) => {
  let m = -Infinity;
  let d = 0;
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (v > m) {
      d = round(round(d * round(Math.exp(round(m - v)))) + 1);
      m = v;
    } else if (v !== -Infinity) {
      d = round(d + round(Math.exp(round(v - m))));
    }
  }
  return round(round(Math.log(d)) - round(row[target] - m));
};

/**
 * accurate-cross-entropy: in float64 its own double-double kernel
 * (src/pipelines/accurate.ts, within 2 ulps of the correctly rounded loss); in a
 * narrower format `(m − x[t]) + log1p(Σ_{j≠k} exp(x_j − m))` evaluated in double
 * (29 or more spare bits) and rounded once to the format, as its float32 kernel.
 */
const accurate: GenericLoss = (row, target, round) => {
  if (round(ROUNDS_IN_FLOAT64_ONLY) === ROUNDS_IN_FLOAT64_ONLY) {
    const x = new Float64Array(row.length);
    x.set(Array.from(row));
    accurateCrossEntropy.float64(x, 1, row.length, Int32Array.of(target), out64);
    return out64[0];
  }
  let k = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[k]) k = j;
  const m = row[k];
  let s = 0;
  for (let j = 0; j < row.length; j++) if (j !== k) s += Math.exp(row[j] - m);
  return round(Math.log1p(s) + (m - row[target]));
};
const out64 = new Float64Array(1);
/** 1 + 2^−52: a double that every narrower format rounds away, so it tells float64's rounding (the identity) apart. */
const ROUNDS_IN_FLOAT64_ONLY = 1 + 2 ** -52;

/** The generic kernels by pipeline name, in the registry's order. */
export const GENERIC_LOSS: Readonly<Record<string, GenericLoss>> = {
  'naive-softmax': naive,
  'unshifted-log-softmax': unshifted,
  'stable-log-softmax': stable,
  'fused-cross-entropy': fused,
  'logsumexp-minus-target': logsumexpMinusTarget,
  'log1p-log-softmax': log1p,
  'online-softmax': online,
  'accurate-cross-entropy': accurate,
};

/**
 * The widened mode of a half format (SPEC 2.1, `compute = float32`): inputs read
 * as float32 (exactly: every float16 and bfloat16 value is a float32 value),
 * every step in float32, the result rounded once to the storage format.
 */
export function widenedLoss(loss: GenericLoss, row: ArrayLike<number>, target: number, storage: RoundingFn): number {
  return storage(loss(row, target, Math.fround));
}
