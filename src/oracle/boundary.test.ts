import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { BatchOptions, OptionRow } from '../cases/options.js';
import { DEFAULT_OPTIONS } from '../cases/options.js';
import { ANY_DTYPES, formatOf } from '../float/dtype.js';
import { nextDown, nextUp } from '../float/ordinal.js';
import { boundaryBetween, dyadicOf, dyadicString, signOfSum, tieToEven } from './boundary.js';
import { oracleBatch, oracleRowGrad, oracleRowGradRounded } from './batch.js';
import { ExactDecimal, exactDecimal, roundDecimal } from './exact.js';
import { log1p, workingDecimal } from './loss.js';

const asDecimal = (b: { m: bigint; e: number }) => new ExactDecimal(dyadicString(b.m, b.e));
/** An amount far below every format's spacing near b, for probing both sides of it. */
const nudge = (b: Decimal) => (b.isZero() ? new ExactDecimal('1e-400') : b.abs().times('1e-40'));

describe('boundaryBetween: the one rounding boundary between adjacent values', () => {
  for (const dtype of ANY_DTYPES) {
    const fmt = formatOf(dtype);
    const pairs: [number, number][] = [
      [1, nextUp(1, dtype)],
      [nextDown(1, dtype), 1],
      [0, fmt.minSubnormal],
      [-fmt.minSubnormal, -0],
      [nextDown(fmt.minNormal, dtype), fmt.minNormal],
      [fmt.max, Infinity],
      [-Infinity, -fmt.max],
      [-3, nextUp(-3, dtype)],
    ];
    it(`${dtype}: values just below b round to the lower one, just above to the upper one`, () => {
      for (const [lo, hi] of pairs) {
        const b = boundaryBetween(lo, hi, dtype);
        expect(b, `${lo} ${hi}`).toBeDefined();
        const d = asDecimal(b!);
        expect(Object.is(roundDecimal(d.minus(nudge(d)), dtype), lo), `${lo} below`).toBe(true);
        expect(Object.is(roundDecimal(d.plus(nudge(d)), dtype), hi), `${hi} above`).toBe(true);
      }
    });
    it(`${dtype}: −0 and +0 have the boundary 0; values two apart or equal have none`, () => {
      expect(boundaryBetween(-0, 0, dtype)).toEqual({ m: 0n, e: 0 });
      expect(boundaryBetween(1, nextUp(nextUp(1, dtype), dtype), dtype)).toBeUndefined();
      expect(boundaryBetween(-fmt.minSubnormal, fmt.minSubnormal, dtype)).toBeUndefined();
      expect(boundaryBetween(1, 1, dtype)).toBeUndefined();
    });
    it(`${dtype}: a zero and the least subnormal of the other sign have two boundaries (∓minSub/2 and 0), so none is returned`, () => {
      expect(boundaryBetween(-fmt.minSubnormal, 0, dtype)).toBeUndefined();
      expect(boundaryBetween(-0, fmt.minSubnormal, dtype)).toBeUndefined();
      const half = exactDecimal(fmt.minSubnormal).div(2);
      expect(asDecimal(boundaryBetween(-fmt.minSubnormal, -0, dtype)!).eq(half.neg())).toBe(true);
      expect(asDecimal(boundaryBetween(0, fmt.minSubnormal, dtype)!).eq(half)).toBe(true);
    });
    it(`${dtype}: tieToEven gives the even neighbour, a zero with its neighbour's sign`, () => {
      expect(Object.is(tieToEven(-fmt.minSubnormal, -0, dtype), -0)).toBe(true);
      expect(Object.is(tieToEven(0, fmt.minSubnormal, dtype), 0)).toBe(true);
      expect(Object.is(tieToEven(-0, fmt.minSubnormal, dtype), 0)).toBe(true);
      expect(Object.is(tieToEven(-fmt.minSubnormal, 0, dtype), -0)).toBe(true);
      expect(Object.is(tieToEven(-0, 0, dtype), 0)).toBe(true);
      expect(tieToEven(1, nextUp(1, dtype), dtype)).toBe(1);
      expect(tieToEven(nextDown(1, dtype), 1, dtype)).toBe(1);
      expect(tieToEven(fmt.max, Infinity, dtype)).toBe(Infinity); // max has an odd significand: overflow
    });
  }
});

