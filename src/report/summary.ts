/**
 * summary.md: the run in tables and pictures, readable on its own (docs/reference.md
 * section 5), assembled from whatever the folder holds: fuzz.csv, failures.csv and
 * fuzz.json, the map folder, bench.csv. `run` and `merge` write it, and so do `fuzz`
 * and `map` alone (of what the folder then holds). Each part names the seed, suite,
 * commit and machine it came from (its own manifest: fuzz.json, map.json,
 * bench.json). Nothing in it depends on the time of day, so a rerun of the same
 * commit with the same seed on the same machine rewrites the same accuracy sections.
 *
 * Every command it prints runs as printed from the working directory of the
 * process that writes it: `npx softmax-stability …`, and `--suite` as the suite's
 * name when that finds the same file from there, else its relative path.
 */
import { renderOptionsSection } from './summary-options.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_NAME } from '../bench/run.js';
import { readBenchCsv, renderBenchSection } from '../bench/section.js';
import { LEFT_OUT_REASON, leftOutOfHalves, NO_GRAD_REASON } from '../pipelines/variant.js';
import type { FuzzManifest } from '../fuzz/manifest.js';
import { readFuzzManifestIfAny } from '../fuzz/manifest.js';
import { withOutputFolder } from '../util/publish.js';
import { replayCommand, suiteArgument } from '../fuzz/replay.js';
import { hasMapOutput, readManifest } from '../regions/files.js';
import { renderMapSection } from '../regions/section.js';
import { writeFileAtomic } from '../util/write.js';
import type { ReportRow } from './read.js';
import { FAILURES_COLUMNS } from './columns.js';
import type { RunMeta } from './meta.js';
import { metaLine } from './meta.js';
import { isOptionFamily } from '../fuzz/options.js';
import { readKeyedReport } from './read.js';
import { variantLabel } from './key.js';
import { accuracyByPipeline, NON_FINITE_NOTE, renderAccuracySpeed, renderAccuracyTable, renderLossGradTable } from './summary-accuracy.js';

export const SUMMARY_FILE = 'summary.md';

/** Error of a failures.csv row for ranking: undefined (empty ulp_error: NaN or one side infinite) ranks above any count; a `grad` row's ulp_error is its norm_ulp, not a whole number. */
function errorRank(r: ReportRow): bigint | number {
  const u = r.values.ulp_error;
  if (u === '' || u === 'Infinity') return 1n << 1100n;
  return r.values.quantity === 'grad' ? Number(u) : BigInt(u);
}

/** The worst row per pipeline × dtype (the first in file order on a tie), worst first, then in file order. */
export function worstPerPipeline(rows: readonly ReportRow[]): ReportRow[] {
  const byUnit = new Map<string, ReportRow>();
  for (const r of rows) {
    const key = `${r.values.pipeline}|${r.values.dtype}|${r.values.compute}|${r.values.quantity}`;
    const before = byUnit.get(key);
    if (before === undefined || errorRank(r) > errorRank(before)) byUnit.set(key, r);
  }
  const order = [...byUnit.values()];
  return order.map((r, i) => ({ r, i })).sort((a, b) => (errorRank(b.r) > errorRank(a.r) ? 1 : errorRank(b.r) < errorRank(a.r) ? -1 : a.i - b.i)).map((x) => x.r);
}

function failuresTable(rows: readonly ReportRow[], suite: string): string[] {
  const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);
  const out = ['| pipeline | dtype | family | outcome | cause | ulps | loss | oracle | target | classes | logits | replay |', '|---|---|---|---|---|--:|---|---|--:|--:|---|---|'];
  for (const r of rows) {
    const v = r.values;
    const cmd = replayCommand({ seed: v.seed, path: v.path, pipeline: v.pipeline, dtype: v.dtype, compute: v.compute, quantity: v.quantity, suite });
    const ulps = v.ulp_error === '' ? '— (not finite)' : v.ulp_error;
    const what = v.quantity === 'grad' ? ` grad (class ${v.class})` : '';
    out.push(`| ${v.pipeline} | ${variantLabel({ dtype: v.dtype, compute: v.compute })}${what} | ${v.family} | ${v.outcome} | ${v.cause} | ${ulps} | ${v.loss} | ${v.oracle_loss} | ${clip(v.target)} | ${v.logits.split(' ').length} | \`${clip(v.logits)}\` | \`${cmd}\` |`);
  }
  return out;
}

/**
 * failures.csv's rows. A file of an earlier version (SPEC's twelve columns, no `compute`,
 * `quantity`, `class`, `kind`) is still read, its rows taken as shrunk ones of compute = dtype,
 * so that `map` into an old folder still writes its summary.
 */
