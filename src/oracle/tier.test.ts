/**
 * SOFTMAX_STABILITY_ORACLE (tier.ts): a campaign run on decimal.js alone writes the
 * same files, byte for byte, as one run on the fast tier (the fast tier changes the
 * time, never an answer); a bad value is one line and exit 2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../testing/cli.js';

const fuzzBoth = (args: readonly string[]) => {
  const dir = tempDir('tiers-');
  const run = (tier: string) => {
    const r = runCli(['fuzz', ...args, '--out', join(dir, tier)], { env: { SOFTMAX_STABILITY_ORACLE: tier } });
    expect(r.status, r.stderr).toBe(0);
    return { stderr: r.stderr, fuzz: readFileSync(join(dir, tier, 'fuzz.csv')), failures: readFileSync(join(dir, tier, 'failures.csv')) };
  };
  return { fast: run('fast'), decimal: run('decimal') };
};

describe('SOFTMAX_STABILITY_ORACLE', () => {
  it('fuzz of the ci suite: the same fuzz.csv and failures.csv with decimal.js alone, which took every row', () => {
    const { fast, decimal } = fuzzBoth(['--suite', 'ci', '--runs', '12']);
    expect(decimal.fuzz.equals(fast.fuzz)).toBe(true);
    expect(decimal.failures.equals(fast.failures)).toBe(true);
    // Every row went to decimal.js: "ordinal N/N" for each family, and some row did not in the fast run.
    const share = (s: string) => [...s.matchAll(/ (\w+) (\d+)\/(\d+)/g)].filter(([, f]) => f !== 'logits');
    const left = share(decimal.stderr.split('\n').find((l) => l.includes('rows left to decimal.js'))!);
    expect(left.length).toBeGreaterThan(5);
    for (const [, , k, n] of left) expect(k).toBe(n);
    expect(decimal.stderr).toContain('(SOFTMAX_STABILITY_ORACLE=decimal: the fast tier is off, every row is decimal.js\'s)');
    expect(fast.stderr).not.toContain('the fast tier is off');
    expect(share(fast.stderr.split('\n').find((l) => l.includes('rows left to decimal.js'))!).some(([, , k, n]) => k !== n)).toBe(true);
  }, 300_000);

  it('fuzz of the options suite (l_n, sums, means and gradients under options): the same files with decimal.js alone', () => {
    const { fast, decimal } = fuzzBoth(['--suite', 'options', '--runs', '6']);
    expect(decimal.fuzz.equals(fast.fuzz)).toBe(true);
    expect(decimal.failures.equals(fast.failures)).toBe(true);
    expect(fast.fuzz.toString()).toContain('opt-weights');
  }, 300_000);

  it('a value other than fast or decimal: one line naming the variable, exit 2, nothing written', () => {
    const dir = tempDir('tiers-bad-');
    const r = runCli(['fuzz', '--suite', 'ci', '--runs', '2', '--out', join(dir, 'out')], { env: { SOFTMAX_STABILITY_ORACLE: 'slow' } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['softmax-stability: environment variable SOFTMAX_STABILITY_ORACLE is "slow": set it to fast (the default: the fast tier, decimal.js where it cannot decide) or decimal (decimal.js alone, to compare a campaign\'s files or times with the fast tier\'s), or unset it']);
    expect(() => readFileSync(join(dir, 'out', 'fuzz.csv'))).toThrow();
  });
});
