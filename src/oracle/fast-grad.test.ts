/**
 * The gradient's fast tier against the decimal.js tier: every component it
 * decides equals `oracleLossAndGrad`'s bit for bit (and the loss it decides too),
 * and it leaves rounding midpoints to the slow tier.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../float/dtype.js';
import { DTYPES, formatOf } from '../float/dtype.js';
import { generateCases } from '../fuzz/cases.js';
import { FAMILIES } from '../suite/define.js';
import { FIXTURES, readGradFixtureRows } from '../testing/fixtures.js';
import { fastLossAndGrad, roundOnGrid } from './fast-grad.js';
import { oracleGradRounded, oracleLossAndGrad, oracleLossAndGradRounded } from './grad.js';

/** Checks one row: every decided component (and a decided loss) equals the slow tier's; returns whether all of it was decided. */
function check(row: ArrayLike<number>, target: number, dtype: Dtype): boolean {
  const grad = new Float64Array(row.length);
  const fast = fastLossAndGrad(row, target, dtype, grad);
  const slow = oracleLossAndGrad(row, target, dtype);
  const where = () => `${dtype} [${Array.from(row).join(', ')}] target ${target}`;
  if (fast.loss !== undefined && !Object.is(fast.loss, slow.loss.rounded)) throw new Error(`${where()}: loss fast ${fast.loss}, slow ${slow.loss.rounded}`);
  let undecided = 0;
  for (let j = 0; j < row.length; j++) {
    if (Number.isNaN(grad[j])) undecided++;
    else if (!Object.is(grad[j], slow.grad.rounded[j])) throw new Error(`${where()}: class ${j} fast ${grad[j]}, slow ${slow.grad.rounded[j]}`);
  }
  expect(undecided).toBe(fast.undecided);
  // The dispatch answers the slow tier's values whichever tier decided.
  const both = oracleLossAndGradRounded(row, target, dtype);
  expect(Object.is(both.loss, slow.loss.rounded)).toBe(true);
  expect(Array.from(both.grad).every((v, j) => Object.is(v, slow.grad.rounded[j]))).toBe(true);
  expect(Array.from(oracleGradRounded(row, target, dtype)).every((v, j) => Object.is(v, slow.grad.rounded[j]))).toBe(true);
  return fast.loss !== undefined && undecided === 0;
}

