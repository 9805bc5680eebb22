/**
 * The values of a dtype the correctly rounded loss of a row can be, from double
 * arithmetic alone: enough to decide most outcomes during bisection without
 * the decimal oracle (which stays the judge wherever this leaves a doubt).
 *
 * The oracle's form (oracle/loss.ts): loss = D + log1p(T), D = m − x_t ≥ 0,
 * T = Σ_{j≠k} exp(x_j − m), both parts ≥ 0, so relative errors do not grow.
 * In double: D has one rounding (error ≤ u·D, u = 2^−53); each term is
 * exp(d_hi)·(1 + d_lo) with d_hi + d_lo = x_j − m exactly (TwoSum), so only
 * exp's own error remains; T has n − 1 additions and n − 1 products; log1p its
 * own error, and log1p(T(1 + δ)) ≤ log1p(T)(1 + δ). Math.exp and Math.log1p
 * (V8's fdlibm ports) are within 1 ulp; we allow 2 (2^−51 relative) for each.
 * A term that is 0 or subnormal in double carries an absolute error ≤ 2^−1074,
 * which we count as 2^−1073 (η) per term. So |L̃ − loss| ≤ u·D + l·(2^−50 +
 * 2n·u) + η + u·L̃ (the final addition), and since rounding is monotone, the
 * correctly rounded loss lies between the roundings of L̃ ∓ that bound.
 */
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';

const U = 2 ** -53;
const LIBM = 2 ** -51;
const SUB = 2 ** -1073;

/** [lo, hi], values of `dtype`, with lo ≤ round(loss) ≤ hi; undefined when double arithmetic cannot bound it. */
export function roundedLossRange(row: ArrayLike<number>, target: number, dtype: Dtype): readonly [number, number] | undefined {
  const round = formatOf(dtype).round;
  const n = row.length;
  const xt = row[target];
  if (xt === -Infinity) return [Infinity, Infinity];
  let k = -1;
  for (let j = 0; j < n; j++) if (row[j] > -Infinity && (k < 0 || row[j] > row[k])) k = j;
  const m = row[k];
  const D = m - xt;
  if (!Number.isFinite(D)) return undefined;
  let T = 0;
  let eta = 0;
  for (let j = 0; j < n; j++) {
    const x = row[j];
    if (j === k || x === -Infinity) continue;
    const dh = x - m;
    const bb = dh - x;
    const dl = x - (dh - bb) + (-m - bb); // TwoSum: x − m = dh + dl exactly
    const e = Math.exp(dh);
    if (e < 2.2250738585072014e-308) eta += SUB; // 0 or subnormal: absolute error ≤ 2^−1074
    T += e + e * dl;
  }
  const l = Math.log1p(T);
  const L = D + l;
  if (!Number.isFinite(L)) return undefined;
  // The bound, plus 2^−40 of itself for the roundings made computing it.
  const err = (D * U + l * (2 * LIBM + 2 * n * U) + eta + L * U) * (1 + 2 ** -40);
  return [round(Math.max(0, L - err)), round(L + err)];
}
