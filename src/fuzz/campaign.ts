/**
 * A fuzz campaign: pipelines × dtypes × families, each case scored against the
 * oracle as `score` does (SPEC sections 4-5).
 *
 * Phases. (1) generate: every unit (dtype × family) draws its `runs` cases from
 * its own seed (seed.ts), once, in the main thread. (2) oracle: the correctly
 * rounded loss of every case, and its correctly rounded gradient when the suite
 * fuzzes `grad` (both from one set of decimal terms, oracleLossAndGrad), on the
 * worker pool; each case's oracle values then serve every pipeline. (3) score:
 * every pipeline on every case, in the main thread (the kernels are cheap next
 * to the oracle): its loss (SPEC 4) and, for a pipeline with a backward pass,
 * its gradient (SPEC 4.2: outcome by norm_ulp against the budget). (4) shrink:
 * per pipeline × unit × quantity, the first failures are shrunk by fast-check
 * on the pool (shrink.ts).
 *
 * Order. Rows come out pipeline (suite order), dtype (DTYPES order), compute
 * (pure first), quantity (loss, grad), family (FAMILIES order), whatever order
 * the suite lists dtypes and families in and
 * whatever order the workers finish in; within a unit, failures in run order.
 * The same seed therefore gives byte-identical files, and shards merge back to
 * the unsharded files by sorting on that key (merge.ts).
 *
 * Sharding (`--shard i/n`): unit u (in the order above) belongs to shard
 * (u mod n) + 1. A case is generated once per dtype for every pipeline, so the
 * unit, not the pipeline, is what is split.
 */
import type { Dtype } from '../float/dtype.js';
import { DTYPES } from '../float/dtype.js';
import type { Compute } from '../pipelines/variant.js';
import { diagnoseVariant, runsIn } from '../pipelines/variant.js';
import type { Quantity } from '../report/key.js';
import { compareKeys, QUANTITIES, trailingKey } from '../report/key.js';
import { bitsOfError } from '../float/ordinal.js';
import type { GradMode } from '../score/grad.js';
import type { GradVerdict } from '../score/grad.js';
import { gradCause, gradModeOf, judgeGrad } from '../score/grad.js';
import { ulpDistance, ulpDistanceText } from '../float/ordinal.js';
import { formatValue } from '../float/shortest.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import type { Pipeline } from '../pipelines/types.js';
import { fallbackShares, oracleRowsWithGrad } from '../pool/oracle-task.js';
import { fastTierOn, ORACLE_TIER_VARIABLE } from '../oracle/tier.js';
import type { WorkerPool } from '../pool/pool.js';
import { compiledModule } from '../pool/pool.js';
import type { Outcome } from '../score/outcome.js';
import { classify, OUTCOMES } from '../score/outcome.js';
import type { FailureKind } from '../report/columns.js';
import { pipelineLoss } from '../score/score.js';
import type { Family } from '../suite/define.js';
import { FAMILIES } from '../suite/define.js';
import type { Suite } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import type { ProgressOptions } from '../util/progress.js';
import { startProgress } from '../util/progress.js';
import { caseChecksum, generateCases } from './cases.js';
import type { FuzzCase } from './families.js';
import type { FailureSeed, ShrunkFailure } from './shrink.js';
import { replayCommand, suiteArgument } from './replay.js';
import { unitSeed } from './seed.js';
import type { ShrinkTask } from './worker.js';

export { FAILURES_COLUMNS as FAILURE_COLUMNS, FUZZ_COLUMNS } from '../report/columns.js';

import type { Shard } from '../util/shard.js';
import { familyRank, fuzzesOptions, optionStats } from './options.js';
import { inShard } from '../util/shard.js';

export type { Shard };

export interface Unit {
  readonly dtype: Dtype;
  readonly family: Family;
  readonly seed: number;
  readonly runs: number;
}

