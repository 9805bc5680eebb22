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
import { DTYPES } from '../float/dtype.js';
import { OPTION_FAMILIES, optionBatches, optionSeed } from '../fuzz/options.js';
import { fixtureBatch, OPTIONS_BATCHES } from '../testing/fixtures.js';
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