describe('signOfSum: the sign of X + Σ c_i·y_i from exact coefficients and intervals', () => {
  const D = workingDecimal(48);
  const y = (v: string, positive = true) => ({ lo: new D(v), hi: new D(v), positive });
  it('is exact when a part is exactly 0, whatever the intervals (an exp under decimal.js range has lo = 0)', () => {
    expect(signOfSum(dyadicOf(0), [{ c: dyadicOf(3), lo: new D(0), hi: new D('1e-1000'), positive: true }], D)).toBe(1);
    expect(signOfSum(dyadicOf(-1), [{ c: dyadicOf(3), ...y('0', false) }], D)).toBe(-1);
    expect(signOfSum(dyadicOf(0), [{ c: dyadicOf(0), ...y('5') }], D)).toBe(0);
  });
  it('decides a cancellation only when the precision resolves it', () => {
    // 1 − 3·y with y = 1/3 + 10^−60: negative, by 3·10^−60.
    const terms = (D: typeof Decimal) => {
      const v = new D(1).div(3).plus(new D('1e-60'));
      const u = new D(10).pow(1 - D.precision);
      return [{ c: dyadicOf(-3), lo: v.times(new D(1).minus(u)), hi: v.times(new D(1).plus(u)), positive: true }];
    };
    expect(signOfSum(dyadicOf(1), terms(workingDecimal(48)), workingDecimal(48))).toBeUndefined();
    expect(signOfSum(dyadicOf(1), terms(workingDecimal(96)), workingDecimal(96))).toBe(-1);
  });
});

/**
 * Rows whose value lies within e^−Δ of a rounding boundary, Δ the spread of the logits: past Ziv's
 * last precision (6144 digits ≈ e^−14,000). Before boundary.ts, the decimal.js tier took the middle
 * of the interval there (a guess) after minutes; the expected values below come from exact rational
 * arithmetic on the dyadic part and the sign of the tail, not from the oracle.
 */
describe('the options oracle at a boundary e^−Δ away (found by the option-extremes source, issue 17)', () => {
  it('float32, ε = 1, weights at the ends of the format: gradient component 5 is just below the midpoint U_5/C', () => {
    const w = [7.882836818695068, 1.0939642190933228, 1.9879721403121948, 0.5101473331451416, 8, 1.1754943508222875e-38, 1, 1.3291270732879639];
    const o: BatchOptions = { ...DEFAULT_OPTIONS, labelSmoothing: 1, maskedRows: 'ignore', ignoreIndex: 2, weight: w };
    const row: OptionRow = { logits: Float64Array.from([0, 0, 0, 0, -1.116537064314811e-32, 100000, 0, 0]), target: 0, soft: Float64Array.from([0, 0, 1, 0, 0, 0, 0, 3.44719422223905e-43]) };
    // With ε = 1, V_c = w_c and U_5 = Σ_{c≠5} w_c; g_5 = U_5/(C·S) − V_5·Q_5/(C·S) < U_5/C (S > 1, Q_5 > 0), by about e^−100000.
    const u5 = w.reduce((s, v, c) => (c === 5 ? s : s.plus(exactDecimal(v))), new ExactDecimal(0)).div(8);
    const lower = roundDecimal(u5.minus('1e-30'), 'float32');
    const upper = roundDecimal(u5.plus('1e-30'), 'float32');
    expect(nextUp(lower, 'float32')).toBe(upper);
    expect(u5.eq(exactDecimal(lower).plus(exactDecimal(upper)).div(2))).toBe(true); // U_5/C is the midpoint
    const g = oracleRowGrad(row, o, 'float32', Float64Array.from(w));
    expect(g[5]).toBe(lower);
  });

  // L_1 = (m − x_1) + log1p(e^(x_1 − m)) with m − x_1 a midpoint of the format and the tail e^−Δ > 0:
  // every value rounds up, to the upper neighbour of the midpoint.
  const cases: { dtype: 'float32' | 'float16' | 'float64'; m: number; x1: number }[] = [
    { dtype: 'float32', m: 100000, x1: 2 ** -8 }, // 100000 − 2^−8: float32's spacing there is 2^−7
    { dtype: 'float16', m: 65504, x1: 16 }, // 65488: float16's spacing there is 32
    { dtype: 'float64', m: 2 ** 20, x1: 2 ** -34 }, // 2^20 − 2^−34: float64's spacing below 2^20 is 2^−33 (a binade's end)
  ];
  for (const { dtype, m, x1 } of cases) {
    it(`${dtype}: a soft one-hot target on a logit ${m} below the maximum's midpoint rounds up (loss, sum and mean)`, () => {
      const midpoint = exactDecimal(m).minus(exactDecimal(x1));
      const below = roundDecimal(midpoint.minus(nudge(midpoint)), dtype);
      const above = roundDecimal(midpoint.plus(nudge(midpoint)), dtype);
      expect(nextUp(below, dtype)).toBe(above); // a boundary indeed
      const row: OptionRow = { logits: Float64Array.from([m, x1]), target: 0, soft: Float64Array.of(0, 1) };
      const got = oracleBatch([row], { ...DEFAULT_OPTIONS, reduction: 'mean' }, dtype, undefined);
      expect([got.rows[0].rounded, got.sum.rounded, got.mean.rounded]).toEqual([above, above, above]);
    });
  }
  it('float32: weight 2 on the target class doubles the value (a midpoint still), and the mean divides by 2 exactly', () => {
    const row: OptionRow = { logits: Float64Array.from([100000, 2 ** -8]), target: 1 };
    const weight = Float64Array.of(1, 2);
    const got = oracleBatch([row], { ...DEFAULT_OPTIONS, weight: [1, 2], reduction: 'mean' }, 'float32', weight);
    // l = 2·(100000 − 2^−8) + 2τ: above the midpoint 200000 − 2^−7, so 200000; the mean l/2 rounds to 100000.
    expect([got.rows[0].rounded, got.sum.rounded, got.mean.rounded]).toEqual([200000, 200000, 100000]);
  });
});

