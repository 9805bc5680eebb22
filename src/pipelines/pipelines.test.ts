import { describe, expect, it } from 'vitest';
import type { NativeDtype as Dtype } from '../float/dtype.js';
import { NATIVE_DTYPES, formatOf } from '../float/dtype.js';
import { nextUp, ulpDistance } from '../float/ordinal.js';
import { oracleLoss } from '../oracle/loss.js';
import { pipelineLoss } from '../score/score.js';
import { meanLoss } from './batch.js';
import { log1pLogSoftmax } from './log1p.js';
import { naiveSoftmax, unshiftedLogSoftmax } from './naive.js';
import { BUILTIN_PIPELINES } from './registry.js';
import { fusedCrossEntropy, logsumexpMinusTarget, stableLogSoftmax } from './stable.js';
import { runKernel } from './types.js';

const NOTEBOOK_LOGITS = [
  [1.3877, -1.2656, -0.9112],
  [0.6011, 0.0092, -0.0982],
  [-0.0674, -0.2059, 0.341],
  [1.3918, 0.2355, 0.4159],
  [-0.6652, -1.6354, -0.9315],
];
const NOTEBOOK_TARGETS = [2, 0, 1, 0, 1];

function row(values: readonly number[], dtype: Dtype): Float64Array {
  return Float64Array.from(values, formatOf(dtype).round);
}

function ulpsFromOracle(p: (typeof BUILTIN_PIPELINES)[number], values: readonly number[], target: number, dtype: Dtype) {
  const x = row(values, dtype);
  const loss = pipelineLoss(p, x, target, dtype);
  const oracle = oracleLoss(x, target, dtype);
  return { loss, oracle: oracle.rounded, ulps: ulpDistance(loss, oracle.rounded, dtype) };
}

describe('the notebook case', () => {
  for (const dtype of NATIVE_DTYPES) {
    for (const p of BUILTIN_PIPELINES) {
      it(`${p.name} ${dtype}: batch loss rounds to 1.3577, each row within 4 ulps of the oracle`, () => {
        const fmt = formatOf(dtype);
        const x = fmt.array(15);
        x.set(NOTEBOOK_LOGITS.flat().map(fmt.round));
        const out = fmt.array(5);
        runKernel(p, dtype, x, 5, 3, Int32Array.from(NOTEBOOK_TARGETS), out);
        expect(meanLoss(out, dtype).toFixed(4)).toBe('1.3577');
        NOTEBOOK_LOGITS.forEach((r, i) => {
          expect(ulpsFromOracle(p, r, NOTEBOOK_TARGETS[i], dtype).ulps).toBeLessThanOrEqual(4);
        });
      });
    }
  }
});

describe('overflow: the unshifted pipelines fail once the largest logit passes ln(max)', () => {
  // ln(FLT_MAX) = 88.72283905…; the float32 below it is 88.72283172607422, whose exp (3.40279e38) is finite.
  // ln(DBL_MAX) = 709.78271289338399…; the double below it is 709.782712893384.
  const LAST_FINITE: Record<Dtype, number> = { float32: 88.72283172607422, float64: 709.782712893384 };
  for (const dtype of NATIVE_DTYPES) {
    for (const p of [naiveSoftmax, unshiftedLogSoftmax]) {
      it(`${p.name} ${dtype}: finite at ${LAST_FINITE[dtype]}, NaN or Infinity at the next value`, () => {
        const last = LAST_FINITE[dtype];
        expect(formatOf(dtype).round(last)).toBe(last);
        for (const target of [0, 1]) {
          const ok = ulpsFromOracle(p, [last, 0], target, dtype);
          expect(Number.isFinite(ok.loss)).toBe(true);
          // Target 1 has the large loss ≈ last, which the unshifted forms still get right;
          // target 0's loss, exp(−last), is lost to log(1 + tiny) (the hazard log1p-log-softmax fixes).
          if (target === 1) expect(ok.ulps).toBeLessThanOrEqual(4);
          const first = nextUp(last, dtype);
          const bad = pipelineLoss(p, row([first, 0], dtype), target, dtype);
          expect(Number.isFinite(bad)).toBe(false);
          // The oracle's loss there is finite: the failure is the pipeline's, not the problem's.
          expect(Number.isFinite(oracleLoss(row([first, 0], dtype), target, dtype).rounded)).toBe(true);
        }
      });
    }
  }

  it('the shifted pipelines stay within 4 ulps at the largest finite logits', () => {
    for (const dtype of NATIVE_DTYPES) {
      const max = formatOf(dtype).max;
      for (const p of [stableLogSoftmax, fusedCrossEntropy, log1pLogSoftmax]) {
        expect(ulpsFromOracle(p, [max, max * 0.5, 0], 1, dtype).ulps).toBeLessThanOrEqual(4);
      }
    }
  });
});

describe('absorption: logsumexp-minus-target at large offsets', () => {
  it('returns 0 instead of ln 2 for [1e10, 1e10] in float32', () => {
    const r = ulpsFromOracle(logsumexpMinusTarget, [1e10, 1e10], 0, 'float32');
    expect(r.loss).toBe(0);
    expect(r.oracle).toBe(Math.fround(Math.LN2));
    // The fused form subtracts before adding back: no absorption.
    expect(ulpsFromOracle(fusedCrossEntropy, [1e10, 1e10], 0, 'float32').ulps).toBeLessThanOrEqual(1);
  });
});

describe('huge difference between probabilities: tiny losses of confident predictions', () => {
  for (const dtype of NATIVE_DTYPES) {
    it(`log1p-log-softmax keeps relative accuracy with a dominant class 40 above the rest (${dtype})`, () => {
      const values = [40, 0, -0.5, 0.25, -1];
      const r = ulpsFromOracle(log1pLogSoftmax, values, 0, dtype);
      // The loss is about 1.4e-17 (Σ e^(x_j − 40)): far below the unit roundoff of either format.
      expect(r.oracle).toBeGreaterThan(0);
      expect(r.oracle).toBeLessThan(2e-17);
      expect(r.ulps).toBeLessThanOrEqual(2);
      // log(1 + s) loses it: the sum rounds to 1 and the loss to 0.
      const fused = ulpsFromOracle(fusedCrossEntropy, values, 0, dtype);
      expect(fused.loss).toBe(0);
    });
  }
});
