/**
 * Every pipeline under PyTorch's batch options (SPEC section 6), as PyTorch
 * composes them: the pipeline's log-softmax (its per-row loss kernel, whose loss for
 * target c is −z_c = −log p_c), then `nll_loss` with class weights and ignore_index,
 * plus the label-smoothing term, and the reduction accumulated in the compute format
 * (torch/nn/functional.py `cross_entropy`, aten/src/ATen/native/LossNLL.cpp
 * `cross_entropy_loss_label_smoothing` and `cross_entropy_loss_prob_target`):
 *
 * - class-index target y: `nll = w_y·(−z_y)`; with ε > 0,
 *   `smooth = Σ_c w_c·(−z_c)` (every class, so a zero weight on a masked class is
 *   0·∞ = NaN, as in PyTorch) and `l = (1 − ε)·nll + (ε/C)·smooth`;
 * - soft target q: `q' = q·(1 − ε) + ε/C` (with ε > 0), `l = Σ_c (−z_c·q'_c)·w_c`
 *   (a zero q'_c on a masked class is 0·∞ = NaN: PyTorch's failure);
 * - `sum`: Σ l_n; `mean`: Σ l_n / Σ_{n not ignored} w_{y_n} (soft targets: / N),
 *   each sum accumulated in order, every step rounded to the compute format; a
 *   denominator of 0 gives NaN even when Σ l_n > 0 (ε > 0, targets weighted 0), as
 *   PyTorch's smoothed mean (1 − ε)·nll_mean + ε·smooth_mean has nll_mean = 0/0;
 * - ignored rows: l_n = 0, no weight; fully masked rows: `nan` runs the arithmetic as
 *   it is (IEEE gives NaN), `zero` gives 0 and keeps its weight, `ignore` ignores it.
 *
 * It is one layer over the per-row kernels, parameterised by the variant's rounding
 * (SPEC 2.1): float32 and float64 round each step to themselves, a pure half format
 * to itself, a widened one (compute float32) in float32 and the result once to the
 * storage format. Speed does not matter here (C kernel calls per row).
 *
 * accurate-cross-entropy composes with almost no error instead: its −log p_c in
 * float64 (within 2 ulps each), each coefficient ((1 − ε)·w_c·q_c, (ε/C)·w_c) in
 * double, its product with −log p_c exact (TwoProd) and every sum compensated
 * (Neumaier 1974), the result rounded once to the dtype (the mean with the weights
 * scaled by a power of 2 so that no product is subnormal, `weightScale`); l_n and the batch values
 * stay within its 2-ulp budget of the oracle (options.test.ts).
 */
import type { BatchOptions, OptionRow } from '../cases/options.js';
import { isBare, rowKind, rowWeight } from '../cases/options.js';
import type { NativeDtype } from '../float/dtype.js';
import { formatOf, isHalf } from '../float/dtype.js';
import { accurateCrossEntropy, outHi, outLo, twoProd } from './accurate.js';
import type { RoundingFn, StepArith } from './generic.js';
import { stepArith } from './generic.js';
import { BUILTIN_PIPELINES } from './registry.js';
import type { Pipeline } from './types.js';
import { runKernel } from './types.js';
import { InputError } from '../util/errors.js';
import type { Variant } from './variant.js';
import { genericOf } from './variant.js';

/** The per-row values and the batch values of one pipeline on one batch, values of the storage dtype. */
export interface PipelineBatch {
  readonly rows: Float64Array;
  readonly sum: number;
  readonly mean: number;
}

const identity: RoundingFn = (x) => x;

/** The arithmetic of a variant: `round` each step to the compute format, `store` the result to the dtype. */
function arithmeticOf(v: Variant): { round: RoundingFn; store: RoundingFn } {
  if (v.compute === 'float64') return { round: identity, store: identity };
  if (v.compute === 'float32') return { round: Math.fround, store: isHalf(v.dtype) ? formatOf(v.dtype).round : Math.fround };
  const r = formatOf(v.compute).round;
  return { round: r, store: r };
}

/** −log p_c of a row in the variant's compute format: the pipeline's per-row loss for target c. */
function classLoss(p: Pipeline, v: Variant, row: ArrayLike<number>, c: number): number {
  if (isHalf(v.compute)) return genericOf(p)!(row, c, formatOf(v.compute).round);
  const dtype = v.compute as NativeDtype;
  const fmt = formatOf(dtype);
  const x = fmt.array(row.length);
  x.set(Array.from(row));
  const out = fmt.array(1);
  runKernel(p, dtype, x, 1, row.length, Int32Array.of(c), out);
  return out[0];
}

