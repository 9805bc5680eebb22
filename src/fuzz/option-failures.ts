/**
 * failures.csv rows, shrinking and `--replay` for the option families of the fuzz
 * campaign (src/fuzz/options.ts; SPEC 6).
 *
 * A failing option row is one row n of batch b of a family under a setting: its
 * l_n (quantity `loss`) or its gradient (`grad`) out of the pipeline's budget. Its
 * failures.csv row has SPEC 5's columns: `family` the option row's family name
 * (`opt-smoothing#2`: the setting's index, as in fuzz.csv), `target` the class index
 * or the soft target's probabilities separated by single spaces (SPEC 3), `seed` the
 * family's seed (`optionSeed`) and `path` `b:n`, then the index of each shrink step
 * taken: `b:n:i1:i2…`. What the family drew for the batch (its weights, ε,
 * ignore_index) is not a column: `--replay` prints it (`options:`). Batch values
 * (`opt-X@mean`, `@sum`) have no failures.csv rows: a batch is not one row of
 * logits; fuzz.csv counts them.
 *
 * Shrinking keeps the batch's options (the suite's setting and the family's draws)
 * fixed and stays in the family's domain: a candidate drops a class (not the
 * target, not a class a soft target gives mass to, never below 2 classes, never
 * under class weights, whose size is C), sets every finite logit minus the largest
 * (the same exact softmax), or changes one finite logit to 0, to its integer part,
 * or to 2 significant digits (rounded to the dtype); a −Infinity (masked) logit and
 * the soft target stay. A candidate is taken when the pipeline's outcome on it is
 * the original outcome and its oracle is not NaN; the first one taken in candidate
 * order is the step, its index the path's next entry. `steps` (the suite's
 * `fuzz.shrink.steps`) bounds the oracle calls of one shrink. The candidates are a
 * function of the row alone, so `--replay` follows a path without judging.
 *
 * Per pipeline × dtype × compute × quantity × option row: the worst failure as drawn
 * (kind `worst`), then up to R distinct shrunk ones (kind `shrunk`) of the first
 * `fuzz.shrink.attempts` failures, R the largest of the suite's `fuzz.failures`.
 */
import type { BatchOptions, OptionRow } from '../cases/options.js';
import { resolveWeights, settingLabel } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { ulpDistance, ulpDistanceText } from '../float/ordinal.js';
import { formatValue } from '../float/shortest.js';
import type { OracleResult } from '../oracle/loss.js';
import { oracleBatch, oracleRowGrad } from '../oracle/batch.js';
import { optionCause } from '../pipelines/option-cause.js';
import { pipelineBatch, pipelineRowGrad } from '../pipelines/options.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Compute, Variant } from '../pipelines/variant.js';
import type { Quantity } from '../report/key.js';
import type { FailureKind } from '../report/columns.js';
import type { GradVerdict } from '../score/grad.js';
import { judgeGrad } from '../score/grad.js';
import type { Outcome, Verdict } from '../score/outcome.js';
import { classify } from '../score/outcome.js';
import type { Family } from '../suite/define.js';
import type { Suite } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import { failureCsvRow } from './campaign.js';
import type { OptionBatch, OptionFamily } from './options.js';
import { OPTION_FAMILIES, optionBatches, optionFamilyName, optionSeed } from './options.js';

/** One judged option row: the pipeline's value (l_n, or the gradient's worst component) and the oracle's, and the verdict. */
export interface OptionJudgement extends Verdict {
  readonly loss: number;
  readonly oracle: number;
  /** The l_n oracle in full (quantity `loss`). */
  readonly oracleResult?: OracleResult;
  /** Quantity `grad`: the gradient, the correctly rounded one and SPEC 4.2's verdict. */
  readonly grad?: GradVerdict & { readonly grad: Float64Array; readonly oracle: Float64Array };
}

/** The context of a judgement: pipeline, variant, quantity, budget, the batch's options and weights (values of the dtype). */
export interface OptionJudge {
  readonly pipeline: Pipeline;
  readonly variant: Variant;
  readonly quantity: Quantity;
  readonly budget: number;
  readonly options: BatchOptions;
  readonly weight: Float64Array | undefined;
}

