/**
 * The exp thresholds of the half formats, found by bisection, against an exhaustive scan of
 * every value of the format (there are only 65,536): the bisection's pair is exactly where the
 * predicate changes along the whole axis.
 */
import { describe, expect, it } from 'vitest';
import type { HalfDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { expThresholds, threshold } from './thresholds.js';

describe('half-precision exp thresholds', () => {
  it('float16: exp overflows from 11.09375 (e^11.09375 ≈ 65775 rounds to Infinity), last finite at 11.0859375', () => {
    expect(threshold('float16', 'overflow').pair).toEqual({ last: 11.0859375, first: 11.09375 });
    expect(threshold('float16', 'absorption').analytic.startsWith('7.624')).toBe(true); // −ln(2^−11) = 11 ln 2
  });
  it('bfloat16: exp overflows from 89, last finite at 88.5', () => {
    expect(threshold('bfloat16', 'overflow').pair).toEqual({ last: 88.5, first: 89 });
    expect(threshold('bfloat16', 'absorption').analytic.startsWith('5.545')).toBe(true); // 8 ln 2
  });

  it.each<HalfDtype>(['float16', 'bfloat16'])('%s: every pair equals an exhaustive scan of the format along its axis', (dtype) => {
    const fmt = formatOf(dtype);
    const exp = (x: number) => fmt.round(Math.exp(x));
    const predicates = {
      overflow: (x: number) => exp(x) !== Infinity,
      subnormal: (x: number) => exp(x) < fmt.minNormal,
      zero: (x: number) => exp(x) === 0,
      absorption: (g: number) => fmt.round(1 + exp(-g)) !== 1,
    } as const;
    const values: number[] = [];
    for (let ord = -fmt.ordinal(fmt.max); ord <= fmt.ordinal(fmt.max); ord++) values.push(fmt.fromOrdinal(ord));
    expect(values.length).toBeGreaterThan(60000);
    for (const [key, pred] of Object.entries(predicates)) {
      // Every change of the predicate between neighbours, over the whole axis.
      const changes: [number, number][] = [];
      for (let i = 1; i < values.length; i++) if (pred(values[i - 1]) !== pred(values[i])) changes.push([values[i - 1], values[i]]);
      const t = expThresholds(dtype).find((x) => x.key === key)!;
      expect(changes, `${dtype} ${key}`).toEqual([[t.pair!.last, t.pair!.first]]);
    }
  });
});