/** Whether `p` is the built-in accurate-cross-entropy (or a suite's wrapper of it). */
function isAccurate(p: Pipeline): boolean {
  return builtinOf(p) === accurateCrossEntropy;
}

/** The row's l_n in the compute format (not yet stored), PyTorch's composition. */
function composedRow(p: Pipeline, v: Variant, row: OptionRow, o: BatchOptions, weight: ArrayLike<number> | undefined, round: RoundingFn): number {
  const C = row.logits.length;
  const eps = o.labelSmoothing;
  const w = (c: number) => (weight === undefined ? 1 : weight[c]);
  const nl = (c: number) => classLoss(p, v, row.logits, c);
  if (row.soft !== undefined) {
    let l = 0;
    for (let c = 0; c < C; c++) {
      const q = eps > 0 ? round(round(row.soft[c] * (1 - eps)) + eps / C) : row.soft[c];
      let term = round(nl(c) * q);
      if (weight !== undefined) term = round(term * w(c));
      l = round(l + term);
    }
    return l;
  }
  const target = row.target;
  const nll = weight === undefined ? nl(target) : round(w(target) * nl(target));
  if (eps === 0) return nll;
  let smooth = 0;
  for (let c = 0; c < C; c++) smooth = round(smooth + (weight === undefined ? nl(c) : round(w(c) * nl(c))));
  return round(round((1 - eps) * nll) + round((eps / C) * smooth));
}

/** Above this, Dekker's split (TwoProd) of a factor overflows (SPLITTER·a = +Infinity, then ∞ − ∞ = NaN). */
const SPLIT_LIMIT = 2 ** 995;
const TWO_64 = 2 ** 64;

/**
 * a·b as hi + lo exactly (Dekker's TwoProd), also for a factor above 2^995, whose split
 * overflows: it is scaled by 2^−64 first and the parts by 2^64 after (exact, powers of 2).
 * Exact as long as no partial product is subnormal (Dekker 1971): |a·b| above about 2^−969.
 */
function exactProduct(a: number, b: number): [number, number] {
  const bigA = Math.abs(a) > SPLIT_LIMIT;
  if (!bigA && Math.abs(b) <= SPLIT_LIMIT) {
    twoProd(a, b);
    return [outHi, outLo];
  }
  twoProd(bigA ? a / TWO_64 : a, bigA ? b : b / TWO_64);
  return [outHi * TWO_64, outLo * TWO_64];
}

/**
 * The power of 2 that brings the largest class weight into [1, 2) (1 without weights),
 * as two factors (2^±1074 is not one double). A weighted mean of class-index targets
 * Σ w_y·L / Σ w_y is the same for weights scaled by it, and its products and sums no
 * longer fall into the subnormals when every weight is tiny (1e−310): only weights
 * below 2^−1022 times the largest still do.
 */
function weightScale(weight: ArrayLike<number> | undefined): [number, number] {
  let max = 0;
  for (let c = 0; c < (weight?.length ?? 0); c++) if (weight![c] > max) max = weight![c];
  if (max === 0 || !Number.isFinite(max)) return [1, 1];
  const k = -Math.floor(Math.log2(max));
  const h = Math.trunc(k / 2);
  return [2 ** h, 2 ** (k - h)];
}

/**
 * Neumaier's compensated sum (Neumaier 1974), with exact products a·b (TwoProd):
 * the value to about 2^−100 relative for terms of one sign. Infinite and NaN terms
 * are kept apart, so that ∞ never meets the compensation (∞ − ∞).
 */
class CompensatedSum {
  private s = 0;
  private c = 0;
  private special = 0;
  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.special += x;
      return;
    }
    const t = this.s + x;
    this.c += Math.abs(this.s) >= Math.abs(x) ? this.s - t + x : x - t + this.s;
    this.s = t;
  }
  addProduct(a: number, b: number): void {
    if (!Number.isFinite(a * b)) return this.add(a * b);
    const [hi, lo] = exactProduct(a, b);
    this.add(hi);
    this.add(lo);
  }
  get value(): number {
    return this.special !== 0 || Number.isNaN(this.special) ? this.special : this.s + this.c;
  }
  /** The value as an unevaluated sum of two doubles (a special value in the first). */
  get parts(): [number, number] {
    return this.special !== 0 || Number.isNaN(this.special) ? [this.special, 0] : [this.s, this.c];
  }
}