/** Judges one row (undefined where the oracle is NaN: not judged, as in fuzz.csv; or the pipeline has no gradient). */
export function judgeOptionRow(j: OptionJudge, row: OptionRow): OptionJudgement | undefined {
  const dtype = j.variant.dtype;
  if (j.quantity === 'grad') {
    const want = oracleRowGrad(row, j.options, dtype, j.weight);
    if (want.length > 0 && Number.isNaN(want[0])) return undefined;
    const g = pipelineRowGrad(j.pipeline, j.variant, row, j.options, j.weight);
    if (g === undefined) return undefined;
    const v = judgeGrad(g, want, dtype, j.budget);
    const w = v.worst;
    return { ...classify(g[w], want[w], dtype, j.budget), outcome: v.outcome, loss: g[w], oracle: want[w], grad: { ...v, grad: g, oracle: want } };
  }
  const oracle = oracleBatch([row], j.options, dtype, j.weight, false).rows[0];
  if (Number.isNaN(oracle.rounded)) return undefined;
  const loss = pipelineBatch(j.pipeline, j.variant, [row], j.options, j.weight).rows[0];
  return { ...classify(loss, oracle.rounded, dtype, j.budget), loss, oracle: oracle.rounded, oracleResult: oracle };
}

/** The shrink candidates of a row under `options`, in a fixed order (see the file comment). */
export function optionCandidates(row: OptionRow, options: BatchOptions, dtype: Dtype): OptionRow[] {
  const round = formatOf(dtype).round;
  const x = Array.from(row.logits);
  const C = x.length;
  const out: OptionRow[] = [];
  const same = (y: readonly number[]) => y.every((v, i) => Object.is(v, x[i]));
  if (options.weight === undefined && C > 2) {
    for (let c = 0; c < C; c++) {
      if (row.soft === undefined ? c === row.target : row.soft[c] !== 0) continue;
      const drop = <T>(a: ArrayLike<T>) => Array.from(a).filter((_, i) => i !== c);
      const target = row.target > c ? row.target - 1 : row.target;
      out.push({ logits: Float64Array.from(drop(x)), target, ...(row.soft === undefined ? {} : { soft: Float64Array.from(drop(row.soft)) }) });
    }
  }
  const m = Math.max(...x);
  if (Number.isFinite(m) && m !== 0) {
    const shifted = x.map((v) => (v === -Infinity ? v : round(v - m)));
    if (!same(shifted)) out.push({ ...row, logits: Float64Array.from(shifted) });
  }
  for (let c = 0; c < C; c++) {
    const v = x[c];
    if (!Number.isFinite(v)) continue;
    for (const simpler of [0, round(Math.trunc(v)), round(Number(v.toPrecision(2)))]) {
      if (Object.is(simpler, v) || !Number.isFinite(simpler)) continue;
      const y = x.slice();
      y[c] = simpler;
      out.push({ ...row, logits: Float64Array.from(y) });
    }
  }
  return out;
}

/** Follows shrink steps (candidate indices) from a row; undefined where a step names no candidate. */
export function followSteps(row: OptionRow, options: BatchOptions, dtype: Dtype, steps: readonly number[]): OptionRow | undefined {
  let cur = row;
  for (const i of steps) {
    const next = optionCandidates(cur, options, dtype)[i];
    if (next === undefined) return undefined;
    cur = next;
  }
  return cur;
}

/** Shrinks a failing row to a smaller one with the same outcome: the row and the steps taken (at most `maxCalls` judgements). */
export function shrinkOptionRow(j: OptionJudge, row: OptionRow, outcome: Outcome, maxCalls: number): { row: OptionRow; steps: number[]; judged: OptionJudgement | undefined } {
  let cur = row;
  let judged: OptionJudgement | undefined;
  const steps: number[] = [];
  let calls = 0;
  for (;;) {
    const candidates = optionCandidates(cur, j.options, j.variant.dtype);
    let taken = -1;
    for (let i = 0; i < candidates.length && calls < maxCalls; i++) {
      calls++;
      const v = judgeOptionRow(j, candidates[i]);
      if (v !== undefined && v.outcome === outcome) {
        taken = i;
        judged = v;
        break;
      }
    }
    if (taken < 0) return { row: cur, steps, judged };
    steps.push(taken);
    cur = candidates[taken];
  }
}

/** One failing option row as found in the campaign: batch, row, outcome, and its error for ranking (undefined: NaN or one side infinite, the worst). */
export interface OptionFailure {
  readonly batch: number;
  readonly row: number;
  readonly outcome: Outcome;
  readonly error: number | undefined;
}

/** The target column of an option row: the class index, or the soft target's probabilities (SPEC 3). */
export function targetText(row: OptionRow, dtype: Dtype): string {
  return row.soft === undefined ? String(row.target) : Array.from(row.soft, (q) => formatValue(q, dtype)).join(' ');
}

