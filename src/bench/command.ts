/** `softmax-stability bench [--suite S] [--out DIR]` (SPEC sections 1 and 5). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Suite } from '../suite/load.js';
import { loadSuite } from '../suite/load.js';
import { withOutputFolder } from '../util/publish.js';
import { beat } from '../supervise/heartbeat.js';
import { InputError } from '../util/errors.js';
import { frameStats, frameStatsLine } from '../external/pipeline.js';
import { appendHistory, checkHistoryAppendable, historyRecord } from '../history/record.js';
import { writeBenchReport } from './report.js';
import { benchHighlights } from './section.js';
import type { BenchRun } from './run.js';
import { skippedNote } from '../pipelines/variant.js';
import { BenchNaNError, runBench, smallShapesNote } from './run.js';

export interface BenchCommandOptions {
  suite?: string;
  out?: string;
  /** A history file (JSON Lines, SPEC section 9) the run is appended to. */
  history?: string;
}

/**
 * Benchmarks a loaded suite and writes bench.csv, bench.svg and bench.json into
 * `dir` (for `run`, which shares one suite across its steps). A pipeline that
 * returns NaN on the benchmark's inputs is bad input: InputError, nothing written.
 */
export async function benchSuite(suite: Suite, dir: string, log: (line: string) => void): Promise<BenchRun> {
  beat({ phase: 'bench' });
  log(`bench: suite ${suite.name} (${suite.file}), ${suite.pipelines.length} pipelines, ${suite.dtypes.join('/')}, budget ${suite.bench.budgetSeconds} s of paired rounds`);
  let run: BenchRun;
  try {
    const note = skippedNote(suite.pipelines, suite.dtypes);
    if (note !== undefined) log(`bench: ${note}`);
    const small = smallShapesNote(suite);
    if (small !== undefined) log(`bench: ${small}`);
    run = await runBench(suite, { log });
  } catch (err) {
    if (err instanceof BenchNaNError) {
      const i = suite.pipelines.findIndex((p) => p.name === err.pipeline);
      throw new InputError(`${err.message}; fix the pipeline or remove it from the suite`, suite.file, undefined, i >= 0 ? `pipelines[${i}]` : 'pipelines');
    }
    throw err;
  }
  await writeBenchReport(dir, run);
  for (const line of benchHighlights(run.rows)) log(line);
  // External pipelines (SPEC 7): the frame round trip reported apart from the whole call (inline calls of this thread).
  for (const p of suite.pipelines) {
    const stats = frameStats(p);
    if (stats !== undefined) log(`bench: ${frameStatsLine(p.name, stats)}`);
  }
  log(`bench: ${run.rows.length} rows in ${run.seconds.toFixed(1)} s, load average ${run.loadBefore[0].toFixed(2)} before, ${run.loadAfter[0].toFixed(2)} after`);
  return run;
}

export async function runBenchCommand(opts: BenchCommandOptions): Promise<void> {
  const suite = await loadSuite(opts.suite ?? 'default');
  if (opts.history !== undefined) checkHistoryAppendable(resolve(opts.history));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const out = resolve(opts.out ?? `reports/${suite.name}`);
  const run = await withOutputFolder(out, { command: 'bench', parts: ['bench'] }, (stage) => benchSuite(suite, stage, log));
  log(`bench: wrote ${out}/: bench.csv, bench.svg, bench.json`);
  if (opts.history !== undefined) {
    const file = resolve(opts.history);
    appendHistory(file, historyRecord(run));
    log(`bench: appended the run to ${file} (${run.rows.length} results)`);
  }
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('throughput: every pipeline x dtype x shape inline, the worker-pool batch path, and the reference loop (bench.csv)')
    .option('--suite <suite>', 'suite name or path (default: default)')
    .option('--out <dir>', 'output folder (default: reports/<suite>/)')
    .option('--history <file>', 'also append the run to this history file (JSON Lines; see `history`)')
    .action((opts: BenchCommandOptions) => runBenchCommand(opts));
}
