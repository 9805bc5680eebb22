/**
 * The built-in pipelines' known behaviour on each generator family, checked
 * against the oracle with fixed seeds (each seed is in the test's name; a
 * failure prints fast-check's shrunk counterexample and its path).
 *
 * Conditional properties count the cases that met their condition and require
 * a share of the runs, so that a generator change cannot make them vacuous.
 */
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../float/dtype.js';
import { NATIVE_DTYPES, formatOf } from '../float/dtype.js';
import { nextUp } from '../float/ordinal.js';
import { oracleLoss } from '../oracle/loss.js';
import { findPipeline } from '../pipelines/registry.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Outcome } from '../score/outcome.js';
import { classify } from '../score/outcome.js';
import { pipelineLoss } from '../score/score.js';
import type { FuzzCase } from './families.js';
import { expOverflowAt, expUnderflowAt, familyArbitrary } from './families.js';

function pipeline(name: string): Pipeline {
  const p = findPipeline(name);
  if (p === undefined) throw new Error(`no built-in ${name}`);
  return p;
}

const naive = pipeline('naive-softmax');
const unshifted = pipeline('unshifted-log-softmax');
const stable = pipeline('stable-log-softmax');
const fused = pipeline('fused-cross-entropy');
const lseMinusTarget = pipeline('logsumexp-minus-target');
const log1p = pipeline('log1p-log-softmax');
const online = pipeline('online-softmax');
/** Every pipeline that shifts by the row's maximum before exp. */
const SHIFTED = [stable, fused, lseMinusTarget, log1p, online];

interface Judged {
  readonly loss: number;
  readonly oracle: number;
  readonly outcome: Outcome;
}

function judge(p: Pipeline, dtype: Dtype, c: FuzzCase, oracle = oracleLoss(c.logits, c.target, dtype).rounded): Judged {
  const loss = pipelineLoss(p, c.logits, c.target, dtype);
  return { loss, oracle, outcome: classify(loss, oracle, dtype).outcome };
}

function rowMax(c: FuzzCase): number {
  return c.logits.reduce((a, b) => Math.max(a, b), -Infinity);
}
function rowMin(c: FuzzCase): number {
  return c.logits.reduce((a, b) => Math.min(a, b), Infinity);
}

const RUNS = 200;

