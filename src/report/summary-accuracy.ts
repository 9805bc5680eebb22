/**
 * The accuracy parts of summary.md: outcome shares and error per pipeline × dtype
 * (from fuzz.csv), and the accuracy-versus-speed chart (fuzz.csv × bench.csv).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { isOptionFamily } from '../fuzz/options.js';
import { OUTCOMES } from '../score/outcome.js';
import { writeFileAtomic } from '../util/write.js';
import { renderSvg } from './chart.js';
import { BENCH_COLUMNS, FUZZ_COLUMNS } from './columns.js';
import type { RunMeta } from './meta.js';
import { metaLine } from './meta.js';
import { readKeyedReport, readReport } from './read.js';
import { readKey, variantLabel } from './key.js';

export interface AccuracyRow {
  readonly pipeline: string;
  /** The dtype with its compute where that is not the dtype (`float16 (compute float32)`, src/report/key.ts): each mode of a half format is a row and a chart panel of its own. */
  readonly dtype: string;
  /** `loss`, or `grad` (max ulps over components, outcome by norm_ulp: SPEC 4.2). */
  readonly quantity: string;
  readonly cases: number;
  readonly counts: Record<string, number>;
  /** Max ulps over every family; undefined when some case's ulp error is undefined (an empty max_ulp in fuzz.csv). */
  readonly maxUlp: number | undefined;
  readonly meanBits: number;
  readonly maxBits: number;
}

/** Under the accuracy table when a max ulps is not defined. */
export const NON_FINITE_NOTE =
  '— in *max ulps*: some result is NaN, or infinite where the exact loss is finite (or finite where it is infinite), so no count of ulps covers every case (`max_ulp` is empty in `fuzz.csv`); *max bits* counts such a case as the width of the format: 16 bits (float16, bfloat16), 32 (float32) or 64 (float64).';

/** fuzz.csv summed over the bare families (not the option rows, src/fuzz/options.ts), per pipeline × variant × quantity: counts add, max takes the max (undefined if any family's is empty), mean bits weighted by cases. */
export function accuracyByPipeline(dir: string): AccuracyRow[] | undefined {
  const file = join(dir, 'fuzz.csv');
  if (!existsSync(file)) return undefined;
  const byKey = new Map<string, { pipeline: string; dtype: string; quantity: string; cases: number; counts: Record<string, number>; maxUlp: number | undefined; bitsSum: number; maxBits: number }>();
  for (const r of readKeyedReport(file, FUZZ_COLUMNS)) {
    const v = r.values;
    if (isOptionFamily(v.family)) continue; // under batch options: the Options section (summary-options.ts)
    const key0 = readKey(file, r.line, v);
    const dtype = variantLabel(key0);
    const key = `${v.pipeline}|${dtype}|${key0.quantity}`;
    let e = byKey.get(key);
    if (e === undefined) {
      e = { pipeline: v.pipeline, dtype, quantity: key0.quantity, cases: 0, counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])), maxUlp: 0, bitsSum: 0, maxBits: 0 };
      byKey.set(key, e);
    }
    const cases = Number(v.cases);
    e.cases += cases;
    for (const o of OUTCOMES) e.counts[o] += Number(v[o]);
    e.maxUlp = v.max_ulp === '' || e.maxUlp === undefined ? undefined : Math.max(e.maxUlp, Number(v.max_ulp));
    e.bitsSum += Number(v.mean_bits) * cases;
    e.maxBits = Math.max(e.maxBits, Number(v.max_bits));
  }
  return [...byKey.values()].map((e) => ({ pipeline: e.pipeline, dtype: e.dtype, quantity: e.quantity, cases: e.cases, counts: e.counts, maxUlp: e.maxUlp, meanBits: e.cases ? e.bitsSum / e.cases : 0, maxBits: e.maxBits }));
}

/** 4 significant digits, no trailing zeros: 1.235e+9, 12, Infinity. */
function formatUlps(u: number): string {
  const t = u.toPrecision(4);
  return t.includes('e') ? t.replace(/\.?0+e/, 'e') : t.replace(/\.0+$|(\.\d*?)0+$/, '$1');
}

const pct = (n: number, d: number) => (d === 0 ? '–' : `${((100 * n) / d).toFixed(1)}%`);

