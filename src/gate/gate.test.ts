import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATE_COLUMNS } from '../report/columns.js';
import { runCli, tempDir } from '../testing/cli.js';

const GOOD = 'src/gate/fixtures/candidate-good.suite.ts';
const WORSE = 'src/gate/fixtures/candidate-worse.suite.ts';

function replaceField(file: string, match: (row: Record<string, string>) => boolean, column: string, value: (old: string) => string): number {
  const rows = parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
  const header = Object.keys(rows[0]);
  let line = 0;
  rows.forEach((r, i) => {
    if (line === 0 && match(r)) {
      r[column] = value(r[column]);
      line = i + 2;
    }
  });
  writeFileSync(file, [header.join(','), ...rows.map((r) => header.map((h) => r[h]).join(','))].join('\n') + '\n');
  return line;
}

describe('gate', () => {
  let baseline: string;

  beforeAll(() => {
    baseline = join(tempDir(), 'baseline');
    const r = runCli(['baseline', '--suite', GOOD, '--out', baseline]);
    expect(r.stderr).toContain('baseline: wrote');
    expect(r.status).toBe(0);
  });

  it('passes on an unchanged checkout: exit 0, gate.csv with the SPEC columns, table appended to GITHUB_STEP_SUMMARY', () => {
    const out = join(tempDir(), 'current');
    const summary = join(tempDir(), 'step-summary.md');
    writeFileSync(summary, '# earlier step\n');
    const r = runCli(['gate', '--suite', GOOD, '--baseline', baseline, '--out', out], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(r.status, r.stderr).toBe(0);
    const rows = parse(readFileSync(join(out, 'gate.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual([...GATE_COLUMNS]);
    expect(new Set(rows.map((x) => x.check))).toEqual(new Set(['accuracy', 'ok-share', 'region', 'boundary', 'throughput']));
    expect(rows.every((x) => x.status === 'pass')).toBe(true);
    expect(r.stdout).toContain('softmax-stability gate: pass');
    const appended = readFileSync(summary, 'utf8');
    expect(appended.startsWith('# earlier step\n')).toBe(true);
    expect(appended).toContain('0 regressions');
  });

  it('fails when the suite pipeline is made worse: exit 1, the offending rows named', () => {
    const out = join(tempDir(), 'current');
    const r = runCli(['gate', '--suite', WORSE, '--baseline', baseline, '--out', out]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('softmax-stability gate: REGRESSION');
    expect(r.stdout).toMatch(/\| accuracy \| candidate \| float64 \| max_ulp\[dominant\] \|.*\*\*regression\*\*/);
    expect(r.stdout).toMatch(/\| ok-share \| candidate \| float64 \| ok_share\[dominant\] \|/);
    const rows = parse(readFileSync(join(out, 'gate.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const bad = rows.filter((x) => x.status === 'regression');
    expect(bad.length).toBeGreaterThan(0);
    expect(bad.every((x) => x.pipeline === 'candidate')).toBe(true);
  });

  it('fails when the baseline demands more than the code gives: accuracy and throughput, each row named', () => {
    const edited = join(tempDir(), 'edited');
    runCli(['baseline', '--suite', GOOD, '--out', edited]);
    // fused-cross-entropy loses tiny losses on `dominant`: demand 0 ulps there.
    replaceField(join(edited, 'fuzz.csv'), (r) => r.pipeline === 'fused-cross-entropy' && r.family === 'dominant', 'max_ulp', () => '0');
    // And a hundred times the measured throughput of the candidate (the suite tolerates a 90% fall).
    replaceField(join(edited, 'bench.csv'), (r) => r.pipeline === 'candidate' && r.path === 'inline', 'relative_to_reference', (v) => String(Number(v) * 100));
    const out = join(tempDir(), 'current');
    const r = runCli(['gate', '--suite', GOOD, '--baseline', edited, '--out', out]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/\| accuracy \| fused-cross-entropy \| float64 \| max_ulp\[dominant\] \| 0 \|.*\*\*regression\*\*/);
    expect(r.stdout).toMatch(/\| throughput \| candidate \| float64 \| relative_to_reference\[64x200 inline\] \|.*\*\*regression\*\*/);
  });

  it('a missing or corrupt baseline is exit 2 with the file and line at fault, before any work', () => {
    const empty = tempDir();
    const out = join(tempDir(), 'current');
    const missing = runCli(['gate', '--suite', GOOD, '--baseline', empty, '--out', out]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain(`${join(empty, 'baseline.json')}: missing`);
    expect(missing.stderr).toContain(`refresh it with \`npx softmax-stability baseline --suite ${GOOD} --out `);
    expect(existsSync(out)).toBe(false);
    // A baseline.json alone: the first report file missing is named.
    copyFileSync(join(baseline, 'baseline.json'), join(empty, 'baseline.json'));
    const noFuzz = runCli(['gate', '--suite', GOOD, '--baseline', empty, '--out', out]);
    expect(noFuzz.status).toBe(2);
    expect(noFuzz.stderr).toContain(join(empty, 'fuzz.csv'));
    expect(existsSync(out)).toBe(false);

    const corrupt = join(tempDir(), 'corrupt');
    runCli(['baseline', '--suite', GOOD, '--out', corrupt]);
    const line = replaceField(join(corrupt, 'fuzz.csv'), (r) => r.family === 'offset', 'max_bits', () => 'lots');
    const bad = runCli(['gate', '--suite', GOOD, '--baseline', corrupt, '--out', out]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${join(corrupt, 'fuzz.csv')}, row ${line}, field max_bits: "lots" is not a number`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(corrupt)).not.toContain('gate.csv');
  });

  it('refuses --out that is the baseline folder, by any name (a symlink too): exit 2 before any work, baseline untouched', () => {
    const before = readFileSync(join(baseline, 'fuzz.csv'), 'utf8');
    const link = join(tempDir(), 'link');
    symlinkSync(baseline, link);
    for (const out of [baseline, link, `${baseline}/.`]) {
      const r = runCli(['gate', '--suite', GOOD, '--baseline', baseline, '--out', out]);
      expect(r.status, out).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--out is the baseline folder');
    }
    expect(readFileSync(join(baseline, 'fuzz.csv'), 'utf8')).toBe(before);
    expect(readdirSync(baseline)).not.toContain('gate.csv');
  });

  it('refuses a baseline of another seed or with other pipelines: exit 2 naming the difference and how to refresh, before any work', () => {
    const dir = tempDir();
    const variant = (name: string, body: string) => {
      const file = join(dir, name);
      writeFileSync(file, `import good from ${JSON.stringify(resolve(GOOD))};\nexport default { ...good, ${body} };\n`);
      return file;
    };
    const out = join(dir, 'current');
    const seed = runCli(['gate', '--suite', variant('seed.suite.mts', 'seed: 12'), '--baseline', baseline, '--out', out]);
    expect(seed.status, seed.stderr).toBe(2);
    expect(seed.stderr.trim().split('\n')).toHaveLength(1);
    expect(seed.stderr).toContain('seed 11 in the baseline, 12 now');
    expect(seed.stderr).toContain('npx softmax-stability baseline --suite');
    const more = runCli(['gate', '--suite', variant('more.suite.mts', "pipelines: [...good.pipelines, 'stable-log-softmax']"), '--baseline', baseline, '--out', out]);
    expect(more.status, more.stderr).toBe(2);
    expect(more.stderr).toContain('settings.pipelines');
    // Other fuzz quantities decide which rows exist: refused (review found them read as 12 "missing" rows, exit 1).
    const lossOnly = runCli(['gate', '--suite', variant('loss.suite.mts', "fuzz: { ...good.fuzz, quantities: ['loss'] }"), '--baseline', baseline, '--out', out]);
    expect(lossOnly.status, lossOnly.stderr).toBe(2);
    expect(lossOnly.stderr).toContain('settings.fuzz.quantities ["loss","grad"] in the baseline, ["loss"] now');
    // Other batch options decide the option rows' values: refused (review found 51 false "regressions", exit 1).
    const smoothed = runCli(['gate', '--suite', variant('options.suite.mts', "options: [{ reduction: 'mean', labelSmoothing: 0.1 }]"), '--baseline', baseline, '--out', out]);
    expect(smoothed.status, smoothed.stderr).toBe(2);
    expect(smoothed.stderr.trim().split('\n')).toHaveLength(1);
    expect(smoothed.stderr).toContain('settings.options absent in the baseline, [{"reduction":"mean","labelSmoothing":0.1,"maskedRows":"nan"}] now');
    // Another suite: the advice is to give its own baseline, never to overwrite this one.
    const other = runCli(['gate', '--suite', variant('other.suite.mts', "name: 'other'"), '--baseline', baseline, '--out', out]);
    expect(other.status, other.stderr).toBe(2);
    expect(other.stderr).toContain('a baseline of suite "gate-test", and this run is of suite "other"');
    expect(other.stderr).toContain(`writes one to ${join('reports', 'baseline', 'other')}`);
    expect(existsSync(out)).toBe(false);
  });

  it('rows the baseline lacks are shown as `new` (table and count); an unwritable GITHUB_STEP_SUMMARY warns and keeps the verdict', () => {
    const edited = join(tempDir(), 'edited');
    for (const f of readdirSync(baseline)) copyFileSync(join(baseline, f), join(mkdirp(edited), f));
    const fuzz = join(edited, 'fuzz.csv');
    const lines = readFileSync(fuzz, 'utf8').split('\n');
    const dropped = lines.findIndex((l) => l.startsWith('candidate,float64,moderate,'));
    expect(dropped).toBeGreaterThan(0);
    writeFileSync(fuzz, lines.filter((_, i) => i !== dropped).join('\n'));
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, '');
    const out = join(tempDir(), 'current');
    const r = runCli(['gate', '--suite', GOOD, '--baseline', edited, '--out', out], { env: { GITHUB_STEP_SUMMARY: join(blocker, 'summary.md') } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('softmax-stability gate: pass');
    expect(r.stdout).toMatch(/\| accuracy \| candidate \| float64 \| fuzz\[moderate\] \| absent \| present \| {2}\| new \|/);
    expect(r.stdout).toContain('1 new (not in the baseline, not checked: refresh the baseline to check them)');
    expect(r.stderr).toContain('gate: warning: cannot append to GITHUB_STEP_SUMMARY');
  });
});

function mkdirp(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('gate reads back everything baseline writes', () => {
  it('a unit with no defined ulp distance (every case NaN: max_ulp empty) passes baseline then gate', () => {
    const NAN = 'src/gate/fixtures/nan-unit.suite.ts';
    const base = join(tempDir(), 'baseline');
    const b = runCli(['baseline', '--suite', NAN, '--out', base]);
    expect(b.status, b.stderr).toBe(0);
    const rows = parse(readFileSync(join(base, 'fuzz.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.find((x) => x.family === 'spread')).toMatchObject({ nan: '6', max_ulp: '' });
    const g = runCli(['gate', '--suite', NAN, '--baseline', base, '--out', join(tempDir(), 'current')]);
    expect(g.status, g.stderr).toBe(0);
    expect(g.stdout).toContain('0 regressions');
  });
});
