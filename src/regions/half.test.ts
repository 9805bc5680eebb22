/**
 * The region map in the half formats (issue 13): the naive pipeline's
 * exp-overflow line at adjacent values of each format, and, in float16 (65,536
 * values), every bisected boundary along the offset axis checked against an
 * exhaustive walk over every value between its two grid points.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { fromOrdinal, nextUp, ordinal } from '../float/ordinal.js';
import type { Outcome } from '../score/outcome.js';
import { gradModeOf } from '../score/grad.js';
import { checkSuite } from '../suite/load.js';
import { computeMap } from './command.js';
import { PanelEvaluator } from './evaluate.js';
import type { MapFolder } from './files.js';
import { gridOf } from './map.js';
import type { Panel } from './grid.js';
import { BOUNDARY_COLUMNS } from './map.js';

const col = (name: (typeof BOUNDARY_COLUMNS)[number]) => BOUNDARY_COLUMNS.indexOf(name);

describe('map in float16 and bfloat16, pure and widened', () => {
  const suite = checkSuite(
    { name: 'half-map', seed: 1, pipelines: ['naive-softmax', 'stable-log-softmax'], dtypes: ['float16', 'bfloat16'], map: { offsets: 31, gaps: 17 } },
    '/virtual/half-map.suite.ts',
  );
  let folder: MapFolder;
  beforeAll(() => {
    folder = computeMap(suite).folder;
  });

  it('has every pipeline in both compute modes of both formats, with compute and quantity trailing', () => {
    const keys = new Set(folder.regions.map((r) => `${r[0]} ${r[1]} ${r[8]} ${r[9]}`));
    // Each mode's loss, then its gradient (the pure mode's from the generic backward pass, SPEC 2.2).
    expect([...keys]).toEqual(
      ['naive-softmax', 'stable-log-softmax'].flatMap((p) =>
        ['float16 float16', 'float16 float32', 'bfloat16 bfloat16', 'bfloat16 float32'].flatMap((v) => [`${p} ${v} loss`, `${p} ${v} grad`]),
      ),
    );
  });

  for (const [dtype, last, first] of [
    ['float16', '11.0859375', '11.09375'],
    ['bfloat16', '88.5', '89'],
  ] as const) {
    it(`pure naive-softmax ${dtype}: the exp-overflow line along the offset axis lies between ${last} and ${first}, adjacent values of the format`, () => {
      // The files hold the shortest decimals that read back to the values (11.086 for 11.0859375 in float16).
      const fmt = formatOf(dtype);
      const value = (text: string) => fmt.round(Number(text));
      const lines = folder.boundaries.filter(
        (b) =>
          b[0] === 'naive-softmax' &&
          b[1] === dtype &&
          b[col('compute')] === dtype &&
          b[col('axis')] === 'offset' &&
          value(b[col('last_value')]) === Number(last) &&
          value(b[col('first_value')]) === Number(first),
      );
      expect(lines.length).toBeGreaterThan(0);
      expect(nextUp(Number(last), dtype)).toBe(Number(first));
      expect(fmt.round(Math.exp(Number(last)))).toBeLessThan(Infinity);
      expect(fmt.round(Math.exp(Number(first)))).toBe(Infinity);
      for (const b of lines) expect(['overflow', 'nan']).toContain(b[col('to_outcome')]);
    });
  }

  it('float16: every bisected boundary along the offset axis agrees with an exhaustive walk over the values between its grid points', () => {
    const dtype: Dtype = 'float16';
    const grid = gridOf(suite, dtype);
    const evaluators = new Map<Panel, PanelEvaluator>();
    const ev = (panel: Panel) => {
      let e = evaluators.get(panel);
      if (e === undefined) evaluators.set(panel, (e = new PanelEvaluator(dtype, panel, 0)));
      return e;
    };
    const rows = folder.boundaries.filter((b) => b[1] === dtype && b[col('axis')] === 'offset');
    expect(rows.length).toBeGreaterThan(10);
    let walked = 0;
    let singleChange = 0;
    for (const b of rows) {
      const pipeline = suite.pipelines.find((p) => p.name === b[0])!;
      const compute = b[col('compute')] as Dtype;
      const f16 = formatOf(dtype).round;
      const g = f16(Number(b[col('fixed')]));
      const last = f16(Number(b[col('last_value')]));
      const first = f16(Number(b[col('first_value')]));
      // A gradient row's outcome is SPEC 4.2's (norm_ulp against the budget), with no bounds shortcut.
      const mode = b[col('quantity')] === 'grad' ? gradModeOf(pipeline, dtype, compute)! : undefined;
      const at = (a: number): Outcome => (mode === undefined ? ev(b[2] as Panel).outcome(pipeline, 4, a, g, compute) : ev(b[2] as Panel).evaluateGrad(mode, 4, a, g).outcome);
      // The grid points on either side of the pair.
      const hiIndex = grid.offsets.findIndex((v) => v >= first);
      const lo = grid.offsets[hiIndex - 1];
      const hi = grid.offsets[hiIndex];
      expect(lo).toBeLessThanOrEqual(last);
      // Every value of the format from lo to hi, in order.
      const outcomes: { v: number; o: Outcome }[] = [];
      for (let k = ordinal(lo, dtype); k <= ordinal(hi, dtype); k++) {
        const v = fromOrdinal(k, dtype);
        outcomes.push({ v, o: at(v) });
      }
      walked += outcomes.length;
      expect(at(last)).toBe(b[col('from_outcome')]);
      expect(at(first)).toBe(b[col('to_outcome')]);
      expect(nextUp(last, dtype)).toBe(first);
      const changes = outcomes.flatMap((x, i) => (i > 0 && x.o !== outcomes[i - 1].o ? [i] : []));
      if (changes.length === 1) {
        // One change between the grid points: the bisection must find exactly it.
        singleChange++;
        expect([outcomes[changes[0] - 1].v, outcomes[changes[0]].v]).toEqual([last, first]);
      } else {
        // Several: the pair is one of the changes.
        expect(changes.map((i) => outcomes[i].v)).toContain(first);
      }
    }
    expect(singleChange).toBeGreaterThan(0);
    expect(walked).toBeGreaterThan(1000);
    // The walk covered gradient boundaries too.
    expect(rows.filter((b) => b[col('quantity')] === 'grad').length).toBeGreaterThan(5);
  });
});
