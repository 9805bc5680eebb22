/**
 * Rounding a double directly to the two 16-bit formats, to nearest with ties to
 * even, subnormals and overflow included (IEEE 754-2019 §4.3.1, §7.4).
 *
 * - float16 (IEEE binary16): p = 11, emin = −14, emax = 15; max 65504,
 *   smallest subnormal 2^−24. Rounded by `f16round` of `@petamoriken/float16`,
 *   which rounds from the double's bits (the spec of `Math.f16round`, which
 *   Node 20 lacks).
 * - bfloat16 (Google Brain float): p = 8 with float32's exponent range
 *   (emin = −126, emax = 127); max (2 − 2^−7)·2^127 ≈ 3.39e38, smallest
 *   subnormal 2^−133. Rounded by {@link roundToPrecision}.
 *
 * Never round through float32 first: double → float32 → float16 rounds twice
 * and is wrong on values just beside a float16 midpoint (e.g. 1 + 2^−11 + 2^−40
 * rounds up in one step and to 1 through float32). `half.test.ts` checks both
 * functions on every value of each format, every midpoint between neighbours
 * and the doubles just either side of each midpoint.
 */
import { f16round } from '@petamoriken/float16';

/** Rounds a double to float16 (binary16), to nearest, ties to even. NaN stays NaN. */
export const roundFloat16: (x: number) => number = f16round;

/**
 * Rounds a double to a binary format of `precision` significand bits (implicit
 * bit included) with exponents in [emin, emax], to nearest, ties to even;
 * gradual underflow below 2^emin, ±Infinity from the overflow midpoint
 * (2 − 2^−p)·2^emax up. Valid for 2 ≤ precision ≤ 53 and emin − precision ≥ −1074.
 *
 * Method: the quantum (the ulp at x's exponent, never below the subnormal
 * quantum 2^(emin − p + 1)) is a power of two, so x / quantum is exact; it is
 * rounded to an integer, half to even, and scaled back exactly.
 */
export function roundToPrecision(x: number, precision: number, emin: number, emax: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  const e = Math.max(exponentOf(a), emin);
  const quantum = 2 ** (e - precision + 1);
  const r = roundHalfEven(a / quantum) * quantum;
  const max = (2 - 2 ** (1 - precision)) * 2 ** emax;
  const y = r > max ? Infinity : r;
  return x < 0 ? -y : y;
}

/** Rounds a double to bfloat16, to nearest, ties to even (float32's exponent range, 8-bit significand). */
export function roundBfloat16(x: number): number {
  return roundToPrecision(x, 8, -126, 127);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** floor(log2 a) for a finite a > 0, exactly, from the bits (subnormal doubles included). */
function exponentOf(a: number): number {
  f64[0] = a;
  const biased = (u32[1] >>> 20) & 0x7ff;
  if (biased !== 0) return biased - 1023;
  // A subnormal double: scale into the normal range first (exact).
  f64[0] = a * 2 ** 64;
  return ((u32[1] >>> 20) & 0x7ff) - 1023 - 64;
}

/** The integer nearest to y ≥ 0 (y < 2^53), ties to even. */
function roundHalfEven(y: number): number {
  const f = Math.floor(y);
  const d = y - f; // exact: y and f share y's exponent or f is smaller
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
