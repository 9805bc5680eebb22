/**
 * `score CASES.csv --grad`: gradients of the per-row loss, scored component by
 * component against the gradient oracle (SPEC section 4.2).
 *
 * For each case (in file order) the oracle gradient g* (every component
 * correctly rounded to the dtype: `oracleGradRounded`, the fast tier with
 * decimal.js where it cannot decide, src/oracle/grad.ts), then one row per pipeline
 * with a backward pass (in the order given; in float16 and bfloat16 two rows,
 * `compute` = the format itself (pure: the pipeline's `grad.generic` with the
 * format's rounding) and `compute = float32` (widened: its float32 kernel, each
 * component rounded once to the format)), then the `--external-grad` rows of the
 * case (compute `native`).
 *
 * Measures, for a gradient g of n components:
 * - `max_ulp` = max_j ulps(g_j, g*_j), in values of the dtype (empty when a
 *   component is NaN or exactly one of g_j, g*_j is infinite);
 * - `norm_ulp` = max_j |g_j − g*_j| / ulp(max_j |g*_j|): the error in units of
 *   the last place of the largest component, the measure the budget applies to
 *   (empty when a component is not finite);
 * - `outcome`, first match wins: `nan`, `overflow` (a component infinite),
 *   `underflow` (every component 0, the oracle's not), `ok` (norm_ulp ≤ budget),
 *   `inaccurate`;
 * - `worst_class`: the component with the largest ulp distance (an undefined one
 *   first; the first of equals), with its value `grad` and `oracle_grad`;
 * - `cause`: empty where ok; for a built-in, the grad diagnosis
 *   (src/pipelines/grad-diagnose.ts); `peer` for external rows; empty for a
 *   pipeline the harness cannot trace.
 */
import type { BatchOptions } from '../cases/options.js';
import { DEFAULT_OPTIONS, isBare, resolveWeights, rowKind } from '../cases/options.js';
import type { AnyCase } from '../cases/read.js';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { ulpDistance, ulpDistanceText } from '../float/ordinal.js';
import { formatValue } from '../float/shortest.js';
import { oracleRowGradRounded } from '../oracle/batch.js';
import { oracleGradRounded } from '../oracle/grad.js';
import { ulpAt } from '../pipelines/diagnose.js';
import type { RoundingFn } from '../pipelines/generic.js';
import { GENERIC_GRAD, STEPPED_GRAD } from '../pipelines/generic.js';
import type { GradOutcome } from '../pipelines/grad-diagnose.js';
import { diagnoseGrad } from '../pipelines/grad-diagnose.js';
import type { Cause, GradKernel, Pipeline, PipelineGrad } from '../pipelines/types.js';
import { runKernel } from '../pipelines/types.js';
import { pipelineRowGrad } from '../pipelines/options.js';
import type { ExternalGrad } from './external-grad.js';
import { DEFAULT_BUDGET } from './outcome.js';

export const GRAD_COLUMNS = ['id', 'dtype', 'compute', 'pipeline', 'classes', 'outcome', 'max_ulp', 'norm_ulp', 'worst_class', 'grad', 'oracle_grad', 'cause'] as const;

/** The arithmetic format of a row: a storage format, or `native` for an external implementation. */
export type Compute = AnyDtype | 'native';

export interface GradVerdict {
  readonly outcome: GradOutcome;
  /** Largest ulp distance over components; undefined where one is undefined. */
  readonly maxUlp: number | undefined;
  /** max_j |g_j − g*_j| / ulp(max_j |g*_j|); undefined where a component is not finite. */
  readonly normUlp: number | undefined;
  readonly worst: number;
}

export interface ScoredGrad extends GradVerdict {
  readonly id: string;
  readonly dtype: AnyDtype;
  readonly compute: Compute;
  readonly pipeline: string;
  readonly grad: Float64Array;
  readonly oracle: Float64Array;
  readonly cause: Cause | undefined;
}

