/**
 * `softmax-stability fuzz [--suite S] [--seed N] [--runs N] [--out DIR] [--shard i/n] [--workers N]`
 * `softmax-stability fuzz --replay SEED:PATH --pipeline P --dtype D [--compute C] [--quantity grad] [--suite S] [--family F]`
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeCsv } from '../report/csv.js';
import { withOutputFolder } from '../util/publish.js';
import { writeFileAtomic } from '../util/write.js';
import { WorkerPool } from '../pool/pool.js';
import type { Family } from '../suite/define.js';
import { FAMILIES } from '../suite/define.js';
import type { Suite } from '../suite/load.js';
import { loadSuite, runsPerFamily } from '../suite/load.js';
import { OUTCOMES } from '../score/outcome.js';
import { InputError } from '../util/errors.js';
import { beat } from '../supervise/heartbeat.js';
import { LIMITS } from '../suite/schema.js';
import type { CampaignResult, Shard } from './campaign.js';
import { parseShard } from '../util/shard.js';
import { FAILURE_COLUMNS, FUZZ_COLUMNS, runCampaign } from './campaign.js';
import { FAILURES_FILE, FUZZ_FILE } from './merge.js';
import { replayText } from './replay.js';
import { DTYPES } from '../float/dtype.js';
import { noGradNote, skippedNote } from '../pipelines/variant.js';
import { softTargetNote } from './options.js';
import { keyLabel } from '../report/key.js';
import { FUZZ_MANIFEST_FILE, fuzzManifest, fuzzManifestText } from './manifest.js';
import { publishSummary } from '../report/summary.js';

export interface FuzzCommandOptions {
  suite?: string;
  seed?: string;
  runs?: string;
  out?: string;
  shard?: string;
  workers?: string;
  replay?: string;
  pipeline?: string;
  dtype?: string;
  compute?: string;
  family?: string;
  quantity?: string;
}

function wholeNumber(text: string, field: string, min: number, what: string): number {
  const v = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min) {
    throw new InputError(`${JSON.stringify(text)} is not ${what}; give a whole number ≥ ${min}`, undefined, undefined, field);
  }
  return v;
}

export { parseShard } from '../util/shard.js';

/** The suite with the command line's --seed and --runs applied (--runs N as a suite's `runs: N`: every family but vocab, which keeps the suite's). */
function withOverrides(suite: Suite, seed: number | undefined, runs: number | undefined): Suite {
  return {
    ...suite,
    seed: seed ?? suite.seed,
    fuzz: runs === undefined ? suite.fuzz : { ...suite.fuzz, runs: { ...(runsPerFamily(runs) as Record<Family, number>), vocab: suite.fuzz.runs.vocab } },
  };
}

export async function runFuzzCommand(opts: FuzzCommandOptions): Promise<void> {
  if (opts.replay !== undefined) {
    for (const [k, v] of [['--seed', opts.seed], ['--runs', opts.runs], ['--out', opts.out], ['--shard', opts.shard], ['--workers', opts.workers]] as const) {
      if (v !== undefined) throw new InputError(`${k} does not apply to --replay (the token fixes the case); drop it`, undefined, undefined, k);
    }
    const suite = await loadSuite(opts.suite ?? 'default');
    process.stdout.write(replayText(suite, { token: opts.replay, pipeline: opts.pipeline, dtype: opts.dtype, compute: opts.compute, family: opts.family, quantity: opts.quantity }));
    return;
  }
  for (const [k, v] of [['--pipeline', opts.pipeline], ['--dtype', opts.dtype], ['--compute', opts.compute], ['--family', opts.family], ['--quantity', opts.quantity]] as const) {
    if (v !== undefined) throw new InputError(`${k} applies only to --replay; choose pipelines, dtypes and families in the suite file`, undefined, undefined, k);
  }
  const seed = opts.seed === undefined ? undefined : wholeNumber(opts.seed, '--seed', Number.MIN_SAFE_INTEGER, 'an integer seed');
  const runs = opts.runs === undefined ? undefined : wholeNumber(opts.runs, '--runs', 1, 'a number of runs');
  if (runs !== undefined && runs > LIMITS.runs) throw new InputError(`${opts.runs} runs per family is more than the ${LIMITS.runs.toLocaleString('en-US')} a suite may ask for; give fewer`, undefined, undefined, '--runs');
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const threads = opts.workers === undefined ? undefined : wholeNumber(opts.workers, '--workers', 1, 'a number of worker threads');
  const suite = withOverrides(await loadSuite(opts.suite ?? 'default'), seed, runs);
  const out = resolve(opts.out ?? join('reports', suite.name));
  const result = await withOutputFolder(out, { command: 'fuzz', parts: ['fuzz'] }, (stage) => fuzzSuite(suite, stage, (line) => process.stderr.write(`${line}\n`), { shard, threads }));
  const summary = await publishSummary(out, 'fuzz');
  // Said only now: a fault found as the folder is published (an external process's stray bytes) leaves nothing written.
  process.stderr.write(`fuzz: published into ${out}/: ${FUZZ_FILE} (${result.fuzzRows.length} rows), ${FAILURES_FILE} (${result.failureRows.length} rows) and ${FUZZ_MANIFEST_FILE}; wrote ${summary} (of everything ${out} holds; each failing pipeline x dtype with the command that replays its worst case)\n`);
}