export function renderAccuracyTable(rows: readonly AccuracyRow[]): string {
  const head = `| pipeline | dtype | cases | ${OUTCOMES.join(' | ')} | max ulps | mean bits | max bits |`;
  const rule = `|---|---|---:|${OUTCOMES.map(() => '---:').join('|')}|---:|---:|---:|`;
  const body = rows.map(
    (r) =>
      `| ${r.pipeline} | ${r.dtype} | ${r.cases} | ${OUTCOMES.map((o) => pct(r.counts[o], r.cases)).join(' | ')} | ${r.maxUlp === undefined ? '—' : formatUlps(r.maxUlp)} | ${r.meanBits.toFixed(2)} | ${r.maxBits.toFixed(2)} |`,
  );
  return [head, rule, ...body].join('\n');
}

/** Whether every case of the row was `ok` (within the pipeline's budget: ulps for the loss, norm_ulp for the gradient). */
const accurate = (r: AccuracyRow) => r.cases > 0 && r.counts.ok === r.cases;

/**
 * Loss and gradient side by side, per pipeline × variant fuzzed for both: the
 * share of `ok` and the max bits of error of each, the gradient's max ulps over
 * components (SPEC 4.2's max_ulp), and which of the two is accurate on every case
 * (`loss only`: the forward value is right and the gradient training uses is not).
 * Undefined when fuzz.csv has no gradient rows.
 */
export function renderLossGradTable(rows: readonly AccuracyRow[]): string | undefined {
  const grads = new Map(rows.filter((r) => r.quantity === 'grad').map((r) => [`${r.pipeline}|${r.dtype}`, r]));
  if (grads.size === 0) return undefined;
  const verdict = (l: AccuracyRow, g: AccuracyRow) => (accurate(l) ? (accurate(g) ? 'both' : '**loss only**') : accurate(g) ? '**gradient only**' : 'neither');
  const body = rows.flatMap((l) => {
    const g = l.quantity === 'loss' ? grads.get(`${l.pipeline}|${l.dtype}`) : undefined;
    if (g === undefined) return [];
    return [
      `| ${l.pipeline} | ${l.dtype} | ${l.cases} | ${pct(l.counts.ok, l.cases)} | ${l.maxBits.toFixed(2)} | ${pct(g.counts.ok, g.cases)} | ${g.maxUlp === undefined ? '—' : formatUlps(g.maxUlp)} | ${g.maxBits.toFixed(2)} | ${verdict(l, g)} |`,
    ];
  });
  return [
    '| pipeline | dtype | cases | loss ok | loss max bits | gradient ok | gradient max ulps | gradient max bits | accurate on every case |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...body,
  ].join('\n');
}

/** Elements per second per pipeline × dtype, at the inline shape with the most elements. */
export function throughputByPipeline(dir: string): Map<string, { elementsPerS: number; shape: string }> | undefined {
  const file = join(dir, 'bench.csv');
  if (!existsSync(file)) return undefined;
  const best = new Map<string, { elementsPerS: number; shape: string; size: number }>();
  for (const r of readReport(file, BENCH_COLUMNS)) {
    const v = r.values;
    if (v.path !== 'inline') continue;
    const size = Number(v.batch) * Number(v.classes);
    const key = `${v.pipeline}|${variantLabel({ dtype: v.dtype, compute: v.compute })}`;
    const e = best.get(key);
    if (e === undefined || size > e.size) best.set(key, { elementsPerS: Number(v.elements_per_s), shape: `${v.batch}x${v.classes}`, size });
  }
  return new Map([...best].map(([k, v]) => [k, { elementsPerS: v.elementsPerS, shape: v.shape }]));
}

/** One panel of the accuracy-versus-speed chart, px. */
const CHART = { width: 330, height: 300 } as const;

export interface SpeedPoint {
  readonly pipeline: string;
  readonly dtype: string;
  readonly maxBits: number;
  readonly meanBits: number;
  readonly elementsPerS: number;
  readonly shape: string;
}

/**
 * Groups of points of one dtype that lie within `near` px of each other on the chart
 * (log x, linear y from 0, the panel's size): markers there overlap, so the summary
 * names them. Single-linkage: a point joins the first group with a member near it.
 */
