/**
 * The accuracy parts of summary.md: outcome shares and error per pipeline × dtype
 * (from fuzz.csv), and the accuracy-versus-speed chart (fuzz.csv × bench.csv).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { OUTCOMES } from '../score/outcome.js';
import { writeFileAtomic } from '../util/write.js';
import { renderSvg } from './chart.js';
import { BENCH_COLUMNS, FUZZ_COLUMNS } from './columns.js';
import type { RunMeta } from './meta.js';
import { metaLine } from './meta.js';
import { readReport } from './read.js';

export interface AccuracyRow {
  readonly pipeline: string;
  readonly dtype: string;
  readonly cases: number;
  readonly counts: Record<string, number>;
  /** Max ulps over every family; undefined when some case's ulp error is undefined (an empty max_ulp in fuzz.csv). */
  readonly maxUlp: number | undefined;
  readonly meanBits: number;
  readonly maxBits: number;
}

/** Under the accuracy table when a max ulps is not defined. */
export const NON_FINITE_NOTE =
  '— in *max ulps*: some result is NaN, or infinite where the exact loss is finite (or finite where it is infinite), so no count of ulps covers every case (`max_ulp` is empty in `fuzz.csv`); *max bits* counts such a case as 32 bits (float32) or 64 (float64).';

/** fuzz.csv summed over families: counts add, max takes the max (undefined if any family's is empty), mean bits weighted by cases. */
export function accuracyByPipeline(dir: string): AccuracyRow[] | undefined {
  const file = join(dir, 'fuzz.csv');
  if (!existsSync(file)) return undefined;
  const byKey = new Map<string, { pipeline: string; dtype: string; cases: number; counts: Record<string, number>; maxUlp: number | undefined; bitsSum: number; maxBits: number }>();
  for (const r of readReport(file, FUZZ_COLUMNS)) {
    const v = r.values;
    const key = `${v.pipeline}|${v.dtype}`;
    let e = byKey.get(key);
    if (e === undefined) {
      e = { pipeline: v.pipeline, dtype: v.dtype, cases: 0, counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])), maxUlp: 0, bitsSum: 0, maxBits: 0 };
      byKey.set(key, e);
    }
    const cases = Number(v.cases);
    e.cases += cases;
    for (const o of OUTCOMES) e.counts[o] += Number(v[o]);
    e.maxUlp = v.max_ulp === '' || e.maxUlp === undefined ? undefined : Math.max(e.maxUlp, Number(v.max_ulp));
    e.bitsSum += Number(v.mean_bits) * cases;
    e.maxBits = Math.max(e.maxBits, Number(v.max_bits));
  }
  return [...byKey.values()].map((e) => ({ pipeline: e.pipeline, dtype: e.dtype, cases: e.cases, counts: e.counts, maxUlp: e.maxUlp, meanBits: e.cases ? e.bitsSum / e.cases : 0, maxBits: e.maxBits }));
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

/** Elements per second per pipeline × dtype, at the inline shape with the most elements. */
export function throughputByPipeline(dir: string): Map<string, { elementsPerS: number; shape: string }> | undefined {
  const file = join(dir, 'bench.csv');
  if (!existsSync(file)) return undefined;
  const best = new Map<string, { elementsPerS: number; shape: string; size: number }>();
  for (const r of readReport(file, BENCH_COLUMNS)) {
    const v = r.values;
    if (v.path !== 'inline') continue;
    const size = Number(v.batch) * Number(v.classes);
    const key = `${v.pipeline}|${v.dtype}`;
    const e = best.get(key);
    if (e === undefined || size > e.size) best.set(key, { elementsPerS: Number(v.elements_per_s), shape: `${v.batch}x${v.classes}`, size });
  }
  return new Map([...best].map(([k, v]) => [k, { elementsPerS: v.elementsPerS, shape: v.shape }]));
}

/**
 * The accuracy-versus-speed chart: each pipeline × dtype a point, max bits of
 * error (lower is better) against elements per second (higher is better). Writes
 * `accuracy-vs-speed.svg` and returns its markdown, or undefined without both inputs.
 */
export async function renderAccuracySpeed(dir: string, meta: RunMeta): Promise<string | undefined> {
  const acc = accuracyByPipeline(dir);
  const speed = throughputByPipeline(dir);
  if (acc === undefined || speed === undefined) return undefined;
  const points = acc.flatMap((a) => {
    const s = speed.get(`${a.pipeline}|${a.dtype}`);
    return s === undefined ? [] : [{ pipeline: a.pipeline, dtype: a.dtype, maxBits: a.maxBits, meanBits: a.meanBits, elementsPerS: s.elementsPerS, shape: s.shape }];
  });
  if (points.length === 0) return undefined;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Accuracy against speed: down and right is better', subtitle: metaLine(meta), subtitleFontSize: 9 },
    background: 'white',
    data: { values: points },
    facet: { column: { field: 'dtype', type: 'nominal', title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    resolve: { scale: { y: 'independent', x: 'independent' } },
    spec: {
      width: 330,
      height: 300,
      mark: { type: 'point', filled: true, size: 110, opacity: 0.85 },
      encoding: {
        x: { field: 'elementsPerS', type: 'quantitative', scale: { type: 'log', nice: false, padding: 14 }, axis: { format: '.2s' }, title: 'elements per second (inline, the largest shape each pipeline ran)' },
        y: { field: 'maxBits', type: 'quantitative', scale: { zero: true, nice: true }, title: 'max bits of error, log2(1 + ulps)' },
        color: { field: 'pipeline', type: 'nominal', title: 'pipeline', scale: { scheme: 'tableau10' }, legend: { labelLimit: 260 } },
        shape: { field: 'pipeline', type: 'nominal', title: 'pipeline' },
        tooltip: [{ field: 'pipeline' }, { field: 'dtype' }, { field: 'maxBits' }, { field: 'meanBits' }, { field: 'elementsPerS' }],
      },
    },
  };
  writeFileAtomic(join(dir, 'accuracy-vs-speed.svg'), await renderSvg(spec));
  const rows = points
    .slice()
    .sort((a, b) => a.maxBits - b.maxBits || b.elementsPerS - a.elementsPerS)
    .map((p) => `| ${p.pipeline} | ${p.dtype} | ${p.maxBits.toFixed(2)} | ${p.meanBits.toFixed(3)} | ${p.elementsPerS.toPrecision(3)} | ${p.shape} |`);
  return [
    '![Accuracy against speed](accuracy-vs-speed.svg)',
    '',
    '| pipeline | dtype | max bits | mean bits | elements/s | at (rows x classes, inline) |',
    '|---|---|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}
