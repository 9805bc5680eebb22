/**
 * `score --grad --external-grad FILE`: another implementation's gradients (a
 * framework's autograd output), `id,impl,dtype,grad` (SPEC section 4.2): `grad`
 * holds one number per class, separated by single spaces, in the spellings
 * `--external` accepts (Python's inf, -inf, nan, -0.0 too). Each value is rounded
 * to the case's dtype. Any fault is exit 2 naming the file, the line and the field.
 */
import type { AnyCase } from '../cases/read.js';
import type { AnyDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { InputError } from '../util/errors.js';
import { parseLossValue, readExternalRecords } from './external.js';

export interface ExternalGrad {
  readonly id: string;
  readonly impl: string;
  readonly dtype: AnyDtype;
  /** One value of `dtype` per class. */
  readonly grad: Float64Array;
}

export const EXTERNAL_GRAD_COLUMNS = ['id', 'impl', 'dtype', 'grad'] as const;

export function readExternalGrad(file: string, cases: readonly AnyCase[]): ExternalGrad[] {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const out: ExternalGrad[] = [];
  for (const { field: rec, line } of readExternalRecords(file, EXTERNAL_GRAD_COLUMNS, 'external gradients')) {
    const id = rec.id;
    const c = byId.get(id);
    if (c === undefined) throw new InputError(`id ${JSON.stringify(id)} is not in the cases file`, file, line, 'id');
    const dtype = rec.dtype.trim();
    if (dtype !== c.dtype) throw new InputError(`dtype ${JSON.stringify(dtype)} differs from the case's ${c.dtype}; give each gradient in its case's dtype`, file, line, 'dtype');
    const impl = rec.impl.trim();
    if (impl === '') throw new InputError('impl is empty; name the implementation', file, line, 'impl');
    const tokens = rec.grad.trim() === '' ? [] : rec.grad.split(' ');
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
