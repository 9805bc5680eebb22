/**
 * The pipelines' backward under PyTorch's batch options (pipelineRowGrad), scored
 * against mpmath's gradients (fixtures/mpmath-options-grad, scripts/mpmath-options-grad.py)
 * and hand-derived closed forms.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../cases/options.js';
import { judgeGrad, gradModes } from '../score/grad.js';
import { readOptionsGradFixtures } from '../testing/fixtures.js';
import { pipelineRowGrad } from './options.js';
import { BUILTIN_PIPELINES, findPipeline } from './registry.js';

const FIXTURES = readOptionsGradFixtures();
const byId = (id: string) => FIXTURES.find((f) => f.id === id)!;
const gradOf = (name: string, f: (typeof FIXTURES)[number]) => pipelineRowGrad(findPipeline(name)!, { dtype: f.dtype, compute: f.dtype }, f.row, f.options, f.weight)!;
const LOG_SOFTMAX_BACKWARD = ['unshifted-log-softmax', 'stable-log-softmax', 'fused-cross-entropy', 'logsumexp-minus-target', 'online-softmax'];

describe('accurate-cross-entropy under options', () => {
  for (const f of FIXTURES) {
    it(`${f.id} (${f.dtype}): within 1 norm ulp of mpmath (NaN where the oracle is NaN)`, () => {
      const g = gradOf('accurate-cross-entropy', f);
      if (f.want.some(Number.isNaN)) expect(Array.from(g).every(Number.isNaN)).toBe(true);
      else expect(judgeGrad(g, f.want, f.dtype).normUlp).toBeLessThanOrEqual(1);
    });
  }
  it('in float16 and bfloat16, both compute modes, within 1 norm ulp of the oracle on the weighted, smoothed and soft rows', async () => {
    const { oracleRowGrad } = await import('../oracle/batch.js');
    const { resolveWeights } = await import('../cases/options.js');
    const { formatOf } = await import('../float/dtype.js');
    for (const dtype of ['float16', 'bfloat16'] as const) {
      for (const f of [byId('weights-t0'), byId('smooth-0.5-weights'), byId('soft-sparse-smooth-weights')]) {
        const row = { ...f.row, logits: f.row.logits.map(formatOf(dtype).round), soft: f.row.soft?.map(formatOf(dtype).round) };
        const weight = resolveWeights(f.options, dtype, [row], () => ({}));
        const want = oracleRowGrad(row, f.options, dtype, weight);
        for (const compute of [dtype, 'float32'] as const) {
          const g = pipelineRowGrad(findPipeline('accurate-cross-entropy')!, { dtype, compute }, row, f.options, weight)!;
          expect(judgeGrad(g, want, dtype).normUlp, `${f.id} ${dtype} ${compute}`).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});

describe('every pipeline under options', () => {
  it('ignored rows, fully masked rows under zero and ignore, and all-zero weights: +0 in every component; fully masked under nan: NaN', () => {
    for (const p of BUILTIN_PIPELINES) {
      for (const id of ['ignored', 'fully-masked-zero', 'fully-masked-ignore', 'all-zero-weights']) {
        const f = byId(id);
        const g = pipelineRowGrad(p, { dtype: f.dtype, compute: f.dtype }, f.row, f.options, f.weight)!;
        expect(Array.from(g).every((v) => Object.is(v, 0)), `${p.name} ${id}`).toBe(true);
      }
      const f = byId('fully-masked-nan');
      expect(Array.from(pipelineRowGrad(p, { dtype: 'float64', compute: 'float64' }, f.row, f.options, f.weight)!).every(Number.isNaN), p.name).toBe(true);
    }
  });
  it('a bare row (class-index target, ε = 0, weight 1) is the pipeline’s own gradient, in every compute mode', () => {
    const row = { logits: Float64Array.of(0.5, -3, 2.25, 1), target: 2 };
    for (const p of BUILTIN_PIPELINES) {
      for (const dtype of ['float64', 'float32', 'float16'] as const) {
        for (const mode of gradModes(p.grad!, dtype)) {
          const own = new Float64Array(4);
          mode.run(row.logits, row.target, own);
          expect(Array.from(pipelineRowGrad(p, { dtype, compute: mode.compute }, row, DEFAULT_OPTIONS, undefined)!), `${p.name} ${dtype} ${mode.compute}`).toEqual(Array.from(own));
        }
      }
    }
  });
  it('the pipelines within budget where nothing cancels (weights, smoothing 0.1 and 1e-4, one-hot and uniform soft targets, tied rows)', () => {
    for (const id of ['weights-t0', 'weights-t2', 'smooth-0.1', 'smooth-0.1-f32', 'smooth-1e-4', 'tied-weights', 'soft-one-hot', 'soft-uniform']) {
      const f = byId(id);
      for (const p of BUILTIN_PIPELINES) expect(judgeGrad(gradOf(p.name, f), f.want, f.dtype).outcome, `${p.name} ${id}`).toBe('ok');
    }
  });
});

describe('where the options make the pipelines fail (mpmath truth; the closed forms by hand)', () => {
  it('[−∞, 0], target 1, ε = 0.1: g = (−ε/2, ε/2) = (−0.05, 0.05); −a_1 + p_1·Σa with a_1 = 0.9 + 0.05 rounded cancels to 10 ulps in the log_softmax backward; naive-softmax is NaN (−a_0/p_0 = −∞, then ∞·0); log1p and accurate are exact', () => {
    const f = byId('masked-smooth');
    expect(Array.from(f.want)).toEqual([-0.05, 0.05]);
    for (const name of LOG_SOFTMAX_BACKWARD) {
      const v = judgeGrad(gradOf(name, f), f.want, 'float64');
      expect(v, name).toMatchObject({ outcome: 'inaccurate', normUlp: 10, worst: 1 });
    }
    expect(judgeGrad(gradOf('naive-softmax', f), f.want, 'float64').outcome).toBe('nan');
    for (const name of ['log1p-log-softmax', 'accurate-cross-entropy']) expect(Array.from(gradOf(name, f)), name).toEqual([-0.05, 0.05]);
  });
  it('float32 [20, 0, −5], target 0, weight 0.25: g_0 = −0.25·(1 − p_0) ≈ −5.2e−10; −a_0 + p_0·a_0 cancels (norm_ulp above 10^6) in every pipeline but log1p and accurate', () => {
    const f = byId('confident-weighted');
    expect(f.want[0]).toBeLessThan(0);
    expect(f.want[0]).toBeGreaterThan(-1e-9);
    for (const name of [...LOG_SOFTMAX_BACKWARD, 'naive-softmax']) {
      const v = judgeGrad(gradOf(name, f), f.want, 'float32');
      expect(v.outcome, name).toBe('inaccurate');
      expect(v.normUlp!, name).toBeGreaterThan(1e6);
    }
    for (const name of ['log1p-log-softmax', 'accurate-cross-entropy']) expect(judgeGrad(gradOf(name, f), f.want, 'float32').normUlp!, name).toBeLessThanOrEqual(1);
  });
  it('a soft target near one-hot ([0.999, 0.0005, 0.0005, 0] on [10, −3, 2.5, 0]): the log_softmax backward loses hundreds of norm ulps, log1p-log-softmax stays within 1', () => {
    const f = byId('soft-near-one-hot');
    for (const name of LOG_SOFTMAX_BACKWARD) expect(judgeGrad(gradOf(name, f), f.want, 'float64').normUlp!, name).toBeGreaterThan(100);
    expect(judgeGrad(gradOf('log1p-log-softmax', f), f.want, 'float64').normUlp!).toBeLessThanOrEqual(1);
  });
});