/** The failures.csv row of one option failure (FAILURES_COLUMNS). */
function failureRow(j: OptionJudge, family: string, seed: number, path: string, row: OptionRow, v: OptionJudgement, kind: FailureKind): string[] {
  const dtype = j.variant.dtype;
  const cause = j.quantity === 'grad' ? '' : optionCause(j.pipeline, j.variant, row, j.options, j.weight, v.loss, j.budget);
  const shrunk = {
    path,
    logits: Float64Array.from(row.logits),
    target: row.target,
    loss: v.loss,
    oracle: v.oracle,
    ulps: v.ulps,
    outcome: v.outcome,
    cause,
    ...(v.grad === undefined ? {} : { grad: { cls: v.grad.worst, normUlp: v.grad.normUlp } }),
  };
  const cells = failureCsvRow(j.pipeline.name, { dtype, family: family as Family, seed, runs: 0 }, shrunk, kind, j.variant.compute as Compute);
  cells[8] = targetText(row, dtype);
  return cells;
}

/** A failure's error for ranking the worst: ulps (norm_ulp for a gradient), undefined where it has none. */
export function failureError(v: OptionJudgement, dtype: Dtype): number | undefined {
  if (v.grad !== undefined) return v.grad.normUlp;
  return ulpDistance(v.loss, v.oracle, dtype);
}

/**
 * The failures.csv rows of one option row of fuzz.csv (pipeline × variant × quantity × family name): the worst
 * failure as drawn, then the shrunk ones (see the file comment). `failures` in batch order.
 */
export function optionFailureRows(j0: Omit<OptionJudge, 'options' | 'weight'>, family: string, seed: number, batches: readonly OptionBatch[], weights: readonly (Float64Array | undefined)[], failures: readonly OptionFailure[], limits: { readonly record: number; readonly attempts: number; readonly steps: number }): string[][] {
  if (failures.length === 0) return [];
  const judgeOf = (f: OptionFailure): OptionJudge => ({ ...j0, options: batches[f.batch].options, weight: weights[f.batch] });
  const worse = (a: number | undefined, b: number | undefined) => b !== undefined && (a === undefined || a > b);
  let worst = failures[0];
  for (const f of failures) if (worse(f.error, worst.error)) worst = f;
  const rows: string[][] = [];
  const worstRow = batches[worst.batch].rows[worst.row];
  const worstJudged = judgeOptionRow(judgeOf(worst), worstRow);
  if (worstJudged !== undefined) rows.push(failureRow(judgeOf(worst), family, seed, `${worst.batch}:${worst.row}`, worstRow, worstJudged, 'worst'));
  const seen = new Set<string>();
  let kept = 0;
  for (const f of failures.slice(0, limits.attempts)) {
    if (kept >= limits.record) break;
    const j = judgeOf(f);
    const s = shrinkOptionRow(j, batches[f.batch].rows[f.row], f.outcome, limits.steps);
    const path = [f.batch, f.row, ...s.steps].join(':');
    const key = `${Array.from(s.row.logits).join(' ')}|${s.row.soft === undefined ? s.row.target : Array.from(s.row.soft).join(' ')}`;
    if (seen.has(key) || path === `${worst.batch}:${worst.row}`) continue;
    seen.add(key);
    const v = s.judged ?? judgeOptionRow(j, s.row);
    if (v === undefined) continue;
    rows.push(failureRow(j, family, seed, path, s.row, v, 'shrunk'));
    kept++;
  }
  return rows;
}

/** A replayed option row. */
export interface OptionReplay {
  readonly seed: number;
  readonly path: string;
  readonly family: string;
  readonly pipeline: Pipeline;
  readonly variant: Variant;
  readonly quantity: Quantity;
  readonly options: BatchOptions;
  readonly row: OptionRow;
  readonly judged: OptionJudgement;
  readonly cause: string;
}

/** The option family and setting a seed was made for in this suite (optionSeed over its settings, dtypes and families), if any. */
export function optionUnitOfSeed(suite: Pick<Suite, 'seed' | 'options' | 'dtypes'>, seed: number): { setting: number; dtype: Dtype; family: OptionFamily } | undefined {
  for (const [setting] of suite.options.entries()) {
    for (const dtype of suite.dtypes) for (const family of OPTION_FAMILIES) if (optionSeed(suite.seed, setting, dtype, family) === seed) return { setting, dtype, family };
  }
  return undefined;
}

/**
 * Replays an option row from its seed and path `b:n[:i…]` (see the file comment): regenerates
 * batch b of the family under the setting, takes row n, follows the shrink steps, and judges it
 * as the campaign did. InputError naming `--replay` or `--dtype` where the token does not fit.
 */
