/**
 * The output folder is the user's (issue 10 items 1, 7, 10, 11): reports are
 * published file by file into it, the folder itself and every other file stay
 * as they are, a killed run's leftovers are cleaned by the next run, two runs
 * into one folder are refused, and a bad destination is refused before any work.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { BENCH_COLUMNS } from '../report/columns.js';
import { toCsv } from '../report/csv.js';
import { describe, expect, it } from 'vitest';
import { OUTPUT_FILES, RUN_PARTS, outputFiles } from '../report/outputs.js';
import { CLI, ROOT, runCli, tempDir } from '../testing/cli.js';
import { LOCK_FILE } from '../util/lock.js';
import { STAGE_PREFIX } from '../util/publish.js';

const TINY = resolve(ROOT, 'src/run/fixtures/tiny.suite.ts');
const hidden = (dir: string) => readdirSync(dir).filter((f) => f.startsWith(STAGE_PREFIX) || f === LOCK_FILE);

function userFiles(dir: string): Record<string, string> {
  const files = { 'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>\n', 'notes.txt': 'my notes\n', 'notes.json': '{"mine":true}\n' };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return files;
}

describe('the output folder is the user\'s', () => {
  it('run --out . keeps the folder (mode 2700, inode) and the user\'s files, and writes every report of the table', () => {
    const dir = join(tempDir(), 'mine');
    mkdirSync(dir);
    chmodSync(dir, 0o2700);
    const ino = statSync(dir).ino;
    const mine = userFiles(dir);
    const r = runCli(['run', '--suite', TINY, '--out', '.'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(dir).mode & 0o7777).toBe(0o2700);
    expect(statSync(dir).ino).toBe(ino);
    for (const [f, text] of Object.entries(mine)) expect(readFileSync(join(dir, f), 'utf8')).toBe(text);
    const files = readdirSync(dir);
    for (const f of ['fuzz.csv', 'failures.csv', 'fuzz.json', 'regions.csv', 'boundaries.csv', 'map.json', 'map-float64.svg', 'bench.csv', 'summary.md']) expect(files).toContain(f);
    // Everything written is in the one table, and nothing of the harness's is left behind.
    for (const f of files) expect([...outputFiles(RUN_PARTS), ...Object.keys(mine)]).toContain(f);
    expect(hidden(dir)).toEqual([]);
  });

  it('a symlinked --out stays a symlink; the reports go into its target beside the target\'s other files', () => {
    const root = tempDir();
    const target = join(root, 'target');
    mkdirSync(target);
    const mine = userFiles(target);
    const link = join(root, 'link');
    symlinkSync(target, link);
    const r = runCli(['run', '--suite', TINY, '--out', link]);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(target)).toContain('fuzz.csv');
    for (const [f, text] of Object.entries(mine)) expect(readFileSync(join(target, f), 'utf8')).toBe(text);
    expect(readdirSync(root).sort()).toEqual(['link', 'target']);
  });

  it('a report of a part this run did not write is removed (map-float32.svg after a float64-only run); fuzz alone leaves the bench files alone and rewrites summary.md from the folder', () => {
    const dir = tempDir();
    for (const f of ['map-float32.svg', 'summary.md']) writeFileSync(join(dir, f), 'old\n');
    const benchCsv = toCsv(BENCH_COLUMNS, []); // an earlier bench's file (no rows): the summary reads it
    writeFileSync(join(dir, 'bench.csv'), benchCsv);
    const fuzz = runCli(['fuzz', '--suite', TINY, '--out', dir]);
    expect(fuzz.status, fuzz.stderr).toBe(0);
    expect(readFileSync(join(dir, 'map-float32.svg'), 'utf8')).toBe('old\n');
    expect(readFileSync(join(dir, 'bench.csv'), 'utf8')).toBe(benchCsv);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('## Accuracy');
    expect(readdirSync(dir)).toContain('fuzz.json');
    const map = runCli(['map', '--suite', TINY, '--out', dir]);
    expect(map.status, map.stderr).toBe(0);
    expect(existsSync(join(dir, 'map-float32.svg'))).toBe(false);
    expect(readFileSync(join(dir, 'bench.csv'), 'utf8')).toBe(benchCsv);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('## Accuracy');
    expect(hidden(dir)).toEqual([]);
  });

  it('a multi-file command publishes all its files or none: a folder in the way of failures.csv leaves the old fuzz.csv', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fuzz.csv'), 'old\n');
    mkdirSync(join(dir, 'failures.csv'));
    const r = runCli(['fuzz', '--suite', TINY, '--out', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toContain(`${join(dir, 'failures.csv')}: is a folder`);
    expect(readFileSync(join(dir, 'fuzz.csv'), 'utf8')).toBe('old\n');
    expect(hidden(dir)).toEqual([]);
  });

  it('a run killed by SIGKILL leaves a staging folder and a lock; the next run of the same command removes both and succeeds', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [CLI, 'run', '--suite', TINY, '--out', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((done) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('[2/3 map]') && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => done());
    });
    const left = hidden(dir);
    expect(left).toHaveLength(2);
    expect(left).toContain(LOCK_FILE);
    expect(left.filter((f) => f.startsWith(STAGE_PREFIX))).toHaveLength(1);
    const r = runCli(['run', '--suite', TINY, '--out', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(hidden(dir)).toEqual([]);
  });

  it('a second run into a folder held by a live run is refused: exit 2, one line naming the folder and the holder\'s pid, nothing written', () => {
    const dir = tempDir();
    // This test process is alive: its lock is held.
    writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify({ pid: process.pid, host: hostname(), command: 'run', started: '2026-01-01T00:00:00.000Z' })}\n`);
    for (const cmd of ['run', 'fuzz', 'map', 'bench']) {
      const r = runCli([cmd, '--suite', TINY, '--out', dir]);
      expect(r.status, cmd).toBe(2);
      expect(r.stderr.trim().split('\n'), cmd).toHaveLength(1);
      const last = r.stderr.trim();
      expect(last).toContain(dir);
      expect(last).toContain(`pid ${process.pid}`);
    }
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
  });

  it('two real runs into one folder: the second is refused while the first runs, and the first still publishes', async () => {
    const dir = tempDir();
    // The first run benches a 65536 x 1000 batch (tens of ms a call, at least the minimum paired rounds: seconds),
    // long after the second has loaded its suite and asked for the lock.
    const slow = join(tempDir(), 'slow.suite.mts');
    writeFileSync(slow, `import t from ${JSON.stringify(TINY)};\nexport default { ...t, bench: { ...t.bench, shapes: [[65536, 1000]], budgetSeconds: 30 } };\n`);
    const first = spawn(process.execPath, [CLI, 'run', '--suite', slow, '--out', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let second: ReturnType<typeof runCli> | undefined;
    const status = await new Promise<number | null>((done) => {
      first.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (second === undefined && stderr.includes('[3/3 bench]')) second = runCli(['fuzz', '--suite', TINY, '--out', dir]);
      });
      first.on('exit', (code) => done(code));
    });
    expect(status, stderr).toBe(0);
    expect(second?.status).toBe(2);
    expect(second?.stderr).toContain(`pid ${first.pid}`);
    expect(readdirSync(dir)).toContain('summary.md');
  });

  it('a bad destination is refused before any work: a file, a folder under a file, /proc', () => {
    const root = tempDir();
    const file = join(root, 'file.txt');
    writeFileSync(file, 'mine\n');
    for (const [out, reason] of [
      [file, 'is a file, not a folder'],
      [join(file, 'sub'), 'cannot use as the output folder: a part of the path is a file, not a folder (ENOTDIR)'],
      ['/proc/softmax-stability-test/out', 'cannot create the output folder'],
    ] as const) {
      // Every command on the first; `run` alone on the others (the same check serves them all).
      for (const cmd of out === file ? ['run', 'fuzz', 'map', 'bench', 'baseline', 'gate'] : ['run']) {
        const r = runCli([cmd, '--suite', TINY, '--out', out], { timeoutMs: 30_000 });
        expect(r.status, `${cmd} --out ${out}: ${r.stderr}`).toBe(2);
        expect(r.stderr.trim().split('\n'), cmd).toHaveLength(1);
        expect(r.stderr).toContain(`${out}, field --out: ${reason}`);
      }
    }
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });

  it('the table names each report file once', () => {
    const all = Object.values(OUTPUT_FILES).flat();
    expect(new Set(all).size).toBe(all.length);
  });
});