/** accurate-cross-entropy's l_n in double, as a compensated sum (its hi and lo parts). */
function accurateRow(row: OptionRow, o: BatchOptions, weight: ArrayLike<number> | undefined): CompensatedSum {
  const C = row.logits.length;
  const eps = o.labelSmoothing;
  const w = (c: number) => (weight === undefined ? 1 : weight[c]);
  const x = Float64Array.from(row.logits);
  const out = new Float64Array(1);
  const nl = (c: number) => {
    if (x[c] === -Infinity) return Infinity; // a masked class: −log 0, exactly
    accurateCrossEntropy.float64(x, 1, C, Int32Array.of(c), out);
    return out[0];
  };
  const sum = new CompensatedSum();
  // Coefficients: (1 − ε)·w_c·q_c and (ε/C)·w_c, exact products of doubles kept as two parts;
  // a zero coefficient contributes nothing (the exact value, as the oracle).
  const keep = 1 - eps; // exact for ε ∈ [1/2, 1] (Sterbenz) and within 2^−53 otherwise
  for (let c = 0; c < C; c++) {
    const q = row.soft !== undefined ? row.soft[c] : c === row.target ? 1 : 0;
    const a = keep * w(c) * q;
    const b = eps > 0 ? (eps / C) * w(c) : 0;
    if (a === 0 && b === 0) continue;
    const L = nl(c);
    if (a !== 0) sum.addProduct(L, a);
    if (b !== 0) sum.addProduct(L, b);
  }
  return sum;
}

/**
 * The l_n of every row computed by the pipeline itself (`Pipeline.optionLosses`: an external
 * process gets the options in its frame, SPEC 7), in the variant's compute format; undefined
 * for a pipeline without it. One call per class count (a frame has one shape), rows in order.
 * Class-index targets only: a soft target has no place in the frame.
 */
function ownRowLosses(p: Pipeline, v: Variant, rows: readonly OptionRow[], o: BatchOptions, weight: ArrayLike<number> | undefined): Float64Array | undefined {
  if (p.optionLosses === undefined) return undefined;
  const soft = rows.findIndex((r) => r.soft !== undefined);
  if (soft >= 0) throw new InputError(`pipeline ${p.name} computes l_n itself from class-index targets (SPEC 7 frames); row ${soft + 1} of the batch has a soft target`);
  const out = new Float64Array(rows.length);
  for (const classes of new Set(rows.map((r) => r.logits.length))) {
    const members = rows.flatMap((r, n) => (r.logits.length === classes ? [n] : []));
    const logits = new Float64Array(members.length * classes);
    members.forEach((n, i) => logits.set(Array.from(rows[n].logits), i * classes));
    const l = p.optionLosses(v.compute, logits, members.length, classes, Int32Array.from(members, (n) => rows[n].target), o, weight);
    members.forEach((n, i) => (out[n] = l[i]));
  }
  return out;
}

/**
 * One pipeline on a batch of one dtype under options, in a variant (SPEC 2.1):
 * `rows[n]` = l_n, and the batch's `sum` and `mean` (SPEC 6), values of `v.dtype`.
 * `weight`: the class weights as values of the dtype (`resolveWeights`), or
 * undefined for all 1. The pipeline must run in the dtype (`runsIn`).
 */
