import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../float/dtype.js';
import { NATIVE_DTYPES, formatOf } from '../float/dtype.js';
import { fromOrdinal, ulpDistance } from '../float/ordinal.js';
import { oracleLossRounded } from '../oracle/loss.js';
import { pipelineLoss } from '../score/score.js';
import { readFixtureCases } from '../testing/fixtures.js';
import { accurateCrossEntropy } from './accurate.js';
import { fusedCrossEntropy } from './stable.js';

const SEED = 7;
/** Issue 7: within 2 ulps of the correctly rounded loss wherever it is finite. */
const BUDGET = 2;

function ulpsOff(row: Float64Array, target: number, dtype: Dtype): { ulps: number | undefined; loss: number; oracle: number } {
  const loss = pipelineLoss(accurateCrossEntropy, row, target, dtype);
  const oracle = oracleLossRounded(row, target, dtype); // the fast tier, equal to decimal.js's (fast.test.ts)
  return { ulps: ulpDistance(loss, oracle, dtype), loss, oracle };
}

/** Rows that stress every step: values anywhere in the format, a common offset, a dominant or buried target, ties, tiny values. */
function rowArbitrary(dtype: Dtype): fc.Arbitrary<{ row: Float64Array; target: number }> {
  const fmt = formatOf(dtype);
  const maxOrd = dtype === 'float32' ? 0x7f7fffff : 0x7fefffffffffffff;
  const anyValue = fc.bigInt({ min: -BigInt(maxOrd), max: BigInt(maxOrd) }).map((o) => fromOrdinal(o, dtype));
  const moderate = fc.double({ min: -30, max: 30, noNaN: true }).map(fmt.round);
  const offset = fc.double({ min: -fmt.max / 4, max: fmt.max / 4, noNaN: true });
  const gap = fc.oneof(fc.double({ min: 0, max: 800, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true }));
  return fc
    .tuple(
      fc.oneof(
        fc.array(anyValue, { minLength: 2, maxLength: 8 }),
        fc.tuple(offset, fc.array(moderate, { minLength: 2, maxLength: 12 })).map(([a, xs]) => xs.map((v) => fmt.round(a + v))),
        fc.tuple(moderate, gap, fc.array(moderate, { minLength: 1, maxLength: 12 })).map(([top, g, xs]) => [fmt.round(top + g + 30), ...xs]),
        fc.tuple(moderate, fc.integer({ min: 2, max: 6 }), fc.array(moderate, { maxLength: 4 })).map(([v, k, xs]) => [...Array(k).fill(v), ...xs]),
        fc.array(fc.double({ min: -fmt.minNormal * 4, max: fmt.minNormal * 4, noNaN: true }).map(fmt.round), { minLength: 2, maxLength: 8 }),
      ),
      fc.nat(),
    )
    .map(([values, t]) => ({ row: Float64Array.from(values, fmt.round), target: t % values.length }));
}

describe('accurate-cross-entropy: within 2 ulps wherever the loss is finite', () => {
  it('on every row of the mpmath fixtures, both dtypes', () => {
    const misses: string[] = [];
    for (const c of readFixtureCases()) {
      const r = ulpsOff(c.logits, c.target, c.dtype);
      if (Number.isFinite(r.oracle) && !(r.ulps !== undefined && r.ulps <= BUDGET)) misses.push(`${c.id}: ${r.loss} vs ${r.oracle} (${r.ulps} ulps)`);
    }
    expect(misses).toEqual([]);
  });

  for (const dtype of NATIVE_DTYPES) {
    it(`on extreme rows: anywhere in the format, offsets, dominant targets, ties, subnormals (${dtype}, seed ${SEED})`, () => {
      fc.assert(
        fc.property(rowArbitrary(dtype), ({ row, target }) => {
          const r = ulpsOff(row, target, dtype);
          if (!Number.isFinite(r.oracle)) return r.loss === r.oracle;
          return r.ulps !== undefined && r.ulps <= BUDGET;
        }),
        { seed: SEED, numRuns: 1500 },
      );
    });
  }

  it('huge difference between probabilities: a subnormal loss stays accurate (float64)', () => {
    // Target 0 dominates by 720: loss ≈ e^−720 ≈ 2.9e−313, a subnormal double.
    const row = Float64Array.of(0, -720, -725.5);
    const r = ulpsOff(row, 0, 'float64');
    expect(r.oracle).toBeLessThan(formatOf('float64').minNormal);
    expect(r.oracle).toBeGreaterThan(0);
    expect(r.ulps).toBeLessThanOrEqual(BUDGET);
    // The fused form returns 0 there.
    expect(pipelineLoss(fusedCrossEntropy, row, 0, 'float64')).toBe(0);
  });

  it('absorption: [1e8, 1e8] gives ln 2, not 0 (the PyTorch report)', () => {
    for (const dtype of NATIVE_DTYPES) {
      const r = ulpsOff(Float64Array.of(1e8, 1e8), 0, dtype);
      expect(r.oracle).toBe(formatOf(dtype).round(Math.LN2));
      expect(r.ulps).toBeLessThanOrEqual(BUDGET);
    }
  });

  it('overflowing and masked targets give Infinity, as the oracle does', () => {
    for (const dtype of NATIVE_DTYPES) {
      const max = formatOf(dtype).max;
      expect(ulpsOff(Float64Array.of(max, -max), 1, dtype).loss).toBe(Infinity);
      expect(ulpsOff(Float64Array.of(1, -Infinity), 1, dtype).loss).toBe(Infinity);
      expect(ulpsOff(Float64Array.of(1, -Infinity, 0), 0, dtype).ulps).toBeLessThanOrEqual(BUDGET);
    }
  });
});

describe('accurate-cross-entropy on the region map', () => {
  it('has no region other than ok at the default grid (97 offsets x 65 gaps), both dtypes and panels, budget 2 ulps', async () => {
    const { checkSuite } = await import('../suite/load.js');
    const { computeMap } = await import('../regions/command.js');
    const suite = checkSuite({ name: 'accurate-map', pipelines: ['accurate-cross-entropy'], budgets: { 'accurate-cross-entropy': BUDGET }, map: { offsets: 97, gaps: 65, quantities: ['loss'] } }, 'accurate-map.suite.ts');
    const { regions } = computeMap(suite).folder;
    expect(regions.length).toBe(2 * 2 * 97 * 65);
    // Columns: pipeline, dtype, panel, offset, gap, outcome, cause, ulp_error. Where the true loss is
    // infinite (a masked target-min class), `ok` means the pipeline returned Infinity too.
    expect(regions.filter((r) => r[5] !== 'ok').map((r) => r.join(','))).toEqual([]);
  });
});
