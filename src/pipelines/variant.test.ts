/**
 * The half formats in the commands' dispatch (variant.ts): the small inputs of
 * issue 13 with their right values (mpmath, 400 bits, as the issue gives them),
 * each checked against the oracle and through both compute modes; the widened
 * mode equal to `widenedLoss` of the generic kernels; cases files and `score`
 * in the half formats.
 *
 * One correction to the list: pure float16 `naive-softmax` on [12, 0]
 * with target 1 gives +Infinity, not NaN: e^12 overflows, so Σ = Infinity and
 * p[1] = e^0 / Infinity = 0, and −log 0 = +Infinity. NaN is target 0's result:
 * p[0] = Infinity / Infinity. Both are tested as they are.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseCases } from '../cases/read.js';
import type { Dtype, HalfDtype } from '../float/dtype.js';
import { DTYPES, formatOf } from '../float/dtype.js';
import { formatReplay, replay } from '../fuzz/replay.js';
import { unitOfSeed, unitSeed } from '../fuzz/seed.js';
import { FAMILIES } from '../suite/define.js';
import { checkSuite } from '../suite/load.js';
import { oracleLoss } from '../oracle/loss.js';
import { classify } from '../score/outcome.js';
import { pipelineLoss, scoreCases, scoredCsvRow, SCORE_COLUMNS } from '../score/score.js';
import { InputError } from '../util/errors.js';
import { GENERIC_LOSS, widenedLoss } from './generic.js';
import { naiveSoftmax, unshiftedLogSoftmax } from './naive.js';
import { BUILTIN_PIPELINES } from './registry.js';
import { stableLogSoftmax } from './stable.js';
import type { Pipeline } from './types.js';
import { watchedPipeline } from '../supervise/heartbeat.js';
import { computeModes, runsIn, skippedNote, variantsOf } from './variant.js';

const row = (values: readonly number[], dtype: Dtype) => Float64Array.from(values, formatOf(dtype).round);
const filled = (n: number, v: number) => new Array<number>(n).fill(v);

/** loss and outcome of a pipeline in a variant, against the correctly rounded loss. */
function judge(p: Pipeline, values: readonly number[], target: number, dtype: HalfDtype, compute: Dtype) {
  const x = row(values, dtype);
  const oracle = oracleLoss(x, target, dtype).rounded;
  const loss = pipelineLoss(p, x, target, dtype, compute);
  return { loss, oracle, outcome: classify(loss, oracle, dtype).outcome };
}

describe("issue 13's small inputs, pure (compute = the half format) against widened (compute = float32)", () => {
  it('float16 [12, 0], target 1: correctly rounded 12; pure naive-softmax overflows in exp and gives +Infinity (the issue says NaN: that is target 0); widened gives 12', () => {
    const pure = judge(naiveSoftmax, [12, 0], 1, 'float16', 'float16');
    expect(pure.oracle).toBe(12);
    expect(pure.loss).toBe(Infinity);
    expect(pure.outcome).toBe('overflow');
    expect(judge(naiveSoftmax, [12, 0], 0, 'float16', 'float16').loss).toBeNaN();
    const widened = judge(naiveSoftmax, [12, 0], 1, 'float16', 'float32');
    expect(widened.loss).toBe(12);
    expect(widened.outcome).toBe('ok');
  });

  it('bfloat16, 512 classes all 0, target 0: correctly rounded 6.25; a pure bfloat16 sum of ones stalls at 256, so stable-log-softmax gives 5.53125', () => {
    const pure = judge(stableLogSoftmax, filled(512, 0), 0, 'bfloat16', 'bfloat16');
    expect(pure.oracle).toBe(6.25);
    expect(pure.loss).toBe(5.53125);
    expect(pure.outcome).toBe('inaccurate');
    const widened = judge(stableLogSoftmax, filled(512, 0), 0, 'bfloat16', 'float32');
    expect(widened.loss).toBe(6.25);
  });

  it('float16, 70,000 classes all 0, target 0: correctly rounded 11.15625; the pure sum stops at 2048 (2048 + 1 rounds back), so stable-log-softmax gives ln 2048 ≈ 7.625; widened is right', () => {
    const f16 = formatOf('float16').round;
    expect(f16(2048 + 1)).toBe(2048);
    const pure = judge(stableLogSoftmax, filled(70000, 0), 0, 'float16', 'float16');
    expect(pure.oracle).toBe(11.15625);
    expect(pure.loss).toBe(f16(Math.log(2048)));
    expect(pure.loss).toBe(7.625);
    expect(pure.outcome).toBe('inaccurate');
    const widened = judge(stableLogSoftmax, filled(70000, 0), 0, 'float16', 'float32');
    expect(widened.loss).toBe(11.15625);
  });

  it('float16 [8, 8, …, 8] (30 classes), target 0: exact ln 30; pure unshifted-log-softmax sums e^8 ≈ 2981 thirty times, passes 65504 and overflows', () => {
    const pure = judge(unshiftedLogSoftmax, filled(30, 8), 0, 'float16', 'float16');
    expect(pure.oracle).toBe(formatOf('float16').round(Math.log(30)));
    expect(pure.loss).toBe(Infinity);
    expect(pure.outcome).toBe('overflow');
    const widened = judge(unshiftedLogSoftmax, filled(30, 8), 0, 'float16', 'float32');
    expect(widened.outcome).toBe('ok');
  });
});

