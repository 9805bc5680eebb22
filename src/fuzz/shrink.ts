/**
 * Shrinking the failures of one pipeline in one unit (dtype × family) to small
 * counterexamples, with fast-check's shrinker and the oracle as the judge.
 *
 * A candidate counts as failing when the pipeline's outcome on it is the
 * outcome of the original case (an overflow shrinks to a smaller overflow, not
 * to whatever else goes wrong on the way). A `grad` failure is judged on the
 * gradient (SPEC 4.2's outcome, norm_ulp against the budget; the oracle gradient
 * oracleGradRounded: the fast tier, decimal.js where it cannot decide) and keeps its outcome and
 * its cause (the grad diagnosis of src/pipelines/grad-diagnose.ts): a
 * `cancellation` shrinks to a smaller cancellation, not to a `division-underflow`. Each shrink step runs the oracle, so
 * the cost is bounded per shrink by `steps` oracle calls and `logits` oracle
 * logits: once either is spent, every further candidate is taken as passing and
 * fast-check stops at the smallest failure found so far. A 32,000-class vocab
 * row exceeds the default logit budget on its own, so vocab failures are
 * recorded as generated. The original case is not re-judged: the campaign
 * already has its oracle value, and a checksum proves the worker regenerated it.
 *
 * Failures are shrunk in run order; the first `record` distinct shrunk
 * counterexamples are kept, trying at most `attempts` failures.
 */
import fc from 'fast-check';
import type { Dtype } from '../float/dtype.js';
import type { Compute } from '../pipelines/variant.js';
import { diagnoseVariant } from '../pipelines/variant.js';
import { oracleLossRounded } from '../oracle/loss.js';
import { oracleGradRounded } from '../oracle/grad.js';
import type { Quantity } from '../report/key.js';
import type { GradMode } from '../score/grad.js';
import { gradCause, gradModeOf, judgeGrad } from '../score/grad.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Outcome } from '../score/outcome.js';
import { classify } from '../score/outcome.js';
import { pipelineLoss } from '../score/score.js';
import type { Family } from '../suite/define.js';
import { CHECK_BASE, caseAt, caseChecksum } from './cases.js';
import type { FuzzCase } from './families.js';
import { familyArbitrary } from './families.js';

export interface ShrinkLimits {
  /** Distinct shrunk failures recorded per pipeline × dtype × family. */
  readonly record: number;
  /** Failures tried before giving up on finding `record` distinct ones. */
  readonly attempts: number;
  /** Oracle calls per shrink. */
  readonly steps: number;
  /** Oracle logits per shrink. */
  readonly logits: number;
}

export interface FailureSeed {
  /** Run index in the unit (its path is String(index)). */
  readonly index: number;
  readonly outcome: Outcome;
  readonly checksum: number;
  /** The loss, or for a `grad` failure its worst component. */
  readonly loss: number;
  /** The correctly rounded loss, or the worst component's correctly rounded value. */
  readonly oracle: number;
  /** A `grad` failure: its worst component's index and its norm_ulp (SPEC 4.2). */
  readonly grad?: GradFailure;
  /** A `grad` failure sent to be shrunk: the case's correctly rounded gradient (so the original is not re-judged). */
  readonly oracleGrad?: Float64Array;
}

/** What a `grad` failure adds: the worst component (failures.csv's `class`) and the gradient's norm_ulp (its `ulp_error`). */
export interface GradFailure {
  readonly cls: number;
  readonly normUlp: number | undefined;
}

export interface ShrunkFailure {
  readonly path: string;
  readonly logits: Float64Array;
  readonly target: number;
  readonly loss: number;
  readonly oracle: number;
  readonly ulps: number | undefined;
  readonly outcome: Outcome;
  readonly cause: string;
  /** Set for a `grad` failure (then `loss`, `oracle` and `ulps` are its worst component's). */
  readonly grad?: GradFailure;
}

export interface ShrinkJob {
  readonly dtype: Dtype;
  /** The arithmetic format the pipeline runs in (SPEC 2.1). */
  readonly compute: Compute;
  /** What failed: the loss, or the gradient (default `loss`). */
  readonly quantity?: Quantity;
  readonly family: Family;
  readonly seed: number;
  readonly budget: number;
  readonly limits: ShrinkLimits;
  readonly failures: readonly FailureSeed[];
}

interface Judged {
  readonly c: FuzzCase;
  readonly loss: number;
  readonly oracle: number;
  /** A gradient: the computed and correctly rounded vectors. */
  readonly g?: Float64Array;
  readonly want?: Float64Array;
}

/** A gradient judged: its verdict and cause (the grad diagnosis), with the vectors. */
function judgeGradCase(pipeline: Pipeline, mode: GradMode, job: ShrinkJob, c: FuzzCase, want: Float64Array) {
  const g = new Float64Array(c.logits.length);
  mode.run(c.logits, c.target, g);
  const v = judgeGrad(g, want, job.dtype, job.budget);
  return { g, want, v, cause: () => gradCause(pipeline, mode, job.dtype, c, v, g, want) ?? '' };
}

