/**
 * Issue 16's must-show on the adapters of scripts/adapters/ (SPEC 7):
 *
 * - the plain-Python reference adapter's stable-log-softmax gives bit for bit the losses
 *   and gradients of the built-in, on the shared mpmath cases (fixtures/mpmath and
 *   /work/shared/fixtures/mpmath-t2, copied to fixtures/mpmath-t2) in float32 and float64,
 *   and the half formats' pure mode too; and on a fuzz run, the same outcomes and ulps
 *   (fuzz.csv and failures.csv equal but for the pipeline's name);
 * - the C example (built here with `cc`; skipped, visibly, without it) runs under fuzz,
 *   map and gate, and shrinking reduces one of its failures to a short row;
 * - a suite of the python adapter in float16 and bfloat16 and with batch options, end to end.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { OptionFlags } from '../cases/options.js';
import { parseOptionFlags, resolveWeights } from '../cases/options.js';
import type { AnyCase } from '../cases/read.js';
import { readAnyCases } from '../cases/read.js';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { pipelineBatch } from '../pipelines/options.js';
import { findPipeline } from '../pipelines/registry.js';
import { computeModes } from '../pipelines/variant.js';
import type { Pipeline } from '../pipelines/types.js';
import { gradModeOf } from '../score/grad.js';
import { pipelineLoss } from '../score/score.js';
import { ROOT, runCli, tempDir } from '../testing/cli.js';
import { externalPipeline } from './pipeline.js';
import { checkExternalSpec } from './spec.js';

const REFERENCE = 'scripts/adapters/reference.py';

/** The reference adapter serving one built-in's formula, as a suite would list it. */
function python(pipeline: string, compute: 'pure' | 'float32' = 'pure'): Pipeline {
  return externalPipeline(checkExternalSpec({ name: `python-${pipeline}`, command: ['python3', join(ROOT, REFERENCE), '--pipeline', pipeline, '--compute', compute], grad: true }, 'adapters.test.ts', 0));
}

function sameBits(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/** The cases of the fixture files whose dtype is among `dtypes`. */
function casesOf(files: readonly string[], dtypes: readonly Dtype[]): AnyCase[] {
  return files.flatMap((f) => readAnyCases(join(ROOT, f))).filter((c) => dtypes.includes(c.dtype) && c.soft === undefined);
}

/** Every case where the two pipelines' loss or gradient differ in a bit, as "id: what". */
function differences(builtin: Pipeline, external: Pipeline, cases: readonly AnyCase[]): string[] {
  const out: string[] = [];
  for (const c of cases) {
    const a = pipelineLoss(builtin, c.logits, c.target, c.dtype);
    const b = pipelineLoss(external, c.logits, c.target, c.dtype);
    if (!sameBits(a, b)) out.push(`${c.id} ${c.dtype}: loss ${a} (built-in) vs ${b} (python)`);
    if (c.logits.every((x) => x === -Infinity)) continue;
    const ga = new Float64Array(c.logits.length);
    const gb = new Float64Array(c.logits.length);
    gradModeOf(builtin, c.dtype, c.dtype)!.run(c.logits, c.target, ga);
    gradModeOf(external, c.dtype, c.dtype)!.run(c.logits, c.target, gb);
    const j = ga.findIndex((x, i) => !sameBits(x, gb[i]));
    if (j >= 0) out.push(`${c.id} ${c.dtype}: gradient component ${j} ${ga[j]} (built-in) vs ${gb[j]} (python)`);
  }
  return out;
}

describe('the plain-Python reference adapter is the built-in, bit for bit', () => {
  const stable = findPipeline('stable-log-softmax')!;

  it('stable-log-softmax on the mpmath cases, float32 and float64: every loss and gradient component', () => {
    const cases = casesOf(['fixtures/mpmath/cases.csv', 'fixtures/mpmath-t2/grad-cases.csv'], ['float32', 'float64']);
    expect(cases.length).toBeGreaterThan(700);
    expect(new Set(cases.map((c) => c.dtype))).toEqual(new Set(['float32', 'float64']));
    expect(differences(stable, python('stable-log-softmax'), cases)).toEqual([]);
  });

  it('stable-log-softmax on the mpmath cases of float16 and bfloat16, pure mode (the frame carries the 16 bits)', () => {
    const cases = casesOf(['fixtures/mpmath-t2/half-cases.csv', 'fixtures/mpmath-t2/grad-cases.csv'], ['float16', 'bfloat16']);
    expect(cases.length).toBeGreaterThan(500);
    expect(differences(stable, python('stable-log-softmax'), cases)).toEqual([]);
  });
});

describe('under batch options (SPEC 6) the process computes l_n from the options JSON: the bits of the built-in composition', () => {
  const stable = findPipeline('stable-log-softmax')!;
  const py = python('stable-log-softmax');
  const FLAG: Record<string, keyof OptionFlags> = { '--weight': 'weight', '--label-smoothing': 'labelSmoothing', '--ignore-index': 'ignoreIndex' };

  it('every class-index setting of the mpmath options fixture, in its dtype and in float16 and bfloat16 (pure and widened): l_n, sum and mean', () => {
    const settings = JSON.parse(readFileSync(join(ROOT, 'fixtures/mpmath-t2/options.json'), 'utf8')) as { name: string; file: string; dtype: Dtype; flags: string[] }[];
    const wrong: string[] = [];
    let batches = 0;
    for (const s of settings) {
      const cases = readAnyCases(join(ROOT, 'fixtures/mpmath-t2/options', s.file));
      if (cases.some((c) => c.soft !== undefined)) continue; // the protocol carries class-index targets (SPEC 7)
      const flags: OptionFlags = {};
      for (let i = 0; i < s.flags.length; i += 2) flags[FLAG[s.flags[i]]] = s.flags[i + 1];
      const o = parseOptionFlags(flags);
      for (const dtype of [s.dtype, 'float16', 'bfloat16'] as const) {
        const round = formatOf(dtype).round;
        const rows = cases.map((c) => ({ logits: Float64Array.from(c.logits, round), target: c.target }));
        const weight = resolveWeights(o, dtype, rows, () => ({}));
        for (const compute of computeModes(dtype)) {
          const a = pipelineBatch(stable, { dtype, compute }, rows, o, weight);
          const b = pipelineBatch(py, { dtype, compute }, rows, o, weight);
          batches++;
          a.rows.forEach((x, n) => {
            if (!sameBits(x, b.rows[n])) wrong.push(`${s.name} ${dtype}/${compute} row ${n}: ${x} vs ${b.rows[n]}`);
          });
          if (!sameBits(a.sum, b.sum) || !sameBits(a.mean, b.mean)) wrong.push(`${s.name} ${dtype}/${compute}: sum ${a.sum} vs ${b.sum}, mean ${a.mean} vs ${b.mean}`);
        }
      }
    }
    expect(batches).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });

  it('the comparison can fail: another formula (naive-softmax in python) differs from the built-in stable-log-softmax', () => {
    const cases = casesOf(['fixtures/mpmath/cases.csv'], ['float32', 'float64']);
    expect(differences(stable, python('naive-softmax'), cases).length).toBeGreaterThan(10);
  });
});

/** A CSV report's rows as objects. */
function rowsOf(file: string): Record<string, string>[] {
  return parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
}

/** The rows of `pipeline` without the columns named in `drop` (the pipeline's name always). */
function rowsFor(rows: readonly Record<string, string>[], pipeline: string, drop: readonly string[] = []): Record<string, string>[] {
  return rows.filter((r) => r.pipeline === pipeline).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'pipeline' && !drop.includes(k))));
}

