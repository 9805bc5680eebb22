/**
 * The batch options of PyTorch's `F.cross_entropy` (SPEC section 6), validated in
 * one place: the `score` flags and a suite's `options` both go through
 * {@link batchOptionsSchema}.
 *
 * | option | flag | PyTorch | default |
 * |---|---|---|---|
 * | `weight` | `--weight "w0 w1 …"` | `weight` (one per class, ≥ 0) | every class 1 |
 * | `ignoreIndex` | `--ignore-index K` | `ignore_index` (an integer) | none (PyTorch's −100 never names a class) |
 * | `reduction` | `--reduction none\|mean\|sum` | `reduction` | `none` in `score` (per-row `l_n` only) |
 * | `labelSmoothing` | `--label-smoothing E` | `label_smoothing`, ε ∈ [0, 1] | 0 |
 * | `maskedRows` | `--masked-rows nan\|zero\|ignore` | (none: IEEE gives NaN) | `nan` |
 *
 * Per row n, with target y_n, p_n = softmax(x_n), C classes (SPEC 6):
 * `l_n = (1 − ε)·w_{y_n}·(−log p_{n,y_n}) + (ε/C)·Σ_c w_c·(−log p_{n,c})`, and for a soft
 * target q_n `l_n = −Σ_c w_c·q'_{n,c}·log p_{n,c}`, `q' = (1 − ε)·q + ε/C`.
 *
 * Weights and soft targets are tensors of the batch's dtype in PyTorch, so they are
 * rounded to the dtype as logits are (`resolveOptions`); ε is a Python float (a
 * double) and enters the oracle at its exact binary value.
 */
import { z } from 'zod';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { InputError } from '../util/errors.js';

export const REDUCTIONS = ['none', 'mean', 'sum'] as const;
export type Reduction = (typeof REDUCTIONS)[number];
export const MASKED_ROWS = ['nan', 'zero', 'ignore'] as const;
/** What a fully masked row (every logit −Infinity) is (SPEC 6): NaN, a loss of 0 that counts in the mean, or dropped. */
export type MaskedRows = (typeof MASKED_ROWS)[number];

const weightError = 'class weights: finite numbers ≥ 0, one per class';
const smoothingError = 'label smoothing: a number from 0 to 1';
const ignoreError = 'ignore_index: an integer (a class index, or any integer that names no class)';

/** One setting of the batch options: the shape a suite's `options` (or each entry of its list) has. */
export const batchOptionsSchema = z.strictObject({
  /** Class weights w_c (PyTorch's `weight`), one per class, finite and ≥ 0 (default: all 1). */
  weight: z
    .array(z.number({ error: weightError }).refine((v) => Number.isFinite(v) && v >= 0, { error: weightError }), { error: weightError })
    .min(1, { error: weightError })
    .readonly()
    .optional(),
  /** Rows whose target is this class have l_n = 0, a zero gradient and no weight in the mean (PyTorch's `ignore_index`). */
  ignoreIndex: z.number({ error: ignoreError }).refine(Number.isSafeInteger, { error: ignoreError }).optional(),
  /** `none` (the vector l), `sum` (Σ l_n) or `mean` (Σ l_n / Σ_{n not ignored} w_{y_n}). */
  reduction: z.enum(REDUCTIONS, { error: `a reduction: one of ${REDUCTIONS.join(', ')}` }).optional(),
  /** ε of label smoothing (PyTorch's `label_smoothing`), in [0, 1]. */
  labelSmoothing: z.number({ error: smoothingError }).refine((v) => Number.isFinite(v) && v >= 0 && v <= 1, { error: smoothingError }).optional(),
  /** The convention for fully masked rows: `nan` (default), `zero` or `ignore`. */
  maskedRows: z.enum(MASKED_ROWS, { error: `a masked-rows convention: one of ${MASKED_ROWS.join(', ')}` }).optional(),
}, { error: 'batch options: an object { weight?, ignoreIndex?, reduction?, labelSmoothing?, maskedRows? }, or a list of them' });

export type BatchOptionsInput = z.input<typeof batchOptionsSchema>;

/** A validated setting with its defaults filled in. */
export interface BatchOptions {
  readonly weight: readonly number[] | undefined;
  readonly ignoreIndex: number | undefined;
  readonly reduction: Reduction;
  readonly labelSmoothing: number;
  readonly maskedRows: MaskedRows;
}

