/**
 * The fixed reference loop of the benchmark (SPEC section 5,
 * `relative_to_reference`): Σ exp(x_i) in double over a batch's logits, inline
 * (run.ts) and on the pool (pool-worker.ts). A module of its own so that pool
 * workers load it without the benchmark's peers.
 */

/** Σ exp(x_i) in double: the fixed reference loop over float64 logits. */
export function referenceLoop(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp(a[i]);
  return s;
}

/** The same loop over float32 logits (each read as a double). A copy, not a union type, so that each loop stays monomorphic. */
export function referenceLoop32(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.exp(a[i]);
  return s;
}