describe('gradient fast tier', () => {
  for (const dtype of DTYPES) {
    it(`${dtype}: equal to the decimal.js tier on every fuzz family (seeded), masked included, and decides nearly all rows`, () => {
      let rows = 0;
      let decided = 0;
      for (const family of FAMILIES) {
        // One vocabulary row (32k-50k classes, seconds in the slow tier) in float32 only.
        const runs = family === 'vocab' ? (dtype === 'float32' ? 1 : 0) : 40;
        if (runs === 0) continue;
        for (const c of generateCases(family, dtype, 11, runs)) {
          if (c.logits.every((x) => x === -Infinity)) continue; // no gradient
          rows++;
          if (check(c.logits, c.target, dtype)) decided++;
        }
      }
      expect(rows).toBeGreaterThan(350);
      expect(decided / rows).toBeGreaterThan(0.95);
    }, 600_000); // the float32 vocab row's decimal.js gradient: ~30 s idle, minutes on a loaded machine
  }

  it('the issue-14 rows, masked classes exactly 0, a masked target −1, a lone class 0', () => {
    const g = (row: number[], t: number, d: Dtype) => {
      const out = new Float64Array(row.length);
      const r = fastLossAndGrad(row, t, d, out);
      expect(r.undecided).toBe(0);
      return Array.from(out);
    };
    expect(g([-431, 279, 427], 0, 'float64')).toEqual([-1, 5.301718666092324e-65, 1]);
    expect(g([1, 2, -Infinity, 3], 0, 'float64')).toEqual([-0.9099694268296196, 0.24472847105479764, 0, 0.6652409557748219]);
    expect(g([0, -20], 0, 'float32')).toEqual([Math.fround(-2.0611537e-9), Math.fround(2.0611537e-9)]);
    expect(g([-Infinity, 0], 0, 'float64')).toEqual([-1, 1]);
    expect(Object.is(g([3, -Infinity], 0, 'float16')[0], 0)).toBe(true);
    for (const d of DTYPES) {
      check([1, 2, -Infinity, 3], 2, d);
      check([0, -Infinity, -Infinity], 0, d);
    }
  });

  it('subnormal and underflowing components: decided on the format subnormal grid, equal to the slow tier', () => {
    // float64: e^−708 … e^−745 are subnormal components (the last rounds to η or 0); a target whose 1 − p_t is subnormal.
    let rows = 0;
    let decided = 0;
    for (let d = 700; d <= 746; d += 0.75) {
      for (const [row, t] of [[[0, -d], 1], [[0, -d, -d - 0.5], 0]] as const) {
        rows++;
        check(row, t, 'float64');
        if (fastLossAndGrad(row, t, 'float64', new Float64Array(row.length)).undecided === 0) decided++;
      }
    }
    // The bound keeps its accuracy there (unscaled terms): nearly every such gradient is decided
    // (the losses below 2^−1000 are the loss tier's to leave to decimal.js).
    expect(decided / rows).toBeGreaterThan(0.9);
    // The smaller formats: components around their smallest subnormals (2^−149, 2^−24, 2^−133).
    for (const [dtype, lo, hi] of [['float32', 95, 106], ['float16', 10, 19], ['bfloat16', 85, 95]] as const) {
      const fmt = formatOf(dtype);
      for (let d = lo; d <= hi; d += 0.25) {
        check([0, fmt.round(-d)], 1, dtype);
        check([0, fmt.round(-d), fmt.round(-d - 1)], 0, dtype);
      }
    }
    // Terms below −760 and below decimal.js's exponent floor: +0 components, g_t = −0.
    for (const d of DTYPES) check([0, -800, -formatOf(d).max], 0, d);
  });

  it('leaves exact midpoints to the slow tier: tied classes whose p is a rounding midpoint', () => {
    // 4096 tied classes in float16: p = 2^−12 exactly and g_t = −(1 − 2^−12), a midpoint (ties to even: −1).
    const tied = new Array<number>(4096).fill(0);
    const out = new Float64Array(4096);
    expect(fastLossAndGrad(tied, 0, 'float16', out).undecided).toBe(1);
    expect(out[1]).toBe(2 ** -12);
    const both = oracleLossAndGradRounded(tied, 0, 'float16');
    expect(both.fast).toBe(false);
    expect(both.grad[0]).toBe(-1);
    // p = 1/3 of three tied classes is no midpoint: decided in every format.
    for (const d of DTYPES) expect(check([5, 5, 5], 1, d)).toBe(true);
  });

  it('roundOnGrid rounds on the format grid, normal and subnormal, and refuses a straddled midpoint', () => {
    // float16 (11 bits, subnormal 2^−24): 1 + 2^−11 is a midpoint between 1 and 1 + 2^−10.
    expect(Number.isNaN(roundOnGrid(1 + 2 ** -11, 0, 2 ** -40, 0, 11, -24))).toBe(true);
    expect(roundOnGrid(1 + 2 ** -11, -(2 ** -30), 2 ** -40, 0, 11, -24)).toBe(1);
    expect(roundOnGrid(1 + 2 ** -11, 2 ** -30, 2 ** -40, 0, 11, -24)).toBe(1 + 2 ** -10);
    // 3·2^−25 scaled by 2^−10: 1.5 subnormal steps of float16 (2^−24) ... as 2^q·v with q = −10.
    expect(Number.isNaN(roundOnGrid(3 * 2 ** -15, 0, 2 ** -60, -10, 11, -24))).toBe(true);
    expect(roundOnGrid(3 * 2 ** -15, 2 ** -50, 2 ** -60, -10, 11, -24)).toBe(2 * 2 ** -24);
    expect(roundOnGrid(2 ** -15 * 0.49, 0, 2 ** -60, -10, 11, -24)).toBe(0);
    // float64's η: 2^−1075 (half of η) scaled as 2^−75 · 2^−1000.
    expect(Number.isNaN(roundOnGrid(2 ** -75, 0, 2 ** -140, -1000, 53, -1074))).toBe(true);
    expect(roundOnGrid(2 ** -75 * 1.01, 0, 2 ** -140, -1000, 53, -1074)).toBe(Number.MIN_VALUE);
  });

  it('equals the mpmath gradient fixtures (600 and 1400 bits) wherever it decides, in all four formats', () => {
    const truth = new Map(
      readFileSync(`${FIXTURES}mpmath-t2/grad-truth.csv`, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .map(([id, , dtype, grad]) => [id, { dtype, grad }]),
    );
    let components = 0;
    let decided = 0;
    const seen = new Set<string>();
    for (const { id, dtype, target, logits } of readGradFixtureRows()) {
      const d = dtype as Dtype;
      const fmt = formatOf(d);
      const want = truth.get(id)!.grad.split(' ').map((s) => fmt.round(parseFloat(s)));
      const out = new Float64Array(logits.length);
      fastLossAndGrad(logits, target, d, out);
      for (let j = 0; j < want.length; j++) {
        components++;
        if (Number.isNaN(out[j])) continue;
        decided++;
        if (!Object.is(out[j], want[j])) throw new Error(`${id} ${dtype} class ${j}: fast ${out[j]}, mpmath ${want[j]}`);
      }
      expect(Array.from(oracleGradRounded(logits, target, d)).every((v, j) => Object.is(v, want[j]))).toBe(true);
      seen.add(dtype);
    }
    expect(seen.size).toBe(4);
    expect(components).toBeGreaterThan(1000);
    expect(decided / components).toBeGreaterThan(0.98);
  });
});
