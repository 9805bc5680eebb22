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
import { accurateGenericGrad } from './accurate-grad.js';
import { scratch64 } from './scratch.js';

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
function shiftedSum(row: ArrayLike<number>, m: number, round: RoundingFn | StepArith): number {
  const A = typeof round === 'function' ? stepArith(round) : round;
  let s = 0;
  for (let j = 0; j < row.length; j++) s = A.add(s, A.exp(A.sub(row[j], m)));
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
  const { m, d } = onlineMaxSum(row, round);
  return round(round(Math.log(d)) - round(row[target] - m));
};

/** The one pass of online-softmax: the running max m and the sum d rescaled whenever m grows. */
function onlineMaxSum(row: ArrayLike<number>, round: RoundingFn | StepArith): { m: number; d: number } {
  const A = typeof round === 'function' ? stepArith(round) : round;
  let m = -Infinity;
  let d = 0;
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (v > m) {
      d = A.add(A.mul(d, A.exp(A.sub(m, v))), 1);
      m = v;
    } else if (v !== -Infinity) {
      d = A.add(d, A.exp(A.sub(v, m)));
    }
  }
  return { m, d };
}

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

/**
 * The arithmetic of a generic kernel, one method per step: each returns the
 * step's result (computed in double, exp and log evaluated in double) rounded to
 * the format. {@link stepArith} is the plain one; the gradient diagnosis
 * (src/score/grad-cause.ts) passes one that also watches every step.
 */
export interface StepArith {
  exp(x: number): number;
  log(x: number): number;
  add(a: number, b: number): number;
  sub(a: number, b: number): number;
  mul(a: number, b: number): number;
  div(a: number, b: number): number;
}

const ariths = new WeakMap<RoundingFn, StepArith>();
/** The plain arithmetic of a rounding function (one object per function, cached). */
export function stepArith(round: RoundingFn): StepArith {
  let A = ariths.get(round);
  if (A === undefined) {
    A = {
      exp: (x) => round(Math.exp(x)),
      log: (x) => round(Math.log(x)),
      add: (a, b) => round(a + b),
      sub: (a, b) => round(a - b),
      mul: (a, b) => round(a * b),
      div: (a, b) => round(a / b),
    };
    ariths.set(round, A);
  }
  return A;
}

/**
 * The gradient of one row's loss with respect to its logits, computed the way
 * the pipeline's framework computes it (SPEC section 2.2), every step rounded:
 * writes g_j into `out[0 .. row.length)`. A user pipeline gives one as
 * `grad.generic` for the half formats' pure mode (src/pipelines/types.ts).
 */
export type GenericGrad = (row: ArrayLike<number>, target: number, round: RoundingFn, out: Float64Array) => void;

/** A built-in generic gradient, written against a step arithmetic (so that its steps can be watched). */
export type SteppedGrad = (row: ArrayLike<number>, target: number, A: StepArith, out: Float64Array) => void;

/**
 * naive-softmax, reverse mode through its own steps as autograd records them:
 * e = exp(x), s = Σ e, p = e / s, loss = −log p[t]. Backward, with PyTorch's
 * formulas (tools/autograd/derivatives.yaml and FunctionsManual.cpp): neg then
 * log give ∂loss/∂p_t = −1 / p_t (log: grad / self); div gives ∂/∂e_j =
 * grad_p_j / s (self) and ∂/∂s = Σ_j −grad_p_j · ((e_j / s) / s)
 * (div_tensor_other_backward); sum gives ∂/∂e_j += ∂/∂s; exp gives ∂/∂x_j =
 * grad_e_j · e_j (grad · result). An underflowed p_t gives −1/0 = −∞ and then
 * ∞ · 0 = NaN, an overflowed e_j ∞/∞ = NaN, as autograd does.
 */
const naiveGrad: SteppedGrad = (row, target, A, out) => {
  const n = row.length;
  const e = scratch64(n);
  let s = 0;
  for (let j = 0; j < n; j++) {
    e[j] = A.exp(row[j]);
    s = A.add(s, e[j]);
  }
  const gradP = A.div(-1, A.div(e[target], s));
  let gradS = 0;
  for (let j = 0; j < n; j++) gradS = A.add(gradS, A.mul(-(j === target ? gradP : 0), A.div(A.div(e[j], s), s)));
  for (let j = 0; j < n; j++) out[j] = A.mul(A.add(A.div(j === target ? gradP : 0, s), gradS), e[j]);
};