/**
 * Classes tied with the maximum and one far below it (the review of the exact test): with e_j = 1 the
 * gradient's two terms U_j·e_j and V_j·Q_j, Q_j = (t − 1) + e^−Δ, cancel to e^−Δ, and a boundary test
 * on them alone needs Δ/ln 10 digits (it threw, or at −20480 took seconds and answered +0 where −0
 * is right). Grouping the tied classes (gradSide) decides them at once. The expected values come from
 * the closed forms in each comment (a_c = (1 − ε)·w_c·q_c + ε·w_c/C, A = Σ a_c, g_j = A·p_j − a_j),
 * not from the oracle.
 */
describe('the options gradient with classes tied at the maximum and a far class', () => {
  const row = (logits: number[], target: number, soft?: number[]): OptionRow => ({ logits: Float64Array.from(logits), target, soft: soft && Float64Array.from(soft) });
  const both = (r: OptionRow, o: BatchOptions, dtype: (typeof ANY_DTYPES)[number], w?: number[]) => {
    const weight = w && Float64Array.from(w);
    const slow = Array.from(oracleRowGrad(r, o, dtype, weight));
    const fast = Array.from(oracleRowGradRounded(r, o, dtype, weight));
    expect(fast.map((v) => Object.is(v, -0) ? '-0' : String(v))).toEqual(slow.map((v) => Object.is(v, -0) ? '-0' : String(v)));
    return slow;
  };
  const signed = (v: number[]) => v.map((x) => (Object.is(x, -0) ? '-0' : String(x)));
  // soft [1/2, 1/2, 0]: A = 1, p_0 = p_1 = 1/(2 + e^−Δ): g_0 = g_1 = −e^−Δ/(2(2 + e^−Δ)) < 0, g_2 = p_2 > 0, all below every subnormal.
  it('float32, soft [1/2, 1/2, 0], the far logit at −max: [−0, −0, +0]', () => {
    expect(signed(both(row([0, 0, -3.4028234663852886e38], 0, [0.5, 0.5, 0]), DEFAULT_OPTIONS, 'float32'))).toEqual(['-0', '-0', '0']);
  });
  for (const dtype of ANY_DTYPES) {
    it(`${dtype}: soft [1/2, 1/2, 0], the far logit at −20480: [−0, −0, +0]`, () => {
      expect(signed(both(row([0, 0, -20480], 0, [0.5, 0.5, 0]), DEFAULT_OPTIONS, dtype))).toEqual(['-0', '-0', '0']);
    });
  }
  // Class target 0, ε = 3/4: a = [1/2, 1/4, 1/4], A = 1: g_0 = p_0 − 1/2 < 0 by e^−Δ/(2(2 + e^−Δ)); g_1 = p_1 − 1/4 just below 1/4; g_2 = p_2 − 1/4 just above −1/4.
  it('class target, ε = 3/4 (float32 at −1e30, float64 at −100000): [−0, 1/4, −1/4]', () => {
    const o = { ...DEFAULT_OPTIONS, labelSmoothing: 0.75 };
    expect(signed(both(row([0, 0, -1.0000000150474662e30], 0), o, 'float32'))).toEqual(['-0', '0.25', '-0.25']);
    expect(signed(both(row([0, 0, -100000], 0), o, 'float64'))).toEqual(['-0', '0.25', '-0.25']);
  });
  // ε = 1, weights [1, 1, 0]: a = [1/3, 1/3, 0], A = 2/3: g_0 = g_1 = −e^−Δ/(3(2 + e^−Δ)), g_2 = (2/3)·e^−Δ/(2 + e^−Δ).
  it('float32, ε = 1, weights [1, 1, 0]: [−0, −0, +0]', () => {
    const o = { ...DEFAULT_OPTIONS, labelSmoothing: 1, weight: [1, 1, 0] };
    expect(signed(both(row([0, 0, -1.0000000150474662e30], 0), o, 'float32', [1, 1, 0]))).toEqual(['-0', '-0', '0']);
  });
  // ε = 1, weights [0, 4 + 2^−21, 4, 0]: a = [0, 1 + 2^−23, 1, 0], A = 2 + 2^−23, p_0 = p_1 = 1/(2 + 2e^−Δ):
  // g_0 = A·p_0 just below the midpoint 1 + 2^−24 → 1; g_1 = g_0 − (1 + 2^−23) just below −2^−24 → −2^−24 (exact there);
  // g_2 = A·p_2 − 1 just above −1 → −1; g_3 = A·p_3 → +0.
  it('float32, ε = 1, weights [0, 4 + 2^−21, 4, 0]: g_0 just below a midpoint rounds to 1', () => {
    const w = [0, 4 + 2 ** -21, 4, 0];
    const o = { ...DEFAULT_OPTIONS, labelSmoothing: 1, weight: w };
    expect(signed(both(row([0, 0, -1.0000000150474662e30, -1.0000000150474662e30], 0), o, 'float32', w))).toEqual(['1', String(-(2 ** -24)), '-1', '0']);
  });
  // A far class at −100 in float64 leaves a representable gradient: g_0 = −e^−100/(2(2 + e^−100)) by Ziv's loop, checked against the closed form at 200 digits.
  it('float64, soft [1/2, 1/2, 0] at −100: the closed form −e^−100/(2(2 + e^−100)), correctly rounded', () => {
    const D = workingDecimal(200);
    const t = new D(-100).exp();
    const g0 = t.neg().div(t.plus(2).times(2));
    const g2 = t.div(t.plus(2));
    const got = both(row([0, 0, -100], 0, [0.5, 0.5, 0]), DEFAULT_OPTIONS, 'float64');
    expect(got).toEqual([roundDecimal(new ExactDecimal(g0.toString()), 'float64'), roundDecimal(new ExactDecimal(g0.toString()), 'float64'), roundDecimal(new ExactDecimal(g2.toString()), 'float64')]);
  });
});

