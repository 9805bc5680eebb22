/**
 * Finding, loading and checking a suite. A suite is `suites/NAME.suite.ts` (in
 * the working directory first, then in this package) or a path to a suite
 * file. Suite files are TypeScript, loaded with tsx's `tsImport` so that a user
 * needs no build step; worker threads load the same file the same way, so a
 * user's pipeline runs in the pool like a built-in.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Dtype } from '../float/dtype.js';
import { DTYPES, isDtype } from '../float/dtype.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import { availablePeers, peerUnavailable } from '../peers/registry.js';
import type { Pipeline } from '../pipelines/types.js';
import { DEFAULT_BUDGET } from '../score/outcome.js';
import { InputError } from '../util/errors.js';
import type { BenchSettings, Family, GateSettings, MapSettings, ShrinkSettings, SuiteInput } from './define.js';
import { FAMILIES } from './define.js';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Suite {
  readonly name: string;
  /** Absolute path of the suite file (workers load it again from here). */
  readonly file: string;
  readonly seed: number;
  readonly pipelines: readonly Pipeline[];
  readonly dtypes: readonly Dtype[];
  readonly budgets: Readonly<Record<string, number>>;
  readonly fuzz: {
    readonly families: readonly Family[];
    readonly runs: Readonly<Record<Family, number>>;
    readonly failures: Readonly<Record<Family, number>>;
    readonly shrink: Required<ShrinkSettings>;
  };
  readonly map: Required<MapSettings>;
  readonly bench: Required<BenchSettings>;
  readonly gate: Required<GateSettings>;
}

export const DEFAULT_SEED = 42;
const DEFAULT_RUNS = 100;
/** failures.csv keeps this many distinct shrunk failures per pipeline × dtype × family; a vocab row is 32k-50k logits, so 1. */
export const DEFAULT_FAILURES: Readonly<Record<Family, number>> = { ordinal: 3, offset: 3, dominant: 3, underdog: 3, spread: 3, ties: 3, subnormal: 3, vocab: 1, moderate: 3 };
export const DEFAULT_SHRINK: Required<ShrinkSettings> = { steps: 200, logits: 20000, attempts: 6 };
export const DEFAULT_MAP: Required<MapSettings> = { offsets: 97, gaps: 65, extraClasses: 0 };
export const DEFAULT_BENCH: Required<BenchSettings> = {
  shapes: [
    [1, 10],
    [128, 1000],
    [4096, 1000],
    [32, 50257],
  ],
  poolShape: [4096, 1000],
  workers: [2],
  budgetSeconds: 60,
};
export const DEFAULT_GATE: Required<GateSettings> = { ulpTolerance: 0, bitsTolerance: 0, throughputTolerance: 0.15 };

/** Where `suite` names a file: a path as given, else suites/NAME.suite.ts in the working directory, then in this package. */
export function resolveSuitePath(suite: string, cwd: string = process.cwd()): string {
  const looksLikePath = suite.includes('/') || suite.includes('\\') || /\.(ts|mts|js|mjs)$/.test(suite);
  const candidates = looksLikePath
    ? [isAbsolute(suite) ? suite : resolve(cwd, suite)]
    : [resolve(cwd, 'suites', `${suite}.suite.ts`), resolve(PACKAGE_ROOT, 'suites', `${suite}.suite.ts`)];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new InputError(`no suite ${JSON.stringify(suite)}: looked for ${candidates.join(' and ')}; give a suite name or the path of a .suite.ts file`, undefined, undefined, '--suite');
  }
  return found;
}

/** Imports a suite file's default export (TypeScript through tsx). */
export async function importSuiteFile(file: string): Promise<SuiteInput> {
  let mod: { default?: unknown };
  try {
    if (/\.m?js$/.test(file)) {
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } else {
      const { tsImport } = await import('tsx/esm/api');
      mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
    }
  } catch (err) {
    throw new InputError(`cannot load the suite (${(err as Error).message.split('\n')[0]})`, file);
  }
  // tsx may wrap a CommonJS-looking module: accept default.default too.
  let value = mod.default;
  if (value !== null && typeof value === 'object' && 'default' in value && !('pipelines' in value)) value = (value as { default: unknown }).default;
  if (value === null || typeof value !== 'object') {
    throw new InputError('the suite file has no default export; end it with `export default defineSuite({ ... })`', file);
  }
  return value as SuiteInput;
}

