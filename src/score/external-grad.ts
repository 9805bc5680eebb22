/**
 * `score --grad --external-grad FILE`: another implementation's gradients (a
 * framework's autograd output), `id,impl,dtype,grad` (SPEC section 4.2): `grad`
 * holds one number per class, separated by single spaces, in the spellings
 * `--external` accepts (Python's inf, -inf, nan, -0.0 too). Each value is rounded
 * to the case's dtype. Any fault is exit 2 naming the file, the line and the field.
 */
import { readFileSync } from 'node:fs';
import type { AnyCase } from '../cases/read.js';
import { parseCsvLines } from '../cases/read.js';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { InputError } from '../util/errors.js';
import { parseLossValue } from './external.js';

export interface ExternalGrad {
  readonly id: string;
  readonly impl: string;
  readonly dtype: AnyDtype;
  /** One value of `dtype` per class. */
  readonly grad: Float64Array;
}

export const EXTERNAL_GRAD_COLUMNS = ['id', 'impl', 'dtype', 'grad'] as const;

export function readExternalGrad(file: string, cases: readonly AnyCase[]): ExternalGrad[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the external gradients (${(err as Error).message})`, file);
  }
  const parsed = parseCsvLines(text, file);
  const header = (parsed[0]?.record ?? []).map((h) => h.trim());
  const index: Record<string, number> = {};
  for (const col of EXTERNAL_GRAD_COLUMNS) {
    const i = header.indexOf(col);
    if (i < 0) throw new InputError(`the header has no column "${col}"; it must name ${EXTERNAL_GRAD_COLUMNS.join(',')}`, file, 1, col);
    index[col] = i;
  }
  const byId = new Map(cases.map((c) => [c.id, c]));
  const out: ExternalGrad[] = [];
  for (const { record: rec, line } of parsed.slice(1)) {
    for (const col of EXTERNAL_GRAD_COLUMNS) {
      if (rec[index[col]] === undefined) throw new InputError(`missing column "${col}"`, file, line, col);
    }
    const id = rec[index.id];
    const c = byId.get(id);
    if (c === undefined) throw new InputError(`id ${JSON.stringify(id)} is not in the cases file`, file, line, 'id');
    const dtype = rec[index.dtype].trim();
    if (dtype !== c.dtype) throw new InputError(`dtype ${JSON.stringify(dtype)} differs from the case's ${c.dtype}; give each gradient in its case's dtype`, file, line, 'dtype');
    const impl = rec[index.impl].trim();
    if (impl === '') throw new InputError('impl is empty; name the implementation', file, line, 'impl');
    const tokens = rec[index.grad].trim() === '' ? [] : rec[index.grad].split(' ');
    if (tokens.length !== c.logits.length) {
      throw new InputError(`${tokens.length} gradient values, the case has ${c.logits.length} classes; give one number per class, separated by single spaces`, file, line, 'grad');
    }
    const round = formatOf(c.dtype).round;
    const grad = new Float64Array(tokens.length);
    tokens.forEach((tok, j) => {
      const v = parseLossValue(tok);
      if (v === undefined || tok.trim() !== tok || tok === '') throw new InputError(`value ${j + 1} is ${JSON.stringify(tok)}, not a number`, file, line, 'grad');
      grad[j] = round(v);
    });
    out.push({ id, impl, dtype: c.dtype, grad });
  }
  return out;
}
