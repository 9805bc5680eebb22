/** The batch loss: the mean of the row losses (SPEC section 2), summed in the dtype. */
import type { Dtype, FloatArray } from '../float/dtype.js';

export function meanLoss(losses: FloatArray, dtype: Dtype): number {
  if (dtype === 'float32') {
    let s = 0;
    for (let i = 0; i < losses.length; i++) s = Math.fround(s + losses[i]);
    return Math.fround(s / losses.length);
  }
  let s = 0;
  for (let i = 0; i < losses.length; i++) s += losses[i];
  return s / losses.length;
}
