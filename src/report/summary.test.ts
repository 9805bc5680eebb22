/**
 * summary.md as a user meets it: written by `fuzz` and `map` alone and by `merge`,
 * every pipeline × dtype with a failure in the counterexample tables (worst first),
 * `max ulps` not hiding NaN and infinite results, and every printed command
 * running as printed from the folder the user ran in (a user project with the
 * harness in node_modules, the suite given by a path outside suites/).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../testing/cli.js';
import { CLI, tempDir } from '../testing/cli.js';
import { leftOutLines } from './summary.js';

/** The CLI from `cwd`, asynchronous so that independent runs overlap. */
function runIn(cwd: string, args: readonly string[]): Promise<CliResult> {
  return shell(cwd, [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' '));
}

function shell(cwd: string, command: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

const table = (file: string) => parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];

/** The rows of the markdown table under `heading` (a line starting with it), as objects. */
function markdownTable(md: string, heading: string): Record<string, string>[] {
  const at = md.split('\n').findIndex((l) => l.startsWith(heading));
  expect(at, heading).toBeGreaterThanOrEqual(0);
  const lines = md.split('\n').slice(at + 1);
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[] = [];
  for (const l of lines.slice(start)) {
    if (!l.startsWith('|')) break;
    rows.push(l);
  }
  const cells = (l: string) => l.slice(1, -1).split(' | ').map((c) => c.trim());
  const head = cells(rows[0]);
  return rows.slice(2).map((l) => Object.fromEntries(cells(l).map((c, i) => [head[i], c])));
}

