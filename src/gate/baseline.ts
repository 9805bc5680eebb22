/**
 * baseline.json: what a baseline folder was made from, so that `gate` compares
 * only like with like. It records the suite's name, the SHA-256 of the suite
 * file, the seed, and every setting that decides which rows the reports hold
 * (pipelines, dtypes, budgets, fuzz families and runs, map grid, bench shapes
 * and workers, the batch options swept when the suite sets any). `gate` refuses a baseline whose rows would not be the current
 * run's (exit 2, with the command that refreshes it); a changed suite file with
 * the same settings (a user's pipeline edited in place) is what the gate is
 * for, and is only noted.
 */
import { harnessCommand } from '../util/invocation.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isHalf } from '../float/dtype.js';
import type { BatchOptions } from '../cases/options.js';
import { DEFAULT_OPTIONS } from '../cases/options.js';
import type { Suite } from '../suite/load.js';
import { halfCompute } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import { realPath } from '../util/publish.js';

export const BASELINE_FILE = 'baseline.json';

export interface BaselineIdentity {
  readonly suite: string;
  readonly seed: number;
  readonly settings: {
    readonly pipelines: readonly string[];
    readonly dtypes: readonly string[];
    /** The compute modes of the half formats (SPEC 2.1), only where the suite runs one. */
    readonly compute?: Readonly<Record<string, readonly string[]>>;
    readonly budgets: Readonly<Record<string, number>>;
    readonly fuzz: { readonly families: readonly string[]; readonly runs: Readonly<Record<string, number>>; readonly quantities: readonly string[] };
    readonly map: { readonly offsets: number; readonly gaps: number; readonly extraClasses: number };
    readonly bench: { readonly shapes: readonly (readonly number[])[]; readonly poolShape: readonly number[]; readonly workers: readonly number[]; readonly halfShapes?: readonly (readonly number[])[] };
    /** The batch options swept (SPEC 6), only where the suite sets any: they decide the option rows' values. */
    readonly options?: readonly BatchOptions[];
  };
}

export interface BaselineRecord extends BaselineIdentity {
  readonly schema: 1;
  /** SHA-256 of the suite file's bytes. */
  readonly suiteSha256: string;
}

export function suiteFileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The record of `suite` (its file is read for the hash). */
export function baselineRecord(suite: Suite): BaselineRecord {
  return {
    schema: 1,
    suite: suite.name,
    suiteSha256: suiteFileHash(suite.file),
    seed: suite.seed,
    settings: {
      pipelines: suite.pipelines.map((p) => p.name),
      dtypes: [...suite.dtypes],
      ...halfCompute(suite),
      budgets: { ...suite.budgets },
      // quantities decide which fuzz.csv rows exist: a baseline of other quantities is refused, not read as missing rows.
      fuzz: { families: [...suite.fuzz.families], runs: Object.fromEntries(suite.fuzz.families.map((f) => [f, suite.fuzz.runs[f]])), quantities: [...suite.fuzz.quantities] },
      map: { ...suite.map },
      bench: { shapes: suite.bench.shapes.map((s) => [...s]), poolShape: [...suite.bench.poolShape], workers: [...suite.bench.workers], ...(suite.dtypes.some(isHalf) ? { halfShapes: suite.bench.halfShapes.map((s) => [...s]) } : {}) },
      // options decide the option rows' values: a baseline of other options is refused, not read as regressions.
      ...(defaultOptions(suite.options) ? {} : { options: suite.options.map(optionsRecord) }),
    },
  };
}

/** True when the suite sweeps only the bare setting (no `options`, or `[{}]`): nothing is recorded, as before options existed. */
function defaultOptions(options: readonly BatchOptions[]): boolean {
  return options.length === 1 && JSON.stringify(optionsRecord(options[0])) === JSON.stringify(optionsRecord(DEFAULT_OPTIONS));
}

/** One setting as JSON keeps it (an absent weight or ignore_index is left out, not written as null). */
function optionsRecord(o: BatchOptions): BatchOptions {
  return JSON.parse(JSON.stringify({ weight: o.weight, ignoreIndex: o.ignoreIndex, reduction: o.reduction, labelSmoothing: o.labelSmoothing, maskedRows: o.maskedRows })) as BatchOptions;
}

export function baselineText(suite: Suite): string {
  return `${JSON.stringify(baselineRecord(suite), null, 2)}\n`;
}

/** The differences between two records' identities, as "key: baseline → current". */
function differences(base: unknown, cur: unknown, at: string, out: string[]): void {
  if (JSON.stringify(base) === JSON.stringify(cur)) return;
  if (base !== null && cur !== null && typeof base === 'object' && typeof cur === 'object' && !Array.isArray(base) && !Array.isArray(cur)) {
    const keys = [...new Set([...Object.keys(base), ...Object.keys(cur)])];
    for (const k of keys) differences((base as Record<string, unknown>)[k], (cur as Record<string, unknown>)[k], at ? `${at}.${k}` : k, out);
    return;
  }
  out.push(`${at} ${JSON.stringify(base) ?? 'absent'} in the baseline, ${JSON.stringify(cur) ?? 'absent'} now`);
}

/**
 * Checks that the baseline in `dir` was made from `suite`'s settings: InputError
 * (exit 2) otherwise, with the command that refreshes it. Returns a note when only
 * the suite file's bytes differ.
 */
export function checkBaseline(dir: string, suite: Suite, defaultDir: string): string | undefined {
  const file = join(dir, BASELINE_FILE);
  const suiteArg = relative(process.cwd(), suite.file) || suite.file;
  const refresh = `refresh it with \`${harnessCommand()} baseline --suite ${suiteArg}${realPath(dir) === realPath(defaultDir) ? '' : ` --out ${relative(process.cwd(), dir) || '.'}`}\``;
  if (!existsSync(file)) throw new InputError(`missing: this folder was not written by \`baseline\` (or by an older version); ${refresh}`, file);
  let rec: BaselineRecord;
  try {
    rec = JSON.parse(readFileSync(file, 'utf8')) as BaselineRecord;
  } catch (err) {
    throw new InputError(`not JSON (${(err as Error).message}); ${refresh}`, file);
  }
  const cur = baselineRecord(suite);
  const diff: string[] = [];
  differences({ suite: rec.suite, seed: rec.seed, settings: rec.settings }, { suite: cur.suite, seed: cur.seed, settings: cur.settings }, '', diff);
  if (diff.length > 0 && rec.suite !== cur.suite) {
    const fresh = `\`${harnessCommand()} baseline --suite ${suiteArg}\` writes one to ${relative(process.cwd(), defaultDir) || '.'}`;
    throw new InputError(`a baseline of suite ${JSON.stringify(rec.suite)}, and this run is of suite ${JSON.stringify(cur.suite)}: give --baseline a baseline of ${JSON.stringify(cur.suite)} (${fresh}), or --suite the baseline's suite`, file);
  }
  if (diff.length > 0) {
    throw new InputError(`the baseline was made from another suite or settings (${diff.slice(0, 3).join('; ')}${diff.length > 3 ? `; and ${diff.length - 3} more` : ''}); its rows are not this run's: ${refresh}`, file);
  }
  return rec.suiteSha256 === cur.suiteSha256 ? undefined : `the suite file ${suite.file} has changed since the baseline (same name, seed and settings): comparing`;
}
