/**
 * `softmax-stability history FILE [--out DIR]` (SPEC sections 1 and 9): a history
 * file's trend chart, change points and exports.
 *
 * - `history.csv`: one row per run and benchmark (HISTORY_COLUMNS), with
 *   `change_point` = the relative step of the fitted level on the first run of a
 *   new segment (e.g. -0.2 for a 20% fall of relative_to_reference), empty elsewhere.
 * - `trend.svg`: relative_to_reference per run, a line per pipeline with its 95%
 *   interval as a band, change points marked, a panel per path × shape (× machine).
 * - `bencher.json`: the last run in Bencher Metric Format (BMF):
 *   {"<benchmark>": {"relative-to-reference": {"value", "lower_value", "upper_value"},
 *   "throughput": {"value"}}} (elements per second).
 * - `github-benchmark.json`: the last run for github-action-benchmark's
 *   `customBiggerIsBetter` tool: [{"name", "unit", "value", "range", "extra"}].
 *
 * A bad line of the history file is exit 2 naming the file, the line and the field.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { TopLevelSpec } from 'vega-lite';
import { REFERENCE_NAME } from '../bench/run.js';
import { renderSvg } from '../report/chart.js';
import { keyLabel } from '../report/key.js';
import { toCsv } from '../report/csv.js';
import { withOutputFolder } from '../util/publish.js';
import { writeFileAtomic } from '../util/write.js';
import type { HistoryRecord } from './record.js';
import { readHistory } from './record.js';
import type { Series } from './trend.js';
import { benchmarkName, trendSeries } from './trend.js';

export const HISTORY_COLUMNS = [
  'run',
  'date',
  'commit',
  'suite',
  'fingerprint',
  'benchmark',
  'pipeline',
  'dtype',
  'compute',
  'quantity',
  'path',
  'workers',
  'batch',
  'classes',
  'elements_per_s',
  'relative_to_reference',
  'ci_low',
  'ci_high',
  'change_point',
] as const;

const num = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? '' : String(Number(v.toPrecision(digits))));

export function historyCsv(series: readonly Series[]): string {
  const rows = series
    .flatMap((s) => s.points.map((p) => ({ s, p })))
    .sort((a, b) => a.p.run - b.p.run)
    .map(({ s, p }) => {
      const r = p.result;
      return [p.run, p.date, p.commit, s.suite, s.fingerprint, s.benchmark, r.pipeline, r.dtype, r.compute, r.quantity, r.path, r.workers, r.batch, r.classes, num(r.elements_per_s, 5), num(r.relative_to_reference), num(r.ci_low), num(r.ci_high), num(p.change)];
    });
  return toCsv(HISTORY_COLUMNS, rows);
}

/** The last record's results, reference loop left out. */
function lastResults(records: readonly HistoryRecord[]) {
  const last = records[records.length - 1];
  return { last, results: last.results.filter((r) => r.pipeline !== REFERENCE_NAME) };
}

/** Bencher Metric Format of the last run. */
export function bencherJson(records: readonly HistoryRecord[]): Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> {
  const { last, results } = lastResults(records);
  const out: Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>> = {};
  for (const r of results) {
    const rel: { value: number; lower_value?: number; upper_value?: number } = { value: r.relative_to_reference };
    if (r.ci_low !== null && r.ci_high !== null) {
      rel.lower_value = r.ci_low;
      rel.upper_value = r.ci_high;
    }
    out[benchmarkName(last.suite, r)] = { 'relative-to-reference': rel, throughput: { value: r.elements_per_s } };
  }
  return out;
}

/** github-action-benchmark `customBiggerIsBetter` entries of the last run. */
export function githubBenchmarkJson(records: readonly HistoryRecord[]): { name: string; unit: string; value: number; range?: string; extra: string }[] {
  const { last, results } = lastResults(records);
  return results.map((r) => {
    const hasCi = r.ci_low !== null && r.ci_high !== null;
    const entry: { name: string; unit: string; value: number; range?: string; extra: string } = {
      name: benchmarkName(last.suite, r),
      unit: 'x reference (elements/s over Σ exp)',
      value: r.relative_to_reference,
      extra: `${hasCi ? `95% interval [${num(r.ci_low)}, ${num(r.ci_high)}]; ` : ''}${num(r.elements_per_s / 1e6)} M elements/s; commit ${last.commit}; machine ${last.machine.fingerprint} (${last.machine.cores} x ${last.machine.cpu})`,
    };
    if (hasCi) entry.range = `± ${num(((r.ci_high as number) - (r.ci_low as number)) / 2)}`;
    return entry;
  });
}