export function pipelineBatch(p: Pipeline, v: Variant, rows: readonly OptionRow[], o: BatchOptions, weight: ArrayLike<number> | undefined): PipelineBatch {
  const out = new Float64Array(rows.length);
  const { round, store } = arithmeticOf(v);
  if (isAccurate(p)) {
    const dtypeRound = formatOf(v.dtype).round;
    const total = new CompensatedSum();
    const den = new CompensatedSum();
    // The mean's numerator and denominator, with the weights scaled (weightScale) when every row has a class-index target.
    const [s1, s2] = rows.some((r) => r.soft !== undefined && rowKind(r, o) !== 'ignored') ? [1, 1] : weightScale(weight);
    const scaled = s1 === 1 && s2 === 1 ? weight : Float64Array.from(weight!, (w) => w * s1 * s2);
    const numerator = scaled === weight ? total : new CompensatedSum();
    rows.forEach((r, n) => {
      const kind = rowKind(r, o);
      den.add(rowWeight(r, o, scaled));
      if (kind === 'nan') {
        out[n] = NaN;
        total.add(NaN);
        if (numerator !== total) numerator.add(NaN);
      } else if (kind === 'loss') {
        // The batch sums the double-precision l_n; a bare row's own value is the pipeline's kernel in the variant, as without options.
        const l = accurateRow(r, o, weight);
        out[n] = isBare(r, o, weight) ? store(classLoss(p, v, r.logits, r.target)) : dtypeRound(l.value);
        for (const part of l.parts) total.add(part);
        if (numerator !== total) for (const part of accurateRow(r, o, scaled).parts) numerator.add(part);
      }
    });
    const [sh, sl] = numerator.parts;
    const W = den.value;
    // Σw = 0 (every target weighted 0, or ignored): PyTorch's (1 − ε)·nll_mean is 0/0 = NaN, whatever the smoothing part.
    const q = W === 0 ? NaN : sh / W;
    let mean = q;
    if (Number.isFinite(q) && W !== 0) {
      // (sh + sl) / W with one rounding of the quotient's correction: q + (sh − q·W + sl)/W (q·W exact, q may be above 2^995).
      const [ph, pl] = exactProduct(q, W);
      mean = q + (sh - ph - pl + sl) / W;
    }
    return { rows: out, sum: dtypeRound(total.value), mean: dtypeRound(mean) };
  }
  const own = ownRowLosses(p, v, rows, o, weight);
  let s = 0;
  let wsum = 0;
  rows.forEach((r, n) => {
    const kind = rowKind(r, o);
    const l = kind === 'ignored' || kind === 'zero' ? 0 : own !== undefined ? own[n] : composedRow(p, v, r, o, weight, round);
    out[n] = store(l);
    s = round(s + l);
    wsum = round(wsum + rowWeight(r, o, weight));
  });
  // Σw = 0 with Σl > 0 (ε > 0 and every target weighted 0, or a weight rounding to 0): PyTorch divides the nll and
  // smoothing parts by Σw apart, (1 − ε)·(0/0) + ε·(Σsmooth/0), so NaN, not s/0 = +Infinity.
  return { rows: out, sum: store(s), mean: wsum === 0 ? NaN : store(round(s / wsum)) };
}

/**
 * The pipeline's own gradient of a bare row (g_j = p̂_j − [j = t], its backward of
 * SPEC 2.2) in the variant's compute format, not yet stored: the float32/float64
 * kernel, or the generic gradient with a pure half format's rounding. False where it
 * has none (no `grad`; a pure half format without `grad.generic`).
 */
function ownGrad(p: Pipeline, v: Variant, row: ArrayLike<number>, target: number, out: Float64Array): boolean {
  const grad = p.grad;
  if (grad === undefined) return false;
  if (isHalf(v.compute)) {
    // The pure mode runs the pipeline's own half kernel where it has one (an external process's, SPEC 7), as for bare rows.
    const own = grad.half?.[v.compute];
    if (own !== undefined) {
      const g = new Float32Array(row.length);
      own(Float32Array.from(row), 1, row.length, Int32Array.of(target), g);
      out.set(g);
      return true;
    }
    if (grad.generic === undefined) return false;
    grad.generic(row, target, formatOf(v.compute).round, out);
    return true;
  }
  const dtype = v.compute as NativeDtype;
  const fmt = formatOf(dtype);
  const x = fmt.array(row.length);
  x.set(Array.from(row));
  const g = fmt.array(row.length);
  runKernel(grad, dtype, x, 1, row.length, Int32Array.of(target), g);
  out.set(g);
  return true;
}

/**
 * The pipeline's softmax p̂ of a row as its backward computes it: the components
 * j ≠ t of its bare gradient (g_j = p̂_j there, SPEC 2.2), from target 0 and, for
 * class 0, target 1 (one class: p̂_0 = 1 + g_0, exact near 1).
 */
function softmaxOf(p: Pipeline, v: Variant, row: ArrayLike<number>, out: Float64Array): boolean {
  const n = row.length;
  if (!ownGrad(p, v, row, 0, out)) return false;
  if (n === 1) {
    out[0] += 1;
    return true;
  }
  const g1 = new Float64Array(n);
  ownGrad(p, v, row, 1, g1);
  out[0] = g1[0];
  return true;
}

