/**
 * The region map as a picture: one heatmap per dtype, pipelines in rows and
 * panels in columns, a fixed colour per outcome (the same in every file), the
 * offset a across and the gap g up.
 *
 * Axes: each grid value gets one equal step (the grid index is the position),
 * so the thresholds and the dense band of the grid (grid.ts) get as much room
 * as the decades near max. Ticks are labelled with values: 0, the exp thresholds
 * (on the gap axis −ln(u), 16.6 in float32 and 36.7 in float64, even where no grid
 * value equals it: placed by log interpolation between the neighbouring grid
 * values), ±max, ±1 and every 10 or 100 decades, as many as fit without two labels
 * overlapping (axisTicks). Read the axes as signed log axes stretched around the
 * thresholds. A region's edge lies between the last grid value inside and the
 * first outside; the exact edge is in boundaries.csv. Equal neighbouring cells
 * are drawn as one
 * rectangle. Built from the rows of regions.csv, so a merged map draws the
 * same picture as an unsharded one.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { REGIONS_COLUMNS } from '../report/columns.js';
import type { Quantity } from '../report/key.js';
import { pipelineInVariant } from '../report/key.js';
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

/**
 * Colour per cause (and for ok cells, and failing cells of a pipeline without `diagnose`),
 * fixed across files. ok is a pale green, so the grey of `peer` (a framework's
 * kernel, not traced) cannot be taken for it, and `not diagnosed` is pink, far from both.
 */
export const CAUSE_COLOURS: Readonly<Record<string, string>> = {
  ok: '#d9f0d3',
  'exp-overflow': '#d73027',
  'sum-overflow': '#a50026',
  'inf-minus-inf': '#8c510a',
  'log-of-zero': '#262626',
  'exp-underflow': '#4575b4',
  'division-underflow': '#8073ac',
  absorption: '#fdae61',
  cancellation: '#fee08b',
  rounding: '#abd9e9',
  peer: '#8c8c8c',
  'not diagnosed': '#de77ae',
};

/** The causes of the composition under options (regions/options.ts `optionCause`): in a chart's legend only when the map has options panels. */
export const OPTION_CAUSE_COLOURS: Readonly<Record<string, string>> = {
  'zero-times-inf': '#40004b',
  'product-overflow': '#f46d43',
};

export type ChartKind = 'outcome' | 'cause';

