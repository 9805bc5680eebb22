/**
 * A deliberately slower pipeline, for the gate's noise script and the history
 * fixture: the same kernel, which then computes the first `fraction` of the
 * batch's rows a second time (same inputs, same losses written again). Its
 * results are bit for bit those of `p`; its time per call is (1 + fraction)
 * times `p`'s, so with fraction 1/4 its elements per second fall to 1/1.25 = 0.8
 * of `p`'s (a 20% fall of relative_to_reference).
 */
import type { Pipeline } from '../pipelines/types.js';

export function withRepeatedWork(p: Pipeline, fraction = 0.25): Pipeline {
  const again = (rows: number) => Math.ceil(rows * fraction);
  return {
    ...p,
    float32(x, rows, classes, targets, out) {
      p.float32.call(p, x, rows, classes, targets, out);
      const q = again(rows);
      p.float32.call(p, x.subarray(0, q * classes), q, classes, targets.subarray(0, q), out.subarray(0, q));
    },
    float64(x, rows, classes, targets, out) {
      p.float64.call(p, x, rows, classes, targets, out);
      const q = again(rows);
      p.float64.call(p, x.subarray(0, q * classes), q, classes, targets.subarray(0, q), out.subarray(0, q));
    },
  };
}
