/** The accuracy-against-speed chart: no marker hidden behind another without the summary saying so. */
import { describe, expect, it } from 'vitest';
import type { SpeedPoint } from './summary-accuracy.js';
import { coincidentGroups } from './summary-accuracy.js';

const p = (pipeline: string, dtype: string, maxBits: number, elementsPerS: number): SpeedPoint => ({ pipeline, dtype, maxBits, meanBits: 0, elementsPerS, shape: '1x1' });

describe('coincidentGroups', () => {
  it('names the pipelines whose markers overlap (the ci baseline: fused and logsumexp at 1.47e8 el/s, 29.7 and 30.0 bits), per dtype', () => {
    const points = [p('accurate', 'float32', 0, 1.07e8), p('fused', 'float32', 29.67, 1.47e8), p('lse', 'float32', 29.98, 1.47e8), p('naive', 'float32', 32, 1.58e8), p('fused', 'float64', 29.67, 1.47e8), p('accurate', 'float64', 0, 1.07e8)];
    expect(coincidentGroups(points)).toEqual([{ dtype: 'float32', pipelines: ['fused', 'lse'] }]);
  });

  it('joins chains of near points into one group and leaves far ones alone', () => {
    const points = [p('a', 'float64', 62, 1.15e8), p('b', 'float64', 62, 1.16e8), p('c', 'float64', 62, 1.17e8), p('d', 'float64', 0, 1.54e8), p('e', 'float64', 2, 1.0e8)];
    expect(coincidentGroups(points)).toEqual([{ dtype: 'float64', pipelines: ['a', 'b', 'c'] }]);
    expect(coincidentGroups([p('a', 'float64', 0, 1e8), p('b', 'float64', 64, 1e8)])).toEqual([]);
  });
});
