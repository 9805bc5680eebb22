/**
 * The schema of a suite file's default export (zod 4), and the one-line
 * messages its errors become.
 *
 * Every key is known (a typo is an error that suggests the closest known key),
 * every number is finite and bounded, every list that a run needs is non-empty,
 * and `name`, which becomes a folder under reports/, is a plain file name. The
 * TypeScript types of `defineSuite` (`define.ts`) are derived from this schema
 * (`z.input`), so the two cannot drift apart. Semantic checks that need more
 * than the shape (pipeline names, duplicate pipelines, budgets of unknown
 * pipelines) and the defaults are in `load.ts`.
 *
 * zod rather than valibot: both are maintained and type-safe; zod's issues carry
 * the path, the received value (`reportInput`) and the unknown keys of a strict
 * object, all the message needs, and it is the one most users already know.
 */
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import type { BatchOptionsInput } from '../cases/options.js';
import { DTYPES } from '../float/dtype.js';
import type { MaskSpec } from '../float/mask.js';
import { QUANTITIES } from '../report/key.js';
import type { Pipeline } from '../pipelines/types.js';
import type { ExternalSpecInput } from '../external/spec.js';
import { FAMILIES } from './define.js';

/** Upper bounds: large enough for any real run, small enough that a slip (an extra zero, Infinity) is caught. */
export const LIMITS = {
  runs: 1_000_000,
  failures: 1_000,
  shrinkSteps: 100_000,
  shrinkLogits: 10_000_000,
  gridPoints: 4_097,
  extraClasses: 100_000,
  /** rows × classes of one bench batch: 2^27 elements (1 GiB of float64 logits and more beside). */
  benchElements: 2 ** 27,
  benchBudgetSeconds: 3600,
  workers: 256,
  stallSeconds: 86_400,
} as const;

