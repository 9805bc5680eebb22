/**
 * The fast tier under batch options against the decimal.js tier (`oracleBatch`):
 * every value it decides (l_n, sum, mean) equals the decimal tier's bit for bit, on
 * every option family of the fuzz in all four formats under the options suite's
 * settings and a reduction `none`, with the mpmath fixtures, and it declines
 * constructed losses just above a rounding midpoint; and so do the gradients under
 * options (`fastRowGrad` against `oracleRowGrad`, component by component).
 */
import { describe, expect, it } from 'vitest';
import type { BatchOptions, OptionRow } from '../cases/options.js';
import { resolveWeights } from '../cases/options.js';
import type { AnyDtype } from '../float/dtype.js';
import { DTYPES, formatOf } from '../float/dtype.js';
import { OPTION_FAMILIES, optionBatches, optionSeed } from '../fuzz/options.js';
import { fixtureBatch, OPTIONS_BATCHES } from '../testing/fixtures.js';
import { mulberry32 } from '../util/random.js';
import { oracleBatch, oracleBatchRounded, oracleRowGrad, oracleRowGradRounded } from './batch.js';
import { fastBatch, fastRowGrad } from './fast-batch.js';

const opts = (o: Partial<BatchOptions>): BatchOptions => ({ weight: undefined, ignoreIndex: undefined, reduction: 'mean', labelSmoothing: 0, maskedRows: 'nan', ...o });

/** The options suite's three settings (suites/options.suite.ts) and a reduction none with smoothing and weights. */
const SETTINGS: BatchOptions[] = [opts({}), opts({ reduction: 'sum', maskedRows: 'zero' }), opts({ labelSmoothing: 0.1, maskedRows: 'ignore' }), opts({ reduction: 'none', labelSmoothing: 0.3 })];

/** Compares both tiers on one batch (and, with `grads`, on each row's gradient: decimal.js gradients are slow); returns [values, decided by the fast tier]. */
function check(rows: readonly OptionRow[], o: BatchOptions, dtype: AnyDtype, weight: ArrayLike<number> | undefined, where: string, grads = true): [number, number] {
  const reduce = o.reduction !== 'none';
  const fast = fastBatch(rows, o, dtype, weight, reduce);
  const slow = oracleBatch(rows, o, dtype, weight, reduce);
  const pairs: [number | undefined, number, string][] = fast.rows.map((v, n) => [v, slow.rows[n].rounded, `row ${n}`]);
  if (reduce) pairs.push([fast.sum, slow.sum.rounded, 'sum'], [fast.mean, slow.mean.rounded, 'mean']);
  let decided = 0;
  for (const [got, want, what] of pairs) {
    if (got === undefined) continue;
    decided++;
    if (!Object.is(got, want)) throw new Error(`${where} ${what}: fast ${got}, decimal.js ${want}`);
  }
  // Gradients under options: every component the fast tier decides equals oracleRowGrad's.
  let gradRows = 0;
  let gradDecided = 0;
  for (const [n, row] of grads ? rows.entries() : []) {
    const g = new Float64Array(row.logits.length);
    const undecided = fastRowGrad(row, o, dtype, weight, g);
    const want = oracleRowGrad(row, o, dtype, weight);
    let nan = 0;
    g.forEach((v, j) => {
      if (Number.isNaN(v) && !Number.isNaN(want[j])) nan++;
      else if (!Object.is(v, want[j])) throw new Error(`${where} row ${n} gradient class ${j}: fast ${v}, decimal.js ${want[j]}`);
    });
    expect(nan).toBe(undecided);
    expect(Array.from(oracleRowGradRounded(row, o, dtype, weight)).every((v, j) => Object.is(v, want[j]))).toBe(true);
    gradRows++;
    if (undecided === 0) gradDecided++;
  }
  // The dispatch answers the decimal tier's values whichever tier decided.
  const both = oracleBatchRounded(rows, o, dtype, weight, reduce);
  expect(Array.from(both.rows).every((v, n) => Object.is(v, slow.rows[n].rounded))).toBe(true);
  if (reduce) expect([Object.is(both.sum, slow.sum.rounded), Object.is(both.mean, slow.mean.rounded)]).toEqual([true, true]);
  return [pairs.length + gradRows, decided + gradDecided];
}