function isPipeline(p: unknown): p is Pipeline {
  const q = p as Pipeline;
  return q !== null && typeof q === 'object' && typeof q.name === 'string' && typeof q.float32 === 'function' && typeof q.float64 === 'function';
}

/** Checks a suite's contents and fills its defaults; every complaint names the field and what to change. */
export function checkSuite(input: SuiteInput, file: string, extraPipelines: readonly Pipeline[] = []): Suite {
  const bad = (field: string, message: string) => new InputError(message, file, undefined, field);
  const available = [...BUILTIN_PIPELINES, ...extraPipelines];
  const name = input.name ?? file.replace(/^.*[\\/]/, '').replace(/\.suite\.[mc]?[jt]s$|\.[mc]?[jt]s$/, '');

  const seed = input.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw bad('seed', `seed ${JSON.stringify(seed)} is not an integer; give a whole number`);

  const pipelines: Pipeline[] = [];
  for (const [i, p] of (input.pipelines ?? BUILTIN_PIPELINES).entries()) {
    if (typeof p === 'string') {
      const found = available.find((q) => q.name === p);
      if (found === undefined) throw bad(`pipelines[${i}]`, `unknown pipeline ${JSON.stringify(p)}; use one of ${available.map((q) => q.name).join(', ')}, or a Pipeline object`);
      pipelines.push(found);
    } else if (isPipeline(p)) {
      pipelines.push(p);
    } else {
      throw bad(`pipelines[${i}]`, 'not a pipeline: give a built-in name or an object { name, formula, float32(x, rows, classes, targets, out), float64(...) }');
    }
  }
  const names = new Set<string>();
  for (const p of pipelines) {
    if (names.has(p.name)) throw bad('pipelines', `pipeline ${JSON.stringify(p.name)} is listed twice; list each once`);
    names.add(p.name);
  }

  const dtypes = input.dtypes ?? DTYPES;
  for (const [i, d] of dtypes.entries()) {
    if (!isDtype(d as string)) throw bad(`dtypes[${i}]`, `unknown dtype ${JSON.stringify(d)}; use float32 or float64`);
  }

  const budgets: Record<string, number> = {};
  for (const p of pipelines) budgets[p.name] = DEFAULT_BUDGET;
  for (const [k, v] of Object.entries(input.budgets ?? {})) {
    if (!names.has(k)) throw bad(`budgets.${k}`, `budget for ${JSON.stringify(k)}, which is not among the suite's pipelines; remove it or add the pipeline`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(`budgets.${k}`, `budget ${JSON.stringify(v)} is not a number of ulps ≥ 0`);
    budgets[k] = v;
  }

  const families = input.fuzz?.families ?? FAMILIES;
  for (const [i, f] of families.entries()) {
    if (!(FAMILIES as readonly string[]).includes(f)) throw bad(`fuzz.families[${i}]`, `unknown family ${JSON.stringify(f)}; use one of ${FAMILIES.join(', ')}`);
  }
  const runsInput = input.fuzz?.runs ?? DEFAULT_RUNS;
  const runs = {} as Record<Family, number>;
  for (const f of FAMILIES) {
    const v = typeof runsInput === 'number' ? runsInput : (runsInput[f] ?? DEFAULT_RUNS);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw bad(typeof runsInput === 'number' ? 'fuzz.runs' : `fuzz.runs.${f}`, `runs ${JSON.stringify(v)} must be a whole number ≥ 1`);
    }
    runs[f] = v;
  }
  if (typeof runsInput === 'object') {
    for (const k of Object.keys(runsInput)) {
      if (!(FAMILIES as readonly string[]).includes(k)) throw bad(`fuzz.runs.${k}`, `unknown family ${JSON.stringify(k)}; use one of ${FAMILIES.join(', ')}`);
    }
  }

  const failuresInput = input.fuzz?.failures;
  const failures = {} as Record<Family, number>;
  for (const f of FAMILIES) {
    const v = failuresInput === undefined ? DEFAULT_FAILURES[f] : typeof failuresInput === 'number' ? failuresInput : (failuresInput[f] ?? DEFAULT_FAILURES[f]);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw bad(typeof failuresInput === 'number' ? 'fuzz.failures' : `fuzz.failures.${f}`, `failures ${JSON.stringify(v)} must be a whole number ≥ 0 (distinct shrunk failures kept per pipeline, dtype and family)`);
    }
    failures[f] = v;
  }
  if (failuresInput !== undefined && typeof failuresInput === 'object') {
    for (const k of Object.keys(failuresInput)) {
      if (!(FAMILIES as readonly string[]).includes(k)) throw bad(`fuzz.failures.${k}`, `unknown family ${JSON.stringify(k)}; use one of ${FAMILIES.join(', ')}`);
    }
  }
  const shrink = { ...DEFAULT_SHRINK, ...input.fuzz?.shrink };
  for (const k of ['steps', 'logits', 'attempts'] as const) {
    if (typeof shrink[k] !== 'number' || !Number.isInteger(shrink[k]) || shrink[k] < 0) throw bad(`fuzz.shrink.${k}`, `${k} ${JSON.stringify(shrink[k])} must be a whole number ≥ 0`);
  }

  const map = { ...DEFAULT_MAP, ...input.map };
  // Region map grid (regions/grid.ts): offsets symmetric about 0, so odd; per side three exp thresholds and two points in each range.
  if (!Number.isInteger(map.offsets) || map.offsets < 15 || map.offsets % 2 === 0) throw bad('map.offsets', `offsets ${JSON.stringify(map.offsets)} must be an odd whole number ≥ 15 (the grid is symmetric about 0)`);
  if (!Number.isInteger(map.gaps) || map.gaps < 8) throw bad('map.gaps', `gaps ${JSON.stringify(map.gaps)} must be a whole number ≥ 8`);
  if (!Number.isInteger(map.extraClasses) || map.extraClasses < 0) throw bad('map.extraClasses', `extraClasses ${JSON.stringify(map.extraClasses)} must be a whole number ≥ 0`);

  const bench = { ...DEFAULT_BENCH, ...input.bench };
  for (const [i, s] of [...bench.shapes, bench.poolShape].entries()) {
    if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => Number.isInteger(v) && v >= 1)) {
      throw bad(i < bench.shapes.length ? `bench.shapes[${i}]` : 'bench.poolShape', `shape ${JSON.stringify(s)} must be [rows, classes], whole numbers ≥ 1`);
    }
  }
  for (const [i, w] of bench.workers.entries()) {
    if (!Number.isInteger(w) || w < 1) throw bad(`bench.workers[${i}]`, `workers ${JSON.stringify(w)} must be a whole number ≥ 1`);
  }
  for (const k of ['time', 'iterations']) {
    if (input.bench !== undefined && k in input.bench) throw bad(`bench.${k}`, `bench.${k} is no longer used: tasks run in paired rounds within bench.budgetSeconds (seconds for the whole bench phase); remove it`);
  }
  if (typeof bench.budgetSeconds !== 'number' || !(bench.budgetSeconds > 0 && bench.budgetSeconds <= 3600)) {
    throw bad('bench.budgetSeconds', `budgetSeconds ${JSON.stringify(bench.budgetSeconds)} must be a number of seconds > 0 and ≤ 3600`);
  }

  const gate = { ...DEFAULT_GATE, ...input.gate };
  for (const k of ['ulpTolerance', 'bitsTolerance', 'throughputTolerance'] as const) {
    if (typeof gate[k] !== 'number' || !Number.isFinite(gate[k]) || gate[k] < 0) throw bad(`gate.${k}`, `${k} ${JSON.stringify(gate[k])} must be a number ≥ 0`);
  }

  return { name, file, seed, pipelines, dtypes, budgets, fuzz: { families, runs, failures, shrink }, map, bench, gate };
}

/** Resolves, imports and checks a suite. */
export async function loadSuite(suite: string, cwd: string = process.cwd(), extraPipelines: readonly Pipeline[] = availablePeers()): Promise<Suite> {
  const file = resolveSuitePath(suite, cwd);
  const input = await importSuiteFile(file);
  for (const [i, p] of (input.pipelines ?? []).entries()) {
    const reason = typeof p === 'string' ? peerUnavailable(p) : undefined;
    if (reason !== undefined) throw new InputError(reason, file, undefined, `pipelines[${i}]`);
  }
  return checkSuite(input, file, extraPipelines);
}
