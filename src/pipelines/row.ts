/** max(x[base .. base + classes)); −Infinity entries (masked classes) never win. */
export function rowMax(x: Float32Array | Float64Array, base: number, classes: number): number {
  let m = -Infinity;
  for (let j = 0; j < classes; j++) if (x[base + j] > m) m = x[base + j];
  return m;
}
