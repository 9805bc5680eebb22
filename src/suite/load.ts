/**
 * Finding, loading and checking a suite. A suite is `suites/NAME.suite.ts` (in
 * the working directory first, then in this package) or a path to a suite
 * file. Suite files are TypeScript, loaded with tsx's `tsImport` so that a user
 * needs no build step; worker threads load the same file the same way, so a
 * user's pipeline runs in the pool like a built-in.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BatchOptions } from '../cases/options.js';
import { validateOptions, weightsIn } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';
import { DTYPES, isHalf, NATIVE_DTYPES } from '../float/dtype.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import { availablePeers, peerUnavailable } from '../peers/registry.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Compute } from '../pipelines/variant.js';
import { computeModes } from '../pipelines/variant.js';
import { DEFAULT_BUDGET } from '../score/outcome.js';
import { InputError } from '../util/errors.js';
import { externalPipeline } from '../external/pipeline.js';
import { checkExternalSpec, isExternalEntry } from '../external/spec.js';
import { compiledModule } from '../util/compiled.js';
import type { BenchSettings, Family, GateSettings, MapSettings, ShrinkSettings, SuiteInput, WatchdogSettings } from './define.js';
import { announceSettings, watchedPipeline } from '../supervise/heartbeat.js';
import { DEFAULT_STALL_SECONDS } from '../supervise/supervisor.js';
import { FAMILIES, OPT_IN_FAMILIES } from './define.js';
import type { Quantity } from '../report/key.js';
import { QUANTITIES } from '../report/key.js';
import { describeIssue, didYouMean, fieldName, showValue, suiteSchema } from './schema.js';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Suite {
  readonly name: string;
  /** Absolute path of the suite file (workers load it again from here). */
  readonly file: string;
  readonly seed: number;
  readonly pipelines: readonly Pipeline[];
  readonly dtypes: readonly Dtype[];
  /** Arithmetic modes per dtype (SPEC 2.1): the dtype itself for float32/float64, the suite's `compute` (default both) for the half formats. */
  readonly compute: Readonly<Record<Dtype, readonly Compute[]>>;
  readonly budgets: Readonly<Record<string, number>>;
  readonly fuzz: {
    readonly families: readonly Family[];
    readonly runs: Readonly<Record<Family, number>>;
    readonly failures: Readonly<Record<Family, number>>;
    readonly shrink: Required<ShrinkSettings>;
    /** What is fuzzed, in QUANTITIES order (default: loss and grad). */
    readonly quantities: readonly Quantity[];
  };
  readonly map: Required<MapSettings>;
  readonly bench: Required<BenchSettings>;
  readonly gate: Required<GateSettings>;
  readonly watchdog: Required<WatchdogSettings>;
  /** The batch options to sweep (SPEC 6), each with its defaults filled in; one bare setting by default. */
  readonly options: readonly BatchOptions[];
}

export const DEFAULT_SEED = 42;
/**
 * Cases per family and dtype when the suite does not say. A vocab row is 32,000 to
 * 50,257 classes, about 4.5 s of oracle each, so vocab keeps its own small default:
 * a number `fuzz.runs` (and `fuzz --runs N`) applies to every family but vocab, which
 * changes only through `fuzz.runs.vocab`.
 */
export const DEFAULT_RUNS: Readonly<Record<Family, number>> = { ordinal: 100, offset: 100, dominant: 100, underdog: 100, spread: 100, ties: 100, subnormal: 100, vocab: 2, moderate: 100, masked: 100 };