export interface FuzzSuiteOptions {
  readonly shard?: Shard;
  /** Worker threads of the pool made for the campaign (default: all cores). */
  readonly threads?: number;
  /** A pool to use instead (not closed here), e.g. `run`'s. */
  readonly pool?: WorkerPool;
}

/**
 * Runs a loaded suite's fuzz campaign and writes fuzz.csv, failures.csv and
 * fuzz.json (the manifest `merge` checks shards with) into `dir`, a staging
 * folder (util/publish.ts). Nothing is written unless the whole campaign finished.
 */
export async function fuzzSuite(suite: Suite, dir: string, log: (line: string) => void, options: FuzzSuiteOptions = {}): Promise<CampaignResult> {
  const { shard } = options;
  // Provenance first: the commit is read before this run's files make the checkout look dirty.
  const manifest = fuzzManifest(suite, shard);
  beat({ phase: 'fuzz' });
  const pool = options.pool ?? new WorkerPool({ threads: options.threads });
  let result: CampaignResult;
  try {
    log(`fuzz: suite ${suite.name} (${suite.file}), seed ${suite.seed}, ${suite.pipelines.length} pipelines, ${pool.threads} worker threads${shard ? `, shard ${shard.index}/${shard.count}` : ''}`);
    const note = skippedNote(suite.pipelines, suite.dtypes);
    if (note !== undefined) log(`fuzz: ${note}`);
    const soft = softTargetNote(suite);
    if (soft !== undefined) log(`fuzz: ${soft}`);
    const noGrad = noGradNote(suite.pipelines, suite.fuzz.quantities);
    if (noGrad !== undefined) log(`fuzz: ${noGrad}`);
    result = await runCampaign({ suite, pool, shard });
  } finally {
    if (options.pool === undefined) await pool.destroy();
  }
  writeCsv(join(dir, FUZZ_FILE), FUZZ_COLUMNS, result.fuzzRows);
  writeCsv(join(dir, FAILURES_FILE), FAILURE_COLUMNS, result.failureRows);
  writeFileAtomic(join(dir, FUZZ_MANIFEST_FILE), fuzzManifestText(manifest));

  const totals = new Map<string, number[]>();
  for (const s of result.stats) {
    const key = keyLabel({ pipeline: s.pipeline, dtype: s.unit.dtype, compute: s.compute, quantity: s.quantity });
    const t = totals.get(key) ?? OUTCOMES.map(() => 0);
    OUTCOMES.forEach((o, i) => (t[i] += s.counts[o]));
    totals.set(key, t);
  }
  const width = Math.max(0, ...[...totals.keys()].map((k) => k.length));
  for (const [k, t] of totals) log(`  ${k.padEnd(width)}  ${OUTCOMES.map((o, i) => `${o} ${t[i]}`).join('  ')}`);
  log(
    `fuzz: ${result.cases} cases (${result.logits} logits) x ${suite.pipelines.length} pipelines in ${result.seconds.toFixed(1)} s: ${(result.cases / result.seconds).toFixed(1)} cases/s; ${FUZZ_FILE} ${result.fuzzRows.length} rows, ${FAILURES_FILE} ${result.failureRows.length} rows (staged: the command says when it has published them)`,
  );
  return result;
}

export function registerFuzz(program: Command): void {
  program
    .command('fuzz')
    .description('property-based fuzz campaign against the oracle: fuzz.csv, failures.csv and summary.md (docs/reference.md section 5); or --replay one failure')
    .option('--suite <suite>', 'suite name (suites/NAME.suite.ts) or path of a suite file', 'default')
    .option('--seed <n>', "override the suite's seed")
    .option('--runs <n>', "cases per family and dtype, overriding the suite's (every family but vocab, whose 32k-50k-class rows cost seconds each: set fuzz.runs.vocab in the suite)")
    .option('--out <dir>', 'output folder (default: reports/<suite>/)')
    .option('--shard <i/n>', 'run the i-th of n shares of the dtype x family units (merge the folders with `merge`)')
    .option('--workers <n>', 'worker threads for the oracle and shrinking (default: all cores)')
    .option('--replay <seed:path>', "re-run one case: failures.csv's seed and path, joined by a colon")
    .option('--pipeline <name>', 'with --replay: the pipeline to run')
    .option('--dtype <dtype>', `with --replay: one of ${DTYPES.join(', ')}`)
    .option('--compute <format>', "with --replay: the arithmetic format (failures.csv's compute; default the dtype itself, float32 for a widened half row)")
    .option('--quantity <quantity>', "with --replay: loss (default) or grad (failures.csv's quantity column): replays the gradient")
    .option('--family <family>', `with --replay: the generator family (default: read from the seed); one of ${FAMILIES.join(', ')}`)
    .action((opts: FuzzCommandOptions) => runFuzzCommand(opts));
}