function readFailures(file: string): ReportRow[] {
  return readKeyedReport(file, FAILURES_COLUMNS, 'run `npx softmax-stability fuzz` first', { class: '', kind: 'shrunk' });
}

function failuresSection(dir: string, meta: RunMeta, manifest: FuzzManifest | undefined): string | undefined {
  const file = join(dir, 'failures.csv');
  if (!existsSync(file)) return undefined;
  const rows = readFailures(file);
  const suite = manifest === undefined ? meta.suite : suiteArgument(manifest.suite, manifest.suiteFile);
  const worst = worstPerPipeline(rows.filter((r) => r.values.kind === 'worst'));
  const shrunk = worstPerPipeline(rows.filter((r) => r.values.kind === 'shrunk'));
  const out = ['## Counterexamples', '', `*${metaLine(meta)}.*`, ''];
  if (rows.length === 0) {
    const scored = existsSync(join(dir, 'fuzz.csv')) && readFileSync(join(dir, 'fuzz.csv'), 'utf8').trim().includes('\n');
    out.push(scored ? 'No failure: every case of every pipeline was `ok`.' : 'No case was scored: `fuzz.csv` has no rows (no pipeline of the suite runs in its dtypes and quantities; see the notes `fuzz` printed).');
    return out.join('\n');
  }
  out.push(
    `\`failures.csv\` holds ${rows.length} failures: for each pipeline × dtype × family that failed, the worst case found (\`kind\` = \`worst\`, as generated) and up to \`fuzz.failures\` counterexamples shrunk to small cases with the same outcome (\`kind\` = \`shrunk\`). ` +
      'Each command below replays its case from the folder the run was started in (it prints the logits, the loss, the oracle value, the outcome and a cases-file row for `score`).' +
      (rows.some((r) => isOptionFamily(r.values.family))
        ? ' Option rows (`opt-…#i`: the options setting i) are rows `l_n` of a batch: `path` is BATCH:ROW then the shrink steps, which keep the batch\'s options fixed; their replay also prints the options the family drew and the `score` flags that give them.'
        : ''),
    '',
  );
  if (worst.length > 0) out.push(`### The worst case of each pipeline × dtype (${worst.length}, worst first)`, '', ...failuresTable(worst, suite), '');
  if (shrunk.length > 0) out.push(`### The shrunk counterexample with the largest error, per pipeline × dtype (${shrunk.length}, worst first)`, '', ...failuresTable(shrunk, suite), '');
  return out.join('\n');
}

/**
 * summary.md's lines for the pipelines a part of the run left out of the half formats it ran (SPEC 2.1: a pipeline with
 * only float32/float64 kernels, or a peer), one per pipeline, in the words of the note the commands print on stderr
 * (`skippedNote`); none when every pipeline ran in every format. `ran` are the part's rows (pipeline, dtype).
 */
export function leftOutLines(pipelines: readonly string[], dtypes: readonly string[], ran: readonly { readonly pipeline: string; readonly dtype: string }[]): string[] {
  const has = new Set(ran.map((r) => `${r.pipeline}|${r.dtype}`));
  const left = leftOutOfHalves(pipelines, dtypes, (p, d) => has.has(`${p}|${d}`));
  return left.length === 0 ? [] : [...left.map((l) => `- \`${l.pipeline}\` not run in ${l.dtypes.join(' and ')}: ${LEFT_OUT_REASON}.`), ''];
}

/** The provenance of the folder's header: the caller's, else fuzz.json's, map.json's or bench.json's. */
function folderMeta(dir: string, fuzz: FuzzManifest | undefined): RunMeta | undefined {
  if (fuzz !== undefined) return fuzz;
  if (hasMapOutput(dir)) return readManifest(dir);
  const bench = join(dir, 'bench.json');
  if (existsSync(bench)) return (JSON.parse(readFileSync(bench, 'utf8')) as { meta?: RunMeta }).meta;
  return undefined;
}

/**
 * Writes `dir`/summary.md from the files in `dir`. `meta` names the run (default:
 * the folder's own manifests). Returns the file's path.
 */