/** Runs per family from a suite's `fuzz.runs`: a number sets every family but vocab (DEFAULT_RUNS). */
export function runsPerFamily(runs: number | Partial<Record<Family, number>> | undefined): Record<Family, unknown> {
  return Object.fromEntries(FAMILIES.map((f) => [f, runs === undefined ? DEFAULT_RUNS[f] : typeof runs === 'number' ? (f === 'vocab' ? DEFAULT_RUNS.vocab : runs) : (runs[f] ?? DEFAULT_RUNS[f])])) as Record<Family, unknown>;
}
/** The families of a suite that lists none: every family, an opt-in one (OPT_IN_FAMILIES) only where `runs` gives its count. */
export function defaultFamilies(runs: number | Partial<Record<Family, number>> | undefined): readonly Family[] {
  return FAMILIES.filter((f) => !OPT_IN_FAMILIES.includes(f) || (typeof runs === 'object' && runs[f] !== undefined));
}
/** failures.csv keeps this many distinct shrunk failures per pipeline × dtype × family; a vocab row is 32k-50k logits, so 1. */
export const DEFAULT_FAILURES: Readonly<Record<Family, number>> = { ordinal: 3, offset: 3, dominant: 3, underdog: 3, spread: 3, ties: 3, subnormal: 3, vocab: 1, moderate: 3, masked: 3 };
export const DEFAULT_SHRINK: Required<ShrinkSettings> = { steps: 200, logits: 20000, attempts: 6 };
export const DEFAULT_MAP: Required<MapSettings> = { offsets: 97, gaps: 65, extraClasses: 0, masks: [], quantities: QUANTITIES };
export const DEFAULT_BENCH: Required<BenchSettings> = {
  shapes: [
    [1, 10],
    [128, 1000],
    [4096, 1000],
    [32, 50257],
  ],
  poolShape: [4096, 1000],
  halfShapes: [[128, 1000]],
  workers: [2],
  budgetSeconds: 60,
};
export const DEFAULT_GATE: Required<GateSettings> = { ulpTolerance: 0, bitsTolerance: 0, throughputTolerance: 0.15 };

/** Where `suite` names a file: a path as given, else suites/NAME.suite.ts in the working directory, then in this package. */
export function resolveSuitePath(suite: string, cwd: string = process.cwd()): string {
  const looksLikePath = suite.includes('/') || suite.includes('\\') || suite === '.' || suite === '..' || /\.(ts|mts|js|mjs)$/.test(suite);
  const candidates = looksLikePath
    ? [isAbsolute(suite) ? suite : resolve(cwd, suite)]
    : [resolve(cwd, 'suites', `${suite}.suite.ts`), resolve(PACKAGE_ROOT, 'suites', `${suite}.suite.ts`)];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    const looked = [...new Set(candidates)];
    const names = looksLikePath ? [] : suiteNames(cwd);
    const hint = didYouMean(suite, names);
    throw new InputError(
      `no suite ${JSON.stringify(suite)}: looked for ${looked.join(' and ')}${hint !== undefined ? `; did you mean ${JSON.stringify(hint)}?` : ';'}${names.length > 0 ? ` Suites here: ${names.join(', ')};` : ''} give a suite name or the path of a .suite.ts file`,
      undefined,
      undefined,
      '--suite',
    );
  }
  if (statSync(found).isDirectory()) {
    throw new InputError(`${found} is a folder, not a suite file; give a suite name (suites/NAME.suite.ts) or the path of a .suite.ts file`, undefined, undefined, '--suite');
  }
  return found;
}

/** The suite names `--suite NAME` finds: suites/*.suite.ts in the working directory and in this package, sorted, each once. */
export function suiteNames(cwd: string = process.cwd()): string[] {
  const names = new Set<string>();
  for (const dir of [resolve(cwd, 'suites'), resolve(PACKAGE_ROOT, 'suites')]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.suite.ts')) names.add(f.slice(0, -'.suite.ts'.length));
  }
  return [...names].sort();
}

/** Imports a suite file's default export (TypeScript through tsx). */
let hooksRegistered = false;

/** Registers `hooks.ts` once in this thread (suites load in the compute worker and in pool workers alike). */
export function registerSuiteHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  register(pathToFileURL(compiledModule('suite/hooks.js')).href, { data: { index: pathToFileURL(compiledModule('index.js')).href } });
}