describe('the dispatch', () => {
  it('both modes of the half formats, pure first; float32 and float64 compute in themselves', () => {
    expect(computeModes('float16')).toEqual(['float16', 'float32']);
    expect(computeModes('bfloat16')).toEqual(['bfloat16', 'float32']);
    expect(computeModes('float32')).toEqual(['float32']);
    expect(variantsOf(['bfloat16', 'float64'], { bfloat16: ['float32'] })).toEqual([
      { dtype: 'float64', compute: 'float64' },
      { dtype: 'bfloat16', compute: 'float32' },
    ]);
  });

  it('widened mode through the float32 kernel equals widenedLoss of the generic kernel, bit for bit, and pure mode the generic kernel with the format rounding', () => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 40 - 20;
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const fmt = formatOf(dtype);
      for (let i = 0; i < 200; i++) {
        const x = row(Array.from({ length: 2 + (i % 9) }, rand), dtype);
        const t = i % x.length;
        for (const p of BUILTIN_PIPELINES) {
          const generic = GENERIC_LOSS[p.name];
          expect(Object.is(pipelineLoss(p, x, t, dtype, 'float32'), widenedLoss(generic, x, t, fmt.round)), `${p.name} ${dtype} widened`).toBe(true);
          expect(Object.is(pipelineLoss(p, x, t, dtype, dtype), generic(x, t, fmt.round)), `${p.name} ${dtype} pure`).toBe(true);
        }
      }
    }
  });

  it('a pipeline with only float32/float64 kernels does not run in the half formats, and the note names it; with a generic kernel it does', () => {
    const own: Pipeline = { name: 'mine', formula: 'f', float32: stableLogSoftmax.float32, float64: stableLogSoftmax.float64 };
    expect(runsIn(own, 'float32')).toBe(true);
    expect(runsIn(own, 'float16')).toBe(false);
    expect(skippedNote([stableLogSoftmax, own], ['float32', 'float16'])).toMatch(/^mine not run in float16: no generic kernel/);
    expect(skippedNote([stableLogSoftmax, own], ['float32'])).toBeUndefined();
    // A built-in listed as an object is watched through a wrapper (src/supervise/heartbeat.ts): still a built-in.
    expect(runsIn(watchedPipeline(stableLogSoftmax), 'float16')).toBe(true);
    expect(runsIn(watchedPipeline(own), 'float16')).toBe(false);
    const withGeneric: Pipeline = { ...own, generic: GENERIC_LOSS['stable-log-softmax'] };
    expect(runsIn(withGeneric, 'bfloat16')).toBe(true);
    expect(pipelineLoss(withGeneric, row(filled(512, 0), 'bfloat16'), 0, 'bfloat16', 'bfloat16')).toBe(5.53125);
  });
});