/** SPEC 4.2's measures and outcome of a gradient `g` against the correctly rounded `want`. */
export function judgeGrad(g: ArrayLike<number>, want: ArrayLike<number>, dtype: AnyDtype, budget: number = DEFAULT_BUDGET): GradVerdict {
  const fmt = formatOf(dtype);
  let worst = 0;
  let worstUlps: number | undefined = -1;
  let maxUlp: number | undefined = 0;
  let big = 0;
  let err = 0;
  let anyNaN = false;
  let anyInfinite = false;
  let allZero = true;
  let oracleAllZero = true;
  for (let j = 0; j < g.length; j++) {
    const u = ulpDistance(g[j], want[j], dtype);
    if (worstUlps !== undefined && (u === undefined || u > worstUlps)) {
      worst = j;
      worstUlps = u;
    }
    if (u === undefined) maxUlp = undefined;
    else if (maxUlp !== undefined && u > maxUlp) maxUlp = u;
    if (Number.isNaN(g[j])) anyNaN = true;
    else if (!Number.isFinite(g[j])) anyInfinite = true;
    if (g[j] !== 0) allZero = false;
    if (want[j] !== 0) oracleAllZero = false;
    big = Math.max(big, Math.abs(want[j]));
    err = Math.max(err, Math.abs(g[j] - want[j]));
  }
  const normUlp = anyNaN || anyInfinite ? undefined : err / ulpAt(big, fmt);
  let outcome: GradOutcome;
  if (anyNaN) outcome = 'nan';
  else if (anyInfinite) outcome = 'overflow';
  else if (allZero && !oracleAllZero) outcome = 'underflow';
  else if (normUlp! <= budget) outcome = 'ok';
  else outcome = 'inaccurate';
  return { outcome, maxUlp, normUlp, worst };
}

/** One way of computing a pipeline's gradient of a row in a dtype: its compute format and the function. */
export interface GradMode {
  readonly compute: AnyDtype;
  /** The rounding of the arithmetic (for the diagnosis). */
  readonly round: RoundingFn;
  readonly run: (row: Float64Array, target: number, out: Float64Array) => void;
}

/** The gradient of one row by a pipeline's kernel of `dtype` (float32 or float64) on a 1-row batch. */
function kernelGrad(grad: PipelineGrad, dtype: 'float32' | 'float64', row: Float64Array, target: number, out: Float64Array): void {
  const fmt = formatOf(dtype);
  const x = fmt.array(row.length);
  x.set(row);
  const g = fmt.array(row.length);
  runKernel(grad, dtype, x, 1, row.length, Int32Array.of(target), g);
  out.set(g);
}

/** The gradient of one row by a pipeline's own half-format kernel (`PipelineGrad.half`) on a 1-row batch. */
function halfKernelGrad(kernel: GradKernel<Float32Array>, row: Float64Array, target: number, out: Float64Array): void {
  const g = new Float32Array(row.length);
  kernel(Float32Array.from(row), 1, row.length, Int32Array.of(target), g);
  out.set(g);
}

/** The compute modes of a pipeline's gradient in a dtype (SPEC 2.1): one for float32/float64, pure (when it has a half kernel of its own or a generic) and widened for the half formats. */
export function gradModes(grad: PipelineGrad, dtype: AnyDtype): GradMode[] {
  if (dtype === 'float32' || dtype === 'float64') {
    return [{ compute: dtype, round: formatOf(dtype).round, run: (row, t, out) => kernelGrad(grad, dtype, row, t, out) }];
  }
  const storage = formatOf(dtype).round;
  const modes: GradMode[] = [];
  const generic = grad.generic;
  const own = grad.half?.[dtype];
  if (own !== undefined) modes.push({ compute: dtype, round: storage, run: (row, t, out) => halfKernelGrad(own, row, t, out) });
  else if (generic !== undefined) modes.push({ compute: dtype, round: storage, run: (row, t, out) => generic(row, t, storage, out) });
  modes.push({
    compute: 'float32',
    round: Math.fround,
    run: (row, t, out) => {
      kernelGrad(grad, 'float32', row, t, out);
      for (let j = 0; j < out.length; j++) out[j] = storage(out[j]);
    },
  });
  return modes;
}

/** A pipeline's gradient in one dtype and compute mode (SPEC 2.1), or undefined where it has none (no `grad`, or no generic for a pure half mode). */
export function gradModeOf(p: Pipeline, dtype: AnyDtype, compute: AnyDtype): GradMode | undefined {
  return p.grad === undefined ? undefined : gradModes(p.grad, dtype).find((m) => m.compute === compute);
}

/** The cause of a built-in's failed gradient (its stepped generic gradient re-run and watched); undefined otherwise. */
export function gradCause(p: Pipeline, mode: GradMode, dtype: AnyDtype, c: { readonly logits: ArrayLike<number>; readonly target: number }, v: GradVerdict, g: ArrayLike<number>, want: ArrayLike<number>): Cause | undefined {
  const stepped = STEPPED_GRAD[p.name];
  if (stepped === undefined || p.grad?.generic !== GENERIC_GRAD[p.name]) return undefined;
  return diagnoseGrad(stepped, c.logits, c.target, mode.round, formatOf(dtype), v.outcome, g, want, v.worst);
}

