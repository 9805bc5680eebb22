/**
 * The cause (SPEC 5) of a pipeline's failing l_n under batch options (SPEC 6): the
 * region map's option panels and the option rows of failures.csv name it.
 */
import type { BatchOptions, OptionRow } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { oracleLossRounded } from '../oracle/loss.js';
import { classify } from '../score/outcome.js';
import type { Pipeline } from './types.js';
import type { Variant } from './variant.js';
import { diagnoseVariant, runVariant } from './variant.js';

/**
 * The first step that went wrong in a pipeline's l_n of `row` (a class-index or a
 * soft target) under `options`, in the variant's arithmetic (SPEC 5 `cause`): `zero-times-inf` where
 * l_n is NaN and a zero coefficient (weight 0, or every coefficient of a class) met an
 * infinite −log p_c, unless some class's own −log p_c is NaN; else the pipeline's own
 * diagnosis of −log p_c for the first class c whose −log p_c is not ok against its
 * correctly rounded value (the target, or a soft target's largest entry, first, then
 * every other class of the sum in order; where l_n is +Infinity, the first class whose −log p_c
 * is wrongly +Infinity with a positive coefficient, the overflow's origin, comes before them),
 * where that class counts (a positive coefficient, or a non-finite −log p_c, which a
 * zero coefficient turns into 0·∞); else the composition's step: `zero-times-inf`
 * (l_n is NaN: a zero factor of the composition times an infinite −log p_c: a zero weight,
 * (ε/C)·w_c = 0, a zero q'_c, or (1 − ε) = 0 times the target's infinite w_y·(−log p_y) at ε = 1,
 * although the combined coefficient (1 − ε)·w_y + (ε/C)·w_y is positive),
 * `product-overflow` (a coefficient times a finite −log p_c overflows), `sum-overflow`
 * (the smoothing sum or the final sum overflows), otherwise `rounding`. '' for a
 * pipeline without `diagnose` whose class fails.
 */
export function optionCause(p: Pipeline, v: Variant, row: OptionRow, options: BatchOptions, weight: ArrayLike<number> | undefined, loss: number, budget: number): string {
  const dtype = v.dtype as Dtype;
  const fmt = formatOf(dtype);
  const C = row.logits.length;
  const logits = Float64Array.from(row.logits);
  const x = fmt.array(C);
  x.set(logits);
  const out = fmt.array(1);
  const eps = options.labelSmoothing;
  const w = (c: number) => (weight === undefined ? 1 : weight[c]);
  const q = (c: number) => (row.soft !== undefined ? row.soft[c] : c === row.target ? 1 : 0);
  // The target (a soft target's largest entry) first, then the other classes in order.
  let first0 = row.soft === undefined ? row.target : 0;
  if (row.soft !== undefined) for (let c = 0; c < C; c++) if (row.soft[c] > row.soft[first0]) first0 = c;
  const classes = [first0, ...Array.from({ length: C }, (_, c) => c).filter((c) => c !== first0)];
  // Whether PyTorch's composition (options.ts composedRow) multiplies class c's −log p_c by a zero
  // factor, even where the combined coefficient is positive: w_c = 0, a soft target's q'_c = 0, or,
  // for a class-index target y, (1 − ε) = 0 times nll = w_y·(−log p_y) (ε = 1).
  const zeroFactor = (c: number): boolean => {
    if (weight !== undefined && w(c) === 0) return true;
    if (row.soft !== undefined) return (eps > 0 ? row.soft[c] * (1 - eps) + eps / C : row.soft[c]) === 0;
    return c === row.target && eps > 0 && 1 - eps === 0;
  };
  let infiniteTimesZero = false;
  let nllInfinite = false;
  let first: { cause: string; nan: boolean } | undefined;
  let infinite: { cause: string; nan: boolean } | undefined;
  for (const c of classes) {
    // Classes outside the sum of a class-index target without smoothing are never computed.
    if (row.soft === undefined && eps === 0 && c !== row.target) continue;
    runVariant(p, v, x, 1, C, Int32Array.of(c), out);
    const own = out[0];
    const coefficient = (1 - eps) * w(c) * q(c) + (eps / C) * w(c);
    if (!Number.isFinite(own) && (coefficient === 0 || zeroFactor(c))) infiniteTimesZero = true;
    if (coefficient > 0 && Number.isFinite(own) && fmt.round(coefficient * own) === Infinity) nllInfinite = true;
    if ((first !== undefined && (infinite !== undefined || own !== Infinity)) || (coefficient === 0 && Number.isFinite(own))) continue;
    if (classify(own, oracleLossRounded(logits, c, dtype), dtype, budget).outcome !== 'ok') {
      const found = { cause: diagnoseVariant(p, v, logits, c), nan: Number.isNaN(own) };
      if (infinite === undefined && own === Infinity && coefficient > 0) infinite = found;
      if (first === undefined) first = found;
    }
  }
  // An infinite l_n made by a class's wrongly infinite −log p_c names that class's step, not an earlier class's small error.
  if (loss === Infinity && infinite !== undefined) return infinite.cause;
  // A NaN l_n made by 0·∞ names it, unless a class's own −log p_c was already NaN.
  if (Number.isNaN(loss) && infiniteTimesZero && first?.nan !== true) return 'zero-times-inf';
  if (first !== undefined) return first.cause;
  if (Number.isNaN(loss)) return infiniteTimesZero ? 'zero-times-inf' : 'inf-minus-inf';
  if (!Number.isFinite(loss)) return nllInfinite ? 'product-overflow' : 'sum-overflow';
  return 'rounding';
}
