/**
 * The fuzzer's generator families: fast-check arbitraries of one logit row and
 * its target, per dtype. Every value in a row is a value of the dtype (float32
 * ones held in doubles), finite but for the `masked` family's −Infinity classes
 * (src/fuzz/masked.ts), and every row has at least 2 classes with the
 * target anywhere in it. The arbitraries are pure functions of (family, dtype),
 * so a seed and a fast-check path name one case for good (`--replay`).
 *
 * Shrinking goes through fast-check's own shrinkers of the underlying integers
 * and arrays (fewer classes, values towards the range's lower end, target 0).
 */
import fc from 'fast-check';
import type { Dtype, FormatInfo } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import type { Family } from '../suite/define.js';
import { mulberry32 } from '../util/random.js';
import { maskedFamily } from './masked.js';
import type { FuzzCase } from './row.js';
import { finished } from './row.js';

export type { FuzzCase } from './row.js';

/** exp(x) overflows to Infinity in the dtype above ln(max): float32 88.7228…, float64 709.7827…. */
export function expOverflowAt(dtype: Dtype): number {
  return Math.log(formatOf(dtype).max);
}

/**
 * exp(x) rounds to 0 in the dtype below ln(minSubnormal / 2) (half the smallest
 * subnormal rounds to even, i.e. 0): float32 ln(2^−150) = −103.972…, float64
 * ln(2^−1075) = −745.133….
 */
export function expUnderflowAt(dtype: Dtype): number {
  return Math.log(formatOf(dtype).minSubnormal) - Math.LN2; // minSubnormal / 2 is 0 in double for float64
}

/** Classes of a `vocab` row: LLaMA's 32,000 to GPT-2's 50,257. */
export const VOCAB_MIN = 32000;
export const VOCAB_MAX = 50257;

const TWO30 = 2 ** 30;
const TWO31 = 2 ** 31;

/** u in [0, 1] on a grid of 2^−30, shrinking towards 0. */
const unit = fc.integer({ min: 0, max: TWO30 }).map((k) => k / TWO30);

/** Uniform (linear scale) on [lo, hi], shrinking towards lo. */
function between(lo: number, hi: number): fc.Arbitrary<number> {
  return unit.map((u) => lo + (hi - lo) * u);
}

/** Standard normal by Box–Muller (radius from 1 − a/2^31, so a = 0 gives 0 and the shrink target is 0). */
function boxMuller(a: number, b: number): number {
  return Math.sqrt(-2 * Math.log(1 - a / TWO31)) * Math.cos((2 * Math.PI * b) / TWO31);
}
const gaussian = fc.tuple(fc.integer({ min: 0, max: TWO31 - 1 }), fc.integer({ min: 0, max: TWO31 - 1 })).map(([a, b]) => boxMuller(a, b));

/** A target index in [0, n): drawn as a non-negative int and reduced, so it shrinks towards 0 and follows the row when it shrinks. */
const targetDraw = fc.nat();

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function float32FromBits(negative: boolean, magnitude: number): number {
  u32[0] = (negative ? 0x80000000 : 0) + magnitude;
  return f32[0];
}
function float64FromBits(negative: boolean, magnitude: bigint): number {
  u64[0] = (negative ? 1n << 63n : 0n) | magnitude;
  return f64[0];
}


/**
 * A value whose bit pattern is uniform over sign × magnitude patterns in [0, maxMagnitude] (both zeros
 * included). float32 and float64 build the value from its bits; the 16-bit formats from the format
 * table's ordinal map (`fromOrdinal`, src/float/dtype.ts), whose ordinal of a positive value is its
 * magnitude pattern.
 */
function bitPattern(dtype: Dtype, maxMagnitude: bigint, biased: boolean): fc.Arbitrary<number> {
  const fmt = formatOf(dtype);
  const arb =
    dtype === 'float32'
      ? fc.tuple(fc.boolean(), fc.integer({ min: 0, max: Number(maxMagnitude) })).map(([s, m]) => float32FromBits(s, m))
      : dtype === 'float64'
        ? fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: maxMagnitude })).map(([s, m]) => float64FromBits(s, m))
        : fc.tuple(fc.boolean(), fc.integer({ min: 0, max: Number(maxMagnitude) })).map(([s, m]) => (s ? -1 : 1) * fmt.fromOrdinal(BigInt(m)));
  return biased ? arb : fc.noBias(arb);
}

function rows<T>(element: fc.Arbitrary<T>, maxClasses: number): fc.Arbitrary<T[]> {
  return fc.array(element, { minLength: 2, maxLength: maxClasses, size: 'max' });
}

