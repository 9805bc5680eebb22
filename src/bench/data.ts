/**
 * Benchmark inputs, made before any timing: logits uniform in [−8, 8) rounded
 * to float32 (the same values in the float32 and float64 arrays, so both dtypes
 * and the reference loop see one batch), and uniform targets. Deterministic in
 * (seed, rows, classes). Arrays can live in SharedArrayBuffers, so the pool's
 * workers read the very same memory.
 */
import type { Dtype, HalfDtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { mulberry32 } from '../util/random.js';

/** Half-width of the logits' range: exp(x − m) spans e^−16 … 1, as with a moderately confident classifier. */
export const LOGIT_RANGE = 8;

export interface BenchBatch {
  readonly rows: number;
  readonly classes: number;
  readonly x32: Float32Array;
  /** The same values as x32, as doubles: the float64 pipelines' input and the reference loop's array. */
  readonly x64: Float64Array;
  readonly targets: Int32Array;
}

function floatArray<T extends Float32Array | Float64Array | Int32Array>(
  Ctor: { new (b: ArrayBufferLike): T; new (n: number): T; BYTES_PER_ELEMENT: number },
  n: number,
  shared: boolean,
): T {
  return shared ? new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT)) : new Ctor(n);
}

const halfCache = new WeakMap<BenchBatch, Map<Dtype, Float32Array>>();

/**
 * The batch's logits rounded directly to a half format (float16, bfloat16), as
 * float32 values: the input of the half-format tasks, made once per batch and
 * format, before timing.
 */
export function halfLogits(b: BenchBatch, dtype: HalfDtype): Float32Array {
  let byDtype = halfCache.get(b);
  if (byDtype === undefined) {
    byDtype = new Map();
    halfCache.set(b, byDtype);
  }
  let x = byDtype.get(dtype);
  if (x === undefined) {
    const round = formatOf(dtype).round;
    x = Float32Array.from(b.x64, round);
    byDtype.set(dtype, x);
  }
  return x;
}

export function makeBatch(rows: number, classes: number, seed: number, shared = false): BenchBatch {
  const n = rows * classes;
  const x32 = floatArray(Float32Array, n, shared);
  const x64 = floatArray(Float64Array, n, shared);
  const targets = floatArray(Int32Array, rows, shared);
  const next = mulberry32(seed ^ Math.imul(rows, 0x9e3779b1) ^ Math.imul(classes, 0x85ebca6b));
  for (let i = 0; i < n; i++) {
    const v = Math.fround((next() * 2 - 1) * LOGIT_RANGE);
    x32[i] = v;
    x64[i] = v;
  }
  for (let r = 0; r < rows; r++) targets[r] = Math.floor(next() * classes);
  return { rows, classes, x32, x64, targets };
}