/** `map-DTYPE.svg`, `map-causes-DTYPE.svg`; the gradient's (SPEC 2.2) `map-grad-DTYPE.svg`, `map-grad-causes-DTYPE.svg`. */
export function chartFileName(dtype: Dtype, kind: ChartKind = 'outcome', quantity: Quantity = 'loss'): string {
  const q = quantity === 'loss' ? '' : `${quantity}-`;
  return kind === 'outcome' ? `map-${q}${dtype}.svg` : `map-${q}causes-${dtype}.svg`;
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

/** Panel size, px, and the smallest distance between two tick labels along each axis, px (x labels are at −45°). */
const PANEL = { width: 360, height: 190 } as const;
const LABEL_GAP = { x: 15, y: 12 } as const;

/**
 * Where value `t` sits on an axis with one step per grid value (cell i spans [i, i + 1],
 * its value at i + 0.5): between two grid values, interpolated in log|value| (linearly
 * across 0), so a threshold that is not a grid value still gets its place.
 */
export function axisPosition(values: readonly number[], t: number): number | undefined {
  const exact = values.indexOf(t);
  if (exact >= 0) return exact + 0.5;
  const i = values.findIndex((v, k) => k + 1 < values.length && v < t && t < values[k + 1]);
  if (i < 0) return undefined;
  const a = values[i];
  const b = values[i + 1];
  const frac = a !== 0 && b !== 0 && Math.sign(a) === Math.sign(b) ? (Math.log(Math.abs(t)) - Math.log(Math.abs(a))) / (Math.log(Math.abs(b)) - Math.log(Math.abs(a))) : (t - a) / (b - a);
  return i + 0.5 + frac;
}

export interface Tick {
  readonly position: number;
  readonly text: string;
}

/**
 * Tick labels of one axis: the candidates in priority order, each kept when it lies at
 * least `minSteps` grid steps from every tick kept before it (so labels never overlap).
 * Offsets: 0, the exp thresholds ln(max) and ln(minSubnormal/2) (where exp(a) overflows
 * and rounds to 0: 88.7 and −104 in float32), ±max, ±1, their negations, then every 10
 * (float32) or 100 (float64) decades.
 * Gaps: 0, −ln(u) (where 1 + e^−g rounds to 1), ln(minSubnormal/2) (where e^−g rounds
 * to 0), max, 1, ln(max), 10, then the decades.
 */
export function axisTicks(values: readonly number[], dtype: Dtype, signed: boolean, minSteps: number): Tick[] {
  const fmt = formatOf(dtype);
  const at = (k: Parameters<typeof threshold>[1]) => threshold(dtype, k).rounded;
  const step = fmt.emax > 200 ? 100 : 10; // every 100 decades in float64, 10 in the others
  const decades: number[] = [];
  for (let k = step; k < Math.log10(fmt.max) - step / 2; k += step) decades.push(10 ** k);
  const candidates = signed
    ? [0, at('overflow'), at('zero'), fmt.max, -fmt.max, 1, -1, -at('overflow'), -at('zero'), ...decades.flatMap((d) => [d, -d])]
    : [0, at('absorption'), -at('zero'), fmt.max, 1, at('overflow'), 10, ...decades];
  const kept: Tick[] = [];
  for (const t of candidates) {
    const position = axisPosition(values, t);
    if (position === undefined || kept.some((k) => Math.abs(k.position - position) < minSteps)) continue;
    kept.push({ position, text: label(t) });
  }
  return kept.sort((a, b) => a.position - b.position);
}

function labelExpr(ticks: readonly Tick[]): string {
  return ticks.reduceRight((rest, t) => `datum.value === ${t.position} ? '${t.text}' : ${rest}`, "''");
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
  /** The rows drawn: the loss's (default) or the gradient's (SPEC 4.2's outcome). */
  readonly quantity?: Quantity;
  /** The options settings mapped (map.json `options`): their panels `target-max#i`, `target-min#i` follow the bare ones, named in the subtitle. */
  readonly options?: readonly { readonly index: number; readonly label: string }[];
}

/** The value a cell is coloured by: its outcome, or its cause ('ok' for ok cells, 'not diagnosed' where a failing pipeline has no diagnose). */
function cellValue(r: RegionRow, kind: ChartKind): string {
  if (kind === 'outcome') return r[5];
  return r[5] === 'ok' ? 'ok' : r[6] === '' ? 'not diagnosed' : r[6];
}

export function mapChartSpec({ dtype, rows, pipelines, meta, kind = 'outcome', quantity = 'loss', options = [] }: ChartInput): TopLevelSpec {
  const fmt = formatOf(dtype);
  const quantityAt = REGIONS_COLUMNS.indexOf('quantity');
  const mine = rows.filter((r) => r[1] === dtype && (r[quantityAt] ?? 'loss') === quantity);
  const what = quantity === 'grad' ? 'gradient (norm_ulp against the budget)' : 'loss';
  // A half format's two compute modes are two rows of the chart: `pipeline`, `pipeline (compute float32)`.
  const computeAt = REGIONS_COLUMNS.indexOf('compute');
  const rowName = (r: RegionRow) => pipelineInVariant(r[0], dtype, r[computeAt] ?? dtype);
  const order = pipelines.flatMap((p) => [...new Set(mine.filter((r) => r[0] === p).map(rowName))]);
  const uniq = (col: number) => [...new Set(mine.map((r) => fmt.round(Number(r[col]))))].sort((a, b) => a - b);
  const offsets = uniq(3);
  const gaps = uniq(4);
  const oIndex = new Map(offsets.map((v, i) => [v, i]));
  const gIndex = new Map(gaps.map((v, i) => [v, i]));

  // outcome per (pipeline, panel) → grid [gap][offset]
  const grids = new Map<string, (string | undefined)[][]>();
  for (const r of mine) {
    const key = `${rowName(r)}|${r[2]}`;
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

  // The bare panels, then each options setting's (`target-max#i`) in the order of the rows.
  const panels = [...PANELS, ...new Set(mine.map((r) => r[2]).filter((p) => !(PANELS as readonly string[]).includes(p)))];
  const settingLines = options.length === 0 ? [] : [`panels …#i: the per-row loss l_n under options setting i (SPEC 6), scored against the option oracle: ${options.map((o) => `#${o.index} ${o.label}`).join('; ')}`];
  const xTicks = axisTicks(offsets, dtype, true, Math.ceil(LABEL_GAP.x / (PANEL.width / offsets.length)));
  const yTicks = axisTicks(gaps, dtype, false, Math.ceil(LABEL_GAP.y / (PANEL.height / gaps.length)));
  const legend = { orient: 'top', direction: 'horizontal', columns: 6, labelLimit: 220, labelFontSize: 12, titleFontSize: 12, symbolType: 'square', symbolSize: 200 } as const;
  const causeColours = options.length === 0 ? CAUSE_COLOURS : { ...CAUSE_COLOURS, ...OPTION_CAUSE_COLOURS };
  const palette: Readonly<Record<string, string>> = kind === 'outcome' ? OUTCOME_COLOURS : causeColours;
  const domain = kind === 'outcome' ? [...OUTCOMES] : Object.keys(causeColours);
  const colour = { field: 'outcome', type: 'nominal', scale: { domain, range: domain.map((v) => palette[v]) } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text:
        quantity === 'loss'
          ? kind === 'outcome'
            ? `Region map, ${dtype}: outcome of each pipeline on rows [a, a − g]`
            : `Region map, ${dtype}: cause of each failing cell (first step that went wrong) on rows [a, a − g]`
          : kind === 'outcome'
            ? `Region map, ${dtype}: outcome of each pipeline's ${what} on rows [a, a − g]`
            : `Region map, ${dtype}: cause of each failing cell of the ${what} (first step that went wrong) on rows [a, a − g]`,
      subtitle: [
        'columns: panel target-max scores class 0 (a), target-min class 1 (a − g)',
        ...settingLines,
        `${offsets.length} offsets × ${gaps.length} gaps, one step per grid value (log-spaced, denser around the exp thresholds); exact edges in boundaries.csv`,
        meta,
      ],
      anchor: 'start',
      fontSize: 15,
      subtitleFontSize: 11,
    },
    data: { values: cells },
    facet: {
      row: { field: 'pipeline', type: 'nominal', sort: order, header: { title: null, labelAngle: 0, labelAlign: 'left', labelFontSize: 12, labelFontWeight: 'bold' } },
      column: { field: 'panel', type: 'nominal', sort: panels, header: { title: null, labelFontSize: 13, labelFontWeight: 'bold' } },
    },
    // Room between the panels for the rotated labels at either end of the offset axis.
    spacing: { column: 48, row: 16 },
    spec: {
      width: PANEL.width,
      height: PANEL.height,
      // A stroke of the fill's colour closes the anti-aliasing seams between rectangles.
      mark: { type: 'rect', strokeWidth: 0.6 },
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative',
          title: 'offset a, the largest logit (one step per grid value)',
          scale: { domain: [0, offsets.length], nice: false, zero: false },
          axis: { values: xTicks.map((t) => t.position), labelExpr: labelExpr(xTicks), labelAngle: -45, labelOverlap: false, labelFontSize: 10, grid: false },
        },
        x2: { field: 'x2' },
        y: {
          field: 'y',
          type: 'quantitative',
          title: 'gap g',
          scale: { domain: [0, gaps.length], nice: false, zero: false },
          axis: { values: yTicks.map((t) => t.position), labelExpr: labelExpr(yTicks), labelOverlap: false, labelFontSize: 10, grid: false },
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
