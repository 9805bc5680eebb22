/**
 * Tied logits with a far mask (found in review): the gradient oracle must decide
 * g_t = −(c − 1 + ε)/(c + ε) when −(c − 1)/c is a rounding midpoint of the dtype
 * and ε = Σ exp(mask − m) is far below any precision (`decideBelow` in grad.ts).
 *
 * Expected values, in closed form: with c tied logits at 0 (c a power of two),
 * the target among them and one logit at −M, ε = e^−M > 0:
 * - p_j = 1/(c + ε), just below 1/c = 2^−a (a representable value): rounds to 2^−a;
 * - g_t = −(c − 1 + ε)/(c + ε), just below −(1 − 2^−a): when a = p + 1 (p the
 *   dtype's significand bits, bfloat16 8, float16 11) that is the midpoint between
 *   −(1 − 2^−p) and −1, so the value rounds to −1;
 * - the masked class: e^−M/c, far below the smallest subnormal: +0.
 */
import { describe, expect, it } from 'vitest';
import type { AnyDtype } from '../float/dtype.js';
import { oracleGrad, oracleGradRounded, oracleLossAndGrad, oracleLossAndGradRounded } from './grad.js';

function tiedRow(c: number, mask: number): number[] {
  return [...new Array<number>(c).fill(0), mask];
}

const CASES: { dtype: AnyDtype; c: number; mask: number }[] = [
  { dtype: 'bfloat16', c: 512, mask: -10000 },
  { dtype: 'float16', c: 4096, mask: -60000 },
  { dtype: 'float32', c: 2 ** 25, mask: -1e9 }, // float32: a = 25 = 24 + 1
];

describe('tied logits beside a far mask: decided at the first precision, one-sided', () => {
  for (const { dtype, c, mask } of CASES.slice(0, 2)) {
    it(`${dtype}: ${c} zeros and ${mask}, target 0`, () => {
      const row = tiedRow(c, mask);
      const r = oracleGrad(row, 0, dtype);
      expect(r.digits).toBe(48); // before the fix: 6144 digits (bfloat16) or the watchdog (float16)
      expect(r.rounded[0]).toBe(-1);
      for (let j = 1; j < c; j++) expect(r.rounded[j]).toBe(1 / c);
      expect(Object.is(r.rounded[c], 0)).toBe(true);
      const both = oracleLossAndGrad(row, 0, dtype);
      expect(Array.from(both.grad.rounded)).toEqual(Array.from(r.rounded));
      expect(Array.from(oracleGradRounded(row, 0, dtype))).toEqual(Array.from(r.rounded));
      expect(Array.from(oracleLossAndGradRounded(row, 0, dtype).grad)).toEqual(Array.from(r.rounded));
    });
  }

  it('the target tied at another index, and the mask as the target: the same rule, and −1 for the far target', () => {
    const row = tiedRow(512, -10000);
    const r = oracleGrad(row, 300, 'bfloat16');
    expect(r.rounded[300]).toBe(-1);
    expect(r.rounded[0]).toBe(1 / 512);
    // target = the far class: g_t = −(512)/(512 + ε) = −1 + ε/(512+ε): rounds to −1.
    const far = oracleGrad(row, 512, 'bfloat16');
    expect(far.rounded[512]).toBe(-1);
    expect(far.rounded[7]).toBe(1 / 512);
  });

  it('without the far class the midpoint is exact and ties go to even (−1: the significand of 1 − 2^−8 is odd)', () => {
    const r = oracleGrad(new Array<number>(512).fill(0), 0, 'bfloat16');
    expect(r.rounded[0]).toBe(-1);
    expect(r.rounded[1]).toBe(1 / 512);
  });

  it('a tied count that is not a power of two needs no rule: 3 zeros and −10000 in bfloat16', () => {
    const r = oracleGrad(tiedRow(3, -10000), 0, 'bfloat16');
    // −2/3 = −1.0101010 1010…·2^−1: the ninth bit and a tail above it round up: −1.0101011·2^−1
    expect(r.rounded[0]).toBe(-0.66796875);
    expect(r.rounded[1]).toBe(0.333984375); // 1/3 = 1.0101010 1010…·2^−2 → 1.0101011·2^−2
  });
});
