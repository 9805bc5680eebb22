/**
 * `--external FILE`: another implementation's per-row losses, `id,impl,dtype,loss`
 * (SPEC section 4), scored against the same oracle. Losses are the double that
 * held the implementation's result; float32 ones are rounded with Math.fround.
 * Python's spellings (inf, -inf, nan, -0.0) are accepted beside JavaScript's.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Case } from '../cases/read.js';
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

export function readExternal(file: string, cases: readonly Case[]): ExternalLoss[] {
  let records: string[][];
  try {
    records = parse(readFileSync(file, 'utf8'), { relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (err) {
    throw new InputError(`cannot read the external losses (${(err as Error).message})`, file);
  }
  const header = (records[0] ?? []).map((h) => h.trim());
  const index: Record<string, number> = {};
  for (const col of COLUMNS) {
    const i = header.indexOf(col);
    if (i < 0) throw new InputError(`the header has no column "${col}"; it must name ${COLUMNS.join(',')}`, file, 1, col);
    index[col] = i;
  }
  const dtypeOf = new Map(cases.map((c) => [c.id, c.dtype]));
  const out: ExternalLoss[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    const line = r + 1;
    for (const col of COLUMNS) {
      if (rec[index[col]] === undefined) throw new InputError(`missing column "${col}"`, file, line, col);
    }
    const id = rec[index.id];
    const caseDtype = dtypeOf.get(id);
    if (caseDtype === undefined) throw new InputError(`id ${JSON.stringify(id)} is not in the cases file`, file, line, 'id');
    const dtype = rec[index.dtype].trim();
    if (!isDtype(dtype)) throw new InputError(`unknown dtype ${JSON.stringify(dtype)}; use one of ${DTYPES.join(', ')}`, file, line, 'dtype');
    if (dtype !== caseDtype) {
      throw new InputError(`dtype ${dtype} differs from the case's ${caseDtype}; score each case in its own dtype`, file, line, 'dtype');
    }
    const value = parseLossValue(rec[index.loss]);
    if (value === undefined) throw new InputError(`loss ${JSON.stringify(rec[index.loss])} is not a number`, file, line, 'loss');
    const impl = rec[index.impl].trim();
    if (impl === '') throw new InputError('impl is empty; name the implementation', file, line, 'impl');
    out.push({ id, impl, dtype, loss: formatOf(dtype).round(value) });
  }
  return out;
}
