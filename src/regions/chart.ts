/**
 * The region map as a picture: one heatmap per dtype, pipelines in rows and
 * panels in columns, a fixed colour per outcome (the same in every file), the
 * offset a across and the gap g up.
 *
 * Axes: each grid value gets one equal step (the grid index is the position),
 * so the thresholds and the dense band of the grid (grid.ts) get as much room
 * as the decades near max; the ticks are labelled with the grid values they sit
 * on (0, ±1, the exp thresholds, every 10 or 100 decades), so read the axes as
 * signed log axes that are stretched around the thresholds. A region's edge
 * lies between the last grid value inside and the first outside; the exact
 * edge is in boundaries.csv. Equal neighbouring cells are drawn as one
 * rectangle. Built from the rows of regions.csv, so a merged map draws the
 * same picture as an unsharded one.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { renderSvg } from '../report/chart.js';
import type { Outcome } from '../score/outcome.js';
import { OUTCOMES } from '../score/outcome.js';
import { PANELS } from './grid.js';
import { threshold } from './thresholds.js';

/** Colour per outcome, fixed across files: ColorBrewer RdYlBu-like, nan near black. */
export const OUTCOME_COLOURS: Readonly<Record<Outcome, string>> = {
  ok: '#1a9850',
  inaccurate: '#fee08b',
  overflow: '#d73027',
  underflow: '#4575b4',
  nan: '#262626',
};

/** Colour per cause (and for ok cells, and failing cells of a pipeline without `diagnose`), fixed across files. */
export const CAUSE_COLOURS: Readonly<Record<string, string>> = {
  ok: '#e8e8e8',
  'exp-overflow': '#d73027',
  'sum-overflow': '#a50026',
  'inf-minus-inf': '#8c510a',
  'log-of-zero': '#262626',
  'exp-underflow': '#4575b4',
  'division-underflow': '#8073ac',
  absorption: '#fdae61',
  cancellation: '#fee08b',
  rounding: '#abd9e9',
  peer: '#999999',
  'not diagnosed': '#bdbdbd',
};

export type ChartKind = 'outcome' | 'cause';

export function chartFileName(dtype: Dtype, kind: ChartKind = 'outcome'): string {
  return kind === 'outcome' ? `map-${dtype}.svg` : `map-causes-${dtype}.svg`;
}

/** A regions.csv row: pipeline, dtype, panel, offset, gap, outcome, cause, ulp_error. */
export type RegionRow = readonly string[];

/** Short label of a grid value: 3 significant digits. */
function label(v: number): string {
  if (v === 0) return '0';
  const sign = v < 0 ? '−' : '';
  const a = Math.abs(v);
  const text = a >= 1e4 || a < 1e-3 ? a.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e') : String(Number(a.toPrecision(3)));
  return sign + text;
}

/** Indices of the grid values nearest (in log) to 0, the exp threshold, every `step` decades and max. */
function tickIndices(values: readonly number[], dtype: Dtype, signed: boolean): number[] {
  const fmt = formatOf(dtype);
  const step = dtype === 'float32' ? 10 : 100;
  const targets = [signed ? threshold(dtype, 'overflow').rounded : -threshold(dtype, 'zero').rounded];
  for (let k = step; k < Math.log10(fmt.max) - step / 2; k += step) targets.push(10 ** k);
  targets.push(fmt.max);
  const all = signed ? [...targets.map((v) => -v), 0, ...targets] : [0, ...targets];
  const picked = new Set<number>();
  for (const t of all) {
    let best = -1;
    let dist = Infinity;
    values.forEach((v, i) => {
      if (Math.sign(v) !== Math.sign(t)) return;
      const d = t === 0 ? 0 : Math.abs(Math.log(Math.abs(v)) - Math.log(Math.abs(t)));
      if (d < dist) {
        dist = d;
        best = i;
      }
    });
    if (best >= 0) picked.add(best);
  }
  return [...picked].sort((a, b) => a - b);
}

function labelExpr(values: readonly number[], indices: readonly number[]): string {
  return indices.reduceRight((rest, i) => `datum.value === ${i + 0.5} ? '${label(values[i])}' : ${rest}`, "''");
}

export interface ChartInput {
  readonly dtype: Dtype;
  readonly rows: readonly RegionRow[];
  /** Pipelines top to bottom. */
  readonly pipelines: readonly string[];
  /** The provenance line (report/meta.ts). */
  readonly meta: string;
  /** Colour by outcome (default) or by cause. */
  readonly kind?: ChartKind;
}

/** The value a cell is coloured by: its outcome, or its cause ('ok' for ok cells, 'not diagnosed' where a failing pipeline has no diagnose). */
function cellValue(r: RegionRow, kind: ChartKind): string {
  if (kind === 'outcome') return r[5];
  return r[5] === 'ok' ? 'ok' : r[6] === '' ? 'not diagnosed' : r[6];
}

