/**
 * Causes (SPEC section 5, `cause`): the traces redo each kernel's arithmetic bit
 * for bit, and name the first step that went wrong on hand-made rows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../float/dtype.js';
import { NATIVE_DTYPES, formatOf } from '../float/dtype.js';
import { oracleLoss } from '../oracle/loss.js';
import { classify } from '../score/outcome.js';
import { pipelineLoss } from '../score/score.js';
import { Trace } from './diagnose.js';
import { log1pLogSoftmax } from './log1p.js';
import { naiveSoftmax, unshiftedLogSoftmax } from './naive.js';
import { onlineSoftmax } from './online.js';
import { fusedCrossEntropy, logsumexpMinusTarget, stableLogSoftmax } from './stable.js';
import {
  traceFusedCrossEntropy,
  traceLog1pLogSoftmax,
  traceLogsumexpMinusTarget,
  traceNaiveSoftmax,
  traceOnlineSoftmax,
  traceStableLogSoftmax,
  traceUnshiftedLogSoftmax,
} from './traces.js';
import type { Cause, Pipeline } from './types.js';

const TRACED: [Pipeline, typeof traceNaiveSoftmax][] = [
  [naiveSoftmax, traceNaiveSoftmax],
  [unshiftedLogSoftmax, traceUnshiftedLogSoftmax],
  [stableLogSoftmax, traceStableLogSoftmax],
  [fusedCrossEntropy, traceFusedCrossEntropy],
  [logsumexpMinusTarget, traceLogsumexpMinusTarget],
  [log1pLogSoftmax, traceLog1pLogSoftmax],
  [onlineSoftmax, traceOnlineSoftmax],
];

describe('each trace computes its kernel loss bit for bit', () => {
  for (const dtype of NATIVE_DTYPES) {
    const seed = dtype === 'float32' ? 7301 : 7302;
    const fmt = formatOf(dtype);
    const logit = fc
      .oneof(
        fc.double({ min: -120, max: 120, noNaN: true }),
        fc.double({ min: -800, max: 800, noNaN: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constant(-Infinity),
      )
      .map((v) => fmt.round(v));
    it(`${dtype}, seed ${seed}: 7 pipelines × 300 rows of 1 to 8 logits`, () => {
      fc.assert(
        fc.property(fc.array(logit, { minLength: 1, maxLength: 8 }), fc.nat(), (values, t) => {
          if (!values.some((v) => Number.isFinite(v))) return;
          const row = Float64Array.from(values);
          const target = t % row.length;
          for (const [p, trace] of TRACED) {
            const kernel = pipelineLoss(p, row, target, dtype);
            expect(Object.is(trace(row, target, dtype).loss, kernel), `${p.name} [${values.join(', ')}] target ${target}`).toBe(true);
          }
        }),
        { seed, numRuns: 300 },
      );
    });
  }
});

interface Expectation {
  readonly pipeline: Pipeline;
  readonly dtype: Dtype;
  readonly row: readonly number[];
  readonly target: number;
  readonly outcome: string;
  readonly cause: Cause;
  readonly why: string;
}

const CASES: Expectation[] = [
  { pipeline: naiveSoftmax, dtype: 'float32', row: [100, 0], target: 0, outcome: 'nan', cause: 'exp-overflow', why: 'exp(100) = Infinity in float32, Infinity/Infinity' },
  { pipeline: naiveSoftmax, dtype: 'float64', row: [709.5, 709.5], target: 0, outcome: 'overflow', cause: 'sum-overflow', why: 'each exp(709.5) is finite, their sum is not: p = e/Infinity = 0' },
  { pipeline: naiveSoftmax, dtype: 'float32', row: [-120, -120], target: 0, outcome: 'nan', cause: 'exp-underflow', why: 'both terms flush to 0: 0/0' },
  { pipeline: naiveSoftmax, dtype: 'float32', row: [0, -110], target: 1, outcome: 'overflow', cause: 'log-of-zero', why: 'exp(−110) = 0 beside 1: p = 0, −log 0 = Infinity' },
  { pipeline: naiveSoftmax, dtype: 'float32', row: [50, -60], target: 1, outcome: 'overflow', cause: 'division-underflow', why: 'exp(−60) is normal, exp(−60)/exp(50) = 1.7e−48 flushes to 0' },
  { pipeline: naiveSoftmax, dtype: 'float32', row: [0, -100], target: 1, outcome: 'inaccurate', cause: 'exp-underflow', why: 'exp(−100) = 26.5 · 2^−149 is subnormal: about 5 significant bits left in p' },
  { pipeline: naiveSoftmax, dtype: 'float32', row: [0, -8], target: 0, outcome: 'inaccurate', cause: 'absorption', why: '1 + 3.4e−4 keeps only its leading bits of the small term, which holds the loss' },
  { pipeline: unshiftedLogSoftmax, dtype: 'float32', row: [80, 80], target: 0, outcome: 'inaccurate', cause: 'cancellation', why: 'x − log Σ exp(x) = 80 − 80.693…: the rounding of 80.693 at ulp 7.6e−6' },
  { pipeline: unshiftedLogSoftmax, dtype: 'float64', row: [-800, -800], target: 0, outcome: 'overflow', cause: 'exp-underflow', why: 'every exp flushes: log 0 = −Infinity' },
  { pipeline: unshiftedLogSoftmax, dtype: 'float64', row: [710, 0], target: 0, outcome: 'overflow', cause: 'exp-overflow', why: 'exp(710) = Infinity in float64' },
  { pipeline: stableLogSoftmax, dtype: 'float32', row: [0, -20], target: 0, outcome: 'underflow', cause: 'absorption', why: '1 + 2.1e−9 = 1 in float32: the whole loss vanishes in the sum' },
  { pipeline: fusedCrossEntropy, dtype: 'float64', row: [0, -40], target: 0, outcome: 'underflow', cause: 'absorption', why: '1 + 4.2e−18 = 1 in float64' },
  { pipeline: logsumexpMinusTarget, dtype: 'float32', row: [1e10, 1e10], target: 0, outcome: 'underflow', cause: 'absorption', why: '1e10 + ln 2 = 1e10: m swallows log s' },
  { pipeline: logsumexpMinusTarget, dtype: 'float32', row: [1000, 1000], target: 0, outcome: 'inaccurate', cause: 'absorption', why: '1000 + 0.6931… keeps ln 2 only to ulp(1000) = 6.1e−5' },
  { pipeline: onlineSoftmax, dtype: 'float32', row: [0, -20], target: 0, outcome: 'underflow', cause: 'absorption', why: 'd = 1 + 2.1e−9 = 1' },
  { pipeline: log1pLogSoftmax, dtype: 'float32', row: [-12.43525, -96.88375], target: 0, outcome: 'inaccurate', cause: 'absorption', why: 'x_1 − m rounds away low bits of m at ulp(84) = 7.6e−6; exp turns that into a relative error of the loss' },
];

describe('causes on hand-made rows', () => {
  for (const c of CASES) {
    it(`${c.pipeline.name} ${c.dtype} [${c.row.join(', ')}] target ${c.target}: ${c.outcome}, ${c.cause} (${c.why})`, () => {
      const fmt = formatOf(c.dtype);
      const row = Float64Array.from(c.row, fmt.round);
      const verdict = classify(pipelineLoss(c.pipeline, row, c.target, c.dtype), oracleLoss(row, c.target, c.dtype).rounded, c.dtype);
      expect(verdict.outcome).toBe(c.outcome);
      expect(c.pipeline.diagnose!(row, c.target, c.dtype)).toBe(c.cause);
    });
  }

  it('the trace helper names inf − inf, and prefers the range event to an earlier precision event', () => {
    const t = new Trace([0, -1], 0, 'float64');
    expect(Number.isNaN(t.sub(Infinity, Infinity, 0))).toBe(true);
    expect(t.cause).toBe('inf-minus-inf');
    // unshifted at the last finite exp: exp's rounding there is relevant (cancellation), but the sum then overflows.
    expect(unshiftedLogSoftmax.diagnose!(Float64Array.of(709.782712893384, 709.782712893384 - 1.8), 0, 'float64')).toBe('sum-overflow');
  });
});
