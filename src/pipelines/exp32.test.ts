import { describe, expect, it } from 'vitest';
import { checkExp32Range, exp32 } from './exp32.js';

/** The float32 bit pattern of v (v a float32 value). */
function bitsOf(v: number): number {
  return new Uint32Array(Float32Array.of(v).buffer)[0];
}

describe('exp32 is Math.fround(Math.exp(d)) bit for bit', () => {
  // Whole binades where the fast path's three regimes meet: k = 0 (|d| < ln2/64), the
  // table, the float32 overflow (ln FLT_MAX = 88.72…) and the subnormal results below
  // ln 2^−126 = −87.33… down to the fast path's edge at −104.
  const RANGES: [string, number, number][] = [
    ['[0.0078125, 0.015625)', 0.0078125, 0.015625],
    ['[1, 2)', 1, 2],
    ['[64, 128)', 64, 128],
    ['[-128, -64)', -64, -128],
    ['[-1, -0.5)', -0.5, -1],
  ];
  for (const [name, a, b] of RANGES) {
    it(`every float32 in ${name}`, () => {
      const from = bitsOf(a);
      const to = bitsOf(b);
      const r = checkExp32Range(from, to);
      expect(r.mismatches).toEqual([]);
      expect(r.checked).toBe(2 ** 23);
    });
  }

  it('special values', () => {
    for (const d of [0, -0, Infinity, -Infinity, NaN, -104, 89, 88.72283172607422, 88.72283935546875, -103.97207641601562, -87.33654022216797, 1e-45, -1e-45]) {
      expect(Object.is(exp32(d), Math.fround(Math.exp(d)))).toBe(true);
    }
  });

  const SEED = 20261127;
  it(`2^21 random float32 bit patterns (seed ${SEED})`, () => {
    let s = SEED >>> 0;
    const bits = new Uint32Array(1);
    const value = new Float32Array(bits.buffer);
    let bad = 0;
    for (let i = 0; i < 2 ** 21; i++) {
      // xorshift32
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      bits[0] = s;
      const d = value[0];
      if (!Object.is(exp32(d), Math.fround(Math.exp(d))) && !Number.isNaN(d)) bad++;
    }
    expect(bad).toBe(0);
  });
});
