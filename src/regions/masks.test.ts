/** `map.masks` (issue 14 item 5): masked classes after the row [a, a − g, …], same columns, same cells. */
import { describe, expect, it } from 'vitest';
import { formatOf } from '../float/dtype.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import { checkSuite } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import { computeMap } from './command.js';
import { PanelEvaluator } from './evaluate.js';
import { BOUNDARY_COLUMNS, REGION_COLUMNS } from './map.js';

const base = { name: 'masks', seed: 5, pipelines: BUILTIN_PIPELINES.map((p) => p.name), dtypes: ['float32', 'float16'] };
// The loss's map (a −Infinity class does change some pipelines' gradients: the naive backward's inf − inf).
const suiteWith = (map: object) => checkSuite({ ...base, map: { offsets: 21, gaps: 11, quantities: ['loss'], ...map } }, '/virtual/masks.suite.ts');

describe('map.masks', () => {
  it('appends each mask as a class of the row, in the dtype: −1e9 is float16 −65504, lowest is −max', () => {
    const ev = new PanelEvaluator('float16', 'target-min', 1, [-Infinity, -1e9, 'lowest', -1e4]);
    expect(Array.from(ev.rowOf(3, 2))).toEqual([3, 1, -1, -Infinity, -65504, -65504, -10000]);
    const ev32 = new PanelEvaluator('float32', 'target-max', 0, ['lowest', -1e9]);
    expect(Array.from(ev32.rowOf(0.5, 0.25))).toEqual([0.5, 0.25, -formatOf('float32').max, -1e9]);
  });

  it('a −Infinity class contributes nothing: every built-in gives the map of [a, a − g] cell for cell (float32, float16 pure and widened)', () => {
    const plain = computeMap(suiteWith({})).folder;
    const masked = computeMap(suiteWith({ masks: [-Infinity] })).folder;
    expect(masked.regions.length).toBe(plain.regions.length);
    const differ = masked.regions.filter((r, i) => r.join() !== plain.regions[i].join());
    expect(differ).toEqual([]);
    expect(masked.boundaries).toEqual(plain.boundaries);
    expect(masked.manifest.grid).toEqual({ offsets: 21, gaps: 11, extraClasses: 0, masks: ['-Infinity'] });
    expect(plain.manifest.grid).toEqual({ offsets: 21, gaps: 11, extraClasses: 0 });
  });

  it('finite masks keep the columns and the cells; regions rows name the pipeline, dtype and compute as before', () => {
    const folder = computeMap(suiteWith({ masks: ['lowest', -1e9] })).folder;
    expect(folder.regions.length).toBe(8 * 3 * 2 * 21 * 11);
    for (const r of folder.regions) expect(r).toHaveLength(REGION_COLUMNS.length);
    for (const b of folder.boundaries) expect(b).toHaveLength(BOUNDARY_COLUMNS.length);
    expect(folder.manifest.grid.masks).toEqual(['lowest', '-1000000000']);
  });

  it('refuses a mask that is not −Infinity, a finite negative number or lowest, naming the field', () => {
    for (const bad of [[1], [0], ['highest'], [Infinity], [NaN], 'lowest']) {
      expect(() => suiteWith({ masks: bad }), JSON.stringify(bad)).toThrow(InputError);
    }
    expect(() => suiteWith({ masks: ['highest'] })).toThrow(/map\.masks\[0\].*a mask: -Infinity, a finite negative number/);
  });
});