export const DEFAULT_OPTIONS: BatchOptions = { weight: undefined, ignoreIndex: undefined, reduction: 'none', labelSmoothing: 0, maskedRows: 'nan' };

/** The `score` flag of each option (SPEC section 1). */
export const OPTION_FLAGS: Readonly<Record<keyof BatchOptionsInput, string>> = {
  weight: '--weight',
  ignoreIndex: '--ignore-index',
  reduction: '--reduction',
  labelSmoothing: '--label-smoothing',
  maskedRows: '--masked-rows',
};

/**
 * Validates one setting; throws an InputError naming `file` and the field
 * (`fieldOf` maps the zod path, e.g. `weight[2]`, to what the user wrote: a flag or
 * `options[1].weight`).
 */
export function validateOptions(input: unknown, fieldOf: (path: readonly PropertyKey[]) => string, file?: string): BatchOptions {
  const r = batchOptionsSchema.safeParse(input, { reportInput: true });
  if (!r.success) {
    const issue = r.error.issues[0] as z.core.$ZodIssue & { input?: unknown };
    const got = 'input' in issue ? `got ${typeof issue.input === 'object' || typeof issue.input === 'string' ? JSON.stringify(issue.input) : String(issue.input)}; ` : '';
    const msg = issue.code === 'unrecognized_keys' ? `unknown option ${JSON.stringify(issue.keys[0])}; options are ${Object.keys(OPTION_FLAGS).join(', ')}` : `${got}expected ${issue.message}`;
    throw new InputError(msg, file, undefined, fieldOf(issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path));
  }
  const o = r.data;
  return {
    weight: o.weight,
    ignoreIndex: o.ignoreIndex,
    reduction: o.reduction ?? DEFAULT_OPTIONS.reduction,
    labelSmoothing: o.labelSmoothing ?? 0,
    maskedRows: o.maskedRows ?? DEFAULT_OPTIONS.maskedRows,
  };
}

/**
 * A setting in a few words, for legends (the summary's `#i` columns): the options it
 * sets apart from their defaults, e.g. `reduction=sum, maskedRows=zero` or
 * `reduction=mean, ε=0.1, weight=[2, 1, 1]`; `bare` for the defaults.
 */
export function settingLabel(o: BatchOptions): string {
  const parts: string[] = [];
  if (o.reduction !== DEFAULT_OPTIONS.reduction) parts.push(`reduction=${o.reduction}`);
  if (o.labelSmoothing !== 0) parts.push(`ε=${o.labelSmoothing}`);
  if (o.weight !== undefined) parts.push(`weight=[${o.weight.join(', ')}]`);
  if (o.ignoreIndex !== undefined) parts.push(`ignore_index=${o.ignoreIndex}`);
  if (o.maskedRows !== DEFAULT_OPTIONS.maskedRows) parts.push(`maskedRows=${o.maskedRows}`);
  return parts.length === 0 ? 'bare' : parts.join(', ');
}

/** The text of the `score` flags, as commander hands them over. */
export interface OptionFlags {
  weight?: string;
  ignoreIndex?: string;
  reduction?: string;
  labelSmoothing?: string;
  maskedRows?: string;
}

const NUMBER = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Infinity|NaN)$/;

function numberFlag(text: string, flag: string, what: string): number {
  const t = text.trim();
  if (!NUMBER.test(t)) throw new InputError(`${what} ${JSON.stringify(text)} is not a number`, undefined, undefined, flag);
  return parseFloat(t);
}

/** The `score` flags as one validated setting (errors name the flag: exit 2). */
export function parseOptionFlags(flags: OptionFlags): BatchOptions {
  const input: Record<string, unknown> = {};
  if (flags.weight !== undefined) {
    if (flags.weight.trim() === '') throw new InputError('no class weights; give one number per class, separated by single spaces', undefined, undefined, '--weight');
    input.weight = flags.weight.trim().split(' ').map((w, i) => numberFlag(w, '--weight', `class weight ${i}`));
  }
  if (flags.ignoreIndex !== undefined) {
    const t = flags.ignoreIndex.trim();
    if (!/^[+-]?\d+$/.test(t)) throw new InputError(`got ${JSON.stringify(flags.ignoreIndex)}; expected ${ignoreError}`, undefined, undefined, '--ignore-index');
    input.ignoreIndex = Number(t);
  }
  if (flags.labelSmoothing !== undefined) input.labelSmoothing = numberFlag(flags.labelSmoothing, '--label-smoothing', 'label smoothing');
  if (flags.reduction !== undefined) input.reduction = flags.reduction;
  if (flags.maskedRows !== undefined) input.maskedRows = flags.maskedRows;
  return validateOptions(input, (path) => OPTION_FLAGS[path[0] as keyof BatchOptionsInput] ?? String(path[0]));
}

