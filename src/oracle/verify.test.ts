/**
 * The tier comparison of scripts/verify-oracle.ts at a small size: no difference
 * on any adversarial source or family in any format, the exact midpoints left to
 * decimal.js, and the script's table the same bytes on a second run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DTYPES, formatOf } from '../float/dtype.js';
import { OPTION_FAMILIES } from '../fuzz/options.js';
import { ADVERSARIAL, MIX, OPTION_SETTINGS, optionExtremes, shardOf, Tally, verifyChunk, verifyTasks } from './verify.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('verify-oracle', () => {
  it('finds no difference between the tiers on the adversarial sources, and the constructed loss midpoints go to decimal.js', () => {
    for (const source of ADVERSARIAL) {
      for (const dtype of DTYPES) {
        const r = verifyChunk({ source, dtype, seed: 3, count: 40 });
        expect(r.cases).toBe(40);
        expect(r.examples).toEqual([]);
        expect(r.lossDifferences + r.gradDifferences).toBe(0);
        // δ = ulp(a)/2 exactly in about a seventh of the rows: a midpoint plus a tail no bound can resolve.
        if (source === 'midpoint-loss') expect(r.lossFallback).toBeGreaterThan(0);
      }
    }
  });

  it('counts a NaN component as undecided only in a row with undecided components: elsewhere a NaN is an answer, compared bit for bit', () => {
    const where = () => 'row';
    // A row the fast tier decided whole (0 undecided) is used as it is: a NaN there, against a number, is a difference.
    const decided = new Tally();
    decided.grad([NaN, 0.25], [-0.75, 0.25], 0, where, '');
    expect(decided.result()).toMatchObject({ gradDifferences: 1, gradRowFallback: 0, gradComponentFallback: 0 });
    expect(decided.result().examples[0]).toContain('class 0: gradient fast NaN, decimal.js -0.75');
    // One component left to decimal.js: its NaN is skipped, the other components are still compared.
    const one = new Tally();
    one.grad([NaN, 0.5], [-0.75, 0.25], 1, where, '');
    expect(one.result()).toMatchObject({ gradDifferences: 1, gradRowFallback: 1, gradComponentFallback: 1 });
    // No more NaNs skipped than the fast tier says it left undecided.
    const more = new Tally();
    more.grad([NaN, NaN], [-0.75, 0.75], 1, where, '');
    expect(more.result().gradDifferences).toBe(1);
    // NaN is the answer where both tiers say so (a row under maskedRows 'nan'); −0 and +0 differ.
    const same = new Tally();
    same.grad([NaN, -0], [NaN, 0], 0, where, '');
    expect(same.result().gradDifferences).toBe(1);
    // Losses and batch values: undefined is a fallback; a second loss of the row (with the gradient) is not counted again.
    const t = new Tally();
    t.loss(undefined, 1, where, 'loss');
    t.loss(2, 1, where, 'loss (with the gradient)', false);
    t.batch(undefined, 3, where, 'sum');
    t.batch(-0, 0, where, 'mean');
    expect(t.result()).toMatchObject({ lossFallback: 1, lossDifferences: 1, batchValues: 2, batchFallback: 1, batchDifferences: 1 });
  });

  it('finds no difference between the tiers on the option families (l_n, gradients, sum and mean), in every format and setting', () => {
    for (const source of OPTION_FAMILIES) {
      for (const dtype of DTYPES) {
        // Seeds 0..3: each of the four OPTION_SETTINGS once.
        for (let seed = 0; seed < OPTION_SETTINGS.length; seed++) {
          const r = verifyChunk({ source, dtype, seed, count: 3 });
          expect(r.examples).toEqual([]);
          expect(r.lossDifferences + r.gradDifferences + r.batchDifferences).toBe(0);
          expect(r.cases).toBeGreaterThanOrEqual(3);
          expect(r.batchValues).toBe(OPTION_SETTINGS[seed].reduction === 'none' ? 0 : 6);
        }
      }
    }
  }, 120_000);

  it('option-extremes draws what the option families do not (ε = 1 and below 2^−900, weights at the ends of the format, sums that overflow it, 1,024 classes), and both tiers agree on it', () => {
    for (const dtype of DTYPES) {
      const fmt = formatOf(dtype);
      const batches = fc.sample(optionExtremes(dtype), { seed: 3, numRuns: 300 });
      const eps = batches.map((b) => b.options.labelSmoothing);
      expect(eps).toContain(1);
      expect(eps.some((e) => e > 0 && e < 2 ** -900)).toBe(true);
      const weights = batches.flatMap((b) => b.options.weight ?? []);
      for (const w of [fmt.minSubnormal, fmt.max, 0]) expect(weights).toContain(w);
      expect(batches.some((b) => b.rows.length === 40)).toBe(true);
      expect(batches.some((b) => b.rows[0].logits.length === 1024)).toBe(true);
      expect(batches.some((b) => b.rows.some((r) => r.soft !== undefined))).toBe(true);
      expect(batches.some((b) => b.rows.some((r) => Array.from(r.logits).every((x) => x === -Infinity)))).toBe(true);
      const r = verifyChunk({ source: 'option-extremes', dtype, seed: 11, count: 4 });
      expect(r.examples).toEqual([]);
      expect(r.lossDifferences + r.gradDifferences + r.batchDifferences).toBe(0);
    }
  }, 300_000);

  it('the script: 0 differences at a small size, the same table twice, exit 2 on a bad flag', () => {
    const run = () => execFileSync('npx', ['tsx', 'scripts/verify-oracle.ts', '--cases', '160', '--vocab', '0', '--workers', '1', '--chunk', '20'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const first = run();
    expect(first).toMatch(/\n\d+ cases \(seed 17\), each with both tiers for the loss and the gradient: 0 differences;/);
    expect(first).toContain('| midpoint-loss | float16 | loss |');
    expect(first).toContain('| masked | bfloat16 | grad |');
    expect(first).toContain('| opt-weights | float32 | batch (sum, mean) |');
    expect(run()).toBe(first);
    let status = 0;
    try {
      execFileSync('npx', ['tsx', 'scripts/verify-oracle.ts', '--cases', 'many'], { cwd: ROOT, stdio: 'pipe' });
    } catch (err) {
      status = (err as { status: number }).status;
    }
    expect(status).toBe(2);
    // An unknown flag: one line and exit 2, not parseArgs' stack trace and exit 1 (found in review).
    const unknown = spawnSync('npx', ['tsx', 'scripts/verify-oracle.ts', '--bogus', '3'], { cwd: ROOT, encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toBe("verify-oracle: Unknown option '--bogus'; see --help");
  }, 240_000);

  it('shards partition the task list, whatever their count, and the mix covers every source and dtype', () => {
    // 100%, and option-extremes' 0.02% on top.
    expect(MIX.reduce((a, m) => a + m.share, 0)).toBeCloseTo(1.0002, 12);
    const tasks = verifyTasks(10_000, 17, 50, 2);
    expect(verifyTasks(10_000, 17, 50, 2)).toEqual(tasks);
    expect(new Set(tasks.map((t) => t.key)).size).toBe((MIX.length + 1) * DTYPES.length);
    for (const n of [1, 3, 7, tasks.length + 5]) {
      const seen = Array.from({ length: n }, (_, i) => shardOf(tasks.length, i + 1, n)).flat();
      expect(seen.sort((a, b) => a - b)).toEqual(tasks.map((_, i) => i));
    }
    // A different seed: other cases.
    expect(verifyTasks(10_000, 18, 50, 2).map((t) => t.seed)).not.toEqual(tasks.map((t) => t.seed));
  });

  it('three shards merged print the unsharded table byte for byte; shards of other oracle code or flags are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-shards-'));
    try {
      const flags = ['--cases', '120', '--vocab', '0', '--workers', '1', '--chunk', '4'];
      const script = (args: string[]) => spawnSync('npx', ['tsx', 'scripts/verify-oracle.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
      const whole = script(flags);
      expect(whole.status).toBe(0);
      for (const i of [3, 1]) expect(script([...flags, '--shard', `${i}/3`, '--out', dir]).status).toBe(0);
      // Two of three: a partial table, and stderr names the missing shard.
      const partial = script(['--merge', dir]);
      expect(partial.stderr).toMatch(/2 of 3 shards .*missing 1 shards, up to \d+ cases: 2\n/);
      expect(partial.stdout).not.toBe(whole.stdout);
      expect(partial.stdout).toMatch(/\nPARTIAL: 2 of 3 shards merged; 1 shards \(up to \d+ cases\) not yet run\n$/);
      expect(script([...flags, '--shard', '2/3', '--out', dir]).status).toBe(0);
      const merged = script(['--merge', dir]);
      expect(merged.status).toBe(0);
      expect(merged.stdout).toBe(whole.stdout);
      expect(merged.stderr).toMatch(/3 of 3 shards/);
      const file = join(dir, 'shard-2-of-3.json');
      const record = JSON.parse(readFileSync(file, 'utf8'));
      expect(readdirSync(dir).sort()).toEqual(['shard-1-of-3.json', 'shard-2-of-3.json', 'shard-3-of-3.json']);
      expect(record.oracle).toMatch(/^[0-9a-f]{40}/);
      writeFileSync(file, JSON.stringify({ ...record, oracle: `${'0'.repeat(40)}` }));
      const other = script(['--merge', dir]);
      expect(other.status).toBe(2);
      expect(other.stdout).toBe('');
      expect(other.stderr.trim()).toMatch(/^verify-oracle: .*shard-2-of-3\.json: field oracle 0{40} differs from shard-1-of-3\.json's .*; shards of different oracle code are not merged$/);
      writeFileSync(file, JSON.stringify({ ...record, flags: { ...record.flags, seed: 18 } }));
      expect(script(['--merge', dir]).stderr).toMatch(/field flags .* differ/);
      writeFileSync(file, JSON.stringify({ ...record, flags: { ...record.flags, mix: 'mix-2' } }));
      expect(script(['--merge', dir]).stderr).toMatch(/shard-2-of-3\.json: field flags\.mix is "mix-2", this code's case mix is mix-4; merge it with the code that wrote it/);
      // The runtime: shards that both record one merge only when it is equal; one without it (older shards) merges.
      expect(record.runtime).toMatchObject({ dist: expect.stringMatching(/^[0-9a-f]{16}$/), node: process.version });
      expect(Object.keys(record.runtime.libraries)).toEqual(['decimal.js', 'fast-check', '@petamoriken/float16']);
      writeFileSync(file, JSON.stringify({ ...record, runtime: { ...record.runtime, node: 'v0.0.0' } }));
      expect(script(['--merge', dir]).stderr).toMatch(/shard-2-of-3\.json: field runtime .*"v0\.0\.0".* differs from shard-1-of-3\.json's .*; shards of different built code, libraries or Node are not merged/);
      const { runtime: _, ...withoutRuntime } = record;
      writeFileSync(file, JSON.stringify(withoutRuntime));
      expect(script(['--merge', dir]).stdout).toBe(whole.stdout);
      writeFileSync(file, '{"format"');
      expect(script(['--merge', dir]).stderr).toMatch(/shard-2-of-3\.json: not JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('a shard refuses to start when a built oracle file is older than its source (the workers would run stale code)', () => {
    const built = join(ROOT, 'dist/src/oracle/tier.js');
    const { atime, mtime } = statSync(built);
    const dir = mkdtempSync(join(tmpdir(), 'verify-stale-'));
    try {
      utimesSync(built, new Date(0), new Date(0));
      const r = spawnSync('npx', ['tsx', 'scripts/verify-oracle.ts', '--cases', '120', '--vocab', '0', '--workers', '1', '--shard', '1/3', '--out', dir], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toMatch(/^verify-oracle: .*dist\/src\/oracle\/tier\.js is older than .*src\/oracle\/tier\.ts: the workers would run stale code; run npm run build first$/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      utimesSync(built, atime, mtime);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