function ordinalFamily(dtype: Dtype, fmt: FormatInfo): fc.Arbitrary<FuzzCase> {
  // Largest magnitude pattern of a finite value (float32 0x7f7fffff, float64 0x7fefffffffffffff, float16 0x7bff): max's ordinal.
  const max = fmt.ordinal(fmt.max);
  return fc.noBias(
    fc.tuple(fc.array(bitPattern(dtype, max, false), { minLength: 2, maxLength: 8, size: 'max' }), targetDraw).map(([v, t]) => finished(v, t, fmt)),
  );
}

/** Ulps either side of ±ln(max) that the offset family's band rows reach. */
export const OFFSET_BAND_ULPS = 8;

function offsetFamily(dtype: Dtype, fmt: FormatInfo): fc.Arbitrary<FuzzCase> {
  const over = expOverflowAt(dtype);
  const under = expUnderflowAt(dtype);
  // The band: ±ln(max) of the format (float16 ±11.09, bfloat16 and float32 ±88.72, float64 ±709.78) to its nearest value, then
  // k ∈ [−8, 8] values of the format either side: where exp(x) overflows (+) and where exp(x) enters the subnormals (−, about ln(1/max)).
  const bandCentre = fmt.ordinal(fmt.round(over));
  const bandValue = (k: number, negative: boolean) => (negative ? -1 : 1) * fmt.fromOrdinal(bandCentre + BigInt(k));
  // Two rows in three: the common offset c = T · s, s in [0.5, 1.5], T the overflow or the underflow threshold: the row crosses T at s = 1.
  // One in three: the row's maximum on the band, the other classes up to 8 below it.
  return fc
    .record({
      base: rows(between(-8, 8), 16),
      underflowSide: fc.boolean(),
      scale: between(0.5, 1.5),
      band: fc.integer({ min: 0, max: 2 }).map((b) => b === 2),
      bandUlps: fc.integer({ min: -OFFSET_BAND_ULPS, max: OFFSET_BAND_ULPS }),
      target: targetDraw,
    })
    .map(({ base, underflowSide, scale, band, bandUlps, target }) => {
      if (band) {
        const top = bandValue(bandUlps, underflowSide);
        return finished(
          base.map((b, j) => (j === 0 ? top : top - Math.abs(b))),
          target,
          fmt,
        );
      }
      const c = (underflowSide ? under : over) * scale;
      return finished(
        base.map((b) => b + c),
        target,
        fmt,
      );
    });
}

function dominantFamily(dtype: Dtype, fmt: FormatInfo): fc.Arbitrary<FuzzCase> {
  // Loss ≈ (n − 1)·exp(−gap): from exp(−4) down past the smallest subnormal (float32 2^−149 = exp(−103.3), float64 2^−1074 = exp(−744.4),
  // float16 2^−24 = exp(−16.6), bfloat16 2^−133 = exp(−92.2)): gaps up to −ln(minSubnormal) + 16, rounded up to a multiple of 40
  // (float32 120, float64 800, float16 40, bfloat16 120).
  const gapMax = Math.ceil((-Math.log(fmt.minSubnormal) + 16) / 40) * 40;
  return fc
    .record({
      top: fc.oneof(fc.constant(0), between(-30, 30), between(-1e4, 1e4)),
      gap: between(4, gapMax),
      below: rows(between(0, 4), 16),
      target: targetDraw,
    })
    .map(({ top, gap, below, target }) => {
      const t = target % below.length;
      const a = fmt.round(top);
      return finished(
        below.map((e, j) => (j === t ? a : a - gap - e)),
        t,
        fmt,
      );
    });
}

function underdogFamily(dtype: Dtype, fmt: FormatInfo): fc.Arbitrary<FuzzCase> {
  // gap drawn uniformly over the dtype's values in [16, G] (fc.double is uniform over bit patterns): about log-uniform,
  // so both sides of the naive pipelines' exp-underflow line (x[t] < −103.97 / −745.13 / float16 −17.33) get cases.
  // G = 10^8 where the exponent range is float64's, 10^6 otherwise, and at most max/4 (float16: 16376), so a − gap stays finite.
  const gapMax = Math.min(fmt.max / 4, fmt.emax > 200 ? 1e8 : 1e6);
  return fc
    .record({
      top: between(-30, 30),
      gap: fc.double({ min: 16, max: gapMax, noNaN: true }),
      below: rows(between(0, 8), 16),
      target: targetDraw,
      maxAt: fc.nat(),
    })
    .map(({ top, gap, below, target, maxAt }) => {
      const n = below.length;
      const t = target % n;
      const k = (t + 1 + (maxAt % (n - 1))) % n;
      const a = fmt.round(top);
      return finished(
        below.map((e, j) => (j === k ? a : j === t ? a - gap : a - e)),
        t,
        fmt,
      );
    });
}

