/**
 * The fast backward kernels (backward.ts, accurate-grad.ts) are the generic
 * gradients (generic.ts) with `round = Math.fround` / identity, bit for bit:
 * on the mpmath gradient rows (fixtures/mpmath-t2/grad-cases.csv, every row read
 * in both formats), the 680 mpmath loss rows, and 3,000 seeded random rows with
 * offsets in the hundreds (exp overflow of the unshifted pipelines), masked
 * classes, masked targets and ties; batched several rows at a time, so the row
 * offsets of the kernels are exercised too.
 */
import { describe, expect, it } from 'vitest';
import type { NativeDtype as Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { readFixtureCases, readGradFixtureRows } from '../testing/fixtures.js';
import { mulberry32 } from '../util/random.js';
import { GENERIC_GRAD } from './generic.js';
import { BUILTIN_PIPELINES } from './registry.js';
import { runKernel } from './types.js';

interface Row {
  readonly logits: readonly number[];
  readonly target: number;
}

/** Random rows around offsets up to ±900, with masked classes (sometimes the target) and ties. */
function extremeRows(count: number, seed: number): Row[] {
  const rand = mulberry32(seed);
  const offsets = [0, 1, -30, 88, 100, -104, 300, -300, 700, 710, -745, 900, -900, 1e4];
  const spreads = [1e-6, 0.5, 4, 20, 120, 800];
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(rand() * 24);
    const offset = offsets[Math.floor(rand() * offsets.length)] * (rand() < 0.2 ? -1 : 1);
    const spread = spreads[Math.floor(rand() * spreads.length)];
    const logits: number[] = [];
    for (let j = 0; j < n; j++) {
      const u = rand();
      if (u < 0.1) logits.push(-Infinity);
      else if (u < 0.2 && j > 0) logits.push(logits[j - 1]);
      else logits.push(offset + (rand() * 2 - 1) * spread);
    }
    if (logits.every((v) => v === -Infinity)) logits[0] = offset;
    let target = Math.floor(rand() * n);
    if (rand() < 0.1) {
      const masked = logits.findIndex((v) => v === -Infinity);
      if (masked >= 0) target = masked;
    }
    rows.push({ logits, target });
  }
  return rows;
}


const rows: Row[] = [...readGradFixtureRows(), ...readFixtureCases().map((c) => ({ logits: Array.from(c.logits), target: c.target })), ...extremeRows(3000, 14)];

describe.each(BUILTIN_PIPELINES.map((p) => p.name))('%s backward: the fast kernels are the generic gradient bit for bit', (name) => {
  const pipeline = BUILTIN_PIPELINES.find((p) => p.name === name)!;
  const generic = GENERIC_GRAD[name];

  it.each<Dtype>(['float32', 'float64'])('%s', (dtype) => {
    expect(pipeline.grad).toBeDefined();
    expect(pipeline.grad!.generic).toBe(generic);
    const fmt = formatOf(dtype);
    const want = new Float64Array(1024);
    let compared = 0;
    // Batches of three rows of one width: the kernels index rows by their offset.
    const byWidth = new Map<number, Row[]>();
    for (const row of rows) {
      const x = row.logits.map(fmt.round);
      // A finite value that rounds to ±infinity in float32 is not a float32 input.
      if (x.some((v, j) => !Number.isFinite(v) && v !== row.logits[j])) continue;
      if (x.every((v) => v === -Infinity)) continue;
      const list = byWidth.get(x.length) ?? [];
      list.push({ logits: x, target: row.target });
      byWidth.set(x.length, list);
    }
    for (const [n, list] of byWidth) {
      for (let start = 0; start < list.length; start += 3) {
        const batch = list.slice(start, start + 3);
        const x = fmt.array(batch.length * n);
        batch.forEach((r, i) => x.set(r.logits, i * n));
        const out = fmt.array(batch.length * n);
        runKernel(pipeline.grad!, dtype, x, batch.length, n, Int32Array.from(batch.map((r) => r.target)), out);
        batch.forEach((r, i) => {
          generic(r.logits, r.target, fmt.round, want);
          for (let j = 0; j < n; j++) {
            if (!Object.is(out[i * n + j], want[j])) {
              throw new Error(`${name} ${dtype} class ${j}: kernel ${out[i * n + j]}, generic ${want[j]}, target ${r.target}, logits [${r.logits.join(', ')}]`);
            }
          }
          compared++;
        });
      }
    }
    expect(compared).toBeGreaterThan(3500);
  });
});
