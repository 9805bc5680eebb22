import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyDtype } from '../float/dtype.js';
import { ANY_DTYPES, formatOf } from '../float/dtype.js';
import { maskedFamily, maskValues } from './masked.js';

describe('the masked family', () => {
  it('masks with −Infinity, −1e9, −1e4 and the lowest value; a mask the format cannot hold becomes the lowest value', () => {
    expect(maskValues('float64')).toEqual([-Infinity, -1e9, -1e4, -Number.MAX_VALUE]);
    expect(maskValues('float32')).toEqual([-Infinity, -1e9, -1e4, -formatOf('float32').max]);
    expect(maskValues('float16')).toEqual([-Infinity, -65504, -10000, -65504]);
    expect(maskValues('bfloat16')).toEqual([-Infinity, formatOf('bfloat16').round(-1e9), formatOf('bfloat16').round(-1e4), -formatOf('bfloat16').max]);
  });

  it.each<AnyDtype>([...ANY_DTYPES])('%s: values of the dtype, one class unmasked at least, every mask and masked targets all seen', (dtype) => {
    const fmt = formatOf(dtype);
    const masks = maskValues(dtype);
    const cases = fc.sample(maskedFamily(dtype), { seed: 14, numRuns: 600 });
    const seen = new Set<number>();
    let maskedTargets = 0;
    for (const c of cases) {
      expect(c.logits.length).toBeGreaterThanOrEqual(2);
      expect(c.target).toBeLessThan(c.logits.length);
      let unmasked = 0;
      for (const v of c.logits) {
        expect(Object.is(fmt.round(v), v)).toBe(true);
        expect(v).not.toBe(Infinity);
        if (masks.includes(v)) seen.add(v);
        else unmasked++;
      }
      expect(unmasked).toBeGreaterThanOrEqual(1);
      if (masks.includes(c.logits[c.target])) maskedTargets++;
    }
    expect([...seen].sort()).toEqual([...new Set(masks)].sort());
    expect(maskedTargets).toBeGreaterThan(100);
    expect(maskedTargets).toBeLessThan(400);
  });

  it('is a function of the seed: the same seed gives the same rows', () => {
    const a = fc.sample(maskedFamily('float32'), { seed: 7, numRuns: 50 });
    const b = fc.sample(maskedFamily('float32'), { seed: 7, numRuns: 50 });
    expect(a.map((c) => [Array.from(c.logits), c.target])).toEqual(b.map((c) => [Array.from(c.logits), c.target]));
  });
});
