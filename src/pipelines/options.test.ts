import { describe, expect, it } from 'vitest';
import type { BatchOptions } from '../cases/options.js';
import { resolveWeights } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';
import { DTYPES, formatOf } from '../float/dtype.js';
import { ulpDistance } from '../float/ordinal.js';
import { oracleBatch } from '../oracle/batch.js';
import { fixtureBatch, OPTIONS_BATCHES } from '../testing/fixtures.js';
import { accurateCrossEntropy } from './accurate.js';
import { pipelineBatch } from './options.js';
import { BUILTIN_PIPELINES, findPipeline } from './registry.js';
import { computeModes, variantsOf } from './variant.js';

const opts = (o: Partial<BatchOptions>): BatchOptions => ({ weight: undefined, ignoreIndex: undefined, reduction: 'mean', labelSmoothing: 0, maskedRows: 'nan', ...o });
const row = (logits: number[], target: number, dtype: Dtype = 'float64', soft?: number[]) => {
  const r = formatOf(dtype).round;
  return { logits: Float64Array.from(logits, r), target, soft: soft === undefined ? undefined : Float64Array.from(soft, r) };
};

/** accurate-cross-entropy's budget (suites/accurate.suite.ts): 2 ulps. */
const ACCURATE_BUDGET = 2;

describe('accurate-cross-entropy under options is within its 2-ulp budget of the oracle on every batch of options.json', () => {
  for (const b of OPTIONS_BATCHES) {
    it(b.name, () => {
      const { options, rows, weight } = fixtureBatch(b);
      const want = oracleBatch(rows, options, b.dtype, weight);
      const got = pipelineBatch(accurateCrossEntropy, { dtype: b.dtype, compute: b.dtype }, rows, options, weight);
      rows.forEach((_, i) => expect(ulpDistance(got.rows[i], want.rows[i].rounded, b.dtype), `row ${i}`).toBeLessThanOrEqual(ACCURATE_BUDGET));
      expect(ulpDistance(got.sum, want.sum.rounded, b.dtype), 'sum').toBeLessThanOrEqual(ACCURATE_BUDGET);
      expect(ulpDistance(got.mean, want.mean.rounded, b.dtype), 'mean').toBeLessThanOrEqual(ACCURATE_BUDGET);
    });
  }
});

describe('accurate-cross-entropy with extreme weights (review: NaN, and 126 ulps, in the mean)', () => {
  const cases: [string, number[][], number[], number[], number][] = [
    // TwoProd's split of the quotient q ≈ 2e305 overflowed (SPLITTER·q = ∞): the mean was NaN.
    ['weight 3e-308 on the target, ε = 0.01: a mean of 2.0169021432097337e+305', [[1, 2, 3]], [0], [3e-308, 1, 1], 0.01],
    // Products of a subnormal weight fell into the subnormals (46 bits left): 126 ulps.
    ['subnormal target weights 1e-310: the mean 1.2073272374277224', [[1, 2, 3], [5, -3, 0]], [0, 0], [1e-310, 1e-40, 1e-7], 0],
  ];
  for (const [name, logits, targets, weightGiven, eps] of cases) {
    it(name, () => {
      const rows = logits.map((l, i) => row(l, targets[i]));
      const o = opts({ weight: weightGiven, labelSmoothing: eps });
      const weight = resolveWeights(o, 'float64', rows, () => ({}));
      const want = oracleBatch(rows, o, 'float64', weight);
      const got = pipelineBatch(accurateCrossEntropy, { dtype: 'float64', compute: 'float64' }, rows, o, weight);
      expect(Number.isFinite(want.mean.rounded)).toBe(true);
      expect(ulpDistance(got.mean, want.mean.rounded, 'float64'), `mean ${got.mean} vs ${want.mean.rounded}`).toBeLessThanOrEqual(ACCURATE_BUDGET);
      expect(ulpDistance(got.sum, want.sum.rounded, 'float64'), 'sum').toBeLessThanOrEqual(ACCURATE_BUDGET);
      rows.forEach((_, i) => expect(ulpDistance(got.rows[i], want.rows[i].rounded, 'float64'), `row ${i}`).toBeLessThanOrEqual(ACCURATE_BUDGET));
    });
  }
});