/** The suite's units in the canonical order, those of one shard if given. */
export function campaignUnits(suite: Suite, shard?: Shard): Unit[] {
  const units: Unit[] = [];
  for (const dtype of DTYPES) {
    if (!suite.dtypes.includes(dtype)) continue;
    for (const family of FAMILIES) {
      if (!suite.fuzz.families.includes(family)) continue;
      units.push({ dtype, family, seed: unitSeed(suite.seed, dtype, family), runs: suite.fuzz.runs[family] });
    }
  }
  return units.filter((_, u) => inShard(u, shard));
}

export interface UnitStats {
  readonly pipeline: string;
  /** The arithmetic format the pipeline ran in (SPEC 2.1). */
  readonly compute: Compute;
  /** `loss` (SPEC 4's measures) or `grad` (SPEC 4.2's: max_ulp over components; outcome by norm_ulp). */
  readonly quantity: Quantity;
  readonly unit: Unit;
  /** Cases judged: the unit's runs (for `grad`, less any fully masked row, which has no gradient). */
  cases: number;
  readonly counts: Record<Outcome, number>;
  /** Exact max ulps over cases where ulps is defined ('Infinity' for a +Infinity/−Infinity pair). */
  maxUlps: bigint | 'Infinity' | undefined;
  /** Cases whose ulp error is undefined: a NaN loss, or exactly one of loss and oracle infinite. */
  nonFinite: number;
  sumBits: number;
  maxBits: number;
  readonly failures: FailureSeed[];
  /** The failure with the largest error (an undefined ulp error first, then the most ulps (norm_ulp for `grad`); the first in run order on a tie). */
  worst: (FailureSeed & { readonly ulps: Ulps }) | undefined;
}

function exactUlps(loss: number, oracle: number, dtype: Dtype): bigint | 'Infinity' | undefined {
  const d = ulpDistance(loss, oracle, dtype);
  if (d === undefined) return undefined;
  if (d === Infinity) return 'Infinity';
  return BigInt(ulpDistanceText(loss, oracle, dtype));
}

/** An error in ulps: exact (bigint) for a loss, norm_ulp (a number) for a gradient; undefined where it has none (NaN, one side infinite). */
export type Ulps = bigint | number | 'Infinity' | undefined;

/** Whether error `a` is worse than `b`: an undefined ulp error (NaN, one side infinite) is the worst, then the most ulps. */
export function worseUlps(a: Ulps, b: Ulps): boolean {
  if (b === undefined) return false;
  if (a === undefined) return true;
  if (b === 'Infinity') return false;
  return a === 'Infinity' || a > b;
}

function larger(a: bigint | 'Infinity' | undefined, b: bigint | 'Infinity' | undefined): bigint | 'Infinity' | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === 'Infinity' || b === 'Infinity') return 'Infinity';
  return a >= b ? a : b;
}