export async function importSuiteFile(file: string): Promise<unknown> {
  let mod: { default?: unknown };
  registerSuiteHooks();
  try {
    if (/\.m?js$/.test(file)) {
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } else {
      const { tsImport } = await import('tsx/esm/api');
      mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
    }
  } catch (err) {
    // tsx's transform errors put the reason and the place on the lines after "Transform failed with 1 error:".
    const lines = (err as Error).message.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const reason = lines[0]?.endsWith(':') && lines.length > 1 ? `${lines[0]} ${lines[1]}` : (lines[0] ?? String(err));
    throw new InputError(`cannot load the suite (${reason})`, file);
  }
  // tsx may wrap a CommonJS-looking module: accept default.default too.
  let value = mod.default;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'default' in value) value = (value as { default: unknown }).default;
  if (value === undefined) {
    const named = Object.keys(mod).filter((k) => k !== 'default');
    throw new InputError(`the suite file has no default export${named.length ? ` (it exports ${named.join(', ')})` : ''}; end it with \`export default defineSuite({ ... })\``, file, undefined, 'default export');
  }
  return value;
}

/**
 * Checks a suite's contents against the schema (`schema.ts`) and fills its
 * defaults. Every complaint is an InputError naming the file and the field, with
 * the value found, what was expected, and the closest known key or name for a typo.
 */
export function checkSuite(input: unknown, file: string, extraPipelines: readonly Pipeline[] = []): Suite {
  const bad = (field: string, message: string) => new InputError(message, file, undefined, field);
  if (Array.isArray(input)) throw bad('default export', 'the default export is an array; export one suite: `export default defineSuite({ ... })`');
  if (input === null || typeof input !== 'object') throw bad('default export', `got ${showValue(input)}; expected a suite object: \`export default defineSuite({ ... })\``);
  const parsed = suiteSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const { field, message } = describeIssue(parsed.error.issues[0]);
    throw bad(field || 'default export', message);
  }
  const given = parsed.data;
  const available = [...BUILTIN_PIPELINES, ...extraPipelines];
  const name = given.name ?? file.replace(/^.*[\\/]/, '').replace(/\.suite\.[mc]?[jt]s$|\.[mc]?[jt]s$/, '');

  const pipelines: Pipeline[] = [];
  for (const [i, p] of (given.pipelines ?? BUILTIN_PIPELINES).entries()) {
    if (typeof p === 'string') {
      const found = available.find((q) => q.name === p);
      if (found === undefined) {
        const hint = didYouMean(p, available.map((q) => q.name));
        throw bad(`pipelines[${i}]`, `unknown pipeline ${JSON.stringify(p)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ''}; use one of ${available.map((q) => q.name).join(', ')}, or a Pipeline object`);
      }
      pipelines.push(found);
    } else if (isExternalEntry(p)) {
      // A process (SPEC 7): checked field by field; watched like a user's code.
      const spec = checkExternalSpec(p, file, i);
      // A built-in's name would put the process's results under the built-in's in every report.
      if (available.some((q) => q.name === spec.name)) throw bad(`pipelines[${i}].name`, `got ${JSON.stringify(spec.name)}, the name of a built-in pipeline; expected a name of its own (e.g. ${JSON.stringify(`python-${spec.name}`)})`);
      pipelines.push(watchedPipeline(externalPipeline(spec)));
    } else {
      // A user's code: watched, so that a kernel that never returns is named by the supervisor.
      pipelines.push(watchedPipeline(p));
    }
  }
  const names = new Set<string>();
  for (const p of pipelines) {
    if (names.has(p.name)) throw bad('pipelines', `pipeline ${JSON.stringify(p.name)} is listed twice; list each once`);
    names.add(p.name);
  }

  const dtypes = given.dtypes ?? NATIVE_DTYPES;
  const givenCompute: Partial<Record<Dtype, readonly Compute[]>> = given.compute ?? {};
  // Listed modes in the canonical order (pure first), whatever order the suite gives them in.
  const compute = Object.fromEntries(DTYPES.map((d) => [d, computeModes(d).filter((c) => givenCompute[d] === undefined || givenCompute[d].includes(c))])) as Record<Dtype, Compute[]>;
  const budgets: Record<string, number> = {};
  for (const p of pipelines) budgets[p.name] = DEFAULT_BUDGET;
  for (const [k, v] of Object.entries(given.budgets ?? {})) {
    if (!names.has(k)) {
      const hint = didYouMean(k, [...names]);
      throw bad(`budgets.${k}`, `budget for ${JSON.stringify(k)}, which is not among the suite's pipelines${hint ? `; did you mean ${JSON.stringify(hint)}?` : '.'} Remove it or add the pipeline`);
    }
    budgets[k] = v;
  }

  const families = given.fuzz?.families ?? defaultFamilies(given.fuzz?.runs);
  const perFamily = (v: number | Partial<Record<Family, number>> | undefined, fallback: Readonly<Record<Family, number>>) =>
    Object.fromEntries(FAMILIES.map((f) => [f, typeof v === 'number' ? v : (v?.[f] ?? fallback[f])])) as Record<Family, number>;
  const runs = runsPerFamily(given.fuzz?.runs) as Record<Family, number>;
  const failures = perFamily(given.fuzz?.failures, DEFAULT_FAILURES);
  const shrink = { ...DEFAULT_SHRINK, ...given.fuzz?.shrink };
  const quantities = QUANTITIES.filter((q) => given.fuzz?.quantities?.includes(q) ?? true);
  const map = { ...DEFAULT_MAP, ...given.map, quantities: QUANTITIES.filter((q) => given.map?.quantities?.includes(q) ?? true) };
  const bench = { ...DEFAULT_BENCH, ...given.bench };
  const gate = { ...DEFAULT_GATE, ...given.gate };
  const watchdog = { stallSeconds: DEFAULT_STALL_SECONDS, ...given.watchdog };

  if (Array.isArray(given.options) && given.options.length === 0) throw bad('options', 'got []; expected at least one setting of the batch options (or leave options out)');
  const settings: readonly unknown[] = given.options === undefined ? [{}] : Array.isArray(given.options) ? given.options : [given.options];
  const optionField = (i: number, path: readonly PropertyKey[]) => fieldName(['options', ...(Array.isArray(given.options) ? [i] : []), ...path]);
  const options = settings.map((o, i) => validateOptions(o, (path) => optionField(i, path), file));
  // Checked here, before any work: a weight of every dtype the suite runs (1e5 is +Infinity in float16), and
  // one weight per class of at least 2 (the option batches of a setting with weights have that many classes).
  for (const [i, o] of options.entries()) {
    if (o.weight === undefined) continue;
    if (o.weight.length < 2) throw bad(optionField(i, ['weight']), `got ${o.weight.length} class weight; the option batches under a setting's weights have one class per weight, so give at least 2`);
    for (const d of dtypes) weightsIn(o.weight, d, optionField(i, ['weight']), file);
  }

  return { name, file, seed: given.seed ?? DEFAULT_SEED, pipelines, dtypes, compute, budgets, fuzz: { families, runs, failures, shrink, quantities }, map, bench, gate, watchdog, options };
}