export async function writeSummary(dir: string, meta?: RunMeta, into: string = dir): Promise<string> {
  const fuzz = readFuzzManifestIfAny(dir);
  const head = meta ?? folderMeta(dir, fuzz) ?? { suite: 'unknown', seed: 0, commit: 'unknown', machine: 'unknown' };
  const fuzzMeta: RunMeta = fuzz ?? head;
  const parts: string[] = [];
  parts.push(`# softmax-stability: suite \`${head.suite}\``, '');
  parts.push(`Seed ${head.seed}, commit ${head.commit}, machine: ${head.machine}.`, '');
  parts.push(
    'Every loss is compared with the exact loss of its inputs correctly rounded to the dtype (a decimal.js oracle); `ulps` counts the values of the dtype between them, bits of error are log2(1 + ulps) (Herbie\'s measure). Outcomes: `ok` within the pipeline\'s ulp budget, `inaccurate` beyond it, `overflow` ±Infinity for a finite loss, `underflow` 0 for a non-zero loss, `nan`.',
    '',
  );
  const all = accuracyByPipeline(dir);
  const acc = all?.filter((a) => a.quantity === 'loss');
  if (acc !== undefined) {
    parts.push('## Accuracy', '', `*${metaLine(fuzzMeta)}.* Fuzz campaign over every family (\`fuzz.csv\` has them one by one); share of each outcome and the error, per pipeline × dtype:`, '');
    parts.push(renderAccuracyTable(acc), '');
    if (acc.some((a) => a.maxUlp === undefined)) parts.push(NON_FINITE_NOTE, '');
    // AccuracyRow.dtype is a label: the dtype, then its compute where that differs (key.ts).
    const ran = acc.map((a) => ({ pipeline: a.pipeline, dtype: a.dtype.split(' ')[0] }));
    parts.push(...leftOutLines(fuzz?.pipelines ?? [...new Set(ran.map((r) => r.pipeline))], fuzz?.units.map((u) => u.split('/')[0]) ?? ran.map((r) => r.dtype), ran));
  }
  const sideBySide = all === undefined ? undefined : renderLossGradTable(all);
  if (sideBySide !== undefined) {
    parts.push(
      '## Loss and gradient',
      '',
      `*${metaLine(fuzzMeta)}.* The same cases, the loss and its gradient with respect to the logits (\`quantity\` = \`grad\` in \`fuzz.csv\`; each pipeline's backward pass as its framework computes it). ` +
        "A gradient is `ok` when its error, in units of the last place of its largest component (`norm_ulp`), is within the pipeline's budget; *max ulps* is the largest error of any one component against its correctly rounded value. " +
        '**loss only** marks a pipeline whose loss is right on every case while the gradient training uses is not; the region maps below show where, cell by cell (`map-grad-DTYPE.svg`).',
      '',
      sideBySide,
      '',
    );
    const grads = all!.filter((a) => a.quantity === 'grad');
    parts.push('Gradient outcomes per pipeline × dtype:', '', renderAccuracyTable(grads), '');
    const withGrad = new Set(grads.map((a) => a.pipeline));
    const noGrad = [...new Set(all!.map((a) => a.pipeline))].filter((p) => !withGrad.has(p));
    if (noGrad.length > 0) parts.push(...noGrad.map((p) => `- \`${p}\` has no gradient rows: ${NO_GRAD_REASON}.`), '');
    if (grads.some((a) => a.maxUlp === undefined)) parts.push(NON_FINITE_NOTE.replace('the exact loss', 'the exact gradient component'), '');
  }
  const speed = await renderAccuracySpeed(dir, fuzzMeta, into);
  if (speed !== undefined) parts.push('## Which pipeline to pick', '', `*${metaLine(fuzzMeta)}.* Each point is a pipeline in one dtype: the worst error the fuzz campaign found against its speed on the largest shape it ran inline.`, '', speed, '');
  const options = await renderOptionsSection(dir, fuzzMeta, into, fuzz?.options);
  if (options !== undefined) parts.push('## Options', '', options, '');
  const failures = failuresSection(dir, fuzzMeta, fuzz);
  if (failures !== undefined) parts.push(failures, '');
  if (hasMapOutput(dir)) {
    const { pipelines, dtypes, units } = readManifest(dir);
    parts.push(renderMapSection(dir), '', ...leftOutLines(pipelines, dtypes, units));
  }
  if (existsSync(join(dir, 'bench.csv')) && existsSync(join(dir, 'bench.json'))) {
    const rows = readBenchCsv(join(dir, 'bench.csv')).filter((r) => r.pipeline !== REFERENCE_NAME);
    parts.push(renderBenchSection(dir), '', ...leftOutLines([...new Set(rows.map((r) => r.pipeline))], rows.map((r) => r.dtype), rows));
  }
  const text = `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
  writeFileAtomic(join(into, SUMMARY_FILE), text);
  return join(dir, SUMMARY_FILE);
}

/**
 * Rewrites summary.md (and its picture) of the folder `dir` from everything it
 * holds, published like any report (staged, then renamed in, under the folder's
 * lock). `fuzz` and `map` call it after publishing their own files: the summary
 * is a view of the folder, so it follows them.
 */
export async function publishSummary(dir: string, command: string): Promise<string> {
  return withOutputFolder(dir, { command, parts: ['summary'] }, (stage) => writeSummary(dir, undefined, stage));
}
