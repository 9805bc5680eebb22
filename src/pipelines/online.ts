/**
 * Single-pass (online) normaliser.
 */
import { traceOnlineSoftmax } from './traces.js';
import type { Pipeline } from './types.js';
import { onlineSoftmaxGrad } from './backward.js';
import { onlineD, onlineM, onlineMaxSum32, onlineMaxSum64 } from './online-sum.js';

const fr = Math.fround;

/**
 * online-softmax: one pass with a running maximum m and a running sum d rescaled
 * whenever m grows (Milakov & Gimelshein 2018, Algorithm 3), then
 * loss = log d − (x[t] − m). Masked classes (−Infinity) before the first finite
 * logit are skipped: exp(−∞ − (−∞)) would be NaN.
 */
export const onlineSoftmax: Pipeline = {
  name: 'online-softmax',
  formula: 'm_j = max(m_{j−1}, x_j); d_j = d_{j−1}·exp(m_{j−1} − m_j) + exp(x_j − m_j); loss = log d − (x[t] − m)',
  diagnose: (row, target, dtype) => traceOnlineSoftmax(row, target, dtype).cause,
  grad: onlineSoftmaxGrad,
  float32(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      onlineMaxSum32(x, base, classes);
      out[r] = fr(fr(Math.log(onlineD)) - fr(x[base + targets[r]] - onlineM));
    }
  },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, base = 0; r < rows; r++, base += classes) {
      onlineMaxSum64(x, base, classes);
      out[r] = Math.log(onlineD) - (x[base + targets[r]] - onlineM);
    }
  },
};