/** Vega-Lite: a panel per path × shape (and machine, when there are several), a line per pipeline and dtype, the interval as a band, change points as red triangles. */
export function trendChartSpec(series: readonly Series[], file: string): TopLevelSpec {
  const machines = new Set(series.map((s) => s.fingerprint)).size;
  const values = series.flatMap((s) =>
    s.points.map((p) => {
      const r = p.result;
      const where = `${r.path === 'pool' ? `pool of ${r.workers}` : 'inline'}, ${r.batch}x${r.classes}`;
      return {
        panel: machines > 1 ? `${where}, machine ${s.fingerprint}` : where,
        // The compute mode is part of the series: pure and widened half rows are different benchmarks.
        series: keyLabel(r),
        run: p.run,
        relative: r.relative_to_reference,
        low: r.ci_low,
        high: r.ci_high,
        commit: p.commit,
        change: p.change === undefined ? null : `${p.change > 0 ? '+' : ''}${(100 * p.change).toFixed(1)}%`,
      };
    }),
  );
  const x = { field: 'run', type: 'quantitative' as const, title: 'run (record of the history file)', axis: { tickMinStep: 1, format: 'd' } };
  const color = { field: 'series', type: 'nominal' as const, title: 'pipeline dtype (compute)', legend: { labelLimit: 320 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Throughput history: elements/s over the reference loop, per run', subtitle: `${file}; band: 95% interval of the median round ratio; ▼ change point (PELT, MBIC penalty) with its step`, anchor: 'start' },
    data: { values },
    facet: { row: { field: 'panel', type: 'nominal', title: null, header: { labelOrient: 'top', labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelFontSize: 12, labelFontWeight: 'bold' } } },
    spec: {
      width: 560,
      height: 180,
      layer: [
        { mark: { type: 'area', opacity: 0.18 }, transform: [{ filter: 'isValid(datum.low)' }], encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color } },
        {
          mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.5 },
          encoding: { x, y: { field: 'relative', type: 'quantitative', title: 'x reference', scale: { zero: false } }, color, tooltip: [{ field: 'series' }, { field: 'run' }, { field: 'relative' }, { field: 'commit' }] },
        },
        // A dashed red rule at each change point, across the panel.
        { mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3], opacity: 0.7 }, transform: [{ filter: 'isValid(datum.change)' }], encoding: { x } },
        {
          mark: { type: 'point', shape: 'triangle-down', filled: true, size: 140, color: '#d62728', yOffset: -12 },
          transform: [{ filter: 'isValid(datum.change)' }],
          encoding: { x, y: { field: 'relative', type: 'quantitative' } },
        },
        {
          mark: { type: 'text', color: '#d62728', dy: -26, fontSize: 10, fontWeight: 'bold' },
          transform: [{ filter: 'isValid(datum.change)' }],
          encoding: { x, y: { field: 'relative', type: 'quantitative' }, text: { field: 'change' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

export interface HistoryCommandOptions {
  out?: string;
}

export async function runHistoryCommand(file: string, opts: HistoryCommandOptions): Promise<void> {
  const path = resolve(file);
  const records = readHistory(path);
  const series = trendSeries(records);
  const out = resolve(opts.out ?? join('reports', 'history'));
  const svg = await renderSvg(trendChartSpec(series, file));
  await withOutputFolder(out, { command: 'history', parts: ['history'] }, async (stage) => {
    writeFileAtomic(join(stage, 'history.csv'), historyCsv(series));
    writeFileAtomic(join(stage, 'bencher.json'), `${JSON.stringify(bencherJson(records), null, 2)}\n`);
    writeFileAtomic(join(stage, 'github-benchmark.json'), `${JSON.stringify(githubBenchmarkJson(records), null, 2)}\n`);
    writeFileAtomic(join(stage, 'trend.svg'), svg);
  });
  const changes = series.flatMap((s) => s.points.filter((p) => p.change !== undefined).map((p) => `  ${s.benchmark} (machine ${s.fingerprint}): run ${p.run} (commit ${p.commit}), ${num(p.change)} of relative_to_reference`));
  process.stderr.write(
    `history: ${records.length} runs, ${series.length} series, ${changes.length} change point${changes.length === 1 ? '' : 's'}${changes.length ? `:\n${changes.join('\n')}` : ''}\nhistory: wrote ${out}/history.csv, trend.svg, bencher.json, github-benchmark.json\n`,
  );
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('trend chart, change points and exports (Bencher BMF, github-action-benchmark) of a bench --history file')
    .argument('<file>', 'history file (JSON Lines) written by bench --history')
    .option('--out <dir>', 'output folder (default: reports/history/)')
    .action((file: string, opts: HistoryCommandOptions) => runHistoryCommand(file, opts));
}
