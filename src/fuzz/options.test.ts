/**
 * The option families of the fuzz campaign (src/fuzz/options.ts): each draws what
 * its name says, deterministically in its seed, and a pipeline that throws under
 * options ends the run with a message naming it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, isFullyMasked } from '../cases/options.js';
import type { Pipeline } from '../pipelines/types.js';
import { findPipeline } from '../pipelines/registry.js';
import { loadSuite } from '../suite/load.js';
import { fuzzesOptions, isOptionFamily, optionBatches, optionFamilyName, optionStats } from './options.js';

const base = { ...DEFAULT_OPTIONS, reduction: 'mean' as const };

describe('the option families', () => {
  it('opt-weights: class weights of the dtype, some 0; opt-smoothing: ε from 1e−4 to 0.5', () => {
    const w = optionBatches('opt-weights', 'float32', base, 1, 40).flatMap((b) => b.options.weight!);
    expect(w.some((v) => v === 0)).toBe(true);
    expect(w.every((v) => v === Math.fround(v) && v >= 0 && v <= 8)).toBe(true);
    const eps = optionBatches('opt-smoothing', 'float64', base, 2, 40).map((b) => b.options.labelSmoothing);
    expect(Math.min(...eps)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...eps)).toBeLessThanOrEqual(0.5);
    expect(Math.min(...eps)).toBeLessThan(1e-3);
  });
  it('opt-ignore: ignored rows, and batches whose every row is ignored; opt-masked-rows: fully masked rows', () => {
    const ignore = optionBatches('opt-ignore', 'float64', base, 3, 40);
    expect(ignore.some((b) => b.rows.every((r) => r.target === b.options.ignoreIndex))).toBe(true);
    expect(ignore.some((b) => b.rows.some((r) => r.target !== b.options.ignoreIndex))).toBe(true);
    const masked = optionBatches('opt-masked-rows', 'float16', base, 4, 40).flatMap((b) => b.rows);
    expect(masked.some((r) => isFullyMasked(r.logits))).toBe(true);
    expect(masked.some((r) => !isFullyMasked(r.logits) && Array.from(r.logits).includes(-Infinity))).toBe(true);
  });
  it('opt-soft: one-hot, near one-hot, uniform and sparse targets, values of the dtype', () => {
    const soft = optionBatches('opt-soft', 'float32', base, 5, 60).flatMap((b) => b.rows.map((r) => Array.from(r.soft!)));
    expect(soft.every((q) => q.every((v) => v >= 0 && v === Math.fround(v)))).toBe(true);
    expect(soft.some((q) => q.filter((v) => v === 1).length === 1 && q.filter((v) => v === 0).length === q.length - 1)).toBe(true); // one-hot
    expect(soft.some((q) => Math.max(...q) > 0.9 && Math.max(...q) < 1 && q.every((v) => v > 0))).toBe(true); // near one-hot
    expect(soft.some((q) => q.every((v) => v === q[0]) && q[0] > 0 && q[0] < 1)).toBe(true); // uniform
    expect(soft.some((q) => q.some((v) => v === 0) && q.filter((v) => v > 0).length >= 2)).toBe(true); // sparse
  });
  it('same seed, same batches; another seed, other batches', () => {
    const a = JSON.stringify(optionBatches('opt-soft', 'float64', base, 7).map((b) => b.rows.map((r) => [Array.from(r.logits), Array.from(r.soft!)])));
    expect(JSON.stringify(optionBatches('opt-soft', 'float64', base, 7).map((b) => b.rows.map((r) => [Array.from(r.logits), Array.from(r.soft!)])))).toBe(a);
    expect(JSON.stringify(optionBatches('opt-soft', 'float64', base, 8).map((b) => b.rows.map((r) => [Array.from(r.logits), Array.from(r.soft!)])))).not.toBe(a);
  });
  it('family names: #i for a list of settings, @mean/@sum for the batch values; options are opt-in', async () => {
    expect(optionFamilyName('opt-ignore', 2, 'sum')).toBe('opt-ignore#2@sum');
    expect(optionFamilyName('opt-weights', undefined)).toBe('opt-weights');
    for (const f of ['opt-ignore#2@sum', 'opt-weights', 'opt-soft@mean']) expect(isOptionFamily(f), f).toBe(true);
    for (const f of ['masked', 'moderate', 'opt-other']) expect(isOptionFamily(f), f).toBe(false);
    expect(fuzzesOptions(await loadSuite('ci'))).toBe(false);
    expect(fuzzesOptions(await loadSuite('default'))).toBe(false);
    expect(fuzzesOptions(await loadSuite('options'))).toBe(true);
  });
  it('a pipeline that throws under options: an InputError naming the pipeline, the family and the setting', async () => {
    const suite = await loadSuite('options');
    const stable = findPipeline('stable-log-softmax')!;
    const throws: Pipeline = Object.assign(Object.create(stable) as Pipeline, { name: 'throws', float64: () => { throw new Error('boom'); } });
    const small = { ...suite, pipelines: [throws], dtypes: ['float64' as const], fuzz: { ...suite.fuzz, quantities: ['loss' as const] }, options: suite.options.slice(0, 1) };
    expect(() => optionStats(small)).toThrow(/pipeline throws threw on batch 0 of opt-weights float64 under options setting 0: .*boom; fix the pipeline or remove it from the suite/);
  });
});