describe('batch options: the fast tier equals the decimal.js tier', () => {
  for (const dtype of DTYPES) {
    it(`${dtype}: every option family (weights with zeros, ignored rows, smoothing, soft targets, fully masked rows), four settings`, () => {
      let values = 0;
      let decided = 0;
      for (const [s, setting] of SETTINGS.entries()) {
        for (const family of OPTION_FAMILIES) {
          for (const [i, b] of optionBatches(family, dtype, setting, optionSeed(17, s, dtype, family), 6).entries()) {
            const weight = resolveWeights(b.options, dtype, b.rows, () => ({}));
            const [v, d] = check(b.rows, b.options, dtype, weight, `${dtype} ${family} setting ${s} batch ${i}`, i < 2);
            values += v;
            decided += d;
          }
        }
      }
      expect(values).toBeGreaterThan(400);
      expect(decided / values).toBeGreaterThan(0.97);
    }, 600_000);
  }

  it('the mpmath option fixtures (float32, float64): equal wherever decided, and all decided', () => {
    let values = 0;
    let decided = 0;
    for (const b of OPTIONS_BATCHES) {
      const { options, rows, weight } = fixtureBatch(b);
      const [v, d] = check(rows, options, b.dtype, weight, b.name);
      values += v;
      decided += d;
    }
    expect(decided).toBe(values);
  }, 600_000);

  it('declines losses just above a rounding midpoint (l_n = w·(1024 + 2^(10−p) + y), y = log1p(e^−1024) > 0), and the dispatch rounds them up', () => {
    // Row [2^(10−p), −1024] (p the precision), target 1: D = m − x_1 = 1024 + 2^(10−p), the midpoint between 1024 and
    // its successor; T = e^−D is a term below 2^−1096, so y = log1p(T) > 0 lies below every bound: the exact l_n,
    // sum and mean lie just above midpoints, and round up.
    for (const [dtype, p] of [['float64', 53], ['float32', 24]] as const) {
      const row = { logits: Float64Array.from([2 ** (10 - p), -1024]), target: 1 };
      const weight = Float64Array.from([2, 2]);
      const o = opts({ weight: [2, 2] });
      // l_n = 2048 + 2^(11−p) + 2y; sum = 4096 + 2^(12−p) + 4y; mean = sum / 4 = 1024 + 2^(10−p) + y.
      const fast = fastBatch([row, row], o, dtype, weight);
      expect(fast).toEqual({ rows: [undefined, undefined], sum: undefined, mean: undefined });
      const both = oracleBatchRounded([row, row], o, dtype, weight);
      expect(both.fellBack).toBe(4);
      expect(Array.from(both.rows)).toEqual([2048 + 2 ** (12 - p), 2048 + 2 ** (12 - p)]);
      expect([both.sum, both.mean]).toEqual([4096 + 2 ** (13 - p), 1024 + 2 ** (11 - p)]);
      // A one-hot soft target (l_n = L_1 = D + y) takes the options path too.
      const soft = { logits: row.logits, target: 0, soft: Float64Array.from([0, 1]) };
      expect(fastBatch([soft], opts({}), dtype, undefined).rows).toEqual([undefined]);
      expect(Array.from(oracleBatchRounded([soft], opts({}), dtype, undefined).rows)).toEqual([1024 + 2 ** (11 - p)]);
    }
  }, 600_000);

  it('special values exactly as the decimal tier: +Infinity from a masked class under smoothing, NaN for 0/0 and fully masked rows, 0 for ignored rows', () => {
    const x = (v: number[]) => Float64Array.from(v);
    const masked = { logits: x([1, -Infinity, 2]), target: 0 };
    expect(fastBatch([masked], opts({ labelSmoothing: 0.1 }), 'float32', undefined)).toEqual({ rows: [Infinity], sum: Infinity, mean: Infinity });
    const ignored = { logits: x([1, 2, 3]), target: 1 };
    expect(fastBatch([ignored], opts({ ignoreIndex: 1 }), 'float64', undefined)).toEqual({ rows: [0], sum: 0, mean: NaN });
    const full = { logits: x([-Infinity, -Infinity]), target: 0 };
    expect(fastBatch([full, ignored], opts({}), 'float16', undefined)).toEqual({ rows: [NaN, expect.any(Number)], sum: NaN, mean: NaN });
    for (const o of [opts({ labelSmoothing: 0.1 }), opts({ ignoreIndex: 1 }), opts({}), opts({ maskedRows: 'zero' })]) {
      for (const dtype of DTYPES) check([masked, ignored, full], o, dtype, undefined, `specials ${JSON.stringify(o)} ${dtype}`);
    }
  }, 600_000);
});

/**
 * Branches of the fast tier under options that the option families never draw (found by review: their
 * ε is 0, 0.1, 0.3 or in [1e−4, 0.5], their weights in [1/8, 8] or 0, their rows at most 12 classes):
 * ε = 1, weights at the ends of each format, ε and gradient components below 2^−900 (the double
 * quotients of `div` and of ε/C), the mean of losses below 2^−900, and a vocabulary row's gradient.
 */
