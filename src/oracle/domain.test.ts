/** The oracle's domain (found in review): the fast dispatch refuses what the decimal.js tier refuses. */
import { describe, expect, it } from 'vitest';
import { oracleGradRounded, oracleLossAndGradRounded } from './grad.js';
import { oracleLossRounded } from './loss.js';

describe('rows outside the oracle\'s domain are refused by every dispatch, not answered', () => {
  const bad: [string, number[], number, RegExp][] = [
    ['+Infinity logit', [Infinity, 0], 1, /logit 0 is Infinity/],
    ['NaN logit', [NaN, 0], 1, /logit 0 is NaN/],
    ['target past the row', [1, 2], 5, /target 5 is not a class/],
    ['negative target', [1, 2], -1, /target -1 is not a class/],
  ];
  for (const [what, row, target, message] of bad) {
    for (const dtype of ['float64', 'float32', 'float16', 'bfloat16'] as const) {
      it(`${what}, ${dtype}`, () => {
        expect(() => oracleLossRounded(row, target, dtype)).toThrow(message);
        expect(() => oracleGradRounded(row, target, dtype)).toThrow(message);
        expect(() => oracleLossAndGradRounded(row, target, dtype)).toThrow(message);
      });
    }
  }
  it('−Infinity (a masked class or target) stays in the domain', () => {
    expect(oracleLossRounded([-Infinity, 0], 0, 'float32')).toBe(Infinity);
    expect(Array.from(oracleGradRounded([-Infinity, 0], 1, 'float32'))).toEqual([0, 0]);
  });
});
