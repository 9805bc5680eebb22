/**
 * The cases file (SPEC section 3): `id,dtype,target,logits`, one row a case.
 *
 * Logits are read with `parseFloat` (then rounded directly to the dtype: `Math.fround` for
 * float32, src/float/half.ts for float16 and bfloat16, SPEC section 3) after a
 * strict check of the token, so "1.5abc", which parseFloat would read as 1.5, is
 * refused. `-Infinity` is a masked class, and a row of nothing else a fully masked
 * row (its loss follows `maskedRows`, SPEC 6); NaN and +Infinity are refused,
 * and so is a finite logit that rounds to -Infinity
 * (`-1e400`; float32 `-1e39`; float16 `-70000`) unless written `-Infinity`; a
 * finite logit that rounds to +Infinity (float16 `70000`) is refused. Extra fields and
 * duplicate ids are refused, and so are ids beginning with `@` (`@batch` is the
 * batch row of `score`, SPEC 6). `target` is a 0-based class index, or a soft
 * target (SPEC 3): one non-negative finite number per logit, separated by single
 * spaces, read as logits are and rounded to the dtype. Rows are numbered by the line of the file they
 * begin on (the header is line 1), blank lines and multi-line quoted fields
 * counted.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { AnyDtype, Dtype } from '../float/dtype.js';
import { DTYPES, formatOf, isDtype } from '../float/dtype.js';
import { InputError } from '../util/errors.js';

export interface Case {
  readonly id: string;
  readonly dtype: Dtype;
  /** The class index; −1 for a soft target (then `soft` holds it). */
  readonly target: number;
  /** A soft target (SPEC 3): one probability per class, values of `dtype`, as given (not normalised). */
  readonly soft?: Float64Array;
  /** Values of `dtype` (float32 ones held in doubles); every one −Infinity in a fully masked row. */
  readonly logits: Float64Array;
  /** Line of the cases file the case came from. */
  readonly line: number;
}

/** Same as {@link Case} (every format of the format table; the name `score --grad` was written against). */
export interface AnyCase extends Omit<Case, 'dtype'> {
  readonly dtype: AnyDtype;
}

export const CASE_COLUMNS = ['id', 'dtype', 'target', 'logits'] as const;

/** A decimal or exponent-notation number, or ±Infinity / NaN spelled out (refused later with a reason). */
const NUMBER = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Infinity|NaN)$/;
const INTEGER = /^\d+$/;
const SIGNED_INTEGER = /^[+-]?\d+$/;

/**
 * Parses `-Infinity`-aware logits; throws a message fragment on the first bad token.
 * A row of nothing but -Infinity is refused unless `fullyMasked` (the cases file allows it, SPEC 3).
 */
export function parseLogits(text: string, dtype: AnyDtype, where: (msg: string) => InputError, fullyMasked = false): Float64Array {
  if (text.trim() === '') throw where('no logits; give at least one number, separated by single spaces');
  const tokens = text.split(' ');
  const round = formatOf(dtype).round;
  const out = new Float64Array(tokens.length);
  let finite = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!NUMBER.test(tok)) {
      throw where(`logit ${i + 1} is ${JSON.stringify(tok)}, not a number (decimal or exponent notation, or -Infinity for a masked class; separate logits by single spaces)`);
    }
    const v = round(parseFloat(tok));
    if (Number.isNaN(v)) throw where(`logit ${i + 1} is NaN; logits must be numbers`);
    if (v === Infinity) throw where(`logit ${i + 1} is ${tok}, which is +Infinity in ${dtype}; only -Infinity (a masked class) is allowed`);
    // SPEC 3: a finite logit that rounds to infinity is refused, negative ones too: a masked class is written -Infinity.
    if (v === -Infinity && tok !== '-Infinity') throw where(`logit ${i + 1} is ${tok}, which rounds to -Infinity in ${dtype}; write -Infinity for a masked class, or a value within the format's range`);
    if (v !== -Infinity) finite++;
    out[i] = v;
  }
  if (finite === 0 && !fullyMasked) throw where('every logit is -Infinity; at least one class must be unmasked');
  return out;
}

/**
 * A soft target (SPEC 3): `classes` non-negative finite numbers separated by single
 * spaces, each read with `parseFloat` and rounded to the dtype (PyTorch's target
 * tensor has the logits' dtype); used as given, not normalised.
 */
export function parseSoftTarget(text: string, classes: number, dtype: AnyDtype, where: (msg: string) => InputError): Float64Array {
  const tokens = text.trim().split(' ');
  if (tokens.length === 1 && (classes !== 1 || !NUMBER.test(tokens[0]))) {
    throw where(`target ${JSON.stringify(text)} is neither a 0-based class index nor a soft target (${classes} probabilities separated by single spaces)`);
  }
  if (tokens.length !== classes) throw where(`the soft target has ${tokens.length} entries but the row has ${classes} logits; give one probability per class`);
  const round = formatOf(dtype).round;
  const q = new Float64Array(classes);
  for (let c = 0; c < classes; c++) {
    const tok = tokens[c];
    const v = NUMBER.test(tok) ? round(parseFloat(tok)) : NaN;
    if (!Number.isFinite(v)) throw where(`soft target entry ${c} is ${JSON.stringify(tok)}; entries must be finite numbers in ${dtype}`);
    if (v < 0) throw where(`soft target entry ${c} is ${tok}, a negative probability; entries must be ≥ 0`);
    q[c] = v === 0 ? 0 : v; // −0 is read as 0
  }
  return q;
}

