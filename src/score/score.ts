/**
 * `score`: every case through the oracle once and through each pipeline, scored
 * as SPEC section 4 says; rows in the order of the cases, then of the pipelines,
 * then of the external implementations.
 */
import { Decimal } from 'decimal.js';
import type { BatchOptions } from '../cases/options.js';
import { DEFAULT_OPTIONS, resolveWeights } from '../cases/options.js';
import type { Case } from '../cases/read.js';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { formatValue } from '../float/shortest.js';
import { ulpDistanceText } from '../float/ordinal.js';
import { exactDecimalString } from '../oracle/exact.js';
import type { OracleResult } from '../oracle/loss.js';
import { oracleBatch } from '../oracle/batch.js';
import type { PipelineBatch } from '../pipelines/options.js';
import { pipelineBatch } from '../pipelines/options.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Compute } from '../pipelines/variant.js';
import { computeModes, runsIn, runVariant } from '../pipelines/variant.js';
import type { ExternalLoss } from './external.js';
import type { Outcome, Verdict } from './outcome.js';
import { classify, DEFAULT_BUDGET } from './outcome.js';

export const SCORE_COLUMNS = [
  'id',
  'dtype',
  'pipeline',
  'loss',
  'oracle_loss',
  'oracle_exact',
  'ulp_error',
  'bits_error',
  'abs_error',
  'rel_error',
  'outcome',
  'compute',
] as const;

/** The `compute` of an --external row (SPEC section 4): its arithmetic is the implementation's own. */
export const EXTERNAL_COMPUTE = 'native';

export interface ScoredRow extends Verdict {
  readonly id: string;
  readonly dtype: Dtype;
  readonly pipeline: string;
  /** The arithmetic format (SPEC 2.1), or `native` for an --external row. */
  readonly compute: string;
  readonly loss: number;
  readonly oracle: OracleResult;
  /** |loss − exact|, and that over |exact|; undefined where a side is not finite or exact is 0. */
  readonly absError: number | undefined;
  readonly relError: number | undefined;
}

export interface ScoreOptions {
  readonly pipelines: readonly Pipeline[];
  readonly budget?: number;
  readonly external?: readonly ExternalLoss[];
  /** PyTorch's batch options (SPEC 6); default none (the bare per-row loss). */
  readonly batch?: BatchOptions;
  /** The cases file, for the messages of a batch option that does not fit a row. */
  readonly file?: string;
}

/** The `id` of a batch row (SPEC 6): case ids may not begin with `@`. */
export const BATCH_ID = '@batch';

/** Errors against the exact value, in 40 digits so that a loss within an ulp of it still shows its error. */
const Wide = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, minE: -9e15, maxE: 9e15 });

function errors(loss: number, oracle: OracleResult): { abs: number | undefined; rel: number | undefined } {
  if (!Number.isFinite(loss) || !Number.isFinite(oracle.approx)) return { abs: undefined, rel: undefined };
  const exact = new Wide(oracle.exact);
  const abs = new Wide(exactDecimalString(loss)).minus(exact).abs();
  return { abs: abs.toNumber(), rel: exact.isZero() ? undefined : abs.div(exact).toNumber() };
}

/** The loss of one row under one pipeline, computed by the variant's kernel on a 1-row batch (compute: the dtype unless given, SPEC 2.1). */
export function pipelineLoss(p: Pipeline, row: Float64Array, target: number, dtype: Dtype, compute: Compute = dtype): number {
  const fmt = formatOf(dtype);
  const x = fmt.array(row.length);
  x.set(row);
  const out = fmt.array(1);
  runVariant(p, { dtype, compute }, x, 1, row.length, Int32Array.of(target), out);
  return out[0];
}

export function scoreRow(
  id: string,
  dtype: Dtype,
  pipeline: string,
  loss: number,
  oracle: OracleResult,
  budget: number,
  compute: string = dtype,
): ScoredRow {
  const verdict = classify(loss, oracle.rounded, dtype, budget);
  const { abs, rel } = errors(loss, oracle);
  return { id, dtype, pipeline, compute, loss, oracle, ...verdict, absError: abs, relError: rel };
}

/**
 * Scores every case (SPEC 4) under the batch options (SPEC 6): the oracle and each
 * pipeline's l_n per case, then, with `reduction` `mean` or `sum`, one `@batch` row
 * per dtype present (in the order the dtypes first appear), pipeline and compute
 * mode, holding the batch value of that dtype's cases. The cases of one dtype are
 * one batch. Without options every row is the bare loss, as `oracleLoss` and the
 * pipeline's kernel give it.
 */
