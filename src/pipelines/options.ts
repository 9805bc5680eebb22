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
 *   each sum accumulated in order, every step rounded to the compute format;
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
 * (Neumaier 1974), the result rounded once to the dtype; l_n and the batch values
 * stay within its 2-ulp budget of the oracle (options.test.ts).
 */
import type { BatchOptions, OptionRow } from '../cases/options.js';
import { isBare, rowKind, rowWeight } from '../cases/options.js';
import type { NativeDtype } from '../float/dtype.js';
import { formatOf, isHalf } from '../float/dtype.js';
import { accurateCrossEntropy, outHi, outLo, twoProd } from './accurate.js';
import type { RoundingFn } from './generic.js';
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
  for (let q: Pipeline | null = p; q !== null; q = Object.getPrototypeOf(q) as Pipeline | null) {
    if (q === accurateCrossEntropy) return true;
    if (BUILTIN_PIPELINES.includes(q)) return false;
  }
  return false;
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
    twoProd(a, b);
    const lo = outLo;
    this.add(outHi);
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
    rows.forEach((r, n) => {
      const kind = rowKind(r, o);
      den.add(rowWeight(r, o, weight));
      if (kind === 'nan') {
        out[n] = NaN;
        total.add(NaN);
      } else if (kind === 'loss') {
        // The batch sums the double-precision l_n; a bare row's own value is the pipeline's kernel in the variant, as without options.
        const l = accurateRow(r, o, weight);
        out[n] = isBare(r, o, weight) ? store(classLoss(p, v, r.logits, r.target)) : dtypeRound(l.value);
        for (const part of l.parts) total.add(part);
      }
    });
    const [sh, sl] = total.parts;
    const W = den.value;
    // (sh + sl) / W with one rounding of the quotient's correction: q + (sh − q·W + sl)/W.
    const q = sh / W;
    let mean = q;
    if (Number.isFinite(q) && W !== 0) {
      twoProd(q, W);
      mean = q + (sh - outHi - outLo + sl) / W;
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
  return { rows: out, sum: store(s), mean: store(round(s / wsum)) };
}