/**
 * A CSV file's records with the line each begins on (1-based): right after
 * blank lines and for quoted fields that span lines (csv-parse's `info.lines`
 * is the line a record ends on).
 */
export function parseCsvLines(text: string, file: string): { record: string[]; line: number }[] {
  try {
    const out = parse(text, { relax_column_count: true, skip_empty_lines: true, info: true, raw: true }) as unknown as { record: string[]; info: { lines: number }; raw: string }[];
    return out.map((r) => ({ record: r.record, line: r.info.lines - (r.raw.replace(/^(?:\r?\n)+/, '').replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0) }));
  } catch (err) {
    const e = err as { lines?: number; message: string };
    throw new InputError(`not a valid CSV file (${e.message})`, file, e.lines);
  }
}

export function parseCases(text: string, file: string, ignoreIndex?: number): Case[] {
  return parseCaseRows(text, file, isDtype, `use one of ${DTYPES.join(', ')}`, ignoreIndex);
}

/** Same as {@link parseCases}, which reads every format of the format table since the half formats landed. */
export function parseAnyCases(text: string, file: string, ignoreIndex?: number): AnyCase[] {
  return parseCases(text, file, ignoreIndex);
}

/**
 * `ignoreIndex` (SPEC 6, `--ignore-index`): a target equal to it is read as given, even
 * negative or past the row's classes (PyTorch's padding target −100), and the row is then
 * ignored; any other negative or out-of-range target is refused.
 */
function parseCaseRows(text: string, file: string, accepts: (dtype: string) => dtype is AnyDtype, choices: string, ignoreIndex?: number): AnyCase[] {
  const parsed = parseCsvLines(text, file);
  const records = parsed.map((p) => p.record);
  if (records.length === 0) throw new InputError(`empty file; expected the header ${CASE_COLUMNS.join(',')}`, file, 1);
  const header = records[0].map((h) => h.trim());
  const index: Record<string, number> = {};
  for (const col of CASE_COLUMNS) {
    const i = header.indexOf(col);
    if (i < 0) throw new InputError(`the header has no column "${col}"; it must name ${CASE_COLUMNS.join(',')}`, file, 1, col);
    index[col] = i;
  }
  // A column the format does not have would be dropped without a word: refuse it, as an extra field on a row is.
  const extra = header.find((h) => !(CASE_COLUMNS as readonly string[]).includes(h));
  if (extra !== undefined || header.length !== CASE_COLUMNS.length) {
    throw new InputError(`the header has a column ${JSON.stringify(extra ?? header.find((h, i) => header.indexOf(h) !== i))} the cases format does not have; it must be ${CASE_COLUMNS.join(',')}`, file, 1, extra ?? 'header');
  }
  const cases: AnyCase[] = [];
  const idLine = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    const line = parsed[r].line;
    const err = (field: string) => (msg: string) => new InputError(msg, file, line, field);
    for (const col of CASE_COLUMNS) {
      if (rec[index[col]] === undefined) throw err(col)(`missing column "${col}"`);
    }
    if (rec.length > header.length) {
      throw err(header[header.length - 1] ?? 'logits')(`${rec.length} fields, the header has ${header.length} (${header.join(',')}); separate logits by single spaces, not commas, or quote the field`);
    }
    const id = rec[index.id];
    const before = idLine.get(id);
    if (before !== undefined) throw err('id')(`id ${JSON.stringify(id)} is also on line ${before}; give each case its own id (--external rows are paired by id)`);
    idLine.set(id, line);
    const dtype = rec[index.dtype].trim();
    if (!accepts(dtype)) throw err('dtype')(`unknown dtype ${JSON.stringify(dtype)}; ${choices}`);
    if (id.startsWith('@')) throw err('id')(`id ${JSON.stringify(id)} begins with "@", which score keeps for its batch rows (@batch); rename the case`);
    const logits = parseLogits(rec[index.logits], dtype, err('logits'), true);
    const targetText = rec[index.target].trim();
    if (ignoreIndex !== undefined && SIGNED_INTEGER.test(targetText) && Number(targetText) === ignoreIndex) {
      cases.push({ id, dtype, target: ignoreIndex, logits, line });
      continue;
    }
    if (/^-\d+$/.test(targetText)) {
      throw err('target')(`target ${targetText} is negative: a class index is 0-based${ignoreIndex === undefined ? '; a padding row (PyTorch\'s -100) is read with --ignore-index ' + targetText : ` and --ignore-index is ${ignoreIndex}`}`);
    }
    if (!INTEGER.test(targetText)) {
      cases.push({ id, dtype, target: -1, soft: parseSoftTarget(rec[index.target], logits.length, dtype, err('target')), logits, line });
      continue;
    }
    const target = Number(targetText);
    if (target >= logits.length) {
      throw err('target')(`target ${target} is out of range: the row has ${logits.length} logits (indices 0 to ${logits.length - 1})`);
    }
    cases.push({ id, dtype, target, logits, line });
  }
  return cases;
}

/** Reads a cases file (SPEC 3); a target equal to `ignoreIndex` is accepted as an ignored row (see parseCaseRows). */
export function readCases(file: string, ignoreIndex?: number): Case[] {
  return parseCases(readCasesText(file), file, ignoreIndex);
}

/** {@link readCases} for any format of the format table. */
export function readAnyCases(file: string, ignoreIndex?: number): AnyCase[] {
  return parseAnyCases(readCasesText(file), file, ignoreIndex);
}

function readCasesText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the cases file (${(err as Error).message})`, file);
  }
}
