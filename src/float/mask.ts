/**
 * Mask values: what code writes in a logit to take a class out of the softmax
 * (attention padding, vocabulary restriction): −Infinity, or a large finite
 * negative number (−1e9, −1e4, the format's lowest value −max, PyTorch's
 * `torch.finfo(dtype).min`). Used by the `masked` fuzz family
 * (src/fuzz/masked.ts) and the map's masked classes (`map.masks`, src/regions).
 */
import type { AnyDtype } from './dtype.js';
import { formatOf } from './dtype.js';

/** A mask as a suite writes it: −Infinity, a finite negative number, or `'lowest'` (the format's −max). */
export type MaskSpec = number | 'lowest';

/**
 * The mask's value in `dtype`: −Infinity as is, `'lowest'` the format's −max, a
 * finite mask rounded to the format, or −max where that rounding gives −Infinity
 * (−1e9 in float16 is −65504, as code written for that format does: SPEC section 3
 * refuses a finite logit that rounds to infinity).
 */
export function maskValue(v: MaskSpec, dtype: AnyDtype): number {
  const fmt = formatOf(dtype);
  if (v === 'lowest') return -fmt.max;
  const r = fmt.round(v);
  return r === -Infinity && v !== -Infinity ? -fmt.max : r;
}