export interface ScoreGradOptions {
  readonly pipelines: readonly Pipeline[];
  readonly budget?: number;
  readonly external?: readonly ExternalGrad[];
  /** PyTorch's batch options (SPEC 6): the gradient scored is that of each l_n; default none (the bare loss's gradient). */
  readonly batch?: BatchOptions;
  /** The cases file, for the messages of class weights that do not fit a row. */
  readonly file?: string;
}

export function scoreGradCases(cases: readonly AnyCase[], options: ScoreGradOptions): ScoredGrad[] {
  const budget = options.budget ?? DEFAULT_BUDGET;
  const externalById = new Map<string, ExternalGrad[]>();
  for (const e of options.external ?? []) externalById.set(e.id, [...(externalById.get(e.id) ?? []), e]);
  const o = options.batch ?? DEFAULT_OPTIONS;
  // The class weights of each dtype's cases, rounded to it (resolveWeights checks one per class).
  const weights = new Map<AnyDtype, Float64Array | undefined>();
  for (const dtype of new Set(cases.map((c) => c.dtype))) {
    const members = cases.filter((c) => c.dtype === dtype);
    weights.set(dtype, resolveWeights(o, dtype, members, (i) => ({ file: options.file, line: members[i].line })));
  }
  const rows: ScoredGrad[] = [];
  for (const c of cases) {
    const weight = weights.get(c.dtype);
    // A bare row (class-index target, no smoothing, weight 1) is scored as without options, its cause diagnosed.
    const bare = rowKind(c, o) === 'loss' && isBare(c, o, weight);
    const want = bare ? oracleGradRounded(c.logits, c.target, c.dtype) : oracleRowGradRounded(c, o, c.dtype, weight);
    const base = { id: c.id, dtype: c.dtype, oracle: want };
    for (const p of options.pipelines) {
      if (p.grad === undefined) continue;
      for (const mode of gradModes(p.grad, c.dtype)) {
        let g: Float64Array = new Float64Array(c.logits.length);
        if (bare) mode.run(c.logits, c.target, g);
        else g = pipelineRowGrad(p, { dtype: c.dtype, compute: mode.compute }, c, o, weight)!;
        const v = judgeGrad(g, want, c.dtype, budget);
        rows.push({ ...base, ...v, compute: mode.compute, pipeline: p.name, grad: g, cause: bare ? gradCause(p, mode, c.dtype, c, v, g, want) : undefined });
      }
    }
    for (const e of externalById.get(c.id) ?? []) {
      const v = judgeGrad(e.grad, want, c.dtype, budget);
      rows.push({ ...base, ...v, compute: 'native', pipeline: e.impl, grad: e.grad, cause: v.outcome === 'ok' ? undefined : 'peer' });
    }
  }
  return rows;
}

export function gradCsvRow(r: ScoredGrad): string[] {
  const w = r.worst;
  return [
    r.id,
    r.dtype,
    r.compute,
    r.pipeline,
    String(r.grad.length),
    r.outcome,
    r.maxUlp === undefined ? '' : ulpDistanceText(r.grad[w], r.oracle[w], r.dtype),
    r.normUlp === undefined ? '' : String(r.normUlp),
    String(w),
    formatValue(r.grad[w], r.dtype),
    formatValue(r.oracle[w], r.dtype),
    r.cause ?? '',
  ];
}

/** One stderr line per pipeline × dtype × compute, in first-seen order: counts per outcome and the largest norm_ulp. */
export function gradSummaryLines(rows: readonly ScoredGrad[]): string[] {
  const byKey = new Map<string, { label: string; counts: Record<GradOutcome, number>; maxNorm: number; noNorm: number }>();
  for (const r of rows) {
    const key = `${r.pipeline}\u0000${r.dtype}\u0000${r.compute}`;
    let t = byKey.get(key);
    if (t === undefined) {
      t = { label: `${r.pipeline.padEnd(34)} ${r.dtype.padEnd(8)} compute ${r.compute.padEnd(8)}`, counts: { ok: 0, inaccurate: 0, overflow: 0, underflow: 0, nan: 0 }, maxNorm: 0, noNorm: 0 };
      byKey.set(key, t);
    }
    t.counts[r.outcome]++;
    if (r.normUlp === undefined) t.noNorm++;
    else t.maxNorm = Math.max(t.maxNorm, r.normUlp);
  }
  return [...byKey.values()].map(
    (t) =>
      `  ${t.label} ok ${t.counts.ok}  inaccurate ${t.counts.inaccurate}  overflow ${t.counts.overflow}  underflow ${t.counts.underflow}  nan ${t.counts.nan}  max norm_ulp ${t.noNorm > 0 ? `— (${t.noNorm} with a non-finite component)` : t.maxNorm}`,
  );
}