export function mapChartSpec({ dtype, rows, pipelines, meta, kind = 'outcome' }: ChartInput): TopLevelSpec {
  const fmt = formatOf(dtype);
  const mine = rows.filter((r) => r[1] === dtype);
  const uniq = (col: number) => [...new Set(mine.map((r) => fmt.round(Number(r[col]))))].sort((a, b) => a - b);
  const offsets = uniq(3);
  const gaps = uniq(4);
  const oIndex = new Map(offsets.map((v, i) => [v, i]));
  const gIndex = new Map(gaps.map((v, i) => [v, i]));

  // outcome per (pipeline, panel) → grid [gap][offset]
  const grids = new Map<string, (string | undefined)[][]>();
  for (const r of mine) {
    const key = `${r[0]}|${r[2]}`;
    let grid = grids.get(key);
    if (grid === undefined) {
      grid = gaps.map(() => new Array<string | undefined>(offsets.length));
      grids.set(key, grid);
    }
    grid[gIndex.get(fmt.round(Number(r[4])))!][oIndex.get(fmt.round(Number(r[3])))!] = cellValue(r, kind);
  }
  // Runs of one outcome along the offsets, extended upwards while the row above has the same run.
  const cells: Record<string, string | number>[] = [];
  for (const [key, grid] of grids) {
    const [pipeline, panel] = key.split('|');
    let open = new Map<string, Record<string, string | number>>();
    grid.forEach((line, j) => {
      const next = new Map<string, Record<string, string | number>>();
      for (let i = 0; i < line.length; ) {
        let k = i;
        while (k + 1 < line.length && line[k + 1] === line[i]) k++;
        const outcome = line[i];
        if (outcome !== undefined) {
          const id = `${i} ${k} ${outcome}`;
          const cell = open.get(id) ?? { pipeline, panel, outcome, x: i, x2: k + 1, y: j, y2: j + 1 };
          if (open.has(id)) cell.y2 = j + 1;
          else cells.push(cell);
          next.set(id, cell);
        }
        i = k + 1;
      }
      open = next;
    });
  }

  const xTicks = tickIndices(offsets, dtype, true);
  const yTicks = tickIndices(gaps, dtype, false);
  const legend = { orient: 'top', direction: 'horizontal', columns: 6, labelLimit: 220, labelFontSize: 12, titleFontSize: 12, symbolType: 'square', symbolSize: 200 } as const;
  const palette: Readonly<Record<string, string>> = kind === 'outcome' ? OUTCOME_COLOURS : CAUSE_COLOURS;
  const domain = kind === 'outcome' ? [...OUTCOMES] : Object.keys(CAUSE_COLOURS);
  const colour = { field: 'outcome', type: 'nominal', scale: { domain, range: domain.map((v) => palette[v]) } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: kind === 'outcome' ? `Region map, ${dtype}: outcome of each pipeline on rows [a, a − g]` : `Region map, ${dtype}: cause of each failing cell (first step that went wrong) on rows [a, a − g]`,
      subtitle: [
        'columns: panel target-max scores class 0 (a), target-min class 1 (a − g)',
        `${offsets.length} offsets × ${gaps.length} gaps, one step per grid value (log-spaced, denser around the exp thresholds); exact edges in boundaries.csv`,
        meta,
      ],
      anchor: 'start',
      fontSize: 15,
      subtitleFontSize: 11,
    },
    data: { values: cells },
    facet: {
      row: { field: 'pipeline', type: 'nominal', sort: [...pipelines], header: { title: null, labelAngle: 0, labelAlign: 'left', labelFontSize: 12, labelFontWeight: 'bold' } },
      column: { field: 'panel', type: 'nominal', sort: [...PANELS], header: { title: null, labelFontSize: 13, labelFontWeight: 'bold' } },
    },
    spec: {
      width: 360,
      height: 170,
      // A stroke of the fill's colour closes the anti-aliasing seams between rectangles.
      mark: { type: 'rect', strokeWidth: 0.6 },
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative',
          title: 'offset a, the largest logit (one step per grid value)',
          scale: { domain: [0, offsets.length], nice: false, zero: false },
          axis: { values: xTicks.map((i) => i + 0.5), labelExpr: labelExpr(offsets, xTicks), labelAngle: -45, labelOverlap: false, labelFontSize: 10, grid: false },
        },
        x2: { field: 'x2' },
        y: {
          field: 'y',
          type: 'quantitative',
          title: 'gap g',
          scale: { domain: [0, gaps.length], nice: false, zero: false },
          axis: { values: yTicks.map((i) => i + 0.5), labelExpr: labelExpr(gaps, yTicks), labelOverlap: false, labelFontSize: 10, grid: false },
        },
        y2: { field: 'y2' },
        color: { ...colour, title: kind, legend },
        stroke: { ...colour, title: kind, legend },
      },
    },
    config: { view: { stroke: '#999999' }, background: '#ffffff', font: 'DejaVu Sans, Helvetica, Arial, sans-serif' },
  };
}

export async function renderMapChart(input: ChartInput): Promise<string> {
  return renderSvg(mapChartSpec(input));
}