/**
 * log_softmax backward after nll_loss backward (grad_output = −1 at t, 0 elsewhere,
 * sum −1): g_j = grad_output_j − exp(z_j) · sum, i.e. exp(z_j) − [j = t], from the
 * log-probabilities z the forward computed (PyTorch's _log_softmax_backward_data).
 */
function logSoftmaxBackward(z: (j: number) => number, n: number, target: number, A: StepArith, out: Float64Array): void {
  for (let j = 0; j < n; j++) out[j] = A.sub(j === target ? -1 : 0, A.mul(A.exp(z(j)), -1));
}

const unshiftedGrad: SteppedGrad = (row, target, A, out) => {
  let s = 0;
  for (let j = 0; j < row.length; j++) s = A.add(s, A.exp(row[j]));
  const lse = A.log(s);
  logSoftmaxBackward((j) => A.sub(row[j], lse), row.length, target, A, out);
};

const stableGrad: SteppedGrad = (row, target, A, out) => {
  const m = max(row);
  const ls = A.log(shiftedSum(row, m, A));
  logSoftmaxBackward((j) => A.sub(A.sub(row[j], m), ls), row.length, target, A, out);
};

/** Fused softmax backward: g_j = exp(x_j − m) / s − [j = t], with the forward's m and s. */
function fusedBackward(row: ArrayLike<number>, target: number, m: number, s: number, A: StepArith, out: Float64Array): void {
  for (let j = 0; j < row.length; j++) {
    const p = A.div(A.exp(A.sub(row[j], m)), s);
    out[j] = j === target ? A.sub(p, 1) : p;
  }
}

const fusedGrad: SteppedGrad = (row, target, A, out) => {
  const m = max(row);
  fusedBackward(row, target, m, shiftedSum(row, m, A), A, out);
};

const onlineGrad: SteppedGrad = (row, target, A, out) => {
  const { m, d } = onlineMaxSum(row, A);
  fusedBackward(row, target, m, d, A, out);
};

/** logsumexp backward: g_j = exp(x_j − lse) − [j = t], lse = m + log s as the forward rounded it. */
const logsumexpMinusTargetGrad: SteppedGrad = (row, target, A, out) => {
  const m = max(row);
  const lse = A.add(m, A.log(shiftedSum(row, m, A)));
  for (let j = 0; j < row.length; j++) {
    const p = A.exp(A.sub(row[j], lse));
    out[j] = j === target ? A.sub(p, 1) : p;
  }
};

/**
 * log1p form: p_j = exp(x_j − m) / (1 + s), s = Σ_{j≠k} exp(x_j − m), and for the
 * target −Σ_{j≠t} p_j, so no component cancels.
 */
const log1pGrad: SteppedGrad = (row, target, A, out) => {
  let k = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[k]) k = j;
  const m = row[k];
  let s = 0;
  for (let j = 0; j < row.length; j++) if (j !== k) s = A.add(s, A.exp(A.sub(row[j], m)));
  const denom = A.add(1, s);
  let rest = 0;
  for (let j = 0; j < row.length; j++) {
    out[j] = A.div(j === k ? 1 : A.exp(A.sub(row[j], m)), denom);
    if (j !== target) rest = A.add(rest, out[j]);
  }
  out[target] = -rest;
};

/** The built-ins' gradients written against a step arithmetic (accurate-cross-entropy's is not stepped: see GENERIC_GRAD). */
export const STEPPED_GRAD: Readonly<Record<string, SteppedGrad>> = {
  'naive-softmax': naiveGrad,
  'unshifted-log-softmax': unshiftedGrad,
  'stable-log-softmax': stableGrad,
  'fused-cross-entropy': fusedGrad,
  'logsumexp-minus-target': logsumexpMinusTargetGrad,
  'log1p-log-softmax': log1pGrad,
  'online-softmax': onlineGrad,
};

const fromStepped = (f: SteppedGrad): GenericGrad => (row, target, round, out) => f(row, target, stepArith(round), out);

/**
 * The generic gradient kernels by pipeline name, in the registry's order.
 * accurate-cross-entropy's: its own float64 kernel under the identity rounding,
 * else its gradient evaluated in double and rounded once per component
 * (src/pipelines/accurate-grad.ts), as its float32 kernel.
 */
export const GENERIC_GRAD: Readonly<Record<string, GenericGrad>> = {
  ...Object.fromEntries(Object.entries(STEPPED_GRAD).map(([name, f]) => [name, fromStepped(f)])),
  'accurate-cross-entropy': accurateGenericGrad,
};