/** The grad mode of a job, or undefined for a loss job. */
function gradModeOfJob(pipeline: Pipeline, job: ShrinkJob): GradMode | undefined {
  if (job.quantity !== 'grad') return undefined;
  const mode = gradModeOf(pipeline, job.dtype, job.compute);
  if (mode === undefined) throw new Error(`${pipeline.name} has no gradient in ${job.dtype} (compute ${job.compute})`);
  return mode;
}

function key(c: FuzzCase): string {
  return `${c.target}:${Buffer.from(c.logits.buffer, c.logits.byteOffset, c.logits.byteLength).toString('base64')}`;
}

/** Shrinks one failure; the returned case is the smallest one found with the same outcome. */
export function shrinkOne(pipeline: Pipeline, job: ShrinkJob, failure: FailureSeed): { judged: Judged; path: string } {
  const { dtype, limits, budget } = job;
  const mode = gradModeOfJob(pipeline, job);
  // A gradient failure keeps its cause too: computed once for the original case.
  const wantCause = mode === undefined ? undefined : judgeGradCase(pipeline, mode, job, caseAt(job.family, dtype, job.seed, String(failure.index))!, failure.oracleGrad!).cause();
  let first = true;
  let steps = 0;
  let logits = 0;
  const state: { last: Judged | undefined; thrown?: { error: unknown } } = { last: undefined };
  // fast-check reads an exception as a failing case and shrinks on: an error (the pipeline's, e.g. an
  // external process that died) is kept and rethrown once the check returns.
  const guarded =
    (f: (c: FuzzCase) => boolean) =>
    (c: FuzzCase): boolean => {
      if (state.thrown !== undefined) return true;
      try {
        return f(c);
      } catch (error) {
        state.thrown = { error };
        return true;
      }
    };
  const details = fc.check(
    fc.property(familyArbitrary(job.family, dtype), guarded((c) => {
      if (first) {
        first = false;
        if (caseChecksum(c) !== failure.checksum) {
          throw new Error(`run ${failure.index} of seed ${job.seed} (${job.family}, ${dtype}) regenerated differently in a worker`);
        }
        state.last = { c, loss: failure.loss, oracle: failure.oracle, want: failure.oracleGrad };
        return false;
      }
      if (steps >= limits.steps || logits + c.logits.length > limits.logits) return true;
      steps++;
      logits += c.logits.length;
      if (mode !== undefined) {
        if (c.logits.every((x) => x === -Infinity)) return true; // a fully masked row has no gradient
        const j = judgeGradCase(pipeline, mode, job, c, oracleGradRounded(c.logits, c.target, dtype));
        if (j.v.outcome !== failure.outcome || j.cause() !== wantCause) return true;
        state.last = { c, loss: j.g[j.v.worst], oracle: j.want[j.v.worst], g: j.g, want: j.want };
        return false;
      }
      const oracle = oracleLossRounded(c.logits, c.target, dtype);
      const loss = pipelineLoss(pipeline, c.logits, c.target, dtype, job.compute);
      if (classify(loss, oracle, dtype, budget).outcome !== failure.outcome) return true;
      state.last = { c, loss, oracle };
      return false;
    })),
    { ...CHECK_BASE, seed: job.seed, path: String(failure.index), numRuns: 1 },
  );
  if (state.thrown !== undefined) throw state.thrown.error;
  const last = state.last;
  if (!details.failed || details.counterexamplePath === null || last === undefined) {
    throw new Error(`run ${failure.index} of seed ${job.seed} (${job.family}, ${dtype}) did not fail again for ${pipeline.name}`);
  }
  if (details.counterexample?.[0] !== last.c) throw new Error('fast-check reported a counterexample other than the last failing case');
  return { judged: last, path: details.counterexamplePath };
}

/** The first `limits.record` distinct shrunk failures of one pipeline in one unit. */
export function shrinkFailures(pipeline: Pipeline, job: ShrinkJob): ShrunkFailure[] {
  const out: ShrunkFailure[] = [];
  const seen = new Set<string>();
  for (const failure of job.failures.slice(0, job.limits.attempts)) {
    if (out.length >= job.limits.record) break;
    const { judged, path } = shrinkOne(pipeline, job, failure);
    const k = key(judged.c);
    if (seen.has(k)) continue;
    seen.add(k);
    const mode = gradModeOfJob(pipeline, job);
    if (mode !== undefined) {
      const j = judgeGradCase(pipeline, mode, job, judged.c, judged.want!);
      const w = j.v.worst;
      out.push({
        path,
        logits: judged.c.logits,
        target: judged.c.target,
        loss: j.g[w],
        oracle: j.want[w],
        ulps: j.v.maxUlp,
        outcome: j.v.outcome,
        cause: j.cause(),
        grad: { cls: w, normUlp: j.v.normUlp },
      });
      continue;
    }
    const verdict = classify(judged.loss, judged.oracle, job.dtype, job.budget);
    out.push({
      path,
      logits: judged.c.logits,
      target: judged.c.target,
      loss: judged.loss,
      oracle: judged.oracle,
      ulps: verdict.ulps,
      outcome: verdict.outcome,
      cause: diagnoseVariant(pipeline, job, judged.c.logits, judged.c.target),
    });
  }
  return out;
}
