import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTYPES, NATIVE_DTYPES, formatOf } from '../float/dtype.js';
import { FAMILIES } from '../suite/define.js';
import { InputError } from '../util/errors.js';
import { caseAt, caseChecksum, generateCases } from './cases.js';
import { expOverflowAt, expUnderflowAt, OFFSET_BAND_ULPS, VOCAB_MAX, VOCAB_MIN } from './families.js';
import { parseReplayToken, unitOfSeed, unitSeed } from './seed.js';

describe('generator families', () => {
  for (const dtype of NATIVE_DTYPES) {
    const fmt = formatOf(dtype);
    for (const family of FAMILIES) {
      const runs = family === 'vocab' ? 4 : 300;
      it(`${family} ${dtype} (seed 11): ≥ 2 classes, target in the row, finite values of the dtype${family === 'masked' ? ' or −Infinity' : ''}`, () => {
        const cases = generateCases(family, dtype, 11, runs);
        expect(cases).toHaveLength(runs);
        for (const c of cases) {
          expect(c.logits.length).toBeGreaterThanOrEqual(family === 'vocab' ? VOCAB_MIN : 2);
          if (family === 'vocab') expect(c.logits.length).toBeLessThanOrEqual(VOCAB_MAX);
          expect(Number.isInteger(c.target) && c.target >= 0 && c.target < c.logits.length).toBe(true);
          const allowed = (x: number) => Number.isFinite(x) || (family === 'masked' && x === -Infinity);
          expect(c.logits.filter((x) => !allowed(x) || fmt.round(x) !== x)).toEqual(new Float64Array(0));
        }
        // Targets are not stuck at one place in the row.
        if (family !== 'vocab') expect(cases.some((c) => c.target > 0 && c.target === c.logits.length - 1)).toBe(true);
      });
    }

    it(`ordinal ${dtype} (seed 12): bit patterns uniform: half the values negative, half of magnitude below 1, subnormals present`, () => {
      const values = generateCases('ordinal', dtype, 12, 3000).flatMap((c) => Array.from(c.logits));
      const share = (pred: (x: number) => boolean) => values.filter(pred).length / values.length;
      // Uniform bits: P(sign) = 1/2; P(|x| < 1) = exponent fields below the bias / all finite ones = 127/255 (float32), 1023/2047.
      expect(Math.abs(share((x) => x < 0 || Object.is(x, -0)) - 0.5)).toBeLessThan(0.02);
      expect(Math.abs(share((x) => Math.abs(x) < 1) - 0.5)).toBeLessThan(0.02);
      // One exponent field in 255 (float32) or 2047 (float64) holds the subnormals.
      const subnormal = share((x) => x !== 0 && Math.abs(x) < fmt.minNormal);
      expect(subnormal).toBeGreaterThan(0);
      expect(subnormal).toBeLessThan(dtype === 'float32' ? 3 / 255 : 3 / 2047);
    });

    it(`offset ${dtype} (seed 13): rows on both sides of the exp overflow and the exp underflow lines`, () => {
      const maxima = generateCases('offset', dtype, 13, 400).map((c) => Math.max(...c.logits));
      const over = expOverflowAt(dtype);
      const under = expUnderflowAt(dtype);
      expect(maxima.filter((m) => m > over).length).toBeGreaterThan(40);
      expect(maxima.filter((m) => m > 0 && m < over).length).toBeGreaterThan(40);
      expect(maxima.filter((m) => m < under).length).toBeGreaterThan(40);
      expect(maxima.filter((m) => m < 0 && m > under).length).toBeGreaterThan(40);
    });

    it(`spread ${dtype} (seed 14): every row has values near +max and near -max`, () => {
      for (const c of generateCases('spread', dtype, 14, 200)) {
        expect(Math.max(...c.logits)).toBeGreaterThanOrEqual(fmt.max / 2);
        expect(Math.min(...c.logits)).toBeLessThanOrEqual(-fmt.max / 2);
      }
    });

    it(`ties ${dtype} (seed 15): at least two classes share the maximum`, () => {
      for (const c of generateCases('ties', dtype, 15, 200)) {
        const m = Math.max(...c.logits);
        expect(c.logits.filter((x) => x === m).length).toBeGreaterThanOrEqual(2);
      }
    });

    it(`dominant and underdog ${dtype} (seed 16): the target is the maximum, resp. at least 16 below it`, () => {
      for (const c of generateCases('dominant', dtype, 16, 200)) expect(c.logits[c.target]).toBe(Math.max(...c.logits));
      for (const c of generateCases('underdog', dtype, 16, 200)) expect(Math.max(...c.logits) - c.logits[c.target]).toBeGreaterThanOrEqual(15.99);
    });

    it(`subnormal ${dtype} (seed 17): every value is below 2 x the smallest normal`, () => {
      for (const c of generateCases('subnormal', dtype, 17, 200)) for (const x of c.logits) expect(Math.abs(x)).toBeLessThanOrEqual(2 * fmt.minNormal);
    });
  }
});

