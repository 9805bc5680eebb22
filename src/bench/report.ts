/** Writes a bench run: bench.csv, bench.json and the bar chart bench.svg (Vega-Lite, as the maps). */
import { variantLabel } from '../report/key.js';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../report/chart.js';
import { toCsv } from '../report/csv.js';
import { metaLine } from '../report/meta.js';
import { writeFileAtomic } from '../util/write.js';
import type { BenchRow, BenchRun } from './run.js';
import type { BenchJson } from './section.js';
import { BENCH_COLUMNS, BENCH_CSV, BENCH_JSON, BENCH_SVG, benchCsvRow, shapeOf } from './section.js';

/** Vega-Lite: one bar per row with its 95% interval as a line, elements/s over the reference (linear: tfjs's ~0.01 shows as a sliver with its value), a panel per shape. */
export function benchChartSpec(rows: readonly BenchRow[], caption: string): TopLevelSpec {
  const shapes = [...new Set(rows.map(shapeOf))];
  const values = rows.map((r) => ({
    shape: shapeOf(r),
    label: r.path === 'pool' ? `${r.pipeline} (pool of ${r.workers})` : r.pipeline,
    dtype: variantLabel(r),
    relative: r.relative,
    low: r.ciLow,
    high: r.ciHigh,
    // The value's label goes past the interval's line.
    labelAt: Math.max(r.relative, r.ciHigh ?? r.relative),
  }));
  const y = { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } } as const;
  const panel = (shape: string) => ({
    title: { text: `${shape} (rows x classes)`, fontSize: 11, anchor: 'start' as const },
    transform: [{ filter: { field: 'shape', equal: shape } }],
    width: 420,
    height: { step: 9 },
    encoding: {
      y,
      yOffset: { field: 'dtype', type: 'nominal' as const },
      x: { field: 'relative', type: 'quantitative' as const, title: 'elements/s ÷ reference elements/s (1 = the reference loop)' },
    },
    layer: [
      { mark: 'bar' as const, encoding: { color: { field: 'dtype', type: 'nominal' as const, title: 'dtype' } } },
      // The 95% interval of the median ratio, where there is one.
      { mark: { type: 'rule' as const, color: 'black' }, transform: [{ filter: 'isValid(datum.low)' }], encoding: { x: { field: 'low', type: 'quantitative' as const }, x2: { field: 'high' } } },
      { mark: { type: 'text' as const, align: 'left' as const, dx: 3, fontSize: 8 }, encoding: { x: { field: 'labelAt', type: 'quantitative' as const }, text: { field: 'relative', type: 'quantitative' as const, format: '.3~g' } } },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Throughput: elements per second over the reference loop (Σ Math.exp, float64)', subtitle: caption, anchor: 'start' },
    data: { values },
    vconcat: shapes.map(panel),
  } as TopLevelSpec;
}

/** Writes bench.csv, bench.json and bench.svg into `dir`, each whole. */
export async function writeBenchReport(dir: string, run: BenchRun): Promise<void> {
  const csv = toCsv(BENCH_COLUMNS, run.rows.map(benchCsvRow));
  const json: BenchJson = { meta: run.meta, startedAt: run.startedAt, seconds: run.seconds, budgetSeconds: run.budgetSeconds, loadBefore: run.loadBefore, loadAfter: run.loadAfter, inputs: run.inputs, ...(run.external !== undefined ? { external: run.external } : {}) };
  const svg = await renderSvg(benchChartSpec(run.rows, metaLine(run.meta)));
  writeFileAtomic(join(dir, BENCH_JSON), `${JSON.stringify(json, null, 2)}\n`);
  writeFileAtomic(join(dir, BENCH_SVG), svg);
  writeFileAtomic(join(dir, BENCH_CSV), csv);
}

