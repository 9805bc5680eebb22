import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, tempDir } from '../testing/cli.js';

const SUITE = 'src/gate/fixtures/candidate-good.suite.ts';

function digest(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

describe('run', () => {
  it('writes every report and summary.md with its pictures, naming seed, suite, commit and machine', () => {
    const out = join(tempDir(), 'run');
    const r = runCli(['run', '--suite', SUITE, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(out);
    for (const f of ['fuzz.csv', 'failures.csv', 'regions.csv', 'boundaries.csv', 'bench.csv', 'summary.md', 'accuracy-vs-speed.svg', 'map-float64.svg', 'bench.svg']) {
      expect(files).toContain(f);
    }
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toMatch(/Seed 11, commit [0-9a-f]{7,}/);
    for (const section of ['## Accuracy', '## Which pipeline to pick', '## Region maps', '## Throughput']) expect(summary).toContain(section);
    for (const svg of summary.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)) expect(files).toContain(svg[1]);
    expect(readdirSync(join(out, '..'))).toEqual(['run']);
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('merging --shard 1/2 and --shard 2/2 gives the files of one unsharded run', () => {
    const root = tempDir();
    const whole = join(root, 'whole');
    expect(runCli(['run', '--suite', SUITE, '--out', whole]).status).toBe(0);
    for (const s of ['1/2', '2/2']) {
      const r = runCli(['run', '--suite', SUITE, '--shard', s, '--out', join(root, `shard-${s[0]}`)]);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(existsSync(join(root, 'shard-2', 'bench.csv'))).toBe(false);
    const merged = join(root, 'merged');
    const m = runCli(['merge', join(root, 'shard-1'), join(root, 'shard-2'), '--out', merged]);
    expect(m.status, m.stderr).toBe(0);
    const a = digest(whole);
    const b = digest(merged);
    for (const f of ['fuzz.csv', 'failures.csv', 'regions.csv', 'boundaries.csv']) expect(b[f], f).toBe(a[f]);
    expect(readFileSync(join(merged, 'summary.md'), 'utf8')).toContain('## Region maps');
  });

  it('an interrupted run (SIGINT) leaves the previous reports whole', async () => {
    const out = join(tempDir(), 'run');
    expect(runCli(['run', '--suite', SUITE, '--out', out]).status).toBe(0);
    const before = digest(out);
    const child = spawn(process.execPath, [CLI, 'run', '--suite', SUITE, '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const status = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // Interrupt once the run is inside a phase, after the fuzz campaign has started.
        if (stderr.includes('[1/3 fuzz]') && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (code) => resolve(code));
    });
    expect(status).toBe(130);
    expect(stderr).toContain('keeps the previous reports');
    expect(digest(out)).toEqual(before);
    // digest lists hidden files too: no staging folder or lock is left behind.
    expect(readdirSync(join(out, '..'))).toEqual(['run']);
  });
});