describe('format-driven rows in every format', () => {
  for (const dtype of DTYPES) {
    const fmt = formatOf(dtype);
    it(`offset ${dtype} (seed 18): a third of the rows peak within ${OFFSET_BAND_ULPS} values of the format of ±ln(max) (${Math.log(fmt.max).toFixed(2)}), on both sides of it and of −ln(max)`, () => {
      const over = expOverflowAt(dtype);
      const centre = fmt.ordinal(fmt.round(over));
      const maxima = generateCases('offset', dtype, 18, 600).map((c) => Math.max(...c.logits));
      const band = maxima.filter((m) => {
        const d = fmt.ordinal(Math.abs(m)) - centre;
        return d >= -OFFSET_BAND_ULPS && d <= OFFSET_BAND_ULPS;
      });
      expect(band.length).toBeGreaterThan(600 * 0.25);
      expect(band.length).toBeLessThan(600 * 0.42);
      // Either side of the exp overflow line (exp(m) is Infinity in the format above it), and either side of −ln(max).
      expect(band.filter((m) => m > over).length).toBeGreaterThan(20);
      expect(band.filter((m) => m > 0 && m <= over).length).toBeGreaterThan(20);
      expect(band.filter((m) => m < -over).length).toBeGreaterThan(10);
      expect(band.filter((m) => m < 0 && m >= -over).length).toBeGreaterThan(10);
      // The line itself: exp of the band's values rounds to max or less below it and to Infinity above it (float64: Math.exp's own overflow).
      const last = band.filter((m) => m > 0 && fmt.round(Math.exp(m)) !== Infinity);
      const first = band.filter((m) => m > 0 && fmt.round(Math.exp(m)) === Infinity);
      expect(last.length).toBeGreaterThan(0);
      expect(first.length).toBeGreaterThan(0);
    });
  }
});

describe('vocab rows in float16 (seed 19, 12 rows)', () => {
  it('include a row where a running float16 sum of exp(x − m) stalls at 2048 and one where the unshifted sum passes 65504 with every term finite', () => {
    const round = formatOf('float16').round;
    let stalled = 0;
    let passed = 0;
    for (const c of generateCases('vocab', 'float16', 19, 12)) {
      const m = c.logits.reduce((a, b) => Math.max(a, b), -Infinity);
      let shifted = 0;
      let unshifted = 0;
      let exact = 0;
      for (const x of c.logits) {
        shifted = round(shifted + round(Math.exp(round(x - m))));
        unshifted = round(unshifted + round(Math.exp(x)));
        exact += Math.exp(x - m);
      }
      if (shifted === 2048 && exact > 4096) stalled++;
      if (unshifted === Infinity && m < expOverflowAt('float16')) passed++;
    }
    expect(stalled).toBeGreaterThan(0);
    expect(passed).toBeGreaterThan(0);
  });
});

describe('seeds and replay paths', () => {
  it('a unit seed names its dtype and family (fc.assert, seed 21)', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.constantFrom(...NATIVE_DTYPES), fc.constantFrom(...FAMILIES), (s, dtype, family) => {
        const seed = unitSeed(s, dtype, family);
        expect(Number.isInteger(seed) && seed >= 0 && seed <= 0x7fffffff).toBe(true);
        expect(unitOfSeed(seed)).toEqual({ dtype, family });
      }),
      { seed: 21, numRuns: 500 },
    );
  });

  it('different suite seeds give different unit seeds', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, s) => unitSeed(s, 'float32', 'offset')));
    expect(seeds.size).toBe(1000);
  });

  for (const family of FAMILIES) {
    it(`${family}: SEED:i regenerates run i of the campaign, in both dtypes`, () => {
      for (const dtype of NATIVE_DTYPES) {
        const seed = unitSeed(5, dtype, family);
        const runs = family === 'vocab' ? 2 : 25;
        const cases = generateCases(family, dtype, seed, runs);
        for (const i of [0, 1, runs - 1]) {
          const again = caseAt(family, dtype, seed, String(i));
          expect(again).toBeDefined();
          expect(caseChecksum(again!)).toBe(caseChecksum(cases[i]));
          expect(Array.from(again!.logits)).toEqual(Array.from(cases[i].logits));
        }
      }
    });
  }

  it('a path past the last shrink leads to no case', () => {
    expect(caseAt('offset', 'float32', unitSeed(5, 'float32', 'offset'), '0:99999')).toBeUndefined();
  });

  it('replay tokens: SEED:PATH parses; anything else is an InputError that shows the expected form', () => {
    expect(parseReplayToken('123:4')).toEqual({ seed: 123, path: '4' });
    expect(parseReplayToken('2147483647:17:0:3')).toEqual({ seed: 2147483647, path: '17:0:3' });
    for (const bad of ['', '123', 'abc:1', '12:', ':3', '1:2:x', '-1:2', '2147483648:0', '1.5:2', '12 : 3']) {
      expect(() => parseReplayToken(bad), bad).toThrow(InputError);
      expect(() => parseReplayToken(bad)).toThrow(/SEED:PATH/);
    }
  });
});