/**
 * a_c = −∂l_n/∂z_c, the gradient PyTorch's autograd hands log_softmax's backward
 * (z = log p), with its roundings in the compute format: class-index target y,
 * `(1 − ε)·nll` gives `round(w_y·round(1 − ε))` at y, the smoothing term
 * `(ε/C)·Σ_c w_c·(−z_c)` gives `round(w_c·round(ε/C))` at every c, and autograd adds
 * the two (`round`); a soft target gives `round(q'_c·w_c)`, q' as the forward
 * computes it (composedRow).
 */
function logProbWeights(row: OptionRow, o: BatchOptions, weight: ArrayLike<number> | undefined, round: RoundingFn): Float64Array {
  const C = row.logits.length;
  const eps = o.labelSmoothing;
  const w = (c: number) => (weight === undefined ? 1 : weight[c]);
  const a = new Float64Array(C);
  if (row.soft !== undefined) {
    for (let c = 0; c < C; c++) {
      const q = eps > 0 ? round(round(row.soft[c] * (1 - eps)) + eps / C) : row.soft[c];
      a[c] = weight === undefined ? q : round(q * w(c));
    }
    return a;
  }
  const spread = round(eps / C);
  for (let c = 0; c < C; c++) {
    const smooth = eps > 0 ? (weight === undefined ? spread : round(w(c) * spread)) : 0;
    const nll = c !== row.target ? 0 : eps === 0 ? w(c) : weight === undefined ? round(1 - eps) : round(w(c) * round(1 - eps));
    a[c] = round(nll + smooth);
  }
  return a;
}

/** Σ_{i≠j} v_i for every j, from prefix and suffix sums, each rounded by `round` (the identity: double). */
function othersSums(v: ArrayLike<number>, round: RoundingFn): Float64Array {
  const n = v.length;
  const suffix = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffix[i] = round(suffix[i + 1] + v[i]);
  const out = new Float64Array(n);
  let prefix = 0;
  for (let j = 0; j < n; j++) {
    out[j] = round(prefix + suffix[j + 1]);
    prefix = round(prefix + v[j]);
  }
  return out;
}

/** Σ_{i≠j} v_i for every j to about 2^−100 relative (terms ≥ 0): compensated prefix and suffix sums. */
function othersSumsAccurate(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const suffix: CompensatedSum[] = [new CompensatedSum()];
  for (let i = n - 1; i >= 0; i--) {
    const s = new CompensatedSum();
    for (const part of suffix[0].parts) s.add(part);
    s.add(v[i]);
    suffix.unshift(s);
  }
  const out = new Float64Array(n);
  const prefix = new CompensatedSum();
  for (let j = 0; j < n; j++) {
    const s = new CompensatedSum();
    for (const part of [...prefix.parts, ...suffix[j + 1].parts]) s.add(part);
    out[j] = s.value;
    prefix.add(v[j]);
  }
  return out;
}

/**
 * naive-softmax under options, reverse mode through its own steps (e = exp(x),
 * s = Σ e, p = e/s, then −Σ_c a_c·log p_c), PyTorch's formulas as in its bare
 * gradient (generic.ts `naiveGrad`): log gives ∂/∂p_c = −a_c/p_c (for a_c ≠ 0),
 * div ∂/∂e_j = ∂/∂p_j / s and ∂/∂s = Σ_c −∂/∂p_c·((e_c/s)/s), exp multiplies by e_j.
 */
function naiveOptionsGrad(row: ArrayLike<number>, a: ArrayLike<number>, A: StepArith, out: Float64Array): void {
  const n = row.length;
  const e = new Float64Array(n);
  let s = 0;
  for (let j = 0; j < n; j++) s = A.add(s, (e[j] = A.exp(row[j])));
  const gradP = Float64Array.from(a, (ac, c) => (ac === 0 ? 0 : A.div(-ac, A.div(e[c], s))));
  let gradS = 0;
  for (let c = 0; c < n; c++) gradS = A.add(gradS, A.mul(-gradP[c], A.div(A.div(e[c], s), s)));
  for (let j = 0; j < n; j++) out[j] = A.mul(A.add(A.div(gradP[j], s), gradS), e[j]);
}