/** A row of a batch under options: its logits, and a class-index target or a soft target (probabilities, values of the dtype). */
export interface OptionRow {
  readonly logits: ArrayLike<number>;
  /** The class index; ignored when `soft` is given. */
  readonly target: number;
  readonly soft?: ArrayLike<number>;
}

/** Whether every logit of a row is −Infinity (a fully masked row, SPEC 3). */
export function isFullyMasked(logits: ArrayLike<number>): boolean {
  for (let j = 0; j < logits.length; j++) if (logits[j] !== -Infinity) return false;
  return true;
}

/**
 * How a row enters the batch: `ignored` (its target is ignore_index, or a fully
 * masked row under `maskedRows = ignore`: l_n = 0, no weight), `zero` (a fully masked
 * row under `zero`: l_n = 0, counts in the mean), `nan` (fully masked under `nan`),
 * or `loss` (the formula of SPEC 6).
 */
export function rowKind(row: OptionRow, o: BatchOptions): 'ignored' | 'zero' | 'nan' | 'loss' {
  if (row.soft === undefined && o.ignoreIndex !== undefined && row.target === o.ignoreIndex) return 'ignored';
  if (isFullyMasked(row.logits)) return o.maskedRows === 'ignore' ? 'ignored' : o.maskedRows;
  return 'loss';
}

/** Whether options leave a row's loss bare: a class-index target, ε = 0, weight 1 (l_n = −log p_y, when the row is not ignored or fully masked). */
export function isBare(row: OptionRow, o: BatchOptions, weight: ArrayLike<number> | undefined): boolean {
  return row.soft === undefined && o.labelSmoothing === 0 && (weight === undefined || weight[row.target] === 1);
}

/**
 * The weight of a row in the `mean` denominator: w_{y_n} for a class-index target
 * (1 without weights), 1 for a soft target (SPEC 6: the mean of soft targets divides
 * by the number of rows), 0 for an ignored row.
 */
export function rowWeight(row: OptionRow, o: BatchOptions, weight: ArrayLike<number> | undefined): number {
  if (rowKind(row, o) === 'ignored') return 0;
  if (row.soft !== undefined || weight === undefined) return 1;
  return weight[row.target];
}

/**
 * `weight` rounded to `dtype` (PyTorch's weight tensor); an InputError naming `field`
 * (a flag, or a suite's `options[i].weight`) and `file` when a finite weight rounds to
 * +Infinity there (e.g. 1e5 in float16, whose largest value is 65504).
 */
export function weightsIn(weight: readonly number[], dtype: AnyDtype, field: string, file?: string): Float64Array {
  const round = formatOf(dtype).round;
  const w = Float64Array.from(weight, (v) => round(v));
  const big = weight.findIndex((v, c) => w[c] === Infinity && v !== Infinity);
  if (big >= 0) throw new InputError(`class weight ${big} is ${weight[big]}, which is +Infinity in ${dtype}; give a weight within the format's range`, file, undefined, field);
  return w;
}

/**
 * The class weights of a batch of one dtype, rounded to it as PyTorch's weight
 * tensor is; checks that every row of the batch has one weight per class.
 * `where(i)` names the row i for errors. Undefined without weights.
 */
export function resolveWeights(o: BatchOptions, dtype: AnyDtype, rows: readonly OptionRow[], where: (i: number) => { file?: string; line?: number }): Float64Array | undefined {
  if (o.weight === undefined) return undefined;
  const w = weightsIn(o.weight, dtype, '--weight');
  rows.forEach((r, i) => {
    if (r.logits.length !== w.length) {
      const e = where(i);
      throw new InputError(`the row has ${r.logits.length} classes but the class weights (--weight) are ${w.length}; give one weight per class`, e.file, e.line, 'logits');
    }
  });
  return w;
}
