/** `softmax-stability score CASES.csv [--out FILE] [--pipelines a,b] [--budget ULPS] [--external FILE]`, and with `--grad` the gradients (grad-command.ts) */
import type { Command } from 'commander';
import type { OptionFlags } from '../cases/options.js';
import { parseOptionFlags } from '../cases/options.js';
import { readCases } from '../cases/read.js';
import { availablePeers } from '../peers/registry.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Dtype } from '../float/dtype.js';
import { toCsv } from '../report/csv.js';
import { variantLabel } from '../report/key.js';
import { notRunReason, runsIn, skippedNote } from '../pipelines/variant.js';
import { InputError } from '../util/errors.js';
import { loadSuite } from '../suite/load.js';
import { prepareOutputFile } from '../util/publish.js';
import { writeFileAtomic } from '../util/write.js';
import { runBeforePublish } from '../util/before-publish.js';
import { readExternal } from './external.js';
import { runScoreGrad } from './grad-command.js';
import { DEFAULT_BUDGET } from './outcome.js';
import { SCORE_COLUMNS, scoreCases, scoredCsvRow, tallyOutcomes } from './score.js';

export interface ScoreCommandOptions extends OptionFlags {
  out?: string;
  pipelines?: string;
  budget?: string;
  external?: string;
  grad?: boolean;
  externalGrad?: string;
  suite?: string;
}

/**
 * The pipelines `score` runs: `--pipelines` names among the built-ins, the peers and, with
 * `--suite S`, the suite's own and external pipelines (SPEC 1, 7); without `--pipelines`,
 * every built-in and the suite's pipelines that are not built-ins.
 */
export async function scorePipelines(opts: Pick<ScoreCommandOptions, 'pipelines' | 'suite'>): Promise<Pipeline[]> {
  const peers = availablePeers();
  const known = [...BUILTIN_PIPELINES, ...peers].map((p) => p.name);
  const own = opts.suite === undefined ? [] : (await loadSuite(opts.suite)).pipelines.filter((p) => !known.includes(p.name));
  return selectPipelines(opts.pipelines, [...BUILTIN_PIPELINES, ...peers, ...own], [...BUILTIN_PIPELINES, ...own]);
}

/**
 * Refuses a pipeline named by `--pipelines` that runs in none of the cases' dtypes (an
 * external process whose entry declares other `dtypes`, SPEC 7; a pipeline without a
 * generic kernel on half cases): it would score nothing and exit 0. Pipelines taken by
 * default are left out of the dtypes they do not run in, with the note of `skippedNote`.
 */
export function checkSelectedRun(list: string | undefined, selected: readonly Pipeline[], dtypes: readonly Dtype[], casesFile: string): void {
  if (list === undefined || dtypes.length === 0) return;
  for (const p of selected) {
    if (dtypes.every((d) => !runsIn(p, d))) throw new InputError(`${p.name} runs in none of the dtypes of ${casesFile} (${dtypes.join(', ')}): ${notRunReason(p, dtypes, true)}`, undefined, undefined, '--pipelines');
  }
}

/** The named pipelines of `list`, looked up among `available`; without a list, the `defaults`. */
export function selectPipelines(list: string | undefined, available: readonly Pipeline[], defaults: readonly Pipeline[] = available): Pipeline[] {
  if (list === undefined) return [...defaults];
  if (list.trim() === '' || list === 'none') return [];
  return list.split(',').map((name) => {
    const p = available.find((q) => q.name === name.trim());
    if (p === undefined) {
      throw new InputError(
        `unknown pipeline ${JSON.stringify(name)}; choose from ${available.map((q) => q.name).join(', ')}`,
        undefined,
        undefined,
        '--pipelines',
      );
    }
    return p;
  });
}

export function parseBudget(text: string | undefined, field = '--budget'): number {
  if (text === undefined) return DEFAULT_BUDGET;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) {
    throw new InputError(`budget ${JSON.stringify(text)} is not a number of ulps ≥ 0`, undefined, undefined, field);
  }
  return v;
}

