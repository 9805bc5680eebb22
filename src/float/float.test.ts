import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOAT32, FLOAT64 } from './dtype.js';
import { fromOrdinal32, nextDown, nextUp, ordinal32, ordinal64, ulpDistance } from './ordinal.js';
import { formatValue, shortestFloat32 } from './shortest.js';

const SEED = 20261127;

describe('ordinals', () => {
  it('count consecutive values across zero, subnormals and the overflow step', () => {
    expect(ulpDistance(0, -0, 'float32')).toBe(0);
    expect(ulpDistance(FLOAT32.minSubnormal, -FLOAT32.minSubnormal, 'float32')).toBe(2);
    expect(ulpDistance(FLOAT64.minSubnormal, 0, 'float64')).toBe(1);
    expect(nextUp(FLOAT32.max, 'float32')).toBe(Infinity);
    expect(nextUp(FLOAT64.max, 'float64')).toBe(Infinity);
    expect(nextDown(FLOAT32.minNormal, 'float32')).toBe(FLOAT32.minNormal - FLOAT32.minSubnormal);
    expect(nextUp(1, 'float32')).toBe(1 + 2 ** -23);
    expect(nextUp(1, 'float64')).toBe(1 + 2 ** -52);
    expect(ulpDistance(Infinity, 1, 'float32')).toBeUndefined();
    expect(ulpDistance(NaN, NaN, 'float64')).toBeUndefined();
  });

  it(`ordinal32 and fromOrdinal32 are inverse on every float32 (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        const back = fromOrdinal32(ordinal32(x));
        return back === x;
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it(`ordinal64 is monotone (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (a, b) => {
        if (a < b) return ordinal64(a) < ordinal64(b);
        if (a > b) return ordinal64(a) > ordinal64(b);
        return ordinal64(a) === ordinal64(b);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

describe('shortest float32 decimal', () => {
  it('spells the classic values', () => {
    expect(shortestFloat32(Math.fround(0.1))).toBe('0.1');
    expect(shortestFloat32(FLOAT32.max)).toBe('3.4028235e+38');
    expect(shortestFloat32(FLOAT32.minSubnormal)).toBe('1e-45');
    expect(shortestFloat32(-0)).toBe('-0');
    expect(formatValue(-0, 'float64')).toBe('-0');
    expect(formatValue(Infinity, 'float32')).toBe('Infinity');
  });

  it(`reads back to the same float32, and no shorter decimal does (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = shortestFloat32(x);
        if (Math.fround(parseFloat(s)) !== x) return false;
        const digits = s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
        if (digits <= 1) return true;
        const shorter = x.toExponential(digits - 2);
        for (const c of [shorter]) if (Math.fround(parseFloat(c)) === x) return false;
        return true;
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('agrees with the mpmath fixture spelling of every float32 loss (numpy shortest repr)', () => {
    const lines = readFileSync(new URL('../../fixtures/mpmath/truth.csv', import.meta.url), 'utf8').trim().split('\n').slice(1);
    let checked = 0;
    for (const line of lines) {
      const [, dtype, , rounded] = line.split(',');
      if (dtype !== 'float32' || !/^[0-9]/.test(rounded)) continue;
      const x = Math.fround(parseFloat(rounded));
      expect(parseFloat(shortestFloat32(x))).toBe(parseFloat(rounded));
      checked++;
    }
    expect(checked).toBeGreaterThan(200);
  });
});
