/** `merge` checks its inputs (issue 10 item 9): fuzz-only shards of one run, each once, all of them; refused otherwise with exit 2 naming the folder. */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../testing/cli.js';

const TINY3 = resolve(ROOT, 'src/run/fixtures/tiny3.suite.ts');

describe('merge checks fuzz shards', () => {
  let root: string;
  const shard = (i: number, extra: string[] = [], suite = TINY3) => {
    const out = join(root, `${suite === TINY3 ? 'shard' : 'other'}-${i}${extra.join('')}`);
    const r = runCli(['fuzz', '--suite', suite, '--shard', `${i}/3`, '--out', out, ...extra]);
    expect(r.status, r.stderr).toBe(0);
    return out;
  };
  const merge = (...dirs: string[]) => runCli(['merge', ...dirs, '--out', join(root, 'merged')]);
  let s: string[];

  beforeAll(() => {
    root = tempDir();
    s = [1, 2, 3].map((i) => shard(i));
  });

  it('the three shards of one run merge into the unsharded fuzz.csv and failures.csv', () => {
    const whole = join(root, 'whole');
    expect(runCli(['fuzz', '--suite', TINY3, '--out', whole]).status).toBe(0);
    const r = merge(...s);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['fuzz.csv', 'failures.csv', 'fuzz.json']) expect(readFileSync(join(root, 'merged', f), 'utf8'), f).toBe(readFileSync(join(whole, f), 'utf8'));
    expect(readFileSync(join(root, 'merged', 'summary.md'), 'utf8')).toContain('suite `tiny3`');
  });

  it('a missing shard is refused, naming it', () => {
    const r = merge(s[0], s[2]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('1 of 3 fuzz units are in none of the folders (shard 2/3 missing)');
  });

  it('a shard given twice (or a copy of it) is refused', () => {
    const copy = join(root, 'copy-of-1');
    cpSync(s[0], copy, { recursive: true });
    const r = merge(s[0], copy, s[1], s[2]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(copy, 'fuzz.json')}, field done: unit float64/offset is also in ${s[0]} (shard 1/3 given twice?)`);
  });

  it('shards of another seed or another suite are refused, naming the folder', () => {
    const seeded = shard(2, ['--seed', '4']);
    const bySeed = merge(s[0], seeded, s[2]);
    expect(bySeed.status).toBe(2);
    expect(bySeed.stderr).toContain(`${join(seeded, 'fuzz.json')}: another run than ${join(s[0], 'fuzz.json')} (seed 4, not 3)`);
    const dir = tempDir();
    const renamed = join(dir, 'renamed.suite.mts'); // .mts: ESM outside the package (a .ts there loads as CommonJS)
    writeFileSync(renamed, `import t from ${JSON.stringify(TINY3)};\nexport default { ...t, name: 'renamed' };\n`);
    const other = shard(2, [], renamed);
    const bySuite = merge(s[0], other, s[2]);
    expect(bySuite.status).toBe(2);
    expect(bySuite.stderr).toContain('(suite renamed, not tiny3)');
  });

  it('an empty folder is refused, naming it', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const r = merge(empty);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${empty}: holds no reports`);
    const mixed = merge(s[0], s[1], s[2], empty);
    expect(mixed.status).toBe(2);
  });
});
