/**
 * Suites are validated like input (issue 10 item 5): every error names the
 * file, the key, the value and what was expected, suggests the closest known key
 * for a typo, and exits 2 from the CLI.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../testing/cli.js';
import { DEFAULT_OPTIONS } from '../cases/options.js';
import { InputError } from '../util/errors.js';
import type { SuiteInput } from './define.js';
import { defineSuite } from './define.js';
import { checkSuite } from './load.js';

const FILE = '/x/my.suite.ts';

function complaint(input: unknown): string {
  try {
    checkSuite(input, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('checkSuite', () => {
  it('suggests the closest known key for a typo, naming the field', () => {
    expect(complaint({ fuzz: { run: 5 } })).toBe(`${FILE}, field fuzz.run: unknown key "run"; did you mean "runs"? Known keys of fuzz: families, runs, failures, shrink, quantities`);
    expect(complaint({ fuzz: { familes: ['vocab'] } })).toMatch(/field fuzz\.familes: unknown key "familes"; did you mean "families"\?/);
    expect(complaint({ map: { offset: 31 } })).toMatch(/field map\.offset: unknown key "offset"; did you mean "offsets"\?/);
    // A top-level typo of a nested key is pointed there; with no close key at all, the sentence still ends.
    expect(complaint({ familes: ['ordinal'] })).toMatch(/field familes: unknown key "familes"; did you mean "fuzz\.families"\? Known keys: name,/);
    expect(complaint({ zzzzzz: 1 })).toMatch(/field zzzzzz: unknown key "zzzzzz"\. Known keys: name,/);
    expect(complaint({ pipeline: ['fused-cross-entropy'] })).toMatch(/field pipeline: unknown key "pipeline"; did you mean "pipelines"\? Known keys: name, seed, pipelines/);
    expect(complaint({ fuzz: { runs: { vocabb: 3 } } })).toMatch(/field fuzz\.runs\.vocabb: unknown family "vocabb"; did you mean "vocab"\?/);
    expect(complaint({ pipelines: ['fused-cross-entropi'] })).toMatch(/field pipelines\[0\]: unknown pipeline "fused-cross-entropi"; did you mean "fused-cross-entropy"\?/);
    expect(complaint({ dtypes: ['float23'] })).toMatch(/field dtypes\[0\]: got "float23"; expected a dtype: one of float32, float64, float16, bfloat16; did you mean "float32"\?/);
  });

  it('names the value and what was expected instead of crashing', () => {
    expect(complaint({ dtypes: 'float32' })).toBe(`${FILE}, field dtypes: got "float32"; expected an array of dtypes, e.g. ['float32', 'float64']`);
    expect(complaint({ seed: 1.5 })).toMatch(/field seed: got 1\.5; expected an integer seed/);
    expect(complaint({ fuzz: { runs: 0 } })).toMatch(/field fuzz\.runs: got 0; expected/);
    expect(complaint({ map: { offsets: 16 } })).toMatch(/field map\.offsets: got 16; expected .*odd/);
  });

  it('refuses empty pipelines and dtypes, which would exit 0 with empty reports', () => {
    expect(complaint({ pipelines: [] })).toMatch(/field pipelines: got \[\]; expected at least one pipeline/);
    expect(complaint({ dtypes: [] })).toMatch(/field dtypes: got \[\]; expected at least one dtype/);
    expect(complaint({ fuzz: { families: [] } })).toMatch(/field fuzz\.families: got \[\]; expected at least one family/);
  });

  it('keeps numeric settings finite and bounded (bench.time: Infinity ran for ever; its successor bench.budgetSeconds is bounded)', () => {
    expect(complaint({ bench: { budgetSeconds: Infinity } })).toMatch(/field bench\.budgetSeconds: got Infinity; expected seconds of timed rounds for the bench phase: a finite number > 0 and ≤ 3,600/);
    expect(complaint({ bench: { budgetSeconds: 1e9 } })).toMatch(/field bench\.budgetSeconds/);
    expect(complaint({ bench: { budgetSeconds: NaN } })).toMatch(/field bench\.budgetSeconds: got NaN/);
    expect(complaint({ bench: { time: 500 } })).toMatch(/field bench\.time: unknown key "time"/);
    expect(complaint({ bench: { shapes: [[1e6, 1e6]] } })).toMatch(/field bench\.shapes\[0\]: .*at most 2\^27/);
    expect(complaint({ watchdog: { stallSeconds: 0 } })).toMatch(/field watchdog\.stallSeconds: got 0; expected seconds without progress/);
    expect(complaint({ watchdog: { stallSeconds: Infinity } })).toMatch(/field watchdog\.stallSeconds/);
    expect(complaint({ gate: { throughputTolerance: 2 } })).toMatch(/field gate\.throughputTolerance/);
  });

  it('a suite name cannot steer where reports go', () => {
    for (const name of ['../elsewhere', 'a/b', '..', '.hidden', '', 'a\\b']) expect(complaint({ name })).toMatch(/field name: got .*; expected a name of letters, digits/);
    expect(checkSuite({ name: 'my-suite_2.1' }, FILE).name).toBe('my-suite_2.1');
  });

  it('refuses an array or a non-object as the suite', () => {
    expect(complaint([{ name: 'x' }])).toMatch(/field default export: the default export is an array/);
    expect(complaint(42)).toMatch(/field default export: got 42; expected a suite object/);
  });

  it('fills the defaults of a valid suite, watchdog included', () => {
    const s = checkSuite({ pipelines: ['fused-cross-entropy'], fuzz: { runs: { vocab: 2 } } }, FILE);
    expect(s.name).toBe('my');
    expect(s.fuzz.runs.vocab).toBe(2);
    expect(s.fuzz.runs.moderate).toBe(100);
    expect(s.watchdog.stallSeconds).toBe(120);
    expect(s.dtypes).toEqual(['float32', 'float64']);
  });

  it("defineSuite's types are the schema's: a typo does not compile", () => {
    const ok: SuiteInput = defineSuite({ name: 'x', fuzz: { runs: { vocab: 2 } }, bench: { shapes: [[1, 10]] }, watchdog: { stallSeconds: 5 } });
    expect(ok.name).toBe('x');
    // @ts-expect-error: `run` is not a key of fuzz settings
    const typo: SuiteInput = { fuzz: { run: 5 } };
    expect(typo).toBeDefined();
  });
});

describe('suite files through the CLI', () => {
  const cases: [string, string, RegExp][] = [
    ['nodefault', "export const suite = { name: 'x' };\n", /field default export: the suite file has no default export \(it exports suite\)/],
    ['array', "export default [{ name: 'x' }];\n", /field default export: the default export is an array/],
    ['typo', "export default { fuzz: { run: 5 } };\n", /field fuzz\.run: unknown key "run"; did you mean "runs"\?/],
    ['scalar', "export default { dtypes: 'float32' };\n", /field dtypes: got "float32"/],
  ];
  for (const [name, text, expected] of cases) {
    it(`${name}: exit 2 with one line naming the file and the field`, () => {
      const dir = tempDir();
      const file = join(dir, `${name}.suite.ts`);
      writeFileSync(file, text);
      const r = runCli(['fuzz', '--suite', file, '--out', join(dir, 'out')]);
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain(file);
      expect(lines[0]).toMatch(expected);
    });
  }
});

describe('--suite by name', () => {
  it('in the package itself, lists the one folder looked in once and suggests the closest suite', () => {
    const r = runCli(['map', '--suite', 'defualt']);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('peers: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/field --suite: no suite "defualt": looked for \S+\/suites\/defualt\.suite\.ts; did you mean "default"\? Suites here: accurate, accurate-grad, ci, default, example-user, half, jax, masked, options, python-reference, research, research-tenth, torch;/);
  });

  it('a folder is refused as such, and nothing far from every name is suggested', () => {
    const r = runCli(['map', '--suite', '.']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/field --suite: \S+ is a folder, not a suite file; give a suite name/);
    const far = runCli(['map', '--suite', 'zz']);
    expect(far.status).toBe(2);
    expect(far.stderr).toMatch(/no suite "zz": looked for \S+; Suites here: accurate, accurate-grad, ci, default, example-user, half, jax, masked, options, python-reference, research, research-tenth, torch;/);
  });
});

describe('a suite\'s batch options (SPEC 6)', () => {
  it('defaults to one bare setting', () => {
    expect(checkSuite({}, FILE).options).toEqual([DEFAULT_OPTIONS]);
  });

  it('takes one setting or a list to sweep, filling the defaults', () => {
    expect(checkSuite({ options: { weight: [1, 0, 2], reduction: 'mean' } }, FILE).options).toEqual([{ ...DEFAULT_OPTIONS, weight: [1, 0, 2], reduction: 'mean' }]);
    const sweep = checkSuite({ options: [{ labelSmoothing: 1e-4 }, { labelSmoothing: 0.5, maskedRows: 'zero' }, { ignoreIndex: -100 }] }, FILE).options;
    expect(sweep.map((o) => [o.labelSmoothing, o.maskedRows, o.ignoreIndex])).toEqual([
      [1e-4, 'nan', undefined],
      [0.5, 'zero', undefined],
      [0, 'nan', -100],
    ]);
  });

  it('refuses a bad setting, naming the field', () => {
    expect(complaint({ options: { weight: [1, -1] } })).toBe(`${FILE}, field options.weight[1]: got -1; expected class weights: finite numbers ≥ 0, one per class`);
    expect(complaint({ options: [{}, { labelSmoothing: 2 }] })).toBe(`${FILE}, field options[1].labelSmoothing: got 2; expected label smoothing: a number from 0 to 1`);
    expect(complaint({ options: { ignoreIndex: 0.5 } })).toMatch(/field options\.ignoreIndex: got 0\.5; expected ignore_index: an integer/);
    expect(complaint({ options: { ignoreIndex: '0' } })).toMatch(/field options\.ignoreIndex: got "0"; expected ignore_index: an integer/);
    expect(complaint({ options: { reduction: 'avg' } })).toMatch(/field options\.reduction: got "avg"; expected a reduction: one of none, mean, sum/);
    expect(complaint({ options: { label_smoothing: 0.1 } })).toMatch(/field options\.label_smoothing: unknown option "label_smoothing"; options are weight, ignoreIndex, reduction, labelSmoothing, maskedRows/);
    expect(complaint({ options: [] })).toMatch(/field options: got \[\]; expected at least one setting/);
    expect(complaint({ options: 'mean' })).toMatch(/field options: got "mean"; expected batch options: an object/);
  });
});

describe('the accurate suite is the research suite\'s fuzz run for accurate-cross-entropy', () => {
  it('same seed, dtypes, compute modes, families and run counts (issue 14\'s claim is quoted on it)', async () => {
    const { loadSuite } = await import('./load.js');
    const [accurate, research] = await Promise.all([loadSuite('accurate'), loadSuite('research')]);
    expect(accurate.pipelines.map((p) => p.name)).toEqual(['accurate-cross-entropy']);
    expect(research.pipelines.map((p) => p.name)).toContain('accurate-cross-entropy');
    expect(accurate.seed).toBe(research.seed);
    expect(accurate.dtypes).toEqual(research.dtypes);
    expect(accurate.compute).toEqual(research.compute);
    expect(accurate.fuzz.families).toEqual(research.fuzz.families);
    expect(accurate.fuzz.runs).toEqual(research.fuzz.runs);
    expect(accurate.fuzz.quantities).toEqual(research.fuzz.quantities);
  });
});
