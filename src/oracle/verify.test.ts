/**
 * The tier comparison of scripts/verify-oracle.ts at a small size: no difference
 * on any adversarial source or family in any format, the exact midpoints left to
 * decimal.js, and the script's table the same bytes on a second run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DTYPES } from '../float/dtype.js';
import { ADVERSARIAL, verifyChunk } from './verify.js';

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

  it('the script: 0 differences at a small size, the same table twice, exit 2 on a bad flag', () => {
    const run = () => execFileSync('npx', ['tsx', 'scripts/verify-oracle.ts', '--cases', '160', '--vocab', '0', '--workers', '1', '--chunk', '20'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const first = run();
    expect(first).toMatch(/\n\d+ cases \(seed 17\), each with both tiers for the loss and the gradient: 0 differences;/);
    expect(first).toContain('| midpoint-loss | float16 | loss |');
    expect(first).toContain('| masked | bfloat16 | grad |');
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
});
