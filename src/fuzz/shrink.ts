/**
 * Shrinking the failures of one pipeline in one unit (dtype × family) to small
 * counterexamples, with fast-check's shrinker and the oracle as the judge.
 *
 * A candidate counts as failing when the pipeline's outcome on it is the
 * outcome of the original case (an overflow shrinks to a smaller overflow, not
 * to whatever else goes wrong on the way). Each shrink step runs the oracle, so
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
import type { Pipeline } from '../pipelines/types.js';
import type { Outcome } from '../score/outcome.js';
import { classify } from '../score/outcome.js';
import { pipelineLoss } from '../score/score.js';
import type { Family } from '../suite/define.js';
import { CHECK_BASE, caseChecksum } from './cases.js';
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
  readonly loss: number;
  readonly oracle: number;
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
}

export interface ShrinkJob {
  readonly dtype: Dtype;
  /** The arithmetic format the pipeline runs in (SPEC 2.1). */
  readonly compute: Compute;
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
}

function key(c: FuzzCase): string {
  return `${c.target}:${Buffer.from(c.logits.buffer, c.logits.byteOffset, c.logits.byteLength).toString('base64')}`;
}

/** Shrinks one failure; the returned case is the smallest one found with the same outcome. */
export function shrinkOne(pipeline: Pipeline, job: ShrinkJob, failure: FailureSeed): { judged: Judged; path: string } {
  const { dtype, limits, budget } = job;
  let first = true;
  let steps = 0;
  let logits = 0;
  const state: { last: Judged | undefined } = { last: undefined };
  const details = fc.check(
    fc.property(familyArbitrary(job.family, dtype), (c) => {
      if (first) {
        first = false;
        if (caseChecksum(c) !== failure.checksum) {
          throw new Error(`run ${failure.index} of seed ${job.seed} (${job.family}, ${dtype}) regenerated differently in a worker`);
        }
        state.last = { c, loss: failure.loss, oracle: failure.oracle };
        return false;
      }
      if (steps >= limits.steps || logits + c.logits.length > limits.logits) return true;
      steps++;
      logits += c.logits.length;
      const oracle = oracleLossRounded(c.logits, c.target, dtype);
      const loss = pipelineLoss(pipeline, c.logits, c.target, dtype, job.compute);
      if (classify(loss, oracle, dtype, budget).outcome !== failure.outcome) return true;
      state.last = { c, loss, oracle };
      return false;
    }),
    { ...CHECK_BASE, seed: job.seed, path: String(failure.index), numRuns: 1 },
  );
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