function spreadFamily(dtype: Dtype, fmt: FormatInfo): fc.Arbitrary<FuzzCase> {
  // Within a factor 2 of ±max, at least one of each sign.
  return fc.tuple(rows(fc.tuple(fc.boolean(), between(0.5, 1)), 8), targetDraw).map(([elements, target]) => {
    const signs = elements.map(([negative]) => negative);
    if (signs.every((s) => s)) signs[0] = false;
    else if (signs.every((s) => !s)) signs[signs.length - 1] = true;
    return finished(
      elements.map(([, u], j) => (signs[j] ? -1 : 1) * fmt.max * u),
      target,
      fmt,
    );
  });
}

function tiesFamily(dtype: Dtype, fmt: FormatInfo): fc.Arbitrary<FuzzCase> {
  // Two or more classes at the maximum a; the rest up to 20 below it. a spans the dtype's magnitudes up to 10^6 (float16: max/2).
  const topMax = Math.min(1e6, fmt.max / 2);
  return fc
    .record({ top: fc.double({ min: -topMax, max: topMax, noNaN: true }), elements: rows(fc.tuple(fc.boolean(), between(0, 20)), 16), target: targetDraw })
    .map(({ top, elements, target }) => {
      const a = fmt.round(top);
      const tie = elements.map(([isTie]) => isTie);
      if (tie.filter((x) => x).length < 2) tie[0] = tie[1] = true;
      return finished(
        elements.map(([, below], j) => (tie[j] ? a : a - below)),
        target,
        fmt,
      );
    });
}

function subnormalFamily(dtype: Dtype, fmt: FormatInfo): fc.Arbitrary<FuzzCase> {
  // Bit patterns up to 2·minNormal: the subnormals, both zeros and the lowest normal binade (2^precision patterns: float32 2^24, float16 2^11).
  const max = 2n ** BigInt(fmt.precision);
  return fc.tuple(rows(bitPattern(dtype, max, true), 16), targetDraw).map(([v, t]) => finished(v, t, fmt));
}

function vocabFamily(dtype: Dtype, fmt: FormatInfo): fc.Arbitrary<FuzzCase> {
  // A language-model row: N(shift, sigma²) logits from a row seed, one class raised by `boost` (the target, or another class).
  // One row in three is nearly flat (sigma ≤ 0.05: every exp(x − m) near 1), where a running sum in the format stalls
  // (float16 at 2048: 2048 + 1 rounds back to 2048; bfloat16 at 256) and, unshifted, Σ exp(x) ≈ n·e^shift passes the
  // format's max while every term is finite (float16: shift between ln(65504/n) ≈ 0.3 to 0.7 and ln(65504) ≈ 11.09).
  return fc
    .record({
      classes: fc.integer({ min: VOCAB_MIN, max: VOCAB_MAX }),
      rowSeed: fc.noBias(fc.integer({ min: 0, max: TWO31 - 1 })),
      sigma: between(0.5, 4),
      flat: fc.integer({ min: 0, max: 2 }).map((k) => k === 2),
      shift: between(-20, 20),
      boost: between(0, 25),
      boostTarget: fc.boolean(),
      target: targetDraw,
    })
    .map(({ classes, rowSeed, sigma, flat, shift, boost, boostTarget, target }) => {
      const random = mulberry32(rowSeed);
      const s = flat ? sigma / 80 : sigma; // flat: sigma in [0.00625, 0.05]
      const logits = new Float64Array(classes);
      for (let j = 0; j < classes; j++) {
        const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        logits[j] = fmt.round(shift + s * z);
      }
      const t = target % classes;
      const k = boostTarget ? t : (t + 1 + Math.floor(random() * (classes - 1))) % classes;
      logits[k] = fmt.round(logits[k] + boost);
      return { logits, target: t };
    });
}

function moderateFamily(dtype: Dtype, fmt: FormatInfo): fc.Arbitrary<FuzzCase> {
  return fc
    .record({ sigma: between(0.1, 10), z: rows(gaussian, 64), target: targetDraw })
    .map(({ sigma, z, target }) =>
      finished(
        z.map((v) => sigma * v),
        target,
        fmt,
      ),
    );
}

const BUILDERS: Record<Family, (dtype: Dtype, fmt: FormatInfo) => fc.Arbitrary<FuzzCase>> = {
  ordinal: ordinalFamily,
  offset: offsetFamily,
  dominant: dominantFamily,
  underdog: underdogFamily,
  spread: spreadFamily,
  ties: tiesFamily,
  subnormal: subnormalFamily,
  vocab: vocabFamily,
  moderate: moderateFamily,
  masked: maskedFamily,
};

const cache = new Map<string, fc.Arbitrary<FuzzCase>>();

/** The arbitrary of a family in a dtype. */
export function familyArbitrary(family: Family, dtype: Dtype): fc.Arbitrary<FuzzCase> {
  const key = `${family}/${dtype}`;
  let arb = cache.get(key);
  if (arb === undefined) {
    arb = BUILDERS[family](dtype, formatOf(dtype));
    cache.set(key, arb);
  }
  return arb;
}