export function coincidentGroups(points: readonly SpeedPoint[], near = 14): { dtype: string; pipelines: string[] }[] {
  const out: { dtype: string; pipelines: string[] }[] = [];
  for (const dtype of [...new Set(points.map((p) => p.dtype))]) {
    const mine = points.filter((p) => p.dtype === dtype);
    const lx = mine.map((p) => Math.log(p.elementsPerS));
    const [x0, x1] = [Math.min(...lx), Math.max(...lx)];
    const y1 = Math.max(1, ...mine.map((p) => p.maxBits));
    const px = mine.map((p, i) => ({ x: x1 > x0 ? ((lx[i] - x0) / (x1 - x0)) * CHART.width : 0, y: (p.maxBits / y1) * CHART.height }));
    const groups: number[][] = [];
    mine.forEach((_, i) => {
      const g = groups.find((members) => members.some((j) => Math.hypot(px[i].x - px[j].x, px[i].y - px[j].y) < near));
      if (g) g.push(i);
      else groups.push([i]);
    });
    for (const g of groups) if (g.length > 1) out.push({ dtype, pipelines: g.map((i) => mine[i].pipeline) });
  }
  return out;
}

/**
 * The accuracy-versus-speed chart: each pipeline × dtype a point, max bits of
 * error (lower is better) against elements per second (higher is better). Writes
 * `accuracy-vs-speed.svg` and returns its markdown, or undefined without both inputs.
 */
export async function renderAccuracySpeed(dir: string, meta: RunMeta, into: string = dir): Promise<string | undefined> {
  const acc = accuracyByPipeline(dir)?.filter((a) => a.quantity === 'loss');
  const speed = throughputByPipeline(dir);
  if (acc === undefined || speed === undefined) return undefined;
  const points = acc.flatMap((a) => {
    const s = speed.get(`${a.pipeline}|${a.dtype}`);
    return s === undefined ? [] : [{ pipeline: a.pipeline, dtype: a.dtype, maxBits: a.maxBits, meanBits: a.meanBits, elementsPerS: s.elementsPerS, shape: s.shape }];
  });
  if (points.length === 0) return undefined;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Accuracy against speed: down and right is better', subtitle: [metaLine(meta), 'hollow markers of distinct shapes, so points that coincide stay visible; the summary names each group of them'], subtitleFontSize: 9 },
    background: 'white',
    data: { values: points },
    facet: { column: { field: 'dtype', type: 'nominal', title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    resolve: { scale: { y: 'independent', x: 'independent' } },
    spacing: 60,
    spec: {
      width: CHART.width,
      height: CHART.height,
      encoding: {
        x: { field: 'elementsPerS', type: 'quantitative', scale: { type: 'log', nice: false, padding: 14 }, axis: { format: '.2s' }, title: 'elements per second (inline, the largest shape each pipeline ran)' },
        y: { field: 'maxBits', type: 'quantitative', scale: { zero: true, nice: true }, title: 'max bits of error, log2(1 + ulps)' },
      },
      layer: [
        {
          mark: { type: 'point', filled: false, size: 150, strokeWidth: 2, opacity: 0.95 },
          encoding: {
            color: { field: 'pipeline', type: 'nominal', title: 'pipeline', scale: { scheme: 'tableau10' }, legend: { labelLimit: 260, symbolStrokeWidth: 2 } },
            shape: { field: 'pipeline', type: 'nominal', title: 'pipeline' },
            tooltip: [{ field: 'pipeline' }, { field: 'dtype' }, { field: 'maxBits' }, { field: 'meanBits' }, { field: 'elementsPerS' }],
          },
        },
      ],
    },
  };
  writeFileAtomic(join(into, 'accuracy-vs-speed.svg'), await renderSvg(spec));
  const rows = points
    .slice()
    .sort((a, b) => a.maxBits - b.maxBits || b.elementsPerS - a.elementsPerS)
    .map((p) => `| ${p.pipeline} | ${p.dtype} | ${p.maxBits.toFixed(2)} | ${p.meanBits.toFixed(3)} | ${p.elementsPerS.toPrecision(3)} | ${p.shape} |`);
  const groups = coincidentGroups(points);
  return [
    '![Accuracy against speed](accuracy-vs-speed.svg)',
    '',
    ...(groups.length > 0 ? [`Markers that overlap on the chart: ${groups.map((g) => `${g.pipelines.join(', ')} (${g.dtype})`).join('; ')}. Their figures are in the table.`, ''] : []),
    '| pipeline | dtype | max bits | mean bits | elements/s | at (rows x classes, inline) |',
    '|---|---|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}