/** `{ compute: { float16: [...] } }` for the half formats the suite runs; nothing for a float32/float64 suite. */
export function halfCompute(suite: Pick<Suite, 'dtypes' | 'compute'>): { compute?: Record<string, string[]> } {
  const halves = suite.dtypes.filter(isHalf);
  return halves.length === 0 ? {} : { compute: Object.fromEntries(halves.map((d) => [d, [...suite.compute[d]]])) };
}

/** Resolves, imports and checks a suite. */
export async function loadSuite(suite: string, cwd: string = process.cwd(), extraPipelines: readonly Pipeline[] = availablePeers()): Promise<Suite> {
  const file = resolveSuitePath(suite, cwd);
  const input = await importSuiteFile(file);
  const listed = input !== null && typeof input === 'object' && Array.isArray((input as SuiteInput).pipelines) ? (input as SuiteInput).pipelines! : [];
  for (const [i, p] of listed.entries()) {
    const reason = typeof p === 'string' ? peerUnavailable(p) : undefined;
    if (reason !== undefined) throw new InputError(reason, file, undefined, `pipelines[${i}]`);
  }
  const suiteChecked = checkSuite(input, file, extraPipelines);
  announceSettings(suiteChecked.watchdog.stallSeconds, suiteChecked.name, file);
  return suiteChecked;
}