function whole(min: number, max: number, what: string) {
  const error = `${what}: a whole number from ${min} to ${max.toLocaleString('en-US')}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

function finite(min: number, max: number, what: string, exclusiveMin = false) {
  const error = `${what}: a finite number ${exclusiveMin ? '>' : '≥'} ${min}${Number.isFinite(max) ? ` and ≤ ${max.toLocaleString('en-US')}` : ''}`;
  const base = z.number({ error }).refine(Number.isFinite, { error });
  return exclusiveMin ? base.refine((v) => v > min, { error }).refine((v) => v <= max, { error }) : base.refine((v) => v >= min && v <= max, { error });
}

function perFamily<T extends z.ZodType>(value: T, what: string) {
  return z.union([value, z.partialRecord(z.enum(FAMILIES), value).readonly()], { error: `${what}: one number, or an object of numbers per family (${FAMILIES.join(', ')})` });
}

const isPipeline = (p: unknown): p is Pipeline => {
  const q = p as Pipeline;
  return q !== null && typeof q === 'object' && typeof q.name === 'string' && typeof q.float32 === 'function' && typeof q.float64 === 'function';
};

/** An external pipeline (SPEC 7): an object with a `command`, checked field by field by src/external/spec.ts (from load.ts). */
const isExternal = (p: unknown): p is ExternalSpecInput => p !== null && typeof p === 'object' && 'command' in p && !isPipeline(p);

const ENTRY_EXPECTED = 'a built-in name, a Pipeline object { name, formula, float32(x, rows, classes, targets, out), float64(...) }, or an external process { name, command: [program, ...args], dtypes?, grad?, timeoutMs?, clock? }';

/**
 * What an object entry that is neither a Pipeline nor an external process lacks: kernels
 * that are not functions where it has `float32` or `float64`, else the `command` of an
 * external process (SPEC 7). Anything else: the three kinds of entry.
 */
function entryExpected(input: unknown): string {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return ENTRY_EXPECTED;
  const o = input as Record<string, unknown>;
  if ('float32' in o || 'float64' in o) {
    const kinds = (['float32', 'float64'] as const).map((k) => `${k}: ${typeof o[k] === 'function' ? 'a function' : k in o ? typeof o[k] : 'missing'}`);
    return `a Pipeline object: name (a string), float32(x, rows, classes, targets, out) and float64(...) functions (here ${kinds.join(', ')}${typeof o.name === 'string' ? '' : ', name missing'}); or an external process with command: [program, ...args]`;
  }
  return 'an external process: command: [program, ...args], the program and its arguments as an array of strings (SPEC 7; this entry has no command), besides its name; or a Pipeline object with float32 and float64 kernel functions';
}

const pipelineEntry = z.union([z.string(), z.custom<Pipeline>(isPipeline, { error: (issue) => entryExpected(issue.input) }), z.custom<ExternalSpecInput>(isExternal, { error: (issue) => entryExpected(issue.input) })], {
  error: ENTRY_EXPECTED,
});

const shape = (what: string) =>
  z
    .tuple([whole(1, LIMITS.benchElements, `${what} rows`), whole(1, LIMITS.benchElements, `${what} classes`)], { error: `${what}: [rows, classes]` })
    .readonly()
    .refine(([r, c]) => r * c <= LIMITS.benchElements, { error: `${what}: rows × classes at most 2^27 (${LIMITS.benchElements.toLocaleString('en-US')}) elements` });

export const shrinkSchema = z.strictObject({
  /** Oracle calls per shrunk failure (default 200). */
  steps: whole(0, LIMITS.shrinkSteps, 'oracle calls per shrunk failure').optional(),
  /** Oracle logits per shrunk failure (default 20,000: a vocab row is kept as generated). */
  logits: whole(0, LIMITS.shrinkLogits, 'oracle logits per shrunk failure').optional(),
  /** Failures tried per pipeline × dtype × family while looking for distinct shrunk ones (default 6). */
  attempts: whole(0, LIMITS.failures, 'failures tried per unit').optional(),
});

export const fuzzSchema = z.strictObject({
  /** Families to run (default: all but the opt-in `masked`, which runs when `runs` is an object that gives its count; define.ts OPT_IN_FAMILIES). */
  families: z.array(z.enum(FAMILIES, { error: `a family: one of ${FAMILIES.join(', ')}` })).min(1, { error: 'at least one family' }).readonly().optional(),
  /** Cases per family and dtype: one number (every family but vocab, which keeps its default of 2 rows unless `runs.vocab` is given), or per family (default 100; vocab 2). */
  runs: perFamily(whole(1, LIMITS.runs, 'cases per family and dtype'), 'runs').optional(),
  /** Distinct shrunk failures recorded per pipeline × dtype × family in failures.csv: one number, or per family (default 3; vocab 1). */
  failures: perFamily(whole(0, LIMITS.failures, 'shrunk failures kept per unit'), 'failures').optional(),
  /** Bounds on shrinking, whose every step runs the oracle. */
  shrink: shrinkSchema.optional(),
  /** What is fuzzed (default both): `loss` (SPEC 4) and `grad`, the gradient of every pipeline with a backward pass (SPEC 2.2, 4.2). */
  quantities: z
    .array(z.enum(QUANTITIES, { error: `a quantity: one of ${QUANTITIES.join(', ')}` }))
    .min(1, { error: 'at least one quantity' })
    .readonly()
    .optional(),
});

export const mapSchema = z.strictObject({
  /** Grid points along the offset axis (signed, log-spaced, denser around the exp thresholds; odd, ≥ 15; default 97). */
  offsets: whole(15, LIMITS.gridPoints, 'grid points along the offset axis')
    .refine((v) => v % 2 === 1, { error: 'grid points along the offset axis: an odd number (the grid is symmetric about 0)' })
    .optional(),
  /** Grid points along the gap axis (0, then log-spaced; ≥ 8; default 65). */
  gaps: whole(8, LIMITS.gridPoints, 'grid points along the gap axis').optional(),
  /** Further classes below a − g (SPEC section 5); 0 for rows [a, a − g]. */
  extraClasses: whole(0, LIMITS.extraClasses, 'further classes below a − g').optional(),
  /**
   * Masked classes after those (issue 14): each a class at a mask value, `-Infinity`, a finite negative
   * number (`-1e9`, `-1e4`; where it rounds to −Infinity in a dtype, that format's lowest value) or
   * `'lowest'` (the format's −max). Default none.
   */
  masks: z
    .array(
      z.custom<MaskSpec>((v) => v === 'lowest' || v === -Infinity || (typeof v === 'number' && Number.isFinite(v) && v < 0), {
        error: "a mask: -Infinity, a finite negative number (e.g. -1e9) or 'lowest' (the format's lowest value)",
      }),
      { error: "an array of masks, e.g. [-Infinity, 'lowest']" },
    )
    .max(LIMITS.extraClasses, { error: `at most ${LIMITS.extraClasses.toLocaleString('en-US')} masks` })
    .readonly()
    .optional(),
  /** What is mapped (default both): a panel per quantity, `loss` and `grad` (the gradient of every pipeline with a backward pass). */
  quantities: z
    .array(z.enum(QUANTITIES, { error: `a quantity: one of ${QUANTITIES.join(', ')}` }))
    .min(1, { error: 'at least one quantity' })
    .readonly()
    .optional(),
});

export const benchSchema = z.strictObject({
  /** Inline shapes, [rows, classes]. */
  shapes: z.array(shape('a bench shape')).min(1, { error: 'at least one [rows, classes] shape' }).readonly().optional(),
  /** The worker-pool batch: [rows, classes]. */
  poolShape: shape('the pool batch').optional(),
  /** Inline shapes at which the half formats are timed (emulated in JavaScript, so slow; default [[128, 1000]]). */
  halfShapes: z.array(shape('a bench shape')).readonly().optional(),
  /** Worker counts to run the pool path with. */
  workers: z.array(whole(1, LIMITS.workers, 'worker threads')).min(1, { error: 'at least one worker count' }).readonly().optional(),
  /**
   * Seconds the bench phase spends on timed rounds (> 0, at most an hour; default 60).
   * Spread over the tasks as they run; every task still gets its minimum rounds,
   * so a suite with many large tasks may take longer (bench/run.ts, BenchBudget).
   */
  budgetSeconds: finite(0, LIMITS.benchBudgetSeconds, 'seconds of timed rounds for the bench phase', true).optional(),
});

export const gateSchema = z.strictObject({
  /** Allowed rise in max ulps before it is a regression (absolute ulps). */
  ulpTolerance: finite(0, Infinity, 'allowed rise in max ulps').optional(),
  /** Allowed rise in max bits of error. */
  bitsTolerance: finite(0, 64, 'allowed rise in max bits of error').optional(),
  /** Allowed fall in relative_to_reference throughput, as a fraction (default 0.15). */
  throughputTolerance: finite(0, 1, 'allowed fall in throughput, a fraction').optional(),
});

export const watchdogSchema = z.strictObject({
  /** Seconds without any heartbeat (progress of any thread) after which a run is stopped with exit 2 (default 120). */
  stallSeconds: finite(0, LIMITS.stallSeconds, 'seconds without progress before the run is stopped', true).optional(),
});

/** The modes a half format may list: itself and float32, each once, at least one. */
function computeModes<D extends 'float16' | 'bfloat16'>(dtype: D) {
  return z
    .array(z.enum([dtype, 'float32'] as const, { error: `a compute of ${dtype}: ${dtype} (pure) or float32 (widened)` }), { error: `an array of compute modes, e.g. ['${dtype}', 'float32']` })
    .min(1, { error: 'at least one compute mode' })
    .refine((d) => new Set(d).size === d.length, { error: 'each compute mode once' })
    .readonly()
    .optional();
}

/** A suite name becomes a folder under reports/: letters, digits, `.`, `_`, `-`, not starting with `.`. */
export const SUITE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

/** A list of dtypes, each once (a suite's `dtypes`, an external pipeline's). */
export const dtypeList = z
  .array(z.enum(DTYPES as readonly ['float32', 'float64', 'float16', 'bfloat16'], { error: `a dtype: one of ${DTYPES.join(', ')}` }), { error: `an array of dtypes, e.g. ['float32', 'float64']` })
  .min(1, { error: 'at least one dtype' })
  .refine((d) => new Set(d).size === d.length, { error: 'each dtype once' })
  .readonly();

export const suiteSchema = z.strictObject({
  /** The suite's name: the folder under reports/ (default: the file's name). Letters, digits, `.`, `_`, `-`. */
  name: z.string({ error: 'a name of letters, digits, ".", "_" and "-"' }).regex(SUITE_NAME, { error: 'a name of letters, digits, ".", "_" and "-", not starting with "." (it names a folder under reports/)' }).optional(),
  /** Fixes every random choice of the run. */
  seed: z.number({ error: 'an integer seed' }).refine(Number.isSafeInteger, { error: 'an integer seed (a safe integer)' }).optional(),
  /** Built-in names or Pipeline objects (default: every built-in). */
  pipelines: z.array(pipelineEntry).min(1, { error: 'at least one pipeline' }).readonly().optional(),
  /** Storage formats to run (default: float32 and float64; float16 and bfloat16 when listed, SPEC 2.1). */
  dtypes: dtypeList.optional(),
  /**
   * Arithmetic modes of the half formats (SPEC 2.1), default both: the format
   * itself (pure, every step rounded to it) and `float32` (widened, as autocast).
   */
  compute: z
    .strictObject({
      float16: computeModes('float16'),
      bfloat16: computeModes('bfloat16'),
    })
    .optional(),
  /** Ulp budget of an `ok` outcome, per pipeline name (default 4 for each). */
  budgets: z.record(z.string(), finite(0, Infinity, 'a budget in ulps')).readonly().optional(),
  fuzz: fuzzSchema.optional(),
  map: mapSchema.optional(),
  bench: benchSchema.optional(),
  gate: gateSchema.optional(),
  /** Stops a run that makes no progress (a pipeline that never returns). */
  watchdog: watchdogSchema.optional(),
  /**
   * PyTorch's batch options (SPEC 6: `weight`, `ignoreIndex`, `reduction`,
   * `labelSmoothing`, `maskedRows`), one setting or a list of settings to sweep
   * (default: none, the bare per-row loss). Checked by load.ts with
   * src/cases/options.ts's schema, whose messages name the setting's own field.
   */
  options: z.custom<BatchOptionsInput | readonly BatchOptionsInput[]>(() => true)    .optional(),
});

/** `pipelines[2]`, `fuzz.runs.vocab`: a path as the messages name it. */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : `${out ? '.' : ''}${String(seg)}`;
  return out;
}

/** A value as a message shows it: JSON where it can, at most 60 characters. */
export function showValue(v: unknown): string {
  let s: string;
  if (typeof v === 'function') s = 'a function';
  else if (typeof v === 'number' || v === undefined) s = String(v);
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The closest of `known` to `word`, if close enough to be a typo: edit distance ≤ max(2, a third of its length), and less than its length. */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(word, [...known]);
  const d = distance(word.toLowerCase(), best.toLowerCase());
  return d <= Math.max(2, Math.floor(word.length / 3)) && d < word.length ? best : undefined;
}

/** The keys the object at `path` of the schema accepts: a strict object's keys, or a per-family record's families. */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let at: z.core.$ZodType[] = [suiteSchema];
  for (const seg of path) {
    const next: z.core.$ZodType[] = [];
    for (const s of at.flatMap(options)) {
      const def = s._zod.def as { type: string; shape?: Record<string, z.core.$ZodType> };
      if (def.type === 'object' && def.shape !== undefined && typeof seg === 'string' && seg in def.shape) next.push(def.shape[seg]);
    }
    at = next;
  }
  const keys: string[] = [];
  for (const s of at.flatMap(options)) {
    const def = s._zod.def as { type: string; shape?: Record<string, unknown>; keyType?: z.core.$ZodType };
    if (def.type === 'object' && def.shape !== undefined) keys.push(...Object.keys(def.shape));
    if (def.type === 'record' && def.keyType !== undefined) {
      const key = def.keyType._zod.def as { type: string; entries?: Record<string, string> };
      if (key.type === 'enum' && key.entries !== undefined) keys.push(...Object.values(key.entries));
    }
  }
  return keys;
}

/** The alternatives a (possibly optional, readonly) schema stands for. */
function options(s: z.core.$ZodType): z.core.$ZodType[] {
  const u = unwrap(s);
  const def = u._zod.def as { type: string; options?: z.core.$ZodType[] };
  return def.type === 'union' && def.options !== undefined ? def.options.flatMap(options) : [u];
}

function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: z.core.$ZodType };
    if ((def.type === 'optional' || def.type === 'readonly' || def.type === 'default' || def.type === 'nullable') && def.innerType !== undefined) s = def.innerType;
    else return s;
  }
}

/** One issue → the field it names and a message giving the value and what was expected. */
export function describeIssue(issue: z.core.$ZodIssue & { input?: unknown }): { field: string; message: string } {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const known = knownKeys(issue.path);
    const hint = didYouMean(key, known);
    const field = fieldName([...issue.path, key]);
    // No close key here: a key of one level down may be meant (`familes` for `fuzz.families`).
    const nested = known.flatMap((k) => knownKeys([...issue.path, k]).map((d) => [k, d] as const));
    const deepHint = hint !== undefined ? undefined : didYouMean(key, nested.map(([, d]) => d));
    const deeper = deepHint === undefined ? undefined : nested.filter(([, d]) => d === deepHint).map(([k, d]) => `${k}.${d}`)[0];
    const suggestion = hint !== undefined ? `; did you mean ${JSON.stringify(hint)}?` : deeper !== undefined ? `; did you mean ${JSON.stringify(deeper)}?` : '.';
    if (known.length > 0 && known.every((k) => (FAMILIES as readonly string[]).includes(k))) {
      return { field, message: `unknown family ${JSON.stringify(key)}${suggestion} Families: ${known.join(', ')}` };
    }
    return { field, message: `unknown key ${JSON.stringify(key)}${suggestion} Known keys${issue.path.length ? ` of ${fieldName(issue.path)}` : ''}: ${known.join(', ')}` };
  }
  if (issue.code === 'invalid_union') {
    // A value of the right type that fails a check (runs: 0) says why, rather than listing the alternatives.
    const inner = issue.errors.map((e) => e[0]).find((e) => e !== undefined && (e.code !== 'invalid_type' || e.expected === 'int'));
    if (inner !== undefined) return describeIssue({ ...inner, path: [...issue.path, ...inner.path] } as typeof issue);
  }
  const field = fieldName(issue.path);
  const value = 'input' in issue ? showValue(issue.input) : 'nothing';
  let expected = issue.message;
  if (issue.code === 'invalid_value' && typeof issue.input === 'string') {
    const hint = didYouMean(issue.input, issue.values.map(String));
    if (hint !== undefined) expected += `; did you mean ${JSON.stringify(hint)}?`;
  }
  return { field, message: `got ${value}; expected ${expected}` };
}