describe.each(NATIVE_DTYPES)('%s', (dtype) => {
  const fmt = formatOf(dtype);
  const over = expOverflowAt(dtype);
  const under = expUnderflowAt(dtype);
  const lnMinNormal = Math.log(fmt.minNormal);

  test.prop([familyArbitrary('offset', dtype)], { seed: 3101, numRuns: RUNS })('offset (seed 3101): max-shifted pipelines never overflow and never return NaN', (c) => {
    const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
    for (const p of SHIFTED) expect(judge(p, dtype, c, oracle).outcome, p.name).not.toMatch(/^(overflow|nan)$/);
  });

  it('offset (seed 3102): the naive pipelines fail past the exp thresholds and only there', () => {
    const seen = { above: 0, below: 0, clear: 0 };
    fc.assert(
      fc.property(familyArbitrary('offset', dtype), (c) => {
        const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
        const n = judge(naive, dtype, c, oracle).outcome;
        const u = judge(unshifted, dtype, c, oracle).outcome;
        const max = rowMax(c);
        if (max > over) {
          // Some exp(x) = Infinity: Σ = Infinity, p = Infinity/Infinity = NaN or x/Infinity = 0; log Σ = Infinity.
          seen.above++;
          expect(['nan', 'overflow']).toContain(n);
          expect(u).toBe('overflow');
        } else if (max < under) {
          // Every exp(x) = 0: p = 0/0 = NaN; log Σ = −Infinity and the loss x[t] − Infinity… is −Infinity.
          seen.below++;
          expect(n).toBe('nan');
          expect(u).toBe('overflow');
        } else if (max < over - Math.log(16) - 1 && rowMin(c) > lnMinNormal + 1) {
          // Σ ≤ 16·exp(max) is finite and every term is normal (rows have ≤ 16 classes).
          seen.clear++;
          expect(['nan', 'overflow']).not.toContain(n);
          expect(['nan', 'overflow']).not.toContain(u);
        }
      }),
      { seed: 3102, numRuns: RUNS },
    );
    for (const k of ['above', 'below', 'clear'] as const) expect(seen[k], k).toBeGreaterThan(RUNS / 10);
  });

  it('dominant (seed 3103): the max-shifted sums absorb a loss below u/2 into Σ = 1 and return 0; log1p-log-softmax does not', () => {
    let absorbed = 0;
    let normal = 0;
    fc.assert(
      fc.property(familyArbitrary('dominant', dtype), (c) => {
        const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
        if (oracle > 0 && oracle < fmt.unitRoundoff / 2) {
          absorbed++;
          for (const p of [stable, fused, online]) expect(judge(p, dtype, c, oracle).outcome, p.name).toBe('underflow');
        }
        if (oracle >= fmt.minNormal) {
          // The largest left-out term is ≥ minNormal/15, so Σ_{j≠k} exp(x_j − m) > 0 and log1p keeps it.
          normal++;
          expect(judge(log1p, dtype, c, oracle).outcome).not.toBe('underflow');
        }
      }),
      { seed: 3103, numRuns: RUNS },
    );
    expect(absorbed).toBeGreaterThan(RUNS / 4);
    expect(normal).toBeGreaterThan(RUNS / 4);
  });

  it('dominant (seed 3104): log1p-log-softmax is within budget on two-class rows with max 0 (x − m exact, one rounded exp, log1p(s) ≈ s)', () => {
    // Where x − m is rounded, exp multiplies its relative error by |x − m| (e.g. [−59.895348, −27.895346] in float32 is 16 ulps off).
    fc.assert(
      fc.property(
        familyArbitrary('dominant', dtype).filter((c) => c.logits.length === 2 && rowMax(c) === 0),
        (c) => {
          expect(judge(log1p, dtype, c).outcome).toBe('ok');
        },
      ),
      { seed: 3104, numRuns: 100 },
    );
  });

  it('dominant (seed 3105): logsumexp-minus-target absorbs a loss below ulp(m)/4 into m and returns 0', () => {
    let met = 0;
    fc.assert(
      fc.property(familyArbitrary('dominant', dtype), (c) => {
        const m = rowMax(c);
        const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
        const ulp = nextUp(Math.abs(m), dtype) - Math.abs(m);
        if (Math.abs(m) >= 1 && oracle > 0 && oracle < ulp / 4) {
          met++;
          expect(judge(lseMinusTarget, dtype, c, oracle).outcome).toBe('underflow');
        }
      }),
      { seed: 3105, numRuns: RUNS },
    );
    expect(met).toBeGreaterThan(RUNS / 4);
  });

  it('underdog (seed 3106): naive-softmax returns −log 0 = Infinity once exp(x[t]) underflows; fused and log1p stay within budget', () => {
    let met = 0;
    fc.assert(
      fc.property(familyArbitrary('underdog', dtype), (c) => {
        const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
        if (c.logits[c.target] < under - 1) {
          met++;
          expect(judge(naive, dtype, c, oracle).outcome).toBe('overflow');
        }
        expect(judge(fused, dtype, c, oracle).outcome).toBe('ok');
        expect(judge(log1p, dtype, c, oracle).outcome).toBe('ok');
      }),
      { seed: 3106, numRuns: RUNS },
    );
    expect(met).toBeGreaterThan(RUNS / 4);
  });

  test.prop([familyArbitrary('spread', dtype)], { seed: 3107, numRuns: RUNS })(
    'spread (seed 3107): exp overflows in naive-softmax on every row, so its loss is NaN or Infinity; max-shifted pipelines never return NaN or a spurious overflow',
    (c) => {
      const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
      expect(Number.isFinite(judge(naive, dtype, c, oracle).loss)).toBe(false);
      for (const p of SHIFTED) expect(judge(p, dtype, c, oracle).outcome, p.name).not.toMatch(/^(overflow|nan)$/);
    },
  );

  test.prop([familyArbitrary('ties', dtype)], { seed: 3108, numRuns: RUNS })('ties (seed 3108): with two maxima Σ ≥ 2, so no max-shifted pipeline underflows, overflows or returns NaN', (c) => {
    const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
    for (const p of SHIFTED) expect(judge(p, dtype, c, oracle).outcome, p.name).not.toMatch(/^(overflow|nan|underflow)$/);
  });

  test.prop([familyArbitrary('subnormal', dtype)], { seed: 3109, numRuns: RUNS })('subnormal (seed 3109): every exp rounds to 1 and the loss to ln n; all pipelines within budget', (c) => {
    const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
    for (const p of [naive, unshifted, ...SHIFTED]) expect(judge(p, dtype, c, oracle).outcome, p.name).toBe('ok');
  });

  test.prop([familyArbitrary('moderate', dtype)], { seed: 3110, numRuns: RUNS })('moderate (seed 3110): |x| ≤ 65.5 (σ ≤ 10, Box–Muller radius ≤ 6.55) keeps Σ exp(x) finite and normal: no unshifted or max-shifted pipeline overflows or returns NaN', (c) => {
    const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
    for (const p of [unshifted, ...SHIFTED]) expect(judge(p, dtype, c, oracle).outcome, p.name).not.toMatch(/^(overflow|nan)$/);
  });

  test.prop([familyArbitrary('ordinal', dtype)], { seed: 3111, numRuns: RUNS })('ordinal (seed 3111): stable-log-softmax and log1p-log-softmax never return NaN on any finite row', (c) => {
    const oracle = oracleLoss(c.logits, c.target, dtype).rounded;
    for (const p of [stable, log1p]) expect(judge(p, dtype, c, oracle).outcome).not.toBe('nan');
  });
});
