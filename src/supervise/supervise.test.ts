/**
 * Nothing hangs, and exit statuses stay meaningful (issue 10 items 2 and 8): a
 * user pipeline that never returns, calls process.exit or throws after
 * returning, in every phase, inline and in the worker pools.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli, tempDir, waitForFile } from '../testing/cli.js';

const HANG = 'src/supervise/fixtures/hang.suite.ts';
const RUDE = 'src/supervise/fixtures/exit.suite.ts';

/** An output folder holding reports of an earlier run; returns a snapshot of its bytes. */
function previousReports(dir: string): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'fuzz.csv'), 'pipeline,dtype\nold,float64\n');
  writeFileSync(join(dir, 'summary.md'), '# the previous run\n');
  writeFileSync(join(dir, 'bench.csv'), 'pipeline\nold\n');
  return snapshot(dir);
}

function snapshot(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** The lines the harness itself printed about the failure (phase logs excluded). */
function verdicts(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('softmax-stability:'));
}

const commands = ['run', 'fuzz', 'map', 'bench'] as const;
const phaseOf = { run: 'fuzz', fuzz: 'fuzz', map: 'map', bench: 'bench' } as const;

describe('a pipeline that never returns', () => {
  for (const command of commands) {
    it(`${command}: the watchdog ends the run with exit 2, naming the phase and the pipeline; previous reports untouched`, async () => {
      const out = join(tempDir(), 'out');
      const before = previousReports(out);
      const started = performance.now();
      const r = await spawnCli([command, '--suite', HANG, '--out', out], { env: { HANG_WHERE: 'always', HANG_STALL: '2' } }).exited;
      const seconds = (performance.now() - started) / 1000;
      expect(r.status, r.stderr).toBe(2);
      const lines = verdicts(r.stderr);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/no progress for 2 s/);
      expect(lines[0]).toContain(`${phaseOf[command]} phase`);
      expect(lines[0]).toContain('pipeline "forever"');
      expect(lines[0]).toContain('watchdog.stallSeconds');
      expect(seconds).toBeLessThan(40);
      expect(snapshot(out)).toEqual(before);
    });
  }

  for (const command of ['fuzz', 'bench'] as const) {
    it(`${command}: a pipeline hanging inside a pool worker is caught too`, async () => {
      const out = join(tempDir(), 'out');
      const r = await spawnCli([command, '--suite', HANG, '--out', out], { env: { HANG_WHERE: 'pool', HANG_STALL: '2' } }).exited;
      expect(r.status, r.stderr).toBe(2);
      const lines = verdicts(r.stderr);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain('pipeline "forever"');
      expect(lines[0]).toContain(`${phaseOf[command]} phase`);
    });
  }

  for (const command of commands) {
    it(`${command}: SIGINT during the busy loop ends the process within 1 s, previous reports byte-identical`, async () => {
      const dir = tempDir();
      const out = join(dir, 'out');
      const mark = join(dir, 'looping');
      const before = previousReports(out);
      const running = spawnCli([command, '--suite', HANG, '--out', out], { env: { HANG_WHERE: 'always', HANG_STALL: '600', HANG_MARK: mark } });
      await waitForFile(mark);
      const sent = performance.now();
      running.child.kill('SIGINT');
      const r = await running.exited;
      const ms = r.at - sent;
      expect(r.status, r.stderr).toBe(130);
      expect(ms, `ended ${ms.toFixed(0)} ms after SIGINT`).toBeLessThan(1000);
      expect(verdicts(r.stderr).join('\n')).toMatch(/interrupted \(SIGINT\)/);
      expect(snapshot(out)).toEqual(before);
      // No staging folder is left beside the output folder.
      expect(readdirSync(dir).sort()).toEqual(['looping', 'out']);
    });
  }

  it('run: SIGTERM ends it as promptly, with status 143', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const mark = join(dir, 'looping');
    const before = previousReports(out);
    const running = spawnCli(['run', '--suite', HANG, '--out', out], { env: { HANG_STALL: '600', HANG_MARK: mark } });
    await waitForFile(mark);
    const sent = performance.now();
    running.child.kill('SIGTERM');
    const r = await running.exited;
    expect(r.status, r.stderr).toBe(143);
    expect(r.at - sent).toBeLessThan(1000);
    expect(snapshot(out)).toEqual(before);
  });
});

describe('exit statuses of user code', () => {
  for (const command of commands) {
    it(`${command}: a pipeline calling process.exit(7) ends the run with exit 2 naming it`, async () => {
      const out = join(tempDir(), 'out');
      const before = previousReports(out);
      const r = await spawnCli([command, '--suite', RUDE, '--out', out], { env: { USER_FAULT: 'exit' } }).exited;
      expect(r.status, r.stderr).toBe(2);
      const lines = verdicts(r.stderr);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain('pipeline "rude"');
      expect(lines[0]).toContain('process.exit(7)');
      expect(snapshot(out)).toEqual(before);
    });
  }

  it('fuzz: an error a pipeline throws after returning ends the run with exit 2 naming it, not 1', async () => {
    const out = join(tempDir(), 'out');
    const r = await spawnCli(['fuzz', '--suite', RUDE, '--out', out], { env: { USER_FAULT: 'late-throw' } }).exited;
    expect(r.status, r.stderr).toBe(2);
    const lines = verdicts(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain('pipeline "rude"');
    expect(lines[0]).toContain('late failure from the pipeline');
  });
});