describe("PyTorch's composition in every pipeline and variant", () => {
  it('is the weighted nll of the log-softmax: stable-log-softmax, float64, weight [2, 1, 1], by hand', () => {
    const stable = findPipeline('stable-log-softmax')!;
    const rows = [row([1, 2, 3], 0), row([1, 2, 3], 2)];
    const o = opts({ weight: [2, 1, 1] });
    const got = pipelineBatch(stable, { dtype: 'float64', compute: 'float64' }, rows, o, resolveWeights(o, 'float64', rows, () => ({})));
    // log_softmax of [1, 2, 3] as F.log_softmax computes it: (x − m) − log Σ exp(x − m).
    const ls = Math.log(Math.exp(-2) + Math.exp(-1) + 1);
    const nl0 = -(1 - 3 - ls);
    const nl2 = -(3 - 3 - ls);
    expect(Array.from(got.rows)).toEqual([2 * nl0, nl2]);
    expect(got.sum).toBe(2 * nl0 + nl2);
    expect(got.mean).toBe((2 * nl0 + nl2) / 3);
  });

  it('every row ignored: the mean is NaN (0/0) and the sum 0, in every pipeline, dtype and compute mode', () => {
    for (const { dtype, compute } of variantsOf(DTYPES)) {
      const rows = [row([1, 2], 1, dtype), row([3, 0], 1, dtype)];
      for (const p of BUILTIN_PIPELINES) {
        const got = pipelineBatch(p, { dtype, compute }, rows, opts({ ignoreIndex: 1 }), undefined);
        expect(got.mean, `${p.name} ${dtype} ${compute}`).toBeNaN();
        expect(got.sum).toBe(0);
        expect(Array.from(got.rows)).toEqual([0, 0]);
      }
    }
  });

  it("Σw = 0 but Σl > 0 (ε > 0, every target weighted 0): the mean is NaN as PyTorch's (1 − ε)·nll_mean is 0/0, in every pipeline, variant and the oracle", () => {
    for (const { dtype, compute } of variantsOf(DTYPES)) {
      const rows = [row([1, 2, 3], 0, dtype), row([5, -3, 0], 0, dtype)];
      const o = opts({ weight: [0, 1, 1], labelSmoothing: 0.1 });
      const weight = resolveWeights(o, dtype, rows, () => ({}));
      const want = oracleBatch(rows, o, dtype, weight);
      expect(want.mean.rounded).toBeNaN();
      expect(want.sum.rounded).toBeGreaterThan(0);
      for (const p of BUILTIN_PIPELINES) {
        const got = pipelineBatch(p, { dtype, compute }, rows, o, weight);
        expect(got.mean, `${p.name} ${dtype} ${compute}`).toBeNaN();
        expect(got.sum, `${p.name} ${dtype} ${compute}`).toBeGreaterThan(0);
      }
    }
  });

  it('a masked class inside the smoothing sum gives +Infinity in every pipeline, float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const p of BUILTIN_PIPELINES) {
        expect(pipelineBatch(p, { dtype, compute: dtype }, [row([-Infinity, 0], 1, dtype)], opts({ labelSmoothing: 0.1 }), undefined).rows[0], p.name).toBe(Infinity);
      }
    }
  });

  it('a fully masked row: nan gives NaN, zero and ignore follow the convention, in every pipeline', () => {
    const rows = [row([0, 1], 1), row([-Infinity, -Infinity], 0)];
    const oracle = oracleBatch(rows, opts({ maskedRows: 'zero' }), 'float64', undefined);
    for (const p of BUILTIN_PIPELINES) {
      const v = { dtype: 'float64', compute: 'float64' } as const;
      expect(pipelineBatch(p, v, rows, opts({ maskedRows: 'nan' }), undefined).mean, p.name).toBeNaN();
      const zero = pipelineBatch(p, v, rows, opts({ maskedRows: 'zero' }), undefined);
      expect(zero.rows[1]).toBe(0);
      expect(ulpDistance(zero.mean, oracle.mean.rounded, 'float64'), p.name).toBeLessThanOrEqual(4);
      const ignore = pipelineBatch(p, v, rows, opts({ maskedRows: 'ignore' }), undefined);
      expect(ignore.mean).toBe(ignore.rows[0]);
    }
  });

  it('a one-hot soft target on a row with a masked class: PyTorch multiplies 0 by −∞ (NaN), the oracle and accurate-cross-entropy do not', () => {
    const rows = [row([-Infinity, 0, 1], 2, 'float32', [0, 0, 1])];
    const want = oracleBatch(rows, opts({}), 'float32', undefined).rows[0].rounded;
    expect(want).toBe(Math.fround(Math.log1p(Math.exp(-1))));
    expect(pipelineBatch(findPipeline('stable-log-softmax')!, { dtype: 'float32', compute: 'float32' }, rows, opts({}), undefined).rows[0]).toBeNaN();
    expect(pipelineBatch(accurateCrossEntropy, { dtype: 'float32', compute: 'float32' }, rows, opts({}), undefined).rows[0]).toBe(want);
  });

  it('a float16 mean accumulated in float16 overflows where the batch value is finite; widened and accurate-cross-entropy do not', () => {
    // 100 rows, each loss ≈ 1000 (target 1000 below the max): Σ ≈ 10^5 > 65504, the mean ≈ 1000.
    const rows = Array.from({ length: 100 }, () => row([0, -1000], 1, 'float16'));
    const want = oracleBatch(rows, opts({}), 'float16', undefined).mean.rounded;
    expect(want).toBe(1000);
    const fused = findPipeline('fused-cross-entropy')!;
    expect(computeModes('float16')).toEqual(['float16', 'float32']);
    expect(pipelineBatch(fused, { dtype: 'float16', compute: 'float16' }, rows, opts({}), undefined).mean).toBe(Infinity);
    expect(pipelineBatch(fused, { dtype: 'float16', compute: 'float32' }, rows, opts({}), undefined).mean).toBe(1000);
    expect(pipelineBatch(accurateCrossEntropy, { dtype: 'float16', compute: 'float16' }, rows, opts({}), undefined).mean).toBe(1000);
  });
});