describe('batch options: the branches the option families do not draw, both tiers equal', () => {
  /** n seeded rows of `classes` logits of the dtype in [−8, 8): class targets, or soft targets of the dtype. */
  function rowsOf(dtype: AnyDtype, n: number, classes: number, seed: number, soft = false): OptionRow[] {
    const rand = mulberry32(seed);
    const f = formatOf(dtype).round;
    return Array.from({ length: n }, (_, i) => {
      const logits = Float64Array.from({ length: classes }, () => f(rand() * 16 - 8));
      if (!soft) return { logits, target: i % classes };
      const q = Array.from({ length: classes }, () => rand());
      const s = q.reduce((a, b) => a + b, 0);
      return { logits, target: 0, soft: q.map((v) => f(v / s)) };
    });
  }

  for (const dtype of DTYPES) {
    it(`${dtype}: ε = 1 (the uniform part alone), with and without weights, class and soft targets`, () => {
      const weight = Float64Array.from([0.5, 2, 0, 1, 4], formatOf(dtype).round);
      for (const [i, rows] of [rowsOf(dtype, 4, 5, 1), rowsOf(dtype, 4, 5, 2, true)].entries()) {
        for (const w of [undefined, weight]) {
          for (const reduction of ['mean', 'sum', 'none'] as const) {
            const o = opts({ labelSmoothing: 1, reduction, weight: w === undefined ? undefined : Array.from(w) });
            const [values, decided] = check(rows, o, dtype, w, `${dtype} ε = 1 ${i === 0 ? 'class' : 'soft'} targets ${w === undefined ? '' : 'weights '}${reduction}`);
            expect(decided).toBeGreaterThan(values / 2);
          }
        }
      }
    }, 120_000);

    it(`${dtype}: weights at the ends of the format (smallest subnormal, smallest normal, largest finite)`, () => {
      const fmt = formatOf(dtype);
      const weight = Float64Array.from([fmt.minSubnormal, fmt.max, 1, fmt.minNormal]);
      for (const eps of [0, 0.1]) {
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          const o = opts({ labelSmoothing: eps, reduction, weight: Array.from(weight) });
          check(rowsOf(dtype, 4, 4, 3), o, dtype, weight, `${dtype} extreme weights ε = ${eps} ${reduction}`);
          check(rowsOf(dtype, 3, 4, 4, true), o, dtype, weight, `${dtype} extreme weights, soft targets, ε = ${eps} ${reduction}`);
        }
      }
    }, 120_000);
  }

  it('a sum that overflows the format is not a special value: the mean is the exact sum over the weight (found by review)', () => {
    // 40 float16 rows of loss 2000: the sum, 80000, rounds to +Infinity; the mean is 2000. The fast tier answered +Infinity.
    const rows: OptionRow[] = Array.from({ length: 40 }, () => ({ logits: [1000, -1000], target: 1 }));
    const fast = fastBatch(rows, opts({}), 'float16', undefined);
    expect([fast.sum, fast.mean]).toEqual([Infinity, 2000]);
    expect(oracleBatchRounded(rows, opts({}), 'float16', undefined).mean).toBe(2000);
    for (const dtype of DTYPES) {
      const big = formatOf(dtype).max / 16;
      const w = Float64Array.from([big, big, 1], formatOf(dtype).round);
      check(rowsOf(dtype, 8, 3, 8), opts({ weight: Array.from(w) }), dtype, w, `${dtype} weights near max/16, mean`);
      check(rowsOf(dtype, 8, 3, 8), opts({ weight: Array.from(w), labelSmoothing: 0.2, reduction: 'sum' }), dtype, w, `${dtype} weights near max/16, sum`);
    }
  });

  it('float64: ε below 2^−900, gradient components below 2^−900, the mean of losses below 2^−900', () => {
    for (const eps of [2 ** -1000, 1e-300, 2 ** -1074]) {
      check(rowsOf('float64', 4, 5, 5), opts({ labelSmoothing: eps }), 'float64', undefined, `float64 ε = ${eps}`);
    }
    // [0, −700] target 0: l = log1p(e^−700) ≈ 9.9e−305, and g_1 = p_1 ≈ 9.9e−305, both below 2^−900.
    const tiny: OptionRow[] = [{ logits: [0, -700], target: 0 }, { logits: [0, -705, -710], target: 0 }];
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      for (const eps of [0, 2 ** -1000]) check(tiny, opts({ reduction, labelSmoothing: eps }), 'float64', undefined, `float64 tiny losses ${reduction} ε = ${eps}`);
      check(tiny, opts({ reduction, weight: [2 ** -100, 2 ** 100] }), 'float64', Float64Array.from([2 ** -100, 2 ** 100]), `float64 tiny losses, weights, ${reduction}`);
    }
  });

  it('float32: a vocabulary row (32,000 classes) under smoothing and weights, the gradient component by component', () => {
    const rows = rowsOf('float32', 1, 32_000, 6);
    const rand = mulberry32(7);
    const weight = Float64Array.from({ length: 32_000 }, () => Math.fround(0.125 + rand() * 4));
    const [values, decided] = check(rows, opts({ labelSmoothing: 0.1, weight: Array.from(weight) }), 'float32', weight, 'float32 vocabulary row');
    expect(decided).toBe(values);
  }, 300_000);
});
