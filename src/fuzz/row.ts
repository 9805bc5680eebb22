/**
 * A fuzz case and the last step of every generator family: the drawn values
 * rounded to the dtype and checked.
 */
import type { FormatInfo } from '../float/dtype.js';

export interface FuzzCase {
  /** Values of the dtype: finite, or −Infinity for a masked class (the `masked` family). */
  readonly logits: Float64Array;
  readonly target: number;
}

/**
 * The case of drawn `values` (doubles, rounded here to the format) and a target
 * index (reduced modulo the row's length). −Infinity is kept (a masked class,
 * SPEC section 3); NaN, +Infinity and a finite value that rounds to ±Infinity in
 * the format are a bug of the generator (a family must keep its values within
 * the format's range: SPEC 3 refuses such a logit in a cases file), and throw.
 */
export function finished(values: readonly number[], target: number, fmt: FormatInfo): FuzzCase {
  const logits = new Float64Array(values.length);
  for (let j = 0; j < values.length; j++) {
    const v = fmt.round(values[j]);
    if (!Number.isFinite(v) && values[j] !== -Infinity) throw new Error(`fuzz generator made a non-finite logit ${values[j]} in ${fmt.dtype}`);
    logits[j] = v;
  }
  return { logits, target: target % values.length };
}