describe('cases files and score in the half formats (SPEC 3 and 4)', () => {
  it('reads logits with parseFloat and rounds them directly to the format', () => {
    const [c] = parseCases('id,dtype,target,logits\na,float16,0,0.1 65519 -65519.99\n', 'x.csv');
    expect(Array.from(c.logits)).toEqual([formatOf('float16').round(0.1), 65504, -65504]);
    const [b] = parseCases('id,dtype,target,logits\nb,bfloat16,0,1.00390625 1.01171875\n', 'x.csv');
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: to even, 1; 1 + 3·2^-8 is a tie to 1 + 2^-6.
    expect(Array.from(b.logits)).toEqual([1, 1.015625]);
  });

  it('refuses a finite logit that rounds to infinity in its format: 70000 in float16 (line, field and value named)', () => {
    const bad = () => parseCases('id,dtype,target,logits\nok,float32,0,70000 1\nbig,float16,0,1 70000\n', 'cases.csv');
    expect(bad).toThrow(InputError);
    expect(bad).toThrow(/logit 2 is 70000, which is \+Infinity in float16/);
    try {
      bad();
    } catch (err) {
      expect((err as InputError).row).toBe(3);
      expect((err as InputError).field).toBe('logits');
    }
    expect(() => parseCases('id,dtype,target,logits\nm,float16,0,1 -70000\n', 'c.csv')).toThrow(/rounds to -Infinity in float16/);
    expect(parseCases('id,dtype,target,logits\nm,float16,0,1 -Infinity\n', 'c.csv')[0].logits[1]).toBe(-Infinity);
  });

  it('score of mpmath-t2/half-cases.csv: oracle_loss equals half-truth.csv (mpmath) on every row, each pipeline in both modes, compute trailing', () => {
    const dir = join(import.meta.dirname, '../../fixtures/mpmath-t2');
    const cases = parseCases(readFileSync(join(dir, 'half-cases.csv'), 'utf8'), 'half-cases.csv');
    const truth = new Map((parse(readFileSync(join(dir, 'half-truth.csv'), 'utf8'), { columns: true }) as { id: string; dtype: string; loss_rounded: string }[]).map((t) => [t.id, t]));
    const pipelines = [stableLogSoftmax, naiveSoftmax];
    const rows = scoreCases(cases, { pipelines }).map(scoredCsvRow);
    expect(rows.length).toBe(cases.length * pipelines.length * 2);
    const at = (c: string) => SCORE_COLUMNS.indexOf(c as (typeof SCORE_COLUMNS)[number]);
    let compared = 0;
    for (const r of rows) {
      const t = truth.get(r[at('id')])!;
      expect(r[at('dtype')]).toBe(t.dtype);
      expect(formatOf(t.dtype as Dtype).round(Number(r[at('oracle_loss')])), r[at('id')]).toBe(Number(t.loss_rounded));
      expect(computeModes(t.dtype as Dtype)).toContain(r[at('compute')]);
      compared++;
    }
    expect(compared).toBe(rows.length);
    expect(new Set(cases.map((c) => c.dtype))).toEqual(new Set(['float16', 'bfloat16']));
  });
});

describe('fuzz seeds and replay in the half formats', () => {
  it('a unit seed names its dtype (all four) and family in its low 6 bits', () => {
    for (const dtype of DTYPES) for (const family of FAMILIES) expect(unitOfSeed(unitSeed(20261130, dtype, family))).toEqual({ dtype, family });
  });

  it('--replay runs the row in its compute (default the dtype itself) and refuses a compute that is no mode of the dtype', () => {
    const suite = checkSuite({ name: 'r', seed: 3, pipelines: ['naive-softmax'], dtypes: ['float16'] }, '/virtual/r.suite.ts');
    const token = `${unitSeed(3, 'float16', 'offset')}:0`;
    const pure = replay(suite, { token, pipeline: 'naive-softmax', dtype: 'float16' });
    const widened = replay(suite, { token, pipeline: 'naive-softmax', dtype: 'float16', compute: 'float32' });
    expect(pure.compute).toBe('float16');
    expect(widened.compute).toBe('float32');
    expect(formatReplay(widened)).toContain('\ncompute: float32\n');
    expect(widened.loss).toBe(pipelineLoss(naiveSoftmax, widened.case.logits, widened.case.target, 'float16', 'float32'));
    expect(() => replay(suite, { token, pipeline: 'naive-softmax', dtype: 'float16', compute: 'float64' })).toThrow(/field --compute: compute "float64" is not a mode of float16/);
  });
});

