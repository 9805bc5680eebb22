/**
 * `softmax-stability baseline [--suite S] [--out DIR]`: runs the suite (default `ci`)
 * into reports/baseline/<suite>/ with baseline.json (the suite, seed and settings
 * the rows come from: gate/baseline.ts), the folder `gate` compares to; commit it.
 *
 * `softmax-stability gate [--suite S] [--baseline DIR] [--out DIR]`: checks first,
 * before any work, that --out is not the baseline folder, that the baseline was
 * made from this suite's settings, and that every baseline file reads (exit 2
 * naming the file and line otherwise); runs the suite into reports/<suite>/,
 * compares (gate/compare.ts), publishes gate.csv with the run's reports, prints
 * the table, appends it to $GITHUB_STEP_SUMMARY when set (a warning if it cannot),
 * and exits 1 on any regression.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { median } from 'simple-statistics';
import type { BenchJson } from '../bench/section.js';
import { BENCH_JSON } from '../bench/section.js';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { toCsv } from '../report/csv.js';
import { GATE_COLUMNS } from '../report/columns.js';
import { trailingKey, variantLabel } from '../report/key.js';
import { metaLine, runMeta } from '../report/meta.js';
import { runSuite } from '../run/run.js';
import { loadSuite } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import { checkOutputFolder, fsReason, realPath } from '../util/publish.js';
import { writeFileAtomic } from '../util/write.js';
import { BASELINE_FILE, baselineText, checkBaseline } from './baseline.js';
import type { GateRow } from './compare.js';
import { compareRuns, isFailure } from './compare.js';

export interface GateCommandOptions {
  suite?: string;
  baseline?: string;
  out?: string;
}

export function baselineDir(suiteName: string): string {
  return resolve('reports', 'baseline', suiteName);
}

export async function runBaselineCommand(opts: { suite?: string; out?: string }): Promise<void> {
  const suite = await loadSuite(opts.suite ?? 'ci');
  const out = resolve(opts.out ?? baselineDir(suite.name));
  await runSuite(suite, out, { command: 'baseline', extraParts: ['baseline'], finish: (stage) => writeFileAtomic(join(stage, BASELINE_FILE), baselineText(suite)) });
  process.stderr.write(`baseline: wrote ${out}/ (${BASELINE_FILE} records the suite and its settings); commit it so that \`gate\` compares against it\n`);
}

/** The gate's table: every regression, missing, inconclusive and new row, then the counts. */
export function gateTable(rows: readonly GateRow[]): string {
  const shown = rows.filter((r) => r.status !== 'pass');
  const lines = ['| check | pipeline | dtype | metric | baseline | current | limit | status |', '|---|---|---|---|--:|--:|---|---|'];
  for (const r of shown) {
    const status = isFailure(r) ? `**${r.status}**` : r.status;
    lines.push(`| ${r.check} | ${r.pipeline} | ${variantLabel(r)}${r.quantity === 'loss' ? '' : ` ${r.quantity}`} | ${r.metric} | ${r.baseline} | ${r.current} | ${r.limit} | ${status} |`);
  }
  const count = (s: GateRow['status']) => rows.filter((r) => r.status === s).length;
  const regressions = rows.filter(isFailure).length;
  const fresh = count('new');
  lines.push(
    '',
    `${regressions} regression${regressions === 1 ? '' : 's'} (${count('missing')} missing), ${count('pass')} checks passed, ${count('inconclusive')} inconclusive (the throughput interval straddles the limit; not a failure), ${fresh} new (not in the baseline, not checked${fresh ? ': refresh the baseline to check them' : ''}).`,
  );
  return lines.join('\n');
}

/**
 * A note on the conditions of the throughput measurement: the load average
 * (bench.json, before and after the bench phase) against the cores, and the
 * median relative width of the throughput intervals against the tolerance.
 * Empty when the machine looked quiet and the intervals narrow.
 */
