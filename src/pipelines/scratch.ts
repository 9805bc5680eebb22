/**
 * Per-thread scratch vectors for the pipelines that materialise a whole row
 * (softmax probabilities, log-probabilities), so kernels allocate only when a
 * wider row than any before arrives. Each worker thread has its own module
 * instance, hence its own buffers.
 */
let f32 = new Float32Array(1024);
let f64 = new Float64Array(1024);

export function scratch32(n: number): Float32Array {
  if (f32.length < n) f32 = new Float32Array(n);
  return f32;
}

export function scratch64(n: number): Float64Array {
  if (f64.length < n) f64 = new Float64Array(n);
  return f64;
}
