/**
 * accurate-cross-entropy's gradient: every component within 2 ulps of the
 * correctly rounded value (max_ulp ≤ 2) wherever the gradient is finite, in
 * float32 and float64: on every row of the mpmath gradient fixtures (read in
 * both formats) and on a seeded fast-check sweep with offsets in the hundreds
 * and beyond, exp-overflow and underflow distances, ties, masked classes and
 * masked targets, and a 600-below-the-maximum tail (the scaled sum).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NativeDtype as Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { ulpDistance } from '../float/ordinal.js';
import { oracleGrad } from '../oracle/grad.js';
import { readGradFixtureRows } from '../testing/fixtures.js';
import { accurateCrossEntropy } from './accurate.js';
import { runKernel } from './types.js';

/** The largest ulp distance over components between the kernel's gradient and the oracle's; throws on a non-finite component. */
function maxUlp(row: readonly number[], target: number, dtype: Dtype): number {
  const fmt = formatOf(dtype);
  const x = fmt.array(row.length);
  x.set(row);
  const g = fmt.array(row.length);
  runKernel(accurateCrossEntropy.grad!, dtype, x, 1, row.length, Int32Array.of(target), g);
  const want = oracleGrad(x, target, dtype).rounded;
  let worst = 0;
  for (let j = 0; j < row.length; j++) {
    const u = ulpDistance(g[j], want[j], dtype);
    if (u === undefined || !Number.isFinite(g[j])) throw new Error(`${dtype} class ${j}: ${g[j]} vs ${want[j]} on [${Array.from(x).join(', ')}], target ${target}`);
    worst = Math.max(worst, u);
  }
  return worst;
}

describe('accurate-cross-entropy gradient: max_ulp ≤ 2 against the oracle', () => {
  const fixtureRows = readGradFixtureRows();

  it.each<Dtype>(['float32', 'float64'])('%s: every mpmath gradient row (232, each read in the format)', (dtype) => {
    const fmt = formatOf(dtype);
    let worst = 0;
    for (const r of fixtureRows) worst = Math.max(worst, maxUlp(r.logits.map(fmt.round), r.target, dtype));
    expect(worst).toBeLessThanOrEqual(2);
  });

  /** Rows of 1 to 24 classes: an offset (up to ±1e4, or near the format's max), a spread, masks and ties. */
  const row = (dtype: Dtype) => {
    const fmt = formatOf(dtype);
    const offsets = [0, 5, -90, 100, -300, 300, 709, -745, 1000, -1e4, 1e4, fmt.max / 4, -fmt.max / 4];
    const spreads = [1e-7, 0.5, 3, 17, 40, 104, 600, 760, 1e4];
    return fc
      .record({
        offset: fc.constantFrom(...offsets),
        spread: fc.constantFrom(...spreads),
        values: fc.array(fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 24 }),
        target: fc.nat(),
        maskTarget: fc.boolean(),
      })
      .map(({ offset, spread, values, target, maskTarget }) => {
        const logits = values.map(([u, kind], j) => (kind === 0 ? -Infinity : kind === 1 && j > 0 ? NaN : fmt.round(offset + u * spread)));
        for (let j = 0; j < logits.length; j++) if (Number.isNaN(logits[j])) logits[j] = logits[j - 1]; // a tie with the class before
        if (logits.every((v) => v === -Infinity)) logits[0] = fmt.round(offset);
        const masked = logits.flatMap((v, j) => (v === -Infinity ? [j] : []));
        const t = maskTarget && masked.length > 0 ? masked[target % masked.length] : target % logits.length;
        return { logits, target: t };
      });
  };

  it.each<[Dtype, number]>([
    ['float32', 3000],
    ['float64', 3000],
  ])('%s: a seeded sweep of %i rows with extreme offsets, masks and ties', (dtype, runs) => {
    let worst = 0;
    let checked = 0;
    fc.assert(
      fc.property(row(dtype), ({ logits, target }) => {
        const u = maxUlp(logits, target, dtype);
        worst = Math.max(worst, u);
        checked++;
        return u <= 2;
      }),
      { seed: 1114, numRuns: runs },
    );
    expect(checked).toBe(runs);
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('float64: a target at the maximum with the rest 600 to 1100 below (the scaled sum, subnormal components)', () => {
    for (const gap of [600.5, 700, 740, 744.4, 745.1, 800, 1000]) {
      expect(maxUlp([0, -gap, -gap - 0.25, -gap - 3], 0, 'float64'), String(gap)).toBeLessThanOrEqual(2);
      expect(maxUlp([1000, 1000 - gap, -Infinity], 0, 'float64'), String(gap)).toBeLessThanOrEqual(2);
    }
  });
});