/**
 * Bounds that did not shrink with the precision (the review of 1c7a4d0): the loss plan dropped the
 * classes below a window fixed at 48 digits (10^−58 of T at every precision), the terms under
 * decimal.js's range were bounded by 10^−1000 whatever the coefficients, and decimal.js's ln stops at
 * about 1,000 digits (its ln 10 constant). Each row below threw; now the window widens with the
 * precision, the floor bound is 10^(−8·10^15), and log1p reduces by square roots past 1,000 digits.
 */
describe('the oracle past 10^−58 and 1,000 digits', () => {
  it('log1p at 1,536 and 3,072 digits: exp(log1p(t)) = 1 + t within the bound 10^(6−P)', () => {
    for (const [digits, ts] of [[1536, ['0.5', '2.2', '1000', '0.00002']], [3072, ['2.2']]] as const) {
      const D = workingDecimal(digits);
      for (const t of ts) {
        const l = log1p(new D(t), D);
        const back = l.exp(); // exp needs no ln 10: an independent check
        const rel = back.minus(new D(t).plus(1)).abs().div(new D(t).plus(1));
        expect(rel.lt(new D(10).pow(7 - digits).times(l.abs().plus(1))), `${t} at ${digits}`).toBe(true);
      }
    }
  });
  // float64, ε = 2^−1074, weights [2^700, 3·2^−1000], soft [2^600, q_1] with 3·q_1·2^53 = 2^53 + 1, logits [0, −1e300]:
  // a_1 = w_1·q_1 + ε·w_1(1/2 − q_1) = 2^−1000 + 2^−1053 + (about 2^−2075): just above the midpoint b* = 2^−1000 + 2^−1053
  // between 2^−1000 and u = 2^−1000 + 2^−1052. p_1 < e^(−1e300), so g_1 = A·p_1 − a_1 is just below −b* (→ −u), and
  // g_0 = −g_1 (the components sum to 0) just above b* (→ u).
  it('float64 gradient with coefficients near 2^1300 and a class under decimal.js range: [u, −u]', () => {
    const q1 = 3002399751580331 * 2 ** -53;
    const w = [2 ** 700, 3 * 2 ** -1000];
    const r = { logits: Float64Array.from([0, -1e300]), target: 0, soft: Float64Array.from([2 ** 600, q1]) };
    const o = { ...DEFAULT_OPTIONS, labelSmoothing: 2 ** -1074, weight: w };
    const u = 2 ** -1000 + 2 ** -1052;
    expect(Array.from(oracleRowGrad(r, o, 'float64', Float64Array.from(w)))).toEqual([u, -u]);
    expect(Array.from(oracleRowGradRounded(r, o, 'float64', Float64Array.from(w)))).toEqual([u, -u]);
  });
  // float64 soft target q (a greedy expansion of (1 + 2^−53)/(1 + ln(1 + 6/e)) into 6 doubles) on [0, −1 ×6, far]:
  // l = Σq·(1 + ln(1 + 6/e + e^far)) (every L_c = 1 + τ), within 10^−88 of the midpoint 1 + 2^−53; the class at `far` is
  // below the first precision's window. Expected from that closed form at 1,000 digits.
  for (const far of [-200, -1000]) {
    it(`float64 options loss 10^−88 from a midpoint, a class at ${far}: row, sum and mean`, () => {
      const q = [0.46180371154032895, 2.331537468180928e-17, 1.4788002827526394e-33, 1.174320477434605e-49, 1.5648651122014483e-65, 1.297474004186081e-81];
      const E = workingDecimal(1000);
      const sumQ = q.reduce((s, v) => s.plus(new E(exactDecimal(v).toString())), new E(0));
      const tau = new E(1).plus(new E(-1).exp().times(6)).plus(new E(far).exp()).ln();
      const expected = roundDecimal(new ExactDecimal(sumQ.times(tau.plus(1)).toString()), 'float64');
      expect(Math.abs(expected - 1) <= 2 ** -52).toBe(true);
      const r: OptionRow = { logits: Float64Array.from([0, -1, -1, -1, -1, -1, -1, far]), target: 0, soft: Float64Array.from([0, ...q, 0]) };
      for (const reduction of ['sum', 'mean'] as const) {
        const got = oracleBatch([r], { ...DEFAULT_OPTIONS, reduction }, 'float64', undefined);
        expect([got.rows[0].rounded, got.sum.rounded, got.mean.rounded]).toEqual([expected, expected, expected]);
      }
    });
  }
});
