/** The map pictures as a reader needs them: thresholds readable off the axes, no colliding labels, distinct colours. */
import { lab } from 'd3-color';
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { gapGrid, offsetGrid } from './grid.js';
import { axisPosition, axisTicks, CAUSE_COLOURS, mapChartSpec, OUTCOME_COLOURS } from './chart.js';
import { threshold } from './thresholds.js';

/** CIE76 colour difference; ~2.3 is just noticeable, above 20 reads as another colour. */
function deltaE(a: string, b: string): number {
  const x = lab(a);
  const y = lab(b);
  return Math.hypot(x.l - y.l, x.a - y.a, x.b - y.b);
}

describe('map axes', () => {
  for (const [dtype, absorption, zero] of [
    ['float32', '16.6', '104'],
    ['float64', '36.7', '745'],
  ] as const) {
    it(`${dtype}: the gap axis labels −ln(u) = ${absorption} and ${zero} (not only 0 and 104), in order, ≥ minSteps apart`, () => {
      const gaps = gapGrid(dtype as Dtype, 65);
      const ticks = axisTicks(gaps, dtype, false, 4);
      const texts = ticks.map((t) => t.text);
      for (const t of ['0', '1', absorption, zero]) expect(texts).toContain(t);
      expect(texts.length).toBeGreaterThanOrEqual(6);
      for (let i = 1; i < ticks.length; i++) expect(ticks[i].position - ticks[i - 1].position).toBeGreaterThanOrEqual(4);
      // −ln(u) is no grid value: it sits between its neighbours, at its log-interpolated place.
      const u = threshold(dtype, 'absorption').rounded;
      const i = gaps.findIndex((g) => g > u) - 1;
      const at = ticks.find((t) => t.text === absorption)!.position;
      expect(at).toBeGreaterThan(i + 0.5);
      expect(at).toBeLessThan(i + 1.5);
      expect(at).toBeCloseTo(i + 0.5 + Math.log(u / gaps[i]) / Math.log(gaps[i + 1] / gaps[i]), 12);
    });

    it(`${dtype}: the offset axis labels 0, ±1, ln(max) and ln(minSubnormal/2), ±max`, () => {
      const offsets = offsetGrid(dtype as Dtype, 97);
      const texts = axisTicks(offsets, dtype, true, 4).map((t) => t.text);
      const lnMax = dtype === 'float32' ? '88.7' : '710';
      for (const t of ['0', '1', '−1', lnMax, `−${zero}`]) expect(texts).toContain(t);
      expect(texts[0].startsWith('−')).toBe(true);
      expect(axisPosition(offsets, formatOf(dtype).max)).toBe(offsets.length - 0.5);
    });
  }

  it('labels of one axis never come closer than the label size, and neighbouring panels are kept apart', () => {
    const rows = ['float32', 'float64'].flatMap((d) =>
      ['target-max', 'target-min'].flatMap((panel) => offsetGrid(d as Dtype, 97).flatMap((a) => gapGrid(d as Dtype, 65).map((g) => ['p', d, panel, String(a), String(g), 'ok', '', '0']))),
    );
    const spec = mapChartSpec({ dtype: 'float32', rows, pipelines: ['p'], meta: 'm' }) as unknown as {
      spacing: { column: number };
      spec: { width: number; height: number; encoding: { x: { axis: { values: number[]; labelAngle: number } }; y: { axis: { values: number[] } } } };
    };
    const { width, height, encoding } = spec.spec;
    const xs = encoding.x.axis.values;
    const ys = encoding.y.axis.values;
    // x labels at −45°: their perpendicular distance is dx·sin 45°, ≥ a 10 px font.
    for (let i = 1; i < xs.length; i++) expect(((xs[i] - xs[i - 1]) * width) / 97 * Math.SQRT1_2).toBeGreaterThanOrEqual(10);
    for (let i = 1; i < ys.length; i++) expect(((ys[i] - ys[i - 1]) * height) / 65).toBeGreaterThanOrEqual(11);
    // The last label of the left panel ("3.4e38", 6 characters at −45°) and the first of the right one need ≥ 6 · 6 · sin 45° px.
    expect(spec.spacing.column).toBeGreaterThanOrEqual(Math.ceil(6 * 6 * Math.SQRT1_2));
  });
});

describe('map colours', () => {
  it('"not diagnosed", "peer" and "ok" are far apart (ΔE > 25), and every cause differs from ok', () => {
    const c = CAUSE_COLOURS;
    expect(deltaE(c['not diagnosed'], c.ok)).toBeGreaterThan(25);
    expect(deltaE(c['not diagnosed'], c.peer)).toBeGreaterThan(25);
    expect(deltaE(c.peer, c.ok)).toBeGreaterThan(25);
    for (const [k, v] of Object.entries(c)) if (k !== 'ok') expect(deltaE(v, c.ok), k).toBeGreaterThan(12);
    for (const [k, v] of Object.entries(OUTCOME_COLOURS)) if (k !== 'ok') expect(deltaE(v, OUTCOME_COLOURS.ok), k).toBeGreaterThan(25);
  });
});
