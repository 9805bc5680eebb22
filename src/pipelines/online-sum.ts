/**
 * The one pass of online-softmax (Milakov & Gimelshein 2018, Algorithm 3): a
 * running maximum m and a running sum d rescaled whenever m grows, shared by its
 * forward (online.ts) and backward (backward.ts) kernels. Results in the
 * module's `onlineM`, `onlineD` (no allocation per row). Masked classes
 * (−Infinity) before the first finite logit are skipped: exp(−∞ − (−∞)) would be NaN.
 */
import { exp32 } from './exp32.js';

const fr = Math.fround;

export let onlineM = -Infinity;
export let onlineD = 0;

/** Over x[base .. base + classes) in float32: every step rounded with Math.fround (exp via exp32). */
export function onlineMaxSum32(x: Float32Array, base: number, classes: number): void {
  let m = -Infinity;
  let d = 0;
  for (let j = 0; j < classes; j++) {
    const v = x[base + j];
    if (v > m) {
      d = fr(fr(d * exp32(fr(m - v))) + 1);
      m = v;
    } else if (v !== -Infinity) {
      d = fr(d + exp32(fr(v - m)));
    }
  }
  onlineM = m;
  onlineD = d;
}

/** The same in float64. */
export function onlineMaxSum64(x: Float64Array, base: number, classes: number): void {
  let m = -Infinity;
  let d = 0;
  for (let j = 0; j < classes; j++) {
    const v = x[base + j];
    if (v > m) {
      d = d * Math.exp(m - v) + 1;
      m = v;
    } else if (v !== -Infinity) {
      d += Math.exp(v - m);
    }
  }
  onlineM = m;
  onlineD = d;
}
