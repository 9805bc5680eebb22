/**
 * bench.csv (SPEC section 5) read and written row by row, bench.json (provenance
 * and machine load), the ratios the issue asks for, and the summary.md section.
 * No chart library here: suite files and workers import this through the barrel.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dtype } from '../float/dtype.js';
import { variantLabel } from '../report/key.js';
import { TFJS_PIPELINE_NAME } from '../peers/tfjs.js';
import { BENCH_COLUMNS } from '../report/columns.js';
import { numberField, readReport } from '../report/read.js';
import { metaLine } from '../report/meta.js';
import type { BenchRow, BenchRun } from './run.js';
import { fmt, REFERENCE_NAME } from './run.js';

export { BENCH_COLUMNS };

export const BENCH_CSV = 'bench.csv';
export const BENCH_JSON = 'bench.json';
export const BENCH_SVG = 'bench.svg';

function sig(v: number, digits: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : String(v);
}

const opt = (v: number | undefined, digits: number) => (v === undefined ? '' : sig(v, digits));

export function benchCsvRow(r: BenchRow): string[] {
  return [
    r.pipeline,
    r.dtype,
    r.path,
    String(r.workers),
    String(r.batch),
    String(r.classes),
    sig(r.meanMs, 5),
    sig(r.p99Ms, 5),
    opt(r.rmePct, 3),
    String(r.samples),
    sig(r.elementsPerS, 5),
    sig(r.relative, 4),
    r.compute,
    r.quantity,
    opt(r.ciLow, 4),
    opt(r.ciHigh, 4),
  ];
}

/** Reads a bench.csv back (the columns of SPEC section 5); a bad number is exit 2 naming the file, line and column. */
export function readBenchCsv(file: string): BenchRow[] {
  return readReport(file, BENCH_COLUMNS, 'run `softmax-stability bench` first').map((r) => {
    const num = (column: string) => numberField(file, r, column) as number;
    const opt = (column: string) => numberField(file, r, column, { empty: true });
    const v = r.values;
    return {
      pipeline: v.pipeline,
      dtype: v.dtype as Dtype,
      compute: v.compute,
      quantity: v.quantity as BenchRow['quantity'],
      path: v.path as 'inline' | 'pool',
      workers: num('workers'),
      batch: num('batch'),
      classes: num('classes'),
      meanMs: num('mean_ms'),
      p99Ms: num('p99_ms'),
      rmePct: opt('rme_pct'),
      samples: num('samples'),
      elementsPerS: num('elements_per_s'),
      relative: num('relative_to_reference'),
      ciLow: opt('ci_low'),
      ciHigh: opt('ci_high'),
    };
  });
}

/** bench.json: the run without its rows (those are bench.csv). */
export type BenchJson = Omit<BenchRun, 'rows'>;

export const shapeOf = (r: BenchRow) => `${r.batch}x${r.classes}`;

/**
 * The ratios the issue asks the benchmark to show, measured in one run: each
 * float32 pipeline against tfjs at every shape both ran, and every pool row
 * against the same pipeline and dtype inline at the pool shape.
 */
export function benchHighlights(rows: readonly BenchRow[]): string[] {
  const lines: string[] = [];
  const find = (pipeline: string, dtype: Dtype, path: string, shape: string) => rows.find((r) => r.pipeline === pipeline && r.dtype === dtype && r.path === path && shapeOf(r) === shape);
  for (const tf of rows.filter((r) => r.pipeline === TFJS_PIPELINE_NAME && r.path === 'inline')) {
    const shape = shapeOf(tf);
    const others = rows.filter((r) => r.dtype === tf.dtype && r.path === 'inline' && shapeOf(r) === shape && r.pipeline !== TFJS_PIPELINE_NAME && r.pipeline !== REFERENCE_NAME);
    if (others.length === 0) continue;
    lines.push(
      `${shape} ${tf.dtype}, elements/s over ${TFJS_PIPELINE_NAME}'s: ${others.map((r) => `${r.pipeline} ${fmt(r.elementsPerS / tf.elementsPerS)}x`).join(', ')}`,
    );
  }
  for (const p of rows.filter((r) => r.path === 'pool')) {
    const inline = find(p.pipeline, p.dtype, 'inline', shapeOf(p));
    if (inline === undefined) continue;
    lines.push(`${p.pipeline} ${p.dtype} ${shapeOf(p)}: pool of ${p.workers} at ${fmt(p.elementsPerS / inline.elementsPerS)}x the inline elements/s`);
  }
  return lines;
}

