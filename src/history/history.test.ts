import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../testing/cli.js';
import { mulberry32 } from '../util/random.js';
import { changePoints } from './changepoint.js';
import { HISTORY_COLUMNS } from './command.js';
import { readHistory } from './record.js';

/** Made by the real command: 8 runs of trend.suite.ts, then 6 of trend-slower.suite.ts (see the README, "History"). */
const FIXTURE = 'src/history/fixtures/history.jsonl';
const SLOWED_FROM_RUN = 9;
const SLOWED = 'trend/fused-cross-entropy/float32/float32/loss/inline-1/256x1000';

describe('history on the committed fixture (14 runs, a deliberate slowdown from run 9)', () => {
  let out: string;
  let status: number | null;
  let stderr: string;
  beforeAll(() => {
    out = join(tempDir(), 'history');
    const r = runCli(['history', FIXTURE, '--out', out]);
    status = r.status;
    stderr = r.stderr;
  });

  it('the fixture is what `bench --history` appends: ≥ 12 valid records of the trend suite', () => {
    const records = readHistory(FIXTURE);
    expect(records.length).toBeGreaterThanOrEqual(12);
    expect(new Set(records.map((r) => r.suite))).toEqual(new Set(['trend']));
  });

  it('exits 0 and writes history.csv, trend.svg, bencher.json and github-benchmark.json', () => {
    expect(status, stderr).toBe(0);
    for (const f of ['history.csv', 'trend.svg', 'bencher.json', 'github-benchmark.json']) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'trend.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('marks the change point of the slowed pipeline at run 9, a fall of about 20%, and none in the unchanged one', () => {
    const rows = parse(readFileSync(join(out, 'history.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual([...HISTORY_COLUMNS]);
    const marked = rows.filter((r) => r.change_point !== '');
    const slowed = marked.filter((r) => r.benchmark === SLOWED);
    expect(slowed.map((r) => Number(r.run))).toEqual([SLOWED_FROM_RUN]);
    expect(Number(slowed[0].change_point)).toBeLessThan(-0.1);
    expect(Number(slowed[0].change_point)).toBeGreaterThan(-0.3);
    expect(marked.filter((r) => r.benchmark !== SLOWED)).toEqual([]);
    expect(stderr).toContain(`${SLOWED} (machine`);
  });

  it('bencher.json is BMF of the last run; github-benchmark.json is customBiggerIsBetter', () => {
    const records = readHistory(FIXTURE);
    const last = records[records.length - 1];
    const bmf = JSON.parse(readFileSync(join(out, 'bencher.json'), 'utf8')) as Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>>;
    const r = last.results.find((x) => x.pipeline === 'fused-cross-entropy');
    expect(bmf[SLOWED]['relative-to-reference'].value).toBe(r?.relative_to_reference);
    expect(bmf[SLOWED]['relative-to-reference'].lower_value).toBe(r?.ci_low);
    expect(bmf[SLOWED].throughput.value).toBe(r?.elements_per_s);
    expect(Object.keys(bmf)).toHaveLength(2); // the reference loop is left out
    const gh = JSON.parse(readFileSync(join(out, 'github-benchmark.json'), 'utf8')) as { name: string; unit: string; value: number; range?: string; extra: string }[];
    expect(gh).toHaveLength(2);
    const entry = gh.find((e) => e.name === SLOWED);
    expect(entry?.value).toBe(r?.relative_to_reference);
    expect(entry?.unit).toMatch(/reference/);
    expect(typeof entry?.extra).toBe('string');
  });
});

describe('history: bad input', () => {
  it('a bad field on one line is exit 2 naming the file, the line and the field; nothing written', () => {
    const dir = tempDir();
    const file = join(dir, 'h.jsonl');
    const lines = readFileSync(FIXTURE, 'utf8').split('\n');
    const rec = JSON.parse(lines[4]) as { results: { ci_low: unknown }[] };
    rec.results[1].ci_low = 'narrow';
    lines[4] = JSON.stringify(rec);
    writeFileSync(file, lines.join('\n'));
    const out = join(dir, 'out');
    const r = runCli(['history', file, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file}, row 5, field results[1].ci_low:`);
    expect(existsSync(out)).toBe(false);
  });
  it('a line that is not JSON, and a missing file, are exit 2 too', () => {
    const dir = tempDir();
    const file = join(dir, 'h.jsonl');
    copyFileSync(FIXTURE, file);
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"schema":1,\n`);
    const bad = runCli(['history', file, '--out', join(dir, 'out')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`${file}, row ${readHistory(FIXTURE).length + 1}: not JSON`));
    const missing = runCli(['history', join(dir, 'none.jsonl'), '--out', join(dir, 'out')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('none.jsonl: missing');
  });
});

describe('changePoints (PELT, MBIC penalty) on seeded Gaussian series', () => {
  const gauss = (next: () => number, sigma: number) => {
    let s = 0;
    for (let i = 0; i < 12; i++) s += next();
    return (s - 6) * sigma;
  };
  it('finds a 20% fall at the right run in ≥ 99% of 14-run series with 3% noise', () => {
    const next = mulberry32(11);
    let found = 0;
    for (let k = 0; k < 500; k++) {
      const y = Array.from({ length: 14 }, (_, i) => Math.log(i < 8 ? 1 : 0.8) + gauss(next, 0.03));
      const c = changePoints(y);
      if (c.length === 1 && c[0] === 8) found++;
    }
    expect(found / 500).toBeGreaterThanOrEqual(0.99);
  });
  it('marks a change in at most 10% of flat 14-run series, and fewer on longer ones', () => {
    const next = mulberry32(12);
    const rate = (n: number) => {
      let alarms = 0;
      for (let k = 0; k < 500; k++) if (changePoints(Array.from({ length: n }, () => gauss(next, 0.03))).length > 0) alarms++;
      return alarms / 500;
    };
    const short = rate(14);
    const long = rate(60);
    expect(short).toBeLessThanOrEqual(0.1);
    expect(long).toBeLessThan(short);
  });
  it('exact steps on a flat series; a single outlier is not a change (segments of ≥ 2)', () => {
    expect(changePoints([1, 1, 1, 1, 2, 2, 2, 2])).toEqual([4]);
    expect(changePoints([1, 1, 1, 1, 1, 1, 1])).toEqual([]);
    expect(changePoints([0, 0.01, 0, 0.6, 0, 0.01, 0, 0.01])).not.toContain(3);
  });
});

describe('destinations are checked before any work: exit 2, one line, never a hang', () => {
  it('history --out under /proc or naming a file; bench --history naming a folder or an uncreatable file', () => {
    const dir = tempDir();
    const file = join(dir, 'h.jsonl');
    copyFileSync(FIXTURE, file);
    mkdirSync(join(dir, 'adir'));
    const cases: [string[], RegExp][] = [
      [['history', file, '--out', '/proc/softmax-stability-nope'], /field --out: cannot create the output folder/],
      [['history', file, '--out', file], /field --out: is a file, not a folder/],
      [['bench', '--suite', 'src/run/fixtures/tiny.suite.ts', '--out', join(dir, 'b'), '--history', join(dir, 'adir')], /adir, field --history: is a folder/],
      [['bench', '--suite', 'src/run/fixtures/tiny.suite.ts', '--out', join(dir, 'b'), '--history', '/proc/softmax-stability-x.jsonl'], /field --history: cannot write here/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(message);
    }
    expect(existsSync(join(dir, 'b'))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(FIXTURE, 'utf8'));
  });
});
