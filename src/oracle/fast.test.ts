/**
 * The fast tier against the decimal.js tier: every answer it gives equals the slow
 * tier's, bit for bit, and it leaves near-midpoint losses to the slow tier.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { generateCases } from '../fuzz/cases.js';
import { FAMILIES } from '../suite/define.js';
import { fastLoss, fastLossRounded, fastTierServes } from './fast.js';
import { fastLoss64 } from './fast64.js';
import { oracleLoss, oracleLossRounded } from './loss.js';

const SERVED: Dtype[] = ['float32', 'float16', 'bfloat16'];
const ALL: Dtype[] = ['float64', ...SERVED];

/** Checks one case: a decided answer equals the slow tier's; returns whether the fast tier decided. */
function check(row: ArrayLike<number>, target: number, dtype: Dtype): boolean {
  const fast = { rounded: fastLossRounded(row, target, dtype) };
  const slow = oracleLoss(row, target, dtype).rounded;
  if (fast.rounded === undefined) {
    expect(Object.is(oracleLossRounded(row, target, dtype), slow)).toBe(true);
    return false;
  }
  if (!Object.is(fast.rounded, slow)) throw new Error(`${dtype} [${Array.from(row).join(', ')}] target ${target}: fast ${fast.rounded}, slow ${slow}`);
  return true;
}

describe('oracle fast tier', () => {
  it('serves the formats of at most 24 bits with double arithmetic; float64 with double-double', () => {
    expect(SERVED.every(fastTierServes)).toBe(true);
    expect(fastTierServes('float64')).toBe(false);
  });

  for (const dtype of ALL) {
    it(`${dtype}: equal to the decimal.js tier on every fuzz family (seeded), and decides nearly all of them`, () => {
      let cases = 0;
      let decided = 0;
      for (const family of FAMILIES) {
        // One vocabulary row (32k-50k classes, seconds in the slow tier) in float32 only.
        const runs = family === 'vocab' ? (dtype === 'float32' ? 1 : 0) : 60;
        if (runs === 0) continue;
        for (const c of generateCases(family, dtype, 7, runs)) {
          cases++;
          if (check(c.logits, c.target, dtype)) decided++;
        }
      }
      expect(cases).toBeGreaterThan(450);
      // float64 leaves the losses below 2^−959 (the dominant family's) to the slow tier: about 1 in 100.
      expect(decided / cases).toBeGreaterThan(dtype === 'float64' ? 0.97 : 0.99);
    });
  }

  it('leaves an exact midpoint to the slow tier: float16 [2048, −1], target 1 (loss 2049 + e^−2049 rounds up to 2050)', () => {
    const f = fastLoss([2048, -1], 1, 'float16');
    expect(f.rounded).toBeUndefined();
    expect(oracleLossRounded([2048, -1], 1, 'float16')).toBe(2050);
    // And a tie with nothing above it, in bfloat16: [256, -1] target 1 is 257 + e^−257: rounds up to 258.
    expect(oracleLossRounded([256, -1], 1, 'bfloat16')).toBe(258);
  });

  it('decides a subnormal and a zero loss, and an overflowing one', () => {
    expect(check([0, -20], 0, 'float16')).toBe(true); // log1p(e^−20) ≈ 2.1e−9 < half the smallest float16 subnormal: 0
    expect(check([0, -17], 0, 'float16')).toBe(true); // ≈ 4.1e−8: the smallest subnormal 2^−24
    expect(check([0, -100], 0, 'float32')).toBe(true); // ≈ 3.7e−44: subnormal float32
    expect(check([60000, -60000], 1, 'float16')).toBe(true); // 120000 > 65520: Infinity
    expect(oracleLossRounded([60000, -60000], 1, 'float16')).toBe(Infinity);
    expect(check([3e38, -3e38], 1, 'float32')).toBe(true);
    expect(check([5, -Infinity, 5], 0, 'float32')).toBe(true); // masked class: log 2
  });

  it('a row whose m − x[t] overflows a double (values outside the format, as the exported oracle may be given): +Infinity, as decimal.js says', () => {
    // Found by review: the interval's ends were NaN, and NaN rounds to NaN at both ends, which the test took for a decision.
    for (const dtype of SERVED) {
      expect(fastLoss([1e308, -1e308], 1, dtype).rounded).toBe(Infinity);
      expect(oracleLoss([1e308, -1e308], 1, dtype).rounded).toBe(Infinity);
      expect(oracleLossRounded([1e308, -1e308, 0], 1, dtype)).toBe(Infinity);
      expect(check([1e308, -1e308, 0], 1, dtype)).toBe(true);
    }
  });

  it('float64: leaves exact midpoints to the slow tier, decides tiny and overflowing losses', () => {
    // D = 2^53 + 1, midway between 2^53 and 2^53 + 2; the tail e^−(2^53+1) sends it up.
    expect(fastLoss64([2 ** 53, -1], 1).rounded).toBeUndefined();
    expect(oracleLossRounded([2 ** 53, -1], 1, 'float64')).toBe(2 ** 53 + 2);
    // The same midpoint with a larger tail, e^−37 ≈ 8.5e−17: still undecided here, 2^53 + 2 from the slow tier.
    expect(fastLoss64([2 ** 53, -1, 2 ** 53 - 37], 1).rounded).toBeUndefined();
    expect(oracleLossRounded([2 ** 53, -1, 2 ** 53 - 37], 1, 'float64')).toBe(2 ** 53 + 2);
    expect(check([0, -800], 0, 'float64')).toBe(true); // e^−800 < η/2: +0
    expect(check([1e308, -1e308], 1, 'float64')).toBe(true); // 2e308: Infinity
    expect(oracleLossRounded([1e308, -1e308], 1, 'float64')).toBe(Infinity);
    expect(check([1, 2, -Infinity, 3], 0, 'float64')).toBe(true);
    expect(check([-431, 279, 427], 0, 'float64')).toBe(true);
    // Found by review: x_j − m inexact in double with |x_j − m| > 30 and the loss that one term.
    // A first version of step 3 left out rl·rh²/2 and rounded each of these the wrong way.
    for (const row of [
      [0.5139009118519766, -621.9038360123482],
      [0.7116827379878145, -531.6294146951144],
      [0.5199874806939028, -36.27232036935457],
      [0.8444239809518307, -650.9102285468194],
      [0.7930905642354559, -581.3679577640066],
    ]) {
      expect(Object.is(oracleLossRounded(row, 0, 'float64'), oracleLoss(row, 0, 'float64').rounded)).toBe(true);
    }
    // A loss whose exact value is within 2^−60 of a midpoint must not be decided wrongly: a sweep of
    // two-class rows [0, −g], g on a fine grid, against the slow tier.
    for (let i = 0; i < 400; i++) check([0, -(i / 16 + 2 ** -30 * i)], i % 2, 'float64');
  });

  it('a masked target is +Infinity', () => {
    expect(oracleLossRounded([0, -Infinity], 1, 'float16')).toBe(Infinity);
  });

  it('random rows near rounding midpoints of float16 and bfloat16 (fast-check, seeded): never a different answer', () => {
    // Two classes [0, −g]: loss log1p(e^−g) (target 0) or g + log1p(e^−g) (target 1); g drawn on the format's grid.
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const fmt = formatOf(dtype);
      fc.assert(
        fc.property(fc.double({ min: 0, max: 20, noNaN: true }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 2, max: 6 }), (g, target, n) => {
          const row = [0, ...Array.from({ length: n - 1 }, (_, i) => fmt.round(-g - i / 8))];
          check(row, target, dtype);
        }),
        { seed: 17, numRuns: 1500 },
      );
    }
  });
});