export function replayOption(suite: Suite, unit: { setting: number; dtype: Dtype; family: OptionFamily }, seed: number, path: string, pipeline: Pipeline, variant: Variant, quantity: Quantity): OptionReplay {
  if (variant.dtype !== unit.dtype) {
    throw new InputError(`seed ${seed} was made for the ${unit.family} option rows of ${unit.dtype}; pass --dtype ${unit.dtype}`, undefined, undefined, '--dtype');
  }
  const [b, n, ...steps] = path.split(':').map(Number);
  const batches = optionBatches(unit.family, unit.dtype, suite.options[unit.setting], seed);
  const batch = batches[b];
  const start = batch?.rows[n];
  const row = start === undefined ? undefined : followSteps(start, batch.options, unit.dtype, steps);
  if (row === undefined) {
    throw new InputError(`path ${path} leads to no option row under seed ${seed} (${unit.family}, setting #${unit.setting}, ${unit.dtype}): give BATCH:ROW then the shrink steps, as failures.csv's path column`, undefined, undefined, '--replay');
  }
  const weight = resolveWeights(batch.options, unit.dtype, batch.rows, () => ({}));
  const j: OptionJudge = { pipeline, variant, quantity, budget: suite.budgets[pipeline.name] ?? 4, options: batch.options, weight };
  const judged = judgeOptionRow(j, row);
  if (judged === undefined) throw new InputError(`option row ${path} has no ${quantity} to judge (its exact value is NaN, or ${pipeline.name} has no gradient there)`, undefined, undefined, '--replay');
  const family = optionFamilyName(unit.family, suite.options.length > 1 ? unit.setting : undefined);
  const cause = judged.outcome === 'ok' || quantity === 'grad' ? '' : optionCause(pipeline, variant, row, batch.options, weight, judged.loss, j.budget);
  return { seed, path, family, pipeline, variant, quantity, options: batch.options, row, judged, cause };
}

/** The score flags of a batch's options (SPEC 1), for pasting the replayed row into `score`. */
function scoreFlags(o: BatchOptions): string {
  const f: string[] = [];
  if (o.weight !== undefined) f.push(`--weight "${o.weight.join(' ')}"`);
  if (o.ignoreIndex !== undefined) f.push(`--ignore-index ${o.ignoreIndex}`);
  if (o.labelSmoothing !== 0) f.push(`--label-smoothing ${o.labelSmoothing}`);
  if (o.maskedRows !== 'nan') f.push(`--masked-rows ${o.maskedRows}`);
  return f.join(' ');
}

/** The replayed option row, one `name: value` line each (as formatReplay's lines, plus `options` and `score_flags`). */
export function formatOptionReplay(r: OptionReplay): string {
  const d = r.variant.dtype;
  const v = r.judged;
  const logits = Array.from(r.row.logits, (x) => formatValue(x, d)).join(' ');
  const target = targetText(r.row, d);
  const lines: [string, string][] = [
    ['seed', String(r.seed)],
    ['path', r.path],
    ['pipeline', r.pipeline.name],
    ['dtype', d],
    ['compute', r.variant.compute],
    ['family', r.family],
    ['options', settingLabel(r.options)],
    ['classes', String(r.row.logits.length)],
    ['target', target],
    ['logits', logits],
  ];
  if (v.grad !== undefined) {
    const g = v.grad;
    lines.push(
      ['quantity', 'grad'],
      ['grad', Array.from(g.grad, (x) => formatValue(x, d)).join(' ')],
      ['oracle_grad', Array.from(g.oracle, (x) => formatValue(x, d)).join(' ')],
      ['worst_class', String(g.worst)],
      ['max_ulp', g.maxUlp === undefined ? '' : ulpDistanceText(g.grad[g.worst], g.oracle[g.worst], d)],
      ['norm_ulp', g.normUlp === undefined ? '' : String(g.normUlp)],
    );
  } else {
    lines.push(
      ['loss', formatValue(v.loss, d)],
      ['oracle_loss', formatValue(v.oracle, d)],
      ['oracle_exact', v.oracleResult?.exact ?? ''],
      ['ulp_error', v.ulps === undefined ? '' : ulpDistanceText(v.loss, v.oracle, d)],
      ['bits_error', String(v.bits)],
    );
  }
  lines.push(['outcome', v.outcome], ['cause', r.cause], ['case', `replay-${r.seed}-${r.path.replaceAll(':', '-')},${d},${target},${logits}`], ['score_flags', scoreFlags(r.options)]);
  return lines.map(([k, val]) => `${k}: ${val}`.trimEnd()).join('\n') + '\n';
}
