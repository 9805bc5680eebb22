import { describe, expect, it } from 'vitest';
import type { BatchOptions } from '../cases/options.js';
import { resolveWeights } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { fixtureBatch, OPTIONS_BATCHES } from '../testing/fixtures.js';
import { oracleBatch } from './batch.js';

describe('the oracle under batch options equals mpmath (fixtures/mpmath-t2/options.json)', () => {
  it('has batches of every option kind in float32 and float64', () => {
    expect(OPTIONS_BATCHES).toHaveLength(48);
    expect(new Set(OPTIONS_BATCHES.map((b) => b.dtype))).toEqual(new Set(['float32', 'float64']));
  });
  for (const b of OPTIONS_BATCHES) {
    it(`${b.name} (${b.flags.join(' ') || 'soft targets'}): every l_n, the sum and the mean`, () => {
      const { cases, options, rows, weight } = fixtureBatch(b);
      const got = oracleBatch(rows, options, b.dtype, weight);
      const round = formatOf(b.dtype).round;
      expect(cases.map((c) => c.id)).toEqual(Object.keys(b.rows));
      cases.forEach((c, i) => expect(got.rows[i].rounded, c.id).toBe(round(parseFloat(b.rows[c.id]))));
      expect(got.sum.rounded, 'sum').toBe(round(parseFloat(b.sum)));
      expect(got.mean.rounded, 'mean').toBe(round(parseFloat(b.mean)));
      // The exact values agree with the rounded ones to the dtype's precision.
      expect(round(Number(got.mean.exact))).toBe(got.mean.rounded);
    });
  }
});

describe("the issue's small inputs, with mpmath's values", () => {
  const row = (logits: number[], target: number, dtype: Dtype = 'float64') => ({ logits: Float64Array.from(logits, formatOf(dtype).round), target });
  const opts = (o: Partial<BatchOptions>): BatchOptions => ({ weight: undefined, ignoreIndex: undefined, reduction: 'mean', labelSmoothing: 0, maskedRows: 'nan', ...o });

  it('[1, 2, 3] twice, targets 0 and 2, weight [2, 1, 1], mean: 1.7409392977777136 (float64), 1.7409393 (float32)', () => {
    for (const [dtype, want] of [['float64', 1.7409392977777136], ['float32', Math.fround(1.7409393)]] as const) {
      const rows = [row([1, 2, 3], 0, dtype), row([1, 2, 3], 2, dtype)];
      const o = opts({ weight: [2, 1, 1] });
      expect(oracleBatch(rows, o, dtype, resolveWeights(o, dtype, rows, () => ({}))).mean.rounded).toBe(want);
    }
  });

  it('[1, 2, 3], target 0, label smoothing 0.1: 2.3076059644443805', () => {
    expect(oracleBatch([row([1, 2, 3], 0)], opts({ labelSmoothing: 0.1 }), 'float64', undefined).rows[0].rounded).toBe(2.3076059644443805);
  });

  it('[-Infinity, 0], target 1, label smoothing 0.1: +Infinity exactly, float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const got = oracleBatch([row([-Infinity, 0], 1, dtype)], opts({ labelSmoothing: 0.1 }), dtype, undefined);
      expect(got.rows[0].rounded).toBe(Infinity);
      expect(got.mean.rounded).toBe(Infinity);
    }
  });

  it('two rows, both targets ignore_index: mean NaN (0/0), sum 0', () => {
    const got = oracleBatch([row([1, 2], 1), row([3, 0], 1)], opts({ ignoreIndex: 1 }), 'float64', undefined);
    expect(got.rows.map((r) => r.rounded)).toEqual([0, 0]);
    expect(got.mean.rounded).toBeNaN();
    expect(got.sum.rounded).toBe(0);
  });

  it('[0, 1] (target 1) and a fully masked row: nan → NaN mean, zero → the half, ignore → the row alone', () => {
    const rows = [row([0, 1], 1), row([-Infinity, -Infinity], 0)];
    const first = 0.3132616875182228;
    const nan = oracleBatch(rows, opts({ maskedRows: 'nan' }), 'float64', undefined);
    expect(nan.rows[0].rounded).toBe(first);
    expect(nan.rows[1].rounded).toBeNaN();
    expect(nan.mean.rounded).toBeNaN();
    expect(oracleBatch(rows, opts({ maskedRows: 'zero' }), 'float64', undefined).mean.rounded).toBe(0.1566308437591114);
    const ignore = oracleBatch(rows, opts({ maskedRows: 'ignore' }), 'float64', undefined);
    expect(ignore.mean.rounded).toBe(first);
    expect(ignore.rows[1].rounded).toBe(0);
  });
});