export function machineNote(dir: string, rows: readonly GateRow[], tolerance: number): string {
  let load: number[] = [];
  try {
    const info = JSON.parse(readFileSync(join(dir, BENCH_JSON), 'utf8')) as BenchJson;
    load = [info.loadBefore[0], info.loadAfter[0]];
  } catch {
    load = [loadavg()[0]];
  }
  const cores = availableParallelism();
  const widths = rows
    .filter((r) => r.check === 'throughput')
    .map((r) => /^(\S+) \[(\S+), (\S+)\]$/.exec(r.current))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => (Number(m[3]) - Number(m[2])) / Number(m[1]));
  const width = widths.length > 0 ? median(widths) : 0;
  const maxLoad = Math.max(...load);
  const unsure = rows.filter((r) => r.status === 'inconclusive').length;
  const loaded = maxLoad > 0.75 * cores;
  const wide = width > tolerance / 2;
  if (!loaded && !wide && unsure === 0) return '';
  const facts = `load average ${load.map((l) => l.toFixed(2)).join(' → ')} on ${cores} cores; median throughput interval ${(100 * width).toFixed(1)}% wide against a ${(100 * tolerance).toFixed(0)}% tolerance`;
  const what = loaded || wide
    ? 'The machine looks loaded: throughput figures are unreliable. Re-run the gate when nothing else runs, or give the suite a larger bench.budgetSeconds (more rounds, narrower intervals); on shared CI runners raise gate.throughputTolerance.'
    : 'Intervals straddling the limit: re-run the gate to settle them, or give the suite a larger bench.budgetSeconds.';
  return `\n> **Measurement conditions**: ${facts}. ${what}\n`;
}

export async function runGateCommand(opts: GateCommandOptions): Promise<number> {
  const suite = await loadSuite(opts.suite ?? 'ci');
  const base = resolve(opts.baseline ?? baselineDir(suite.name));
  const out = resolve(opts.out ?? join('reports', suite.name));
  checkOutputFolder(out);
  if (realPath(base) === realPath(out)) {
    throw new InputError(`--out is the baseline folder (${realPath(out)}): the run would overwrite what it is compared with; give another --out`, undefined, undefined, '--out');
  }
  // Check the baseline before spending a minute on the run: its settings, then every file (compared with itself).
  const note = checkBaseline(base, suite, baselineDir(suite.name));
  if (note !== undefined) process.stderr.write(`gate: ${note}\n`);
  compareRuns(base, base, suite.gate);
  let rows: GateRow[] = [];
  await runSuite(suite, out, {
    command: 'gate',
    extraParts: ['gate'],
    finish: (stage) => {
      rows = compareRuns(base, stage, suite.gate);
      writeFileAtomic(join(stage, 'gate.csv'), toCsv(GATE_COLUMNS, rows.map((r) => [r.check, r.pipeline, r.dtype, r.metric, r.baseline, r.current, r.limit, r.status, ...trailingKey(r)])));
    },
  });
  const failed = rows.some(isFailure);
  const heading = `## softmax-stability gate: ${failed ? 'REGRESSION' : 'pass'}\n\n*${metaLine(runMeta(suite.name, suite.seed))}; baseline ${base}.*\n\n`;
  const table = `${heading}${gateTable(rows)}\n${machineNote(out, rows, suite.gate.throughputTolerance)}`;
  process.stdout.write(table);
  const summary = process.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      appendFileSync(summary, `${table}\n`);
    } catch (err) {
      process.stderr.write(`gate: warning: cannot append to GITHUB_STEP_SUMMARY ${summary}: ${fsReason(err)}; the verdict stands\n`);
    }
  }
  process.stderr.write(`gate: wrote ${join(out, 'gate.csv')}; ${failed ? 'regressions found (exit 1)' : 'no regression'}\n`);
  return failed ? 1 : 0;
}

export function registerGate(program: Command): void {
  program
    .command('baseline')
    .description('run a suite (default ci) into reports/baseline/<suite>/, the folder gate compares to')
    .option('--suite <suite>', 'suite name or path (default: ci)')
    .option('--out <dir>', 'output folder (default: reports/baseline/<suite>/)')
    .action((opts: { suite?: string; out?: string }) => runBaselineCommand(opts));
  program
    .command('gate')
    .description('run a suite (default ci) and compare it with its baseline: exit 1 on a regression')
    .option('--suite <suite>', 'suite name or path (default: ci)')
    .option('--baseline <dir>', 'baseline folder (default: reports/baseline/<suite>/)')
    .option('--out <dir>', 'output folder (default: reports/<suite>/)')
    .action(async (opts: GateCommandOptions) => {
      process.exitCode = await runGateCommand(opts);
    });
}