export function scoreCases(cases: readonly Case[], options: ScoreOptions): ScoredRow[] {
  const budget = options.budget ?? DEFAULT_BUDGET;
  const o = options.batch ?? DEFAULT_OPTIONS;
  const externalById = new Map<string, ExternalLoss[]>();
  for (const e of options.external ?? []) {
    const list = externalById.get(e.id) ?? [];
    list.push(e);
    externalById.set(e.id, list);
  }
  // One batch per dtype: the oracle's and every pipeline variant's values of its cases.
  const reduce = o.reduction !== 'none';
  const dtypes = [...new Set(cases.map((c) => c.dtype))];
  const batches = new Map(
    dtypes.map((dtype) => {
      const members = cases.filter((c) => c.dtype === dtype);
      const weight = resolveWeights(o, dtype, members, (i) => ({ file: options.file, line: members[i].line }));
      const oracle = oracleBatch(members, o, dtype, weight, reduce);
      const variants = new Map<string, PipelineBatch>();
      // Each pipeline in each arithmetic mode of the dtype (both for a half format); one without a generic kernel skips the half formats.
      for (const p of options.pipelines) {
        if (!runsIn(p, dtype)) continue;
        for (const compute of computeModes(dtype)) variants.set(`${p.name}\u0000${compute}`, pipelineBatch(p, { dtype, compute }, members, o, weight));
      }
      return [dtype, { members, oracle, variants }] as const;
    }),
  );
  const rows: ScoredRow[] = [];
  const index = new Map(dtypes.flatMap((d) => batches.get(d)!.members.map((c, i) => [c, i] as const)));
  for (const c of cases) {
    const b = batches.get(c.dtype)!;
    const i = index.get(c)!;
    const oracle = b.oracle.rows[i];
    for (const p of options.pipelines) {
      if (!runsIn(p, c.dtype)) continue;
      for (const compute of computeModes(c.dtype)) rows.push(scoreRow(c.id, c.dtype, p.name, b.variants.get(`${p.name}\u0000${compute}`)!.rows[i], oracle, budget, compute));
    }
    for (const e of externalById.get(c.id) ?? []) {
      rows.push(scoreRow(c.id, c.dtype, e.impl, e.loss, oracle, budget, EXTERNAL_COMPUTE));
    }
  }
  if (!reduce) return rows;
  const which = o.reduction === 'sum' ? 'sum' : 'mean';
  for (const dtype of dtypes) {
    const b = batches.get(dtype)!;
    for (const p of options.pipelines) {
      if (!runsIn(p, dtype)) continue;
      for (const compute of computeModes(dtype)) rows.push(scoreRow(BATCH_ID, dtype, p.name, b.variants.get(`${p.name}\u0000${compute}`)![which], b.oracle[which], budget, compute));
    }
  }
  return rows;
}

export function scoredCsvRow(r: ScoredRow): string[] {
  return [
    r.id,
    r.dtype,
    r.pipeline,
    formatValue(r.loss, r.dtype),
    formatValue(r.oracle.rounded, r.dtype),
    r.oracle.exact,
    r.ulps === undefined ? '' : ulpDistanceText(r.loss, r.oracle.rounded, r.dtype),
    String(r.bits),
    r.absError === undefined ? '' : String(r.absError),
    r.relError === undefined ? '' : String(r.relError),
    r.outcome,
    r.compute,
  ];
}

export interface OutcomeTally {
  readonly pipeline: string;
  readonly dtype: Dtype;
  readonly compute: string;
  readonly counts: Record<Outcome, number>;
  /** Largest ulp error over the rows that have one. */
  maxUlps: number;
  /** Rows with no ulp error (NaN, or exactly one of loss and oracle infinite): `maxUlps` does not speak for them. */
  noUlps: number;
  rows: number;
}

/** Counts per pipeline × dtype, in first-seen order: the summary `score` prints on stderr. */
export function tallyOutcomes(rows: readonly ScoredRow[]): OutcomeTally[] {
  const byKey = new Map<string, OutcomeTally>();
  for (const r of rows) {
    const key = `${r.pipeline}\u0000${r.dtype}\u0000${r.compute}`;
    let t = byKey.get(key);
    if (t === undefined) {
      t = { pipeline: r.pipeline, dtype: r.dtype, compute: r.compute, counts: { ok: 0, inaccurate: 0, overflow: 0, underflow: 0, nan: 0 }, maxUlps: 0, noUlps: 0, rows: 0 };
      byKey.set(key, t);
    }
    t.counts[r.outcome]++;
    t.rows++;
    if (r.ulps === undefined) t.noUlps++;
    else if (r.ulps > t.maxUlps) t.maxUlps = r.ulps;
  }
  return [...byKey.values()];
}