export async function runScore(casesFile: string, opts: ScoreCommandOptions): Promise<void> {
  if (opts.grad === true || opts.externalGrad !== undefined) return runScoreGrad(casesFile, opts);
  // Every built-in by default; the peers (tfjs, onnxruntime when installed) by name; a suite's pipelines with --suite.
  const selected = await scorePipelines(opts);
  const budget = parseBudget(opts.budget);
  const batch = parseOptionFlags(opts);
  if (opts.out !== undefined) prepareOutputFile(opts.out, '--out', [casesFile, ...(opts.external !== undefined ? [opts.external] : [])]);
  const cases = readCases(casesFile, batch.ignoreIndex);
  const external = opts.external !== undefined ? readExternal(opts.external, cases) : [];
  const started = performance.now();
  const dtypes = [...new Set(cases.map((c) => c.dtype))];
  checkSelectedRun(opts.pipelines, selected, dtypes, casesFile);
  const rows = scoreCases(cases, { pipelines: selected, budget, external, batch, file: casesFile });
  const note = skippedNote(selected, dtypes);
  if (note !== undefined) process.stderr.write(`score: ${note}\n`);
  const csv = toCsv(SCORE_COLUMNS, rows.map(scoredCsvRow));
  runBeforePublish();
  if (opts.out !== undefined) writeFileAtomic(opts.out, csv);
  else process.stdout.write(csv);
  const seconds = (performance.now() - started) / 1000;
  const lines = tallyOutcomes(rows).map(
    (t) =>
      `  ${t.pipeline.padEnd(34)} ${variantLabel(t).padEnd(26)}  ok ${t.counts.ok}  inaccurate ${t.counts.inaccurate}  overflow ${t.counts.overflow}  underflow ${t.counts.underflow}  nan ${t.counts.nan}  max ulps ${t.noUlps > 0 ? `— (${t.noUlps} row${t.noUlps === 1 ? '' : 's'} with no ulp count: NaN or not finite)` : t.maxUlps}`,
  );
  process.stderr.write(`scored ${cases.length} cases x ${selected.length} pipelines${external.length > 0 ? ` + ${external.length} rows from --external files` : ''} in ${seconds.toFixed(1)} s (budget ${budget} ulps)\n${lines.join('\n')}\n`);
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('run the oracle and the pipelines on a cases file (docs/reference.md sections 3-4)')
    .argument('<cases>', 'cases CSV: id,dtype,target,logits')
    .option('--out <file>', 'write the scored CSV here (default: stdout)')
    .option('--pipelines <list>', 'comma-separated pipeline names, built-ins or peers (default: every built-in; "none" for only --external)')
    .option('--budget <ulps>', `ulps within which a loss is ok (default ${DEFAULT_BUDGET})`)
    .option('--external <file>', "another implementation's losses: id,impl,dtype,loss")
    .option('--suite <suite>', "adds the suite's own and external pipelines (a name or a .suite.ts path; docs/reference.md section 7)")
    .option('--weight <weights>', 'class weights w_c, one per class, separated by single spaces (docs/reference.md section 6; default all 1)')
    .option('--ignore-index <class>', 'rows whose target is this class have l_n = 0 and no weight in the mean')
    .option('--label-smoothing <eps>', 'label smoothing ε in [0, 1] (default 0)')
    .option('--reduction <r>', 'none (per-row l_n, the default), mean or sum: adds one @batch row per pipeline and dtype')
    .option('--masked-rows <m>', 'fully masked rows (every logit -Infinity): nan (default), zero or ignore')
    .option('--grad', 'score the gradients of the row losses instead, component by component (float16 and bfloat16 rows too)')
    .option('--external-grad <file>', "with --grad: another implementation's gradients: id,impl,dtype,grad")
    .action(async (cases: string, opts: ScoreCommandOptions) => runScore(cases, opts));
}