/** A pipeline's kernel threw on a case: the user's code, not the harness, so the CLI reports it as bad input. */
export class PipelineThrew extends Error {
  override readonly name = 'PipelineThrew';
  constructor(
    readonly pipeline: string,
    readonly unit: Unit,
    readonly index: number,
    cause: unknown,
  ) {
    super(`pipeline ${pipeline} threw on run ${index} of ${unit.family} ${unit.dtype}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** A unit's statistics before any case is scored. */
export function emptyStats(pipeline: string, compute: Compute, quantity: Quantity, unit: Unit, cases: number): UnitStats {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  return { pipeline, compute, quantity, unit, cases, counts, maxUlps: undefined, nonFinite: 0, sumBits: 0, maxBits: 0, failures: [], worst: undefined };
}

/** Adds one loss and its correctly rounded value to a unit's statistics (outcome, ulps, bits); returns the verdict and the exact ulps. */
export function addLoss(stats: UnitStats, loss: number, oracle: number, budget: number): { outcome: Outcome; ulps: bigint | 'Infinity' | undefined } {
  const dtype = stats.unit.dtype;
  const v = classify(loss, oracle, dtype, budget);
  stats.counts[v.outcome]++;
  const ulps = exactUlps(loss, oracle, dtype);
  if (ulps === undefined) stats.nonFinite++;
  stats.maxUlps = larger(stats.maxUlps, ulps);
  stats.sumBits += v.bits;
  if (v.bits > stats.maxBits) stats.maxBits = v.bits;
  return { outcome: v.outcome, ulps };
}

/** Scores one pipeline, in one arithmetic format, on one unit's cases, given their oracle values. */
export function scoreUnit(p: Pipeline, unit: Unit, cases: readonly FuzzCase[], oracle: Float64Array, budget: number, compute: Compute = unit.dtype): UnitStats {
  const stats = emptyStats(p.name, compute, 'loss', unit, unit.runs);
  cases.forEach((c, i) => {
    let loss: number;
    try {
      loss = pipelineLoss(p, c.logits, c.target, unit.dtype, compute);
    } catch (err) {
      throw new PipelineThrew(p.name, unit, i, err);
    }
    const { outcome, ulps } = addLoss(stats, loss, oracle[i], budget);
    if (outcome !== 'ok') {
      const failure = { index: i, outcome, checksum: caseChecksum(c), loss, oracle: oracle[i] };
      stats.failures.push(failure);
      if (stats.worst === undefined || worseUlps(ulps, stats.worst.ulps)) stats.worst = { ...failure, ulps };
    }
  });
  return stats;
}

/**
 * Scores one pipeline's gradient (SPEC 2.2, 4.2), in one compute mode, on one
 * unit's cases, given their correctly rounded gradients. Per case: the outcome
 * by norm_ulp against the budget; the unit's `max_ulp` is the largest
 * component-wise ulp distance (SPEC 4.2's max_ulp) and its bits log2(1 + that);
 * a failure records the worst component (its value, correctly rounded value and
 * index) and its norm_ulp. A fully masked row (no gradient: NaN oracle) is not judged.
 */
export function scoreGradUnit(p: Pipeline, mode: GradMode, unit: Unit, cases: readonly FuzzCase[], oracle: readonly Float64Array[], budget: number): UnitStats {
  const stats = emptyStats(p.name, mode.compute as Compute, 'grad', unit, 0);
  cases.forEach((c, i) => {
    const want = oracle[i];
    if (want.length > 0 && Number.isNaN(want[0])) return; // a fully masked row: no gradient
    const g = new Float64Array(c.logits.length);
    try {
      mode.run(c.logits, c.target, g);
    } catch (err) {
      throw new PipelineThrew(p.name, unit, i, err);
    }
    const v = addGrad(stats, g, want, budget);
    const w = v.worst;
    if (v.outcome !== 'ok') {
      const failure: FailureSeed = { index: i, outcome: v.outcome, checksum: caseChecksum(c), loss: g[w], oracle: want[w], grad: { cls: w, normUlp: v.normUlp } };
      stats.failures.push(failure);
      if (stats.worst === undefined || worseUlps(v.normUlp, stats.worst.ulps)) stats.worst = { ...failure, ulps: v.normUlp };
    }
  });
  return stats;
}

/** Adds one gradient and its correctly rounded components to a unit's statistics (SPEC 4.2's verdict; max_ulp and bits by the worst component). */
export function addGrad(stats: UnitStats, g: ArrayLike<number>, want: ArrayLike<number>, budget: number): GradVerdict {
  const dtype = stats.unit.dtype;
  const v = judgeGrad(g, want, dtype, budget);
  stats.cases++;
  stats.counts[v.outcome]++;
  const ulps = exactUlps(g[v.worst], want[v.worst], dtype);
  if (ulps === undefined) stats.nonFinite++;
  stats.maxUlps = larger(stats.maxUlps, ulps);
  const bits = bitsOfError(v.maxUlp, dtype);
  stats.sumBits += bits;
  if (bits > stats.maxBits) stats.maxBits = bits;
  return v;
}

/** A fuzz.csv row. `max_ulp` is empty when a case's ulp error is undefined (NaN, or one side infinite): no ulp count covers the unit, and max_bits counts such a case as 32 or 64 bits. */
export function fuzzCsvRow(s: UnitStats): string[] {
  const n = s.cases;
  return [
    s.pipeline,
    s.unit.dtype,
    s.unit.family,
    String(n),
    ...OUTCOMES.map((o) => String(s.counts[o])),
    s.maxUlps === undefined || s.nonFinite > 0 ? '' : String(s.maxUlps),
    String(n === 0 ? 0 : s.sumBits / n),
    String(s.maxBits),
    String(s.unit.seed),
    ...trailingKey({ compute: s.compute, quantity: s.quantity }),
  ];
}

/**
 * A failures.csv row (FAILURES_COLUMNS). A `loss` row: class empty. A `grad` row
 * (SPEC 5): `loss`, `oracle_loss` hold the worst component and its correctly
 * rounded value, `class` its index, `ulp_error` the gradient's norm_ulp.
 */
export function failureCsvRow(pipeline: string, unit: Unit, f: ShrunkFailure, kind: FailureKind, compute: Compute = unit.dtype): string[] {
  const d = unit.dtype;
  const ulpError = f.grad !== undefined ? (f.grad.normUlp === undefined ? '' : String(f.grad.normUlp)) : f.ulps === undefined ? '' : ulpDistanceText(f.loss, f.oracle, d);
  return [
    pipeline,
    d,
    unit.family,
    f.outcome,
    f.cause,
    ulpError,
    formatValue(f.loss, d),
    formatValue(f.oracle, d),
    String(f.target),
    Array.from(f.logits, (x) => formatValue(x, d)).join(' '),
    String(unit.seed),
    f.path,
    ...trailingKey({ compute, quantity: f.grad === undefined ? 'loss' : 'grad' }),
    f.grad === undefined ? '' : String(f.grad.cls),
    kind,
  ];
}

/** The worst failure of a unit as a failure record: the case as generated (path = its run index), so it replays as is. */
function worstFailure(p: Pipeline, unit: Unit, cases: readonly FuzzCase[], s: UnitStats, gradOracle: readonly Float64Array[] | undefined, budget: number): ShrunkFailure | undefined {
  const w = s.worst;
  if (w === undefined) return undefined;
  const c = cases[w.index];
  const found = { path: String(w.index), logits: c.logits, target: c.target, loss: w.loss, oracle: w.oracle, outcome: w.outcome };
  if (s.quantity === 'grad') {
    const mode = gradModeOf(p, unit.dtype, s.compute) as GradMode;
    const want = gradOracle![w.index];
    const g = new Float64Array(c.logits.length);
    mode.run(c.logits, c.target, g);
    const verdict = judgeGrad(g, want, unit.dtype, budget);
    return { ...found, ulps: verdict.maxUlp, cause: gradCause(p, mode, unit.dtype, c, verdict, g, want) ?? '', grad: w.grad };
  }
  return { ...found, ulps: w.ulps === undefined ? undefined : Number(w.ulps), cause: diagnoseVariant(p, { dtype: unit.dtype, compute: s.compute }, c.logits, c.target) };
}

export interface CampaignOptions {
  readonly suite: Suite;
  readonly pool: WorkerPool;
  readonly shard?: Shard;
  readonly progress?: ProgressOptions;
}

export interface CampaignResult {
  readonly fuzzRows: string[][];
  readonly failureRows: string[][];
  readonly stats: UnitStats[];
  /** Cases generated and judged by the oracle (each scored for every pipeline). */
  readonly cases: number;
  readonly logits: number;
  readonly seconds: number;
}

/**
 * What is scored, in report order: pipeline (suite order) × dtype × compute (the
 * suite's modes, pure first) × quantity (the suite's `fuzz.quantities`: loss,
 * grad) × family, each a unit of cases. A pipeline that does not run in a dtype
 * (no generic kernel for a half format) is left out there; its gradient is left
 * out where it has no backward pass in that mode (no `grad`, or no `grad.generic`
 * for a pure half mode).
 */
export function scoringOrder(suite: Pick<Suite, 'pipelines' | 'compute'> & { readonly fuzz: Pick<Suite['fuzz'], 'quantities'> }, units: readonly Unit[]): [Pipeline, Compute, Quantity, Unit][] {
  const out: [Pipeline, Compute, Quantity, Unit][] = [];
  for (const p of suite.pipelines) {
    for (const dtype of DTYPES) {
      if (!runsIn(p, dtype)) continue;
      for (const compute of suite.compute[dtype]) {
        for (const quantity of QUANTITIES) {
          if (!suite.fuzz.quantities.includes(quantity)) continue;
          if (quantity === 'grad' && gradModeOf(p, dtype, compute) === undefined) continue;
          for (const u of units) if (u.dtype === dtype) out.push([p, compute, quantity, u]);
        }
      }
    }
  }
  return out;
}

/** True when the suite lists the built-in object itself, so a worker can take it from the registry. */
function isBuiltin(p: Pipeline): boolean {
  return BUILTIN_PIPELINES.includes(p);
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const { suite, pool } = options;
  const progress = { prefix: 'fuzz', ...options.progress };
  const started = performance.now();
  const units = campaignUnits(suite, options.shard);

  // (1) generate
  const totalCases = units.reduce((s, u) => s + u.runs, 0);
  const gen = startProgress('generate', totalCases, 'cases', progress);
  const unitCases: FuzzCase[][] = units.map((u) => {
    const cases = generateCases(u.family, u.dtype, u.seed, u.runs);
    gen.tick(cases.length);
    return cases;
  });
  const logits = unitCases.reduce((s, cs) => s + cs.reduce((t, c) => t + c.logits.length, 0), 0);
  gen.done(`${units.length} units (dtype x family), ${logits} logits`);

  // (2) oracle: progress counted in logits, the oracle's cost (a vocab row is 32k-50k of them, a small row a few);
  // the gradient, when fuzzed, from the same decimal terms as the loss
  const scored = scoringOrder(suite, units);
  const withGrad = scored.some(([, , q]) => q === 'grad');
  const oracleBar = startProgress('oracle', logits, 'logits', progress);
  const values = await oracleRowsWithGrad(
    pool,
    units.flatMap((u, k) => unitCases[k].map((c) => ({ dtype: u.dtype, logits: c.logits, target: c.target }))),
    { grad: withGrad, onDone: (_, n) => oracleBar.tick(n) },
  );
  const oracle: Float64Array[] = [];
  const gradOracle: Float64Array[][] = [];
  let at = 0;
  for (const cases of unitCases) {
    oracle.push(values.loss.subarray(at, at + cases.length));
    gradOracle.push(values.grad?.slice(at, at + cases.length) ?? []);
    at += cases.length;
  }
  const families = units.flatMap((u, k) => unitCases[k].map(() => u.family));
  oracleBar.done(`${totalCases} cases${withGrad ? ', losses and gradients' : ''}; rows left to decimal.js by the fast tier: ${fallbackShares(families, values)}${fastTierOn() ? '' : ` (${ORACLE_TIER_VARIABLE}=decimal: the fast tier is off, every row is decimal.js's)`}`);

  // (3) score: per pipeline, dtype (DTYPES order), compute (pure first), quantity, family; a pipeline without a generic kernel skips the half formats
  const scoreBar = startProgress('score', scored.reduce((n, [, , , u]) => n + u.runs, 0), 'scores', progress);
  const stats: UnitStats[] = [];
  for (const [p, compute, quantity, u] of scored) {
    const k = units.indexOf(u);
    try {
      const budget = suite.budgets[p.name];
      stats.push(
        quantity === 'loss'
          ? scoreUnit(p, u, unitCases[k], oracle[k], budget, compute)
          : scoreGradUnit(p, gradModeOf(p, u.dtype, compute) as GradMode, u, unitCases[k], gradOracle[k], budget),
      );
    } catch (err) {
      if (err instanceof PipelineThrew) {
        const again = replayCommand({ seed: u.seed, path: String(err.index), pipeline: p.name, dtype: u.dtype, compute, quantity, suite: suiteArgument(suite.name, suite.file) });
        throw new InputError(`${err.message}; replay it with \`${again}\`; fix the pipeline or remove it from the suite`, suite.file, undefined, `pipelines[${suite.pipelines.indexOf(p)}]`);
      }
      throw err;
    }
    scoreBar.tick(u.runs);
  }
  scoreBar.done(`${suite.pipelines.length} pipelines`);

  // (4) shrink
  const jobs = stats.filter((s) => s.failures.length > 0 && suite.fuzz.failures[s.unit.family] > 0);
  const shrinkBar = startProgress('shrink', jobs.length, 'jobs', progress);
  const workerFile = compiledModule('fuzz/worker.js');
  const byPipeline = new Map(suite.pipelines.map((p) => [p.name, p]));
  const shrunk = await Promise.all(
    jobs.map(async (s) => {
      const p = byPipeline.get(s.pipeline) as Pipeline;
      const task: ShrinkTask = {
        pipeline: p.name,
        builtin: isBuiltin(p),
        suiteFile: suite.file,
        dtype: s.unit.dtype,
        compute: s.compute,
        quantity: s.quantity,
        family: s.unit.family,
        seed: s.unit.seed,
        budget: suite.budgets[p.name],
        limits: { record: suite.fuzz.failures[s.unit.family], ...suite.fuzz.shrink },
        // A gradient failure carries its case's correctly rounded gradient (copied out of the oracle's batch buffer).
        failures: s.failures.slice(0, suite.fuzz.shrink.attempts).map((f) => (s.quantity === 'grad' ? { ...f, oracleGrad: gradOracle[units.indexOf(s.unit)][f.index].slice() } : f)),
      };
      const found = await pool.run<ShrunkFailure[]>(workerFile, 'shrinkTask', task);
      shrinkBar.tick();
      return found;
    }),
  );
  const recorded = shrunk.reduce((n, f) => n + f.length, 0);
  shrinkBar.done(`one job per pipeline x dtype x quantity x family with failures; ${recorded} failures recorded`);

  // Per pipeline × unit: the worst failure found, then the shrunk ones (one equal to the worst, a vocab row kept as generated, is not repeated).
  const failuresOf = new Map<UnitStats, string[][]>();
  const shrunkOf = new Map(jobs.map((s, j) => [s, shrunk[j]]));
  for (const s of stats) {
    const k = units.indexOf(s.unit);
    const mine: string[][] = [];
    const worst = worstFailure(byPipeline.get(s.pipeline) as Pipeline, s.unit, unitCases[k], s, gradOracle[k], suite.budgets[s.pipeline]);
    if (worst !== undefined) mine.push(failureCsvRow(s.pipeline, s.unit, worst, 'worst', s.compute));
    for (const f of shrunkOf.get(s) ?? []) if (f.path !== worst?.path) mine.push(failureCsvRow(s.pipeline, s.unit, f, 'shrunk', s.compute));
    failuresOf.set(s, mine);
  }
  // Under a suite's batch options (src/fuzz/options.ts; shard 1 holds them): after the bare rows of each key, their failures likewise.
  const optionRows = fuzzesOptions(suite) && inShard(0, options.shard) ? optionStats(suite, failuresOf) : [];
  const names = suite.pipelines.map((p) => p.name);
  const keyOf = (s: UnitStats) => ({ pipeline: s.pipeline, dtype: s.unit.dtype, compute: s.compute, quantity: s.quantity });
  const rows = [...stats, ...optionRows].sort((a, b) => compareKeys(names, keyOf(a), keyOf(b)) || familyRank(a.unit.family) - familyRank(b.unit.family));
  const failureRows = (optionRows.length === 0 ? stats : rows).flatMap((s) => failuresOf.get(s) ?? []);
  return {
    fuzzRows: rows.map(fuzzCsvRow),
    failureRows,
    stats: rows,
    cases: totalCases,
    logits,
    seconds: (performance.now() - started) / 1000,
  };
}