/** A user's project: a package.json and the harness in node_modules (its bin as npm links it). */
function userProject(): string {
  const dir = tempDir('ss-user-');
  writeFileSync(join(dir, 'package.json'), '{ "name": "my-model", "private": true }\n');
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  const bin = join(dir, 'node_modules', '.bin', 'softmax-stability');
  writeFileSync(bin, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(bin, 0o755);
  mkdirSync(join(dir, 'numerics'));
  return dir;
}

const SUITE = { name: 'mine', seed: 5, pipelines: ['naive-softmax', 'stable-log-softmax', 'log1p-log-softmax'], fuzz: { families: ['offset', 'dominant', 'ordinal', 'underdog'], runs: 25, shrink: { steps: 60 } }, map: { offsets: 15, gaps: 8 } };

describe('summary.md', () => {
  const project = userProject();
  const suitePath = join('numerics', 'mine.suite.ts');
  writeFileSync(join(project, suitePath), `export default ${JSON.stringify(SUITE)};\n`);
  writeFileSync(join(project, 'numerics', 'other.suite.ts'), `export default ${JSON.stringify({ ...SUITE, seed: 6 })};\n`);
  const runs: Record<string, CliResult> = {};

  beforeAll(async () => {
    const [fuzz, s1, s2, map, odd] = await Promise.all([
      runIn(project, ['fuzz', '--suite', suitePath, '--out', 'out/fuzz']),
      runIn(project, ['fuzz', '--suite', suitePath, '--shard', '1/2', '--out', 'out/s1']),
      runIn(project, ['fuzz', '--suite', suitePath, '--shard', '2/2', '--out', 'out/s2']),
      runIn(project, ['map', '--suite', suitePath, '--out', 'out/map']),
      runIn(project, ['fuzz', '--suite', 'numerics/other.suite.ts', '--shard', '2/2', '--out', 'out/odd']),
    ]);
    Object.assign(runs, { fuzz, s1, s2, map, odd });
    for (const [k, r] of Object.entries(runs)) expect(r.status, `${k}: ${r.stderr}`).toBe(0);
    runs.merge = await runIn(project, ['merge', 'out/s1', 'out/s2', '--out', 'out/merged']);
    runs.mixed = await runIn(project, ['merge', 'out/s1', 'out/odd', '--out', 'out/mixed']);
  }, 300_000);

  it('fuzz alone writes it; every pipeline x dtype with a failure is in the worst-case table, worst first', () => {
    expect(runs.fuzz.stderr).toContain(`wrote ${join(project, 'out/fuzz/summary.md')}`);
    const md = readFileSync(join(project, 'out/fuzz/summary.md'), 'utf8');
    expect(md).toContain('# softmax-stability: suite `mine`');
    expect(md).toContain('Seed 5,');
    const failures = table(join(project, 'out/fuzz/failures.csv'));
    // A grad row's dtype cell reads `float32 grad (class k)`.
    const failing = new Set(failures.map((f) => `${f.pipeline}|${f.dtype}${f.quantity === 'grad' ? ' grad' : ''}`));
    expect(failing.size).toBeGreaterThanOrEqual(4);
    expect([...failing].filter((k) => k.endsWith(' grad')).length).toBeGreaterThanOrEqual(2);
    const worst = markdownTable(md, '### The worst case of each pipeline × dtype');
    const label = (r: Record<string, string>) => `${r.pipeline}|${r.dtype.replace(/ \(class \d+\)$/, '')}`;
    expect(new Set(worst.map(label))).toEqual(failing);
    expect(worst).toHaveLength(failing.size);
    // Worst first: undefined ulps (NaN, overflow) before any count, then counts falling.
    const rank = (u: string) => (u.startsWith('—') ? Infinity : Number(u));
    const ranks = worst.map((r) => rank(r.ulps));
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    // Each row is the worst of the pipeline × dtype's worst cases in failures.csv.
    for (const r of worst) {
      const mine = failures.filter((f) => f.kind === 'worst' && `${f.pipeline}|${f.dtype}${f.quantity === 'grad' ? ' grad' : ''}` === label(r));
      expect(rank(r.ulps)).toBe(Math.max(...mine.map((f) => (f.ulp_error === '' ? Infinity : Number(f.ulp_error)))));
    }
  });

  it('failures.csv records the worst case found per pipeline x dtype x family (kind worst) beside the shrunk ones', () => {
    const fuzz = table(join(project, 'out/fuzz/fuzz.csv'));
    const failures = table(join(project, 'out/fuzz/failures.csv'));
    for (const u of fuzz) {
      const failed = Number(u.cases) - Number(u.ok);
      const sameUnit = (f: Record<string, string>) => f.pipeline === u.pipeline && f.dtype === u.dtype && f.family === u.family && f.quantity === u.quantity;
      const worst = failures.filter((f) => f.kind === 'worst' && sameUnit(f));
      expect(worst, `${u.pipeline} ${u.dtype} ${u.family}`).toHaveLength(failed > 0 ? 1 : 0);
      if (failed === 0) continue;
      const w = worst[0];
      expect(w.path).toMatch(/^\d+$/); // as generated: the run index alone
      // The worst failure's error is the unit's max: no ulp count where one is undefined, else max_ulp (a failure beats any ok case).
      // (A grad unit's worst is by norm_ulp, its ulp_error, which is undefined exactly where a component's ulps are.)
      if (u.max_ulp === '') expect(w.ulp_error).toBe('');
      else if (u.quantity === 'grad') expect(w.ulp_error).not.toBe('');
      else if (Number(u.inaccurate) > 0) expect(w.ulp_error).toBe(u.max_ulp);
      const shrunk = failures.filter((f) => f.kind === 'shrunk' && sameUnit(f));
      expect(shrunk.every((s) => s.path !== w.path)).toBe(true);
    }
  });

  it('max ulps does not hide NaN or infinite results: max_ulp empty there, the summary marks it', () => {
    const fuzz = table(join(project, 'out/fuzz/fuzz.csv'));
    const nonFinite = fuzz.filter((u) => Number(u.nan) + Number(u.overflow) > 0);
    expect(nonFinite.length).toBeGreaterThan(0);
    for (const u of nonFinite) {
      expect(u.max_ulp, `${u.pipeline} ${u.dtype} ${u.family}`).toBe('');
      expect(Number(u.max_bits)).toBe(u.dtype === 'float32' ? 32 : 64);
    }
    const md = readFileSync(join(project, 'out/fuzz/summary.md'), 'utf8');
    const acc = markdownTable(md, '## Accuracy');
    for (const r of acc) {
      const hasNonFinite = nonFinite.some((u) => u.pipeline === r.pipeline && u.dtype === r.dtype);
      expect(r['max ulps'] === '—', `${r.pipeline} ${r.dtype}`).toBe(hasNonFinite);
    }
    expect(md).toContain('— in *max ulps*: some result is NaN, or infinite');
  });

  it('every command it prints runs as printed from the folder the user ran in (the suite by its relative path)', async () => {
    const md = readFileSync(join(project, 'out/fuzz/summary.md'), 'utf8');
    const commands = [...md.matchAll(/`(npx softmax-stability [^`]+)`/g)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const c of commands) expect(c).toContain(' --suite ./numerics/mine.suite.ts');
    const rows = [...markdownTable(md, '### The worst case'), ...markdownTable(md, '### The shrunk counterexample')];
    const picked = [rows[0], rows[rows.length - 1], rows.find((r) => r.outcome === 'underflow' || r.outcome === 'inaccurate')!];
    const results = await Promise.all(picked.map((r) => shell(project, r.replay.slice(1, -1))));
    picked.forEach((r, i) => {
      expect(results[i].status, results[i].stderr).toBe(0);
      // A grad row's loss cell is the worst component (its replay's grad_worst).
      expect(results[i].stdout).toContain(r.dtype.includes(' grad') ? `\ngrad_worst: ${r.loss}\n` : `\nloss: ${r.loss}\n`);
      expect(results[i].stdout).toContain(`\noutcome: ${r.outcome}\n`);
      expect(results[i].stdout).toContain(`\npipeline: ${r.pipeline}\n`);
    });
  });

  it('map alone writes it, with the region maps', () => {
    expect(runs.map.stderr).toContain(`wrote ${join(project, 'out/map/summary.md')}`);
    const md = readFileSync(join(project, 'out/map/summary.md'), 'utf8');
    expect(md).toContain('# softmax-stability: suite `mine`');
    expect(md).toContain('## Region maps');
    expect(md).not.toContain('## Counterexamples');
  });

  it('after merging fuzz shards it names the real suite and seed, and its commands still run', async () => {
    expect(runs.merge.status, runs.merge.stderr).toBe(0);
    const md = readFileSync(join(project, 'out/merged/summary.md'), 'utf8');
    expect(md).toContain('# softmax-stability: suite `mine`');
    expect(md).toMatch(/^Seed 5, commit /m);
    expect(md).not.toContain('merged');
    expect(md.slice(md.indexOf('## Counterexamples'))).toBe(readFileSync(join(project, 'out/fuzz/summary.md'), 'utf8').slice(md.indexOf('## Counterexamples')));
    const first = markdownTable(md, '### The worst case')[0];
    const r = await shell(project, first.replay.slice(1, -1));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`\noutcome: ${first.outcome}\n`);
  });

  it('merge refuses shards of different runs (another seed): exit 2 naming fuzz.json and the field, nothing written', () => {
    expect(runs.mixed.status).toBe(2);
    expect(runs.mixed.stderr).toMatch(/odd\/fuzz\.json: another run than .*s1\/fuzz\.json \(seed 6, not 5\); merge the shards of one run/);
  });
});

describe('summary.md of a folder written by an earlier version', () => {
  it('reads failures.csv without kind (SPEC columns only) as shrunk counterexamples', async () => {
    const { writeSummary } = await import('./summary.js');
    const dir = tempDir();
    writeFileSync(join(dir, 'fuzz.csv'), 'pipeline,dtype,family,cases,ok,inaccurate,overflow,underflow,nan,max_ulp,mean_bits,max_bits,seed\np,float32,offset,10,9,1,0,0,0,7,1,3,2058063905\n');
    writeFileSync(join(dir, 'failures.csv'), 'pipeline,dtype,family,outcome,cause,ulp_error,loss,oracle_loss,target,logits,seed,path\np,float32,offset,inaccurate,,7,1,1.0000008,0,1 2,2058063905,3:1\n');
    const md = readFileSync(await writeSummary(dir, { suite: 'ci', seed: 1, commit: 'c', machine: 'm' }), 'utf8');
    expect(markdownTable(md, '### The shrunk counterexample').map((r) => [r.pipeline, r.ulps, r.replay])).toEqual([
      ['p', '7', '`npx softmax-stability fuzz --replay 2058063905:3:1 --pipeline p --dtype float32 --suite ci`'],
    ]);
    expect(md).not.toContain('### The worst case');
  });
});

describe('leftOutLines', () => {
  it('names each pipeline with no rows in a half format the part ran, with those formats; none when all ran', () => {
    const rows = [
      { pipeline: 'a', dtype: 'float32' },
      { pipeline: 'a', dtype: 'float16' },
      { pipeline: 'a', dtype: 'bfloat16' },
      { pipeline: 'b', dtype: 'float32' },
      { pipeline: 'c', dtype: 'bfloat16' },
    ];
    const lines = leftOutLines(['a', 'b', 'c'], ['float32', 'float16', 'bfloat16'], rows);
    expect(lines.filter((l) => l !== '').map((l) => l.slice(0, l.indexOf(':')))).toEqual(['- `b` not run in float16 and bfloat16', '- `c` not run in float16']);
    expect(leftOutLines(['a'], ['float32', 'float16', 'bfloat16'], rows)).toEqual([]);
    expect(leftOutLines(['b'], ['float32', 'float64'], rows)).toEqual([]);
  });
});

describe('summary.md names the pipelines left out of the half formats', () => {
  // A user's pipeline with float32 and float64 kernels only (no `generic`): the commands leave it out of float16 with a note on stderr.
  const OWN = `{
    name: 'own-fused', formula: 'log Σ exp(x − m) − (x[t] − m)',
    float32(x, rows, classes, targets, out) { this.float64(x, rows, classes, targets, out); for (let r = 0; r < rows; r++) out[r] = Math.fround(out[r]); },
    float64(x, rows, classes, targets, out) {
      for (let r = 0, b = 0; r < rows; r++, b += classes) {
        let m = -Infinity; for (let j = 0; j < classes; j++) if (x[b + j] > m) m = x[b + j];
        let s = 0; for (let j = 0; j < classes; j++) s += Math.exp(x[b + j] - m);
        out[r] = Math.log(s) - (x[b + targets[r]] - m);
      }
    },
  }`;
  const dir = tempDir();
  const suite = join(dir, 'own.suite.ts');
  writeFileSync(suite, `export default { name: 'own', seed: 3, pipelines: ['stable-log-softmax', ${OWN}], dtypes: ['float32', 'float16'], fuzz: { families: ['moderate', 'masked'], runs: { moderate: 4, masked: 4 }, failures: 0 }, map: { offsets: 15, gaps: 8 } };\n`);
  const out = join(dir, 'out');
  let md = '';
  let stderr = '';

  beforeAll(async () => {
    const fuzz = await runIn(dir, ['fuzz', '--suite', suite, '--out', out]);
    expect(fuzz.status, fuzz.stderr).toBe(0);
    const map = await runIn(dir, ['map', '--suite', suite, '--out', out]);
    expect(map.status, map.stderr).toBe(0);
    stderr = fuzz.stderr + map.stderr;
    md = readFileSync(join(out, 'summary.md'), 'utf8');
  });

  it('one line per pipeline in the accuracy and the map sections, in the words of the stderr note; the built-in is not named', () => {
    const line = "- `own-fused` not run in float16: no generic kernel (a suite's own pipeline runs in them once it gives a `generic` loss; the peers run in their frameworks' own dtypes only).";
    expect(stderr).toContain("own-fused not run in float16: no generic kernel (a suite's own pipeline runs in them");
    const accuracy = md.slice(md.indexOf('## Accuracy'), md.indexOf('\n## ', md.indexOf('## Accuracy') + 1));
    const maps = md.slice(md.indexOf('## Region maps'));
    expect(accuracy.split('\n').filter((l) => l === line)).toHaveLength(1);
    expect(maps.split('\n').filter((l) => l === line)).toHaveLength(1);
    expect(md).not.toMatch(/`stable-log-softmax` not run/);
    // The masked family's rows are in fuzz.csv for both pipelines in float32 and for the built-in alone in float16.
    const masked = table(join(out, 'fuzz.csv')).filter((r) => r.family === 'masked' && r.quantity === 'loss');
    expect(masked.map((r) => `${r.pipeline}/${r.dtype}/${r.compute}`)).toEqual(['stable-log-softmax/float32/float32', 'stable-log-softmax/float16/float16', 'stable-log-softmax/float16/float32', 'own-fused/float32/float32']);
  });
});
