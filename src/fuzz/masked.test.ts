import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyDtype } from '../float/dtype.js';
import { ANY_DTYPES, formatOf } from '../float/dtype.js';
import { maskValue } from '../float/mask.js';
import { maskedFamily, maskValues } from './masked.js';
import type { FuzzCase } from './row.js';
import { parseCases } from '../cases/read.js';
import { oracleLoss } from '../oracle/loss.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import { classify } from '../score/outcome.js';
import { pipelineLoss } from '../score/score.js';
import { checkSuite } from '../suite/load.js';
import { generateCases } from './cases.js';
import { formatReplay, replay } from './replay.js';
import { unitSeed } from './seed.js';

describe('the masked family', () => {
  it('a finite mask beyond the format is its lowest value: −1e9 is −65504 in float16 and stays finite in bfloat16', () => {
    expect(maskValue(-1e9, 'float16')).toBe(-65504);
    expect(maskValue(-1e4, 'float16')).toBe(-10000);
    expect(maskValue(-Infinity, 'float16')).toBe(-Infinity);
    expect(Number.isFinite(maskValue(-1e9, 'bfloat16'))).toBe(true);
    expect(maskValue(-1e39, 'float32')).toBe(-formatOf('float32').max);
    expect(maskValue('lowest', 'bfloat16')).toBe(-formatOf('bfloat16').max);
  });

  it('masks with −Infinity, −1e9, −1e4 and the lowest value; a mask the format cannot hold becomes the lowest value', () => {
    expect(maskValues('float64')).toEqual([-Infinity, -1e9, -1e4, -Number.MAX_VALUE]);
    expect(maskValues('float32')).toEqual([-Infinity, -1e9, -1e4, -formatOf('float32').max]);
    expect(maskValues('float16')).toEqual([-Infinity, -65504, -10000, -65504]);
    expect(maskValues('bfloat16')).toEqual([-Infinity, formatOf('bfloat16').round(-1e9), formatOf('bfloat16').round(-1e4), -formatOf('bfloat16').max]);
  });

  it.each<AnyDtype>([...ANY_DTYPES])('%s: values of the dtype, one class unmasked at least, every mask and masked targets all seen', (dtype) => {
    const fmt = formatOf(dtype);
    const masks = maskValues(dtype);
    const cases = fc.sample(maskedFamily(dtype), { seed: 14, numRuns: 600 });
    const seen = new Set<number>();
    let maskedTargets = 0;
    for (const c of cases) {
      expect(c.logits.length).toBeGreaterThanOrEqual(2);
      expect(c.target).toBeLessThan(c.logits.length);
      let unmasked = 0;
      for (const v of c.logits) {
        expect(Object.is(fmt.round(v), v)).toBe(true);
        expect(v).not.toBe(Infinity);
        expect(Number.isNaN(v)).toBe(false);
        if (masks.includes(v)) seen.add(v);
        else unmasked++;
      }
      expect(unmasked).toBeGreaterThanOrEqual(1);
      expect(unmasked).toBeLessThan(c.logits.length);
      if (masks.includes(c.logits[c.target])) maskedTargets++;
    }
    expect([...seen].sort()).toEqual([...new Set(masks)].sort());
    expect(maskedTargets).toBeGreaterThan(100);
    expect(maskedTargets).toBeLessThan(400);
  });

  it.each<AnyDtype>([...ANY_DTYPES])('%s: shrinking keeps the structure: a row that always fails shrinks to [x, −Infinity], target the unmasked class', (dtype) => {
    const masks = maskValues(dtype);
    const out = fc.check(
      fc.property(maskedFamily(dtype), () => false),
      { seed: 3, numRuns: 1 },
    );
    const c = out.counterexample![0] as FuzzCase;
    expect(Array.from(c.logits)).toEqual([formatOf(dtype).round(-30), -Infinity]);
    expect(c.target).toBe(0);
    // A failure that needs a finite mask at the target keeps it: the smallest row whose target is masked at −1e4 (or the format's lowest value).
    const kept = fc.check(
      fc.property(maskedFamily(dtype), (r) => !(r.logits[r.target] === masks[2])),
      { seed: 4, numRuns: 2000 },
    );
    expect(kept.failed).toBe(true);
    const k = kept.counterexample![0] as FuzzCase;
    expect(k.logits.length).toBe(2);
    expect(k.logits[k.target]).toBe(masks[2]);
    expect(k.logits.filter((v) => !masks.includes(v))).toHaveLength(1);
  });

  it('is a function of the seed: the same seed gives the same rows', () => {
    const a = fc.sample(maskedFamily('float32'), { seed: 7, numRuns: 50 });
    const b = fc.sample(maskedFamily('float32'), { seed: 7, numRuns: 50 });
    expect(a.map((c) => [Array.from(c.logits), c.target])).toEqual(b.map((c) => [Array.from(c.logits), c.target]));
  });
});

describe('a masked failure in float16 replays, and its case row reads back for score', () => {
  it.each(['float16', 'float32'] as const)('the first failure of naive-softmax in float16 (unit seed of 7, float16, masked), compute %s', (compute) => {
    const suite = checkSuite({ name: 'm', seed: 7, pipelines: ['naive-softmax'], dtypes: ['float16'] }, '/virtual/m.suite.ts');
    const seed = unitSeed(7, 'float16', 'masked');
    const cases = generateCases('masked', 'float16', seed, 200);
    const naive = BUILTIN_PIPELINES.find((p) => p.name === 'naive-softmax')!;
    const i = cases.findIndex((c) => classify(pipelineLoss(naive, c.logits, c.target, 'float16', compute), oracleLoss(c.logits, c.target, 'float16').rounded, 'float16').outcome !== 'ok');
    expect(i).toBeGreaterThanOrEqual(0);
    const r = replay(suite, { token: `${seed}:${i}`, pipeline: 'naive-softmax', dtype: 'float16', compute });
    expect(r.family).toBe('masked');
    expect(Array.from(r.case.logits)).toEqual(Array.from(cases[i].logits));
    expect(r.outcome).not.toBe('ok');
    const row = formatReplay(r).split('\n').find((l) => l.startsWith('case: '))!.slice(6);
    const [read] = parseCases(`id,dtype,target,logits\n${row}\n`, 'replay.csv');
    expect(Array.from(read.logits)).toEqual(Array.from(cases[i].logits));
    expect(read.target).toBe(cases[i].target);
  });

  it('a masked target at −Infinity: the oracle says Infinity and a pipeline that says so is ok', () => {
    const row = Float64Array.of(-Infinity, 1.5, -65504);
    expect(oracleLoss(row, 0, 'float16').rounded).toBe(Infinity);
    const stable = BUILTIN_PIPELINES.find((p) => p.name === 'stable-log-softmax')!;
    const loss = pipelineLoss(stable, row, 0, 'float16', 'float16');
    expect(loss).toBe(Infinity);
    expect(classify(loss, Infinity, 'float16').outcome).toBe('ok');
  });
});
