/**
 * `--external FILE`: another implementation's per-row losses, `id,impl,dtype,loss`
 * (SPEC section 4), scored against the same oracle. Losses are the double that
 * held the implementation's result; float32 ones are rounded with Math.fround.
 * Python's spellings (inf, -inf, nan, -0.0) are accepted beside JavaScript's.
 */
import { readFileSync } from 'node:fs';
import type { Case } from '../cases/read.js';
import { parseCsvLines } from '../cases/read.js';
import type { Dtype } from '../float/dtype.js';
import { DTYPES, formatOf, isDtype } from '../float/dtype.js';
import { InputError } from '../util/errors.js';

export interface ExternalLoss {
  readonly id: string;
  readonly impl: string;
  readonly dtype: Dtype;
  readonly loss: number;
}

const COLUMNS = ['id', 'impl', 'dtype', 'loss'] as const;
const NUMBER = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;
const SPECIAL: Record<string, number> = {
  inf: Infinity,
  '+inf': Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-inf': -Infinity,
  '-infinity': -Infinity,
  nan: NaN,
};

export function parseLossValue(text: string): number | undefined {
  const t = text.trim();
  if (NUMBER.test(t)) return parseFloat(t);
  return SPECIAL[t.toLowerCase()];
}

/** One row of an external results file: its fields by column name, and its line. */
export interface ExternalRecord {
  readonly field: Readonly<Record<string, string>>;
  readonly line: number;
}

/**
 * The rows of an external results file (`--external`, `--external-grad`): the
 * header must name every column of `columns` (others are allowed, and ignored); a
 * row with more fields than the header has, a missing field, or a second row for
 * the same (id, impl) is refused (exit 2, naming the file, the line and the field),
 * as the cases reader refuses them. `what` names the file's content in messages.
 */
export function readExternalRecords(file: string, columns: readonly string[], what: string): ExternalRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the ${what} (${(err as Error).message})`, file);
  }
  const parsed = parseCsvLines(text, file);
  const header = (parsed[0]?.record ?? []).map((h) => h.trim());
  const index: Record<string, number> = {};
  for (const col of columns) {
    const i = header.indexOf(col);
    if (i < 0) throw new InputError(`the header has no column "${col}"; it must name ${columns.join(',')}`, file, 1, col);
    index[col] = i;
  }
  const seen = new Map<string, number>();
  const out: ExternalRecord[] = [];
  for (const { record: rec, line } of parsed.slice(1)) {
    if (rec.length > header.length) {
      throw new InputError(`${rec.length} fields, the header has ${header.length}; quote a field that holds a comma, or remove the extra one`, file, line, header[header.length - 1]);
    }
    const field: Record<string, string> = {};
    for (const col of columns) {
      if (rec[index[col]] === undefined) throw new InputError(`missing column "${col}"`, file, line, col);
      field[col] = rec[index[col]];
    }
    const key = JSON.stringify([field.id, field.impl?.trim()]);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new InputError(`id ${JSON.stringify(field.id)} of impl ${JSON.stringify(field.impl?.trim())} is given twice (line ${first} too); give each case once per implementation`, file, line, 'id');
    }
    seen.set(key, line);
    out.push({ field, line });
  }
  return out;
}

export function readExternal(file: string, cases: readonly Case[]): ExternalLoss[] {
  const dtypeOf = new Map(cases.map((c) => [c.id, c.dtype]));
  const out: ExternalLoss[] = [];
  for (const { field: rec, line } of readExternalRecords(file, COLUMNS, 'external losses')) {
    const id = rec.id;
    const caseDtype = dtypeOf.get(id);
    if (caseDtype === undefined) throw new InputError(`id ${JSON.stringify(id)} is not in the cases file`, file, line, 'id');
    const dtype = rec.dtype.trim();
    if (!isDtype(dtype)) throw new InputError(`unknown dtype ${JSON.stringify(dtype)}; use one of ${DTYPES.join(', ')}`, file, line, 'dtype');
    if (dtype !== caseDtype) {
      throw new InputError(`dtype ${dtype} differs from the case's ${caseDtype}; score each case in its own dtype`, file, line, 'dtype');
    }
    const value = parseLossValue(rec.loss);
    if (value === undefined) throw new InputError(`loss ${JSON.stringify(rec.loss)} is not a number`, file, line, 'loss');
    const impl = rec.impl.trim();
    if (impl === '') throw new InputError('impl is empty; name the implementation', file, line, 'impl');
    out.push({ id, impl, dtype, loss: formatOf(dtype).round(value) });
  }
  return out;
}