const load = (l: readonly number[]) => l.map((v) => v.toFixed(2)).join(' ');

/**
 * The summary.md section of a bench run in `dir` (bench.csv, bench.json and
 * bench.svg written by `softmax-stability bench`): provenance, the chart, the
 * ratios of `benchHighlights`, and every row.
 */
export function renderBenchSection(dir: string): string {
  const rows = readBenchCsv(join(dir, BENCH_CSV));
  const info = JSON.parse(readFileSync(join(dir, BENCH_JSON), 'utf8')) as BenchJson;
  const out: string[] = [];
  out.push('## Throughput', '');
  out.push(
    `${metaLine(info.meta)}; started ${info.startedAt}, ${info.seconds.toFixed(0)} s; load average (1, 5, 15 min) ${load(info.loadBefore)} before, ${load(info.loadAfter)} after. Inputs: ${info.inputs}.`,
    '',
  );
  out.push(
    `Every row's \`relative_to_reference\` is the median, over interleaved rounds (a block of \`${REFERENCE_NAME}\`, Σ Math.exp(x) in double over every logit of the batch in the row's dtype, then a block of the task), of the task's elements per second over the reference's in the same round; the interval is its 95% order-statistic confidence interval (none below 6 rounds). ${info.budgetSeconds === undefined ? '' : `Budget ${info.budgetSeconds} s of rounds. `}Inline rows run on the main thread and are timed on the process's CPU time; \`pool\` rows split the batch across worker threads over shared memory and time split, compute and join on wall-clock time, paired with the same reference loop run on the same pool over the whole batch (the \`${REFERENCE_NAME}\` pool row), so both blocks of a round need every core at the same moment; the pool's speed-up below (its elements/s over inline) is only meaningful on an otherwise idle machine.`,
    '',
  );
  if (info.external !== undefined) {
    // A bench.json of before `clocks` (one `clock` for every external pipeline) reads as that clock for each.
    const { pipelines } = info.external;
    const clocks = info.external.clocks ?? pipelines.map(() => (info.external as { clock?: string }).clock);
    const names = (clock: string) => pipelines.filter((_, i) => clocks[i] === clock).map((n) => `\`${n}\``).join(', ');
    if (clocks.includes('descendants')) {
      out.push(
        `External pipelines (${names('descendants')}; SPEC 7): their rows, inline and pool, time the CPU time of their processes (every thread, from /proc) against the reference loop's CPU time, so \`mean_ms\` is the processes' CPU time per batch: what the implementation computes and its own reading and writing of the frames, not the harness's side of the hand-over nor time spent waiting for a core, nor children that have exited nor a GPU; the frames' wall-clock round trip is in the log (\`bench: NAME: … per frame … ms round trip\`).`,
        '',
      );
    }
    if (clocks.includes('wall')) {
      out.push(
        `External pipelines (${names('wall')}; SPEC 7): their rows are timed on the wall clock (\`clock: 'wall'\` in the suite, or a system that does not tell a process's CPU time), task and reference alike, hand-overs and waits for a core included.`,
        '',
      );
    }
  }
  out.push(`![Throughput relative to the reference loop](${BENCH_SVG})`, '');
  const highlights = benchHighlights(rows);
  if (highlights.length > 0) out.push(...highlights.map((l) => `- ${l}`), '');
  out.push('| pipeline | dtype | path | workers | rows x classes | rounds | mean ms | p99 ms | M elements/s | x reference | 95% interval |');
  out.push('|---|---|---|--:|---|--:|--:|--:|--:|--:|---|');
  for (const r of rows) {
    const ci = r.ciLow === undefined || r.ciHigh === undefined ? '' : `${fmt(r.ciLow)} – ${fmt(r.ciHigh)}`;
    out.push(`| ${r.pipeline} | ${variantLabel(r)} | ${r.path} | ${r.workers} | ${shapeOf(r)} | ${r.samples} | ${fmt(r.meanMs)} | ${fmt(r.p99Ms)} | ${fmt(r.elementsPerS / 1e6)} | ${fmt(r.relative)} | ${ci} |`);
  }
  out.push('');
  return out.join('\n');
}
