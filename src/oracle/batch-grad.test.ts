import { describe, expect, it } from 'vitest';
import { readOptionsGradFixtures } from '../testing/fixtures.js';
import { oracleGrad } from './grad.js';
import { oracleRowGrad } from './batch.js';
import { DEFAULT_OPTIONS } from '../cases/options.js';

const FIXTURES = readOptionsGradFixtures();

describe('the gradient oracle under options equals mpmath (fixtures/mpmath-options-grad, scripts/mpmath-options-grad.py)', () => {
  it('covers weights (zeros too), smoothing 1e-4..0.5, soft targets, masked classes, tied rows, ignored and fully masked rows', () => {
    const ids = FIXTURES.map((f) => f.id);
    for (const kind of ['weights', 'smooth', 'soft-one-hot', 'soft-near-one-hot', 'soft-uniform', 'soft-sparse', 'masked', 'tied', 'ignored', 'fully-masked-nan', 'fully-masked-zero', 'fully-masked-ignore', 'all-zero-weights']) {
      expect(ids.some((id) => id.startsWith(kind)), kind).toBe(true);
    }
    expect(new Set(FIXTURES.map((f) => f.dtype))).toEqual(new Set(['float32', 'float64']));
  });
  for (const f of FIXTURES) {
    it(`${f.id} (${f.dtype}): every component, bit for bit`, () => {
      const got = oracleRowGrad(f.row, f.options, f.dtype, f.weight);
      expect(Array.from(got).map(String)).toEqual(Array.from(f.want).map(String));
    });
  }
});

describe('the gradient oracle under options: closed forms', () => {
  const row = (logits: number[], target: number) => ({ logits: Float64Array.from(logits), target });
  it('a tied pair with weights [2, 1], target 0: p = 1/2, g = 2·(1/2, 1/2) − (2, 0) = (−1, 1) exactly', () => {
    const o = { ...DEFAULT_OPTIONS, weight: [2, 1] };
    expect(Array.from(oracleRowGrad(row([0, 0], 0), o, 'float64', Float64Array.of(2, 1)))).toEqual([-1, 1]);
  });
  it('weight w on the target alone scales the bare gradient by w: w = 4 (a power of two) gives exactly 4·oracleGrad', () => {
    const x = [0.3, -2, 1.7, 5];
    const bare = oracleGrad(x, 2, 'float64').rounded;
    const o = { ...DEFAULT_OPTIONS, weight: [1, 1, 4, 1] };
    expect(Array.from(oracleRowGrad(row(x, 2), o, 'float64', Float64Array.of(1, 1, 4, 1)))).toEqual(Array.from(bare, (g) => 4 * g));
  });
  it('ε = 1 (pure smoothing) on three tied classes: a_c = 1/3 = p_c, so g = 0 in every component', () => {
    const o = { ...DEFAULT_OPTIONS, labelSmoothing: 1 };
    expect(Array.from(oracleRowGrad(row([7, 7, 7], 0), o, 'float32', undefined))).toEqual([0, 0, 0]);
  });
  it('a masked class under ε = 0.25 over 4 classes has g_j = −ε/C = −0.0625 exactly; a masked class with weight 0 has 0', () => {
    const o = { ...DEFAULT_OPTIONS, labelSmoothing: 0.25, weight: [1, 1, 0, 1] };
    const g = oracleRowGrad(row([1, -Infinity, -Infinity, 0], 0), o, 'float64', Float64Array.of(1, 1, 0, 1));
    expect(g[1]).toBe(-0.0625);
    expect(Object.is(g[2], 0)).toBe(true);
  });
  it('a bare row is oracleGrad itself; an ignored row is +0 everywhere; a fully masked row under nan is NaN', () => {
    const x = [1, 2, 3];
    expect(Array.from(oracleRowGrad(row(x, 1), DEFAULT_OPTIONS, 'float64', undefined))).toEqual(Array.from(oracleGrad(x, 1, 'float64').rounded));
    const ignored = oracleRowGrad(row(x, 1), { ...DEFAULT_OPTIONS, ignoreIndex: 1, labelSmoothing: 0.3 }, 'float64', undefined);
    expect(Array.from(ignored).every((g) => Object.is(g, 0))).toBe(true);
    expect(Array.from(oracleRowGrad(row([-Infinity, -Infinity], 0), DEFAULT_OPTIONS, 'float64', undefined)).every(Number.isNaN)).toBe(true);
  });
});