describe('the reference adapter under fuzz: the same outcomes and ulps as the built-in', () => {
  /**
   * fuzz.csv equal row for row; failures.csv's worst rows equal, and the shrunk loss rows; the
   * `cause` column is the built-in's diagnosis (a process has none), and a shrunk gradient
   * failure of the built-in keeps its cause as it shrinks (src/fuzz/shrink.ts), so the
   * external's may shrink further: of those rows the outcome is compared.
   */
  function sameReports(out: string, builtin: string, external: string): void {
    const fuzz = rowsOf(join(out, 'fuzz.csv'));
    expect(rowsFor(fuzz, builtin).length).toBeGreaterThan(0);
    expect(rowsFor(fuzz, external)).toEqual(rowsFor(fuzz, builtin));
    const failures = rowsOf(join(out, 'failures.csv'));
    const exact = (rows: Record<string, string>[]) => rows.filter((r) => r.kind === 'worst' || r.quantity === 'loss');
    const gradShrunk = (rows: Record<string, string>[]) => rows.filter((r) => r.kind === 'shrunk' && r.quantity === 'grad').map((r) => [r.dtype, r.family, r.compute, r.outcome]);
    expect(exact(rowsFor(failures, builtin, ['cause'])).length).toBeGreaterThan(0);
    expect(exact(rowsFor(failures, external, ['cause']))).toEqual(exact(rowsFor(failures, builtin, ['cause'])));
    expect(gradShrunk(rowsFor(failures, external))).toEqual(gradShrunk(rowsFor(failures, builtin)));
  }

  it('float32 and float64, losses and gradients', () => {
    const out = join(tempDir(), 'out');
    const r = runCli(['fuzz', '--suite', 'src/external/fixtures/reference.suite.ts', '--out', out], { timeoutMs: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    sameReports(out, 'stable-log-softmax', 'python-stable-log-softmax');
  }, 600_000);

  it('float16 and bfloat16, pure and widened: fuzz, and score with options, end to end', () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const suite = 'src/external/fixtures/python-half.suite.ts';
    const r = runCli(['fuzz', '--suite', suite, '--out', out], { timeoutMs: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    sameReports(out, 'stable-log-softmax', 'python-stable-log-softmax');
    const computes = new Set(rowsOf(join(out, 'fuzz.csv')).map((x) => `${x.dtype}/${x.compute}`));
    expect(computes).toEqual(new Set(['float16/float16', 'float16/float32', 'bfloat16/bfloat16', 'bfloat16/float32']));

    // score with label smoothing, ignore_index and a mean: the rows of the two pipelines, @batch included, agree in every column.
    const cases = join(dir, 'cases.csv');
    // Rows of up to 16 classes (the reference adapter's smoothing term is O(C²) a row in pure Python), the first 20 of each format.
    const [header, ...lines] = readFileSync(join(ROOT, 'fixtures/mpmath-t2/half-cases.csv'), 'utf8').trim().split('\n');
    const small = (dtype: string) => lines.filter((l) => l.split(',')[1] === dtype && l.split(',')[3].split(' ').length <= 16).slice(0, 20);
    writeFileSync(cases, [header, ...small('float16'), ...small('bfloat16')].join('\n') + '\n');
    const scored = join(dir, 'scored.csv');
    const s = runCli(['score', cases, '--suite', suite, '--pipelines', 'stable-log-softmax,python-stable-log-softmax', '--label-smoothing', '0.1', '--ignore-index', '1', '--reduction', 'mean', '--out', scored], { timeoutMs: 300_000 });
    expect(s.status, s.stderr).toBe(0);
    const rows = rowsOf(scored);
    expect(rows.filter((x) => x.id === '@batch').length).toBe(8);
    expect(rowsFor(rows, 'python-stable-log-softmax')).toEqual(rowsFor(rows, 'stable-log-softmax'));
  }, 600_000);
});

const hasCc = spawnSync('cc', ['--version']).status === 0;

describe('the C example (scripts/adapters/c/naive_softmax.c) under fuzz, map and gate', () => {
  if (!hasCc) it.skip('SKIPPED: no `cc` on this machine, so the C example is not built or run here', () => undefined);

  it.skipIf(!hasCc)('fuzz finds its failures and shrinks one to a short row; map draws its regions; gate passes against its own baseline', () => {
    const dir = tempDir();
    const binary = join(dir, 'naive_softmax');
    const build = spawnSync('cc', ['-std=c99', '-O2', '-o', binary, join(ROOT, 'scripts/adapters/c/naive_softmax.c'), '-lm'], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const env = { EXT_C_BINARY: binary };
    const suite = 'src/external/fixtures/c.suite.ts';

    const fuzzOut = join(dir, 'fuzz');
    const f = runCli(['fuzz', '--suite', suite, '--out', fuzzOut], { env, timeoutMs: 600_000 });
    expect(f.status, f.stderr).toBe(0);
    const fuzz = rowsOf(join(fuzzOut, 'fuzz.csv')).filter((x) => x.pipeline === 'c-naive-softmax');
    expect(fuzz.length).toBeGreaterThan(0);
    expect(fuzz.some((x) => Number(x.overflow) + Number(x.nan) + Number(x.underflow) > 0)).toBe(true);
    const shrunk = rowsOf(join(fuzzOut, 'failures.csv')).filter((x) => x.pipeline === 'c-naive-softmax' && x.kind === 'shrunk');
    expect(shrunk.length).toBeGreaterThan(0);
    const shortest = Math.min(...shrunk.map((x) => x.logits.split(' ').length));
    expect(shortest).toBeLessThanOrEqual(3);

    // The shortest shrunk failure replays from its seed and path alone (fuzz --replay), to the same row and outcome.
    const short = shrunk.find((x) => x.logits.split(' ').length === shortest)!;
    const replay = runCli(['fuzz', '--replay', `${short.seed}:${short.path}`, '--pipeline', 'c-naive-softmax', '--dtype', short.dtype, ...(short.quantity === 'grad' ? ['--quantity', 'grad'] : []), '--suite', suite], { env, timeoutMs: 300_000 });
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toContain(`logits: ${short.logits}\n`);
    expect(replay.stdout).toContain(`outcome: ${short.outcome}\n`);

    const mapOut = join(dir, 'map');
    const m = runCli(['map', '--suite', suite, '--out', mapOut], { env, timeoutMs: 600_000 });
    expect(m.status, m.stderr).toBe(0);
    const regions = rowsOf(join(mapOut, 'regions.csv')).filter((x) => x.pipeline === 'c-naive-softmax');
    expect(new Set(regions.map((x) => x.outcome)).size).toBeGreaterThan(1);

    const baseline = join(dir, 'baseline');
    const b = runCli(['baseline', '--suite', suite, '--out', baseline], { env, timeoutMs: 600_000 });
    expect(b.status, b.stderr).toBe(0);
    const gateOut = join(dir, 'gate');
    const g = runCli(['gate', '--suite', suite, '--baseline', baseline, '--out', gateOut], { env, timeoutMs: 600_000 });
    expect(g.status, g.stderr).toBe(0);
    const gate = rowsOf(join(gateOut, 'gate.csv')).filter((x) => x.pipeline === 'c-naive-softmax');
    expect(gate.length).toBeGreaterThan(0);
    expect(gate.every((x) => x.status !== 'regression')).toBe(true);
  }, 900_000);
});
