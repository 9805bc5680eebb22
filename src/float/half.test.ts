/**
 * Exhaustive check of the direct double → float16 / bfloat16 rounding: every value of each
 * format reads back to itself; every midpoint between neighbours rounds to the neighbour with an
 * even significand; the doubles just either side of each midpoint round to the nearer neighbour
 * (IEEE 754-2019 §4.3.1, roundTiesToEven), for both signs, the subnormals and the overflow
 * midpoint (2 − 2^−p)·2^emax included. The values come from an independent decoding of each
 * bit pattern, not from the rounding under test.
 */
import { describe, expect, it } from 'vitest';
import { ANY_DTYPES, formatOf } from './dtype.js';
import { fromOrdinal64, nextUp as nextUpIn, ordinal64, ulpDistance } from './ordinal.js';
import { formatValue } from './shortest.js';
import { roundBfloat16, roundFloat16 } from './half.js';

/** binary16 bits → value, by the definition: (−1)^s · 2^(e−15) · 1.f, subnormal 2^−14 · 0.f. */
function decodeFloat16(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const f = bits & 0x3ff;
  if (e === 0x1f) return f === 0 ? s * Infinity : NaN;
  return e === 0 ? s * f * 2 ** -24 : s * (1024 + f) * 2 ** (e - 25);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** bfloat16 bits → value: the upper half of a float32's bits. */
function decodeBfloat16(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

const nextUp = (x: number) => fromOrdinal64(ordinal64(x) + 1n);
const nextDown = (x: number) => fromOrdinal64(ordinal64(x) - 1n);

interface Format {
  readonly name: string;
  readonly round: (x: number) => number;
  readonly decode: (bits: number) => number;
  /** Bit pattern of the largest finite value; +Infinity is the next one. */
  readonly maxBits: number;
  readonly overflowThreshold: number;
}

const FORMATS: readonly Format[] = [
  { name: 'float16', round: roundFloat16, decode: decodeFloat16, maxBits: 0x7bff, overflowThreshold: 65520 },
  { name: 'bfloat16', round: roundBfloat16, decode: decodeBfloat16, maxBits: 0x7f7f, overflowThreshold: (2 - 2 ** -8) * 2 ** 127 },
];

describe.each(FORMATS)('$name rounding, exhaustively', (fmt) => {
  it('every one of the 65,536 bit patterns: finite values and infinities read back to themselves, NaNs stay NaN', () => {
    let finite = 0;
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = fmt.decode(bits);
      const r = fmt.round(v);
      if (Number.isNaN(v)) {
        if (!Number.isNaN(r)) throw new Error(`${fmt.name} NaN pattern 0x${bits.toString(16)} rounded to ${r}`);
        continue;
      }
      if (!Object.is(r, v)) throw new Error(`${fmt.name} 0x${bits.toString(16)} = ${v} rounded to ${r}`);
      if (Number.isFinite(v)) finite++;
    }
    // Patterns 0 … maxBits are the non-negative finite values; with their negatives, every finite pattern was seen.
    expect(finite).toBe(2 * (fmt.maxBits + 1));
  });

  it('every midpoint between neighbours rounds to the even one, and the doubles beside it to the nearer one (both signs)', () => {
    let checked = 0;
    for (let bits = 0; bits <= fmt.maxBits; bits++) {
      const a = fmt.decode(bits);
      // Beyond the largest finite value, the next "value" is 2^(emax+1): the overflow midpoint rounds to +Infinity.
      const b = bits === fmt.maxBits ? a + (a - fmt.decode(bits - 1)) : fmt.decode(bits + 1);
      const bRounded = bits === fmt.maxBits ? Infinity : b;
      const m = (a + b) / 2; // exact: a and b have at most 11 significant bits
      const even = (bits & 1) === 0 ? a : bRounded;
      const cases: [number, number][] = [
        [m, even],
        [nextDown(m), a],
        [nextUp(m), bRounded],
      ];
      for (const [x, want] of cases) {
        const got = fmt.round(x);
        const gotNeg = fmt.round(-x);
        if (!Object.is(got, want) || !Object.is(gotNeg, -want)) {
          throw new Error(`${fmt.name}: round(±${x}) = ${got}, ${gotNeg}; want ±${want} (between 0x${bits.toString(16)} and its successor)`);
        }
        checked++;
      }
    }
    expect(checked).toBe(3 * (fmt.maxBits + 1));
    expect(fmt.round(fmt.overflowThreshold)).toBe(Infinity);
    expect(fmt.round(nextDown(fmt.overflowThreshold))).toBe(fmt.decode(fmt.maxBits));
  });

  it('keeps −0, ±Infinity and NaN, and rounds the tiniest doubles to ±0', () => {
    expect(Object.is(fmt.round(-0), -0)).toBe(true);
    expect(fmt.round(Infinity)).toBe(Infinity);
    expect(fmt.round(-Infinity)).toBe(-Infinity);
    expect(fmt.round(NaN)).toBeNaN();
    expect(Object.is(fmt.round(Number.MIN_VALUE), 0)).toBe(true);
    expect(Object.is(fmt.round(-Number.MIN_VALUE), -0)).toBe(true);
    expect(fmt.round(Number.MAX_VALUE)).toBe(Infinity);
  });
});

describe('direct rounding is not double rounding', () => {
  it('float16: 1 + 2^−11 + 2^−40 rounds up to 1 + 2^−10 (through float32 it would tie and round to 1)', () => {
    const x = 1 + 2 ** -11 + 2 ** -40;
    expect(roundFloat16(x)).toBe(1 + 2 ** -10);
    expect(roundFloat16(Math.fround(x))).toBe(1);
  });
  it('bfloat16: 1 + 2^−8 + 2^−30 rounds up to 1 + 2^−7 (through float32 it would tie and round to 1)', () => {
    const x = 1 + 2 ** -8 + 2 ** -30;
    expect(roundBfloat16(x)).toBe(1 + 2 ** -7);
    expect(roundBfloat16(Math.fround(x))).toBe(1);
  });
});

describe('the format table: constants derived from each format, ordinals and shortest decimals of every half value', () => {
  it.each(ANY_DTYPES)('%s: max, minNormal, minSubnormal, unit roundoff and emax follow from p and the ordinals', (dtype) => {
    const fmt = formatOf(dtype);
    expect(fmt.fromOrdinal(1n)).toBe(fmt.minSubnormal);
    expect(fmt.minSubnormal).toBe(fmt.minNormal * 2 ** (1 - fmt.precision));
    expect(fmt.unitRoundoff).toBe(2 ** -fmt.precision);
    expect(fmt.max).toBe((2 - 2 ** (1 - fmt.precision)) * 2 ** fmt.emax);
    expect(nextUpIn(fmt.max, dtype)).toBe(Infinity);
    expect(fmt.round(fmt.max)).toBe(fmt.max);
    expect(fmt.roundTripDigits).toBe(Math.ceil(fmt.precision * Math.log10(2)) + 1);
  });

  it.each(FORMATS)('$name: ordinal and fromOrdinal are inverse on every value; consecutive patterns have consecutive ordinals; every value prints back to itself', (f) => {
    const fmt = formatOf(f.name as 'float16' | 'bfloat16');
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = f.decode(bits);
      if (Number.isNaN(v)) continue;
      const ord = fmt.ordinal(v);
      const magnitude = bits & 0x7fff;
      if (ord !== BigInt(bits & 0x8000 ? -magnitude : magnitude)) throw new Error(`${f.name} 0x${bits.toString(16)}: ordinal ${ord}`);
      if (!Object.is(fmt.fromOrdinal(ord), magnitude === 0 ? 0 : v)) throw new Error(`${f.name} 0x${bits.toString(16)}: fromOrdinal gives ${fmt.fromOrdinal(ord)}`);
      const text = formatValue(v, fmt.dtype);
      if (!Object.is(fmt.round(parseFloat(text)), v)) throw new Error(`${f.name} ${v} printed as ${text}, which reads back as ${fmt.round(parseFloat(text))}`);
    }
    expect(ulpDistance(fmt.max, -fmt.max, fmt.dtype)).toBe(2 * (f.maxBits));
  });
});