/** The built-in a pipeline is (or wraps, through its prototype chain), if any. */
function builtinOf(p: Pipeline): Pipeline | undefined {
  for (let q: Pipeline | null = p; q !== null; q = Object.getPrototypeOf(q) as Pipeline | null) if (BUILTIN_PIPELINES.includes(q)) return q;
  return undefined;
}

/**
 * One pipeline's gradient of a row's l_n with respect to its logits under options
 * (SPEC 6, 4.2), in a variant (SPEC 2.1), values of the storage dtype; undefined
 * where the pipeline has no backward in that variant. Composed as PyTorch's
 * autograd composes it: the options give a_c = −∂l_n/∂z_c on the log-probabilities
 * (`logProbWeights`), and the pipeline's log_softmax backward turns them into
 * `g_j = −a_j + p̂_j·Σ_c a_c` (PyTorch's _log_softmax_backward_data: grad_output −
 * exp(output)·grad_output.sum()), p̂ the pipeline's own softmax (`softmaxOf`), every
 * step rounded to the compute format:
 *
 * - naive-softmax: autograd through its own steps (`naiveOptionsGrad`);
 * - log1p-log-softmax: the form of SPEC 2.2 in which nothing cancels but the last
 *   step, `g_j = (Σ_{c≠j} a_c)·p̂_j − a_j·Σ_{i≠j} p̂_i`;
 * - accurate-cross-entropy: the same form in double from its float64 softmax (each
 *   p̂_j within 1 ulp), a_c in double, compensated sums and exact products (TwoProd),
 *   the result rounded once to the dtype;
 * - the others (and a suite's own pipelines): the log_softmax backward above.
 *
 * Ignored rows and fully masked rows under `zero` or `ignore` are +0; under `nan`,
 * NaN. A bare row (class-index target, ε = 0, weight 1) is the pipeline's own gradient.
 */
export function pipelineRowGrad(p: Pipeline, v: Variant, row: OptionRow, o: BatchOptions, weight: ArrayLike<number> | undefined): Float64Array | undefined {
  const n = row.logits.length;
  const out = new Float64Array(n);
  const { round, store } = arithmeticOf(v);
  const kind = rowKind(row, o);
  if (!ownGrad(p, v, row.logits, row.soft === undefined ? Math.max(0, row.target) : 0, out)) return undefined;
  if (kind === 'ignored' || kind === 'zero') return out.fill(0);
  if (kind === 'nan') return out.fill(NaN);
  if (isBare(row, o, weight)) return out.map(store);
  const base = builtinOf(p);
  if (base === BUILTIN_PIPELINES.find((q) => q.name === 'naive-softmax')) {
    naiveOptionsGrad(row.logits, logProbWeights(row, o, weight, round), stepArith(round), out);
    return out.map(store);
  }
  if (isAccurate(p)) {
    const C = n;
    const eps = o.labelSmoothing;
    const a = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const w = weight === undefined ? 1 : weight[c];
      const q = row.soft !== undefined ? row.soft[c] : c === row.target ? 1 : 0;
      a[c] = (1 - eps) * w * q + (eps / C) * w;
    }
    const pHat = new Float64Array(C);
    softmaxOf(p, { dtype: 'float64', compute: 'float64' }, row.logits, pHat);
    const aOthers = othersSumsAccurate(a);
    const pOthers = othersSumsAccurate(pHat);
    const dtypeRound = formatOf(v.dtype).round;
    for (let j = 0; j < C; j++) {
      const sum = new CompensatedSum();
      sum.addProduct(aOthers[j], pHat[j]);
      sum.addProduct(-a[j], pOthers[j]);
      out[j] = dtypeRound(sum.value);
    }
    return out;
  }
  const a = logProbWeights(row, o, weight, round);
  const pHat = new Float64Array(n);
  softmaxOf(p, v, row.logits, pHat);
  if (base?.name === 'log1p-log-softmax') {
    const aOthers = othersSums(a, round);
    const pOthers = othersSums(pHat, round);
    for (let j = 0; j < n; j++) out[j] = store(round(round(aOthers[j] * pHat[j]) - round(a[j] * pOthers[j])));
    return out;
  }
  let total = 0;
  for (let c = 0; c < n; c++) total = round(total + a[c]);
  for (let j = 0; j < n; j++) out[j] = store(round(-a[j] + round(pHat[j] * total)));
  return out;
}
