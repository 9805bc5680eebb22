/**
 * The region map's grid (SPEC section 5): rows [a, a − g, a − 2g, …], the offset
 * a signed and log-spaced from −max to +max, the gap g from 0 to max.
 *
 * Magnitudes on both axes, the same for offsets and gaps: half of them powers
 * of ten evenly spaced in exponent from the unit roundoff u (2^−24, 2^−53: below
 * it a gap vanishes against a logit of order 1) up to max, and max; the other
 * half log-spaced over
 * [1/4, 2048], where every exp threshold of both dtypes lies (the loss of a
 * confident row rounds to 0 past g = ln(2/u): 16.6, 36.7; exp overflows, goes
 * subnormal and rounds to 0 at 87–104 and 708–745), plus those thresholds
 * rounded to the dtype (ln(minNormal), ln(max), −ln(minSubnormal/2);
 * thresholds.ts), so that the lines fall between grid points close to them.
 * Every grid value is a value of the dtype.
 *
 * A class below a − g that is beyond −max is −Infinity in the dtype (the
 * subtraction overflows): the row keeps it, a masked class (SPEC section 3), so
 * target-min there has loss Infinity and target-max is the one-class row.
 */
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { nextUp } from '../float/ordinal.js';
import { expThresholds } from './thresholds.js';

export type Panel = 'target-max' | 'target-min';
export const PANELS: readonly Panel[] = ['target-max', 'target-min'];
/** target-max scores class 0 (a, the largest), target-min class 1 (a − g). */
export const PANEL_TARGET: Readonly<Record<Panel, number>> = { 'target-max': 0, 'target-min': 1 };

/** Threshold magnitudes put on both axes. */
function thresholdMagnitudes(dtype: Dtype): number[] {
  return expThresholds(dtype)
    .filter((t) => t.key === 'overflow' || t.key === 'subnormal' || t.key === 'zero')
    .map((t) => Math.abs(t.rounded));
}

/** The dense band of the grid: where the exp thresholds of both dtypes lie. */
export const NEAR_BAND: readonly [number, number] = [0.25, 2048];

function logSpaced(lo: number, hi: number, count: number, round: (x: number) => number): number[] {
  const a = Math.log(lo);
  const b = Math.log(hi);
  return Array.from({ length: count }, (_, i) => (i === 0 ? round(lo) : i === count - 1 ? round(hi) : round(Math.exp(a + ((b - a) * i) / (count - 1)))));
}

/** `count` positive values: the thresholds, the full range and the dense band; ascending. */
export function magnitudes(dtype: Dtype, count: number): number[] {
  const fmt = formatOf(dtype);
  const thresholds = thresholdMagnitudes(dtype);
  const rest = count - thresholds.length;
  if (rest < 4) throw new RangeError(`magnitudes: ${count} is too few (need ≥ ${thresholds.length + 4})`);
  const far = Math.ceil(rest / 2);
  const kLo = Math.ceil(Math.log10(fmt.unitRoundoff));
  const kHi = Math.floor(Math.log10(fmt.max));
  // far − 1 decades from 10^kLo towards 10^kHi (a single one is 10^kLo), then max.
  const decades = Array.from({ length: far - 1 }, (_, i) => fmt.round(10 ** Math.round(far > 2 ? kLo + ((kHi - kLo) * i) / (far - 2) : kLo)));
  const values = new Set<number>([...thresholds, ...decades, fmt.max]);
  // A band point that coincides with a value already there moves up one ulp at a time until it does not.
  for (let v of logSpaced(NEAR_BAND[0], NEAR_BAND[1], count - values.size, fmt.round)) {
    while (values.has(v)) v = nextUp(v, dtype);
    values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/** Fewest grid points per axis: on each side three thresholds and two points in each range. */
export const MIN_OFFSETS = 15;
export const MIN_GAPS = 8;

/** Offsets: −magnitudes (descending), 0, +magnitudes; `count` odd. */
export function offsetGrid(dtype: Dtype, count: number): number[] {
  const m = magnitudes(dtype, (count - 1) / 2);
  return [...m.map((v) => -v).reverse(), 0, ...m];
}

/** Gaps: 0, then `count − 1` magnitudes. */
export function gapGrid(dtype: Dtype, count: number): number[] {
  return [0, ...magnitudes(dtype, count - 1)];
}

/**
 * The row of cell (a, g): x_0 = a, x_j = a − j·g rounded to the dtype (evaluated in double), j = 1 … 1 + extra,
 * then the masked classes: the last `masks.length` entries of `out` hold `masks` (values of the dtype, maskValue).
 */
export function fillRow(out: Float64Array, a: number, g: number, dtype: Dtype, masks: readonly number[] = []): Float64Array {
  const round = formatOf(dtype).round;
  const end = out.length - masks.length;
  out[0] = a;
  for (let j = 1; j < end; j++) out[j] = round(a - j * g);
  for (let i = 0; i < masks.length; i++) out[end + i] = masks[i];
  return out;
}
