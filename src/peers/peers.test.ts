import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NativeDtype as Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { ulpDistance } from '../float/ordinal.js';
import { oracleLoss } from '../oracle/loss.js';
import type { Pipeline } from '../pipelines/types.js';
import { runKernel } from '../pipelines/types.js';
import { pipelineLoss } from '../score/score.js';
import { loadSuite } from '../suite/load.js';
import { tempDir } from '../testing/cli.js';
import { onnxruntimeLogSoftmax, ortUnavailableReason } from './onnxruntime.js';
import { availablePeers, missingPeersLine, peerUnavailable } from './registry.js';
import { tfjsCpuLogSoftmax } from './tfjs.js';

const SEED = 5;

/** Moderate rows: 2-64 classes, logits uniform in [−6, 6) as float32 values, each with a target whose loss is ≥ 1/2. */
function moderateRows(seed: number, count: number): { row: Float64Array; target: number }[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const rows: { row: Float64Array; target: number }[] = [];
  while (rows.length < count) {
    const n = 2 + Math.floor(next() * 63);
    const row = Float64Array.from({ length: n }, () => Math.fround((next() * 2 - 1) * 6));
    const target = Math.floor(next() * n);
    // The loss is ≥ 1/2 when x[t] is at least 1/2 below log Σ exp(x) ≥ max(x): keep those.
    if (oracleLoss(row, target, 'float64').approx >= 0.5) rows.push({ row, target });
  }
  return rows;
}

function losses(p: Pipeline, dtype: Dtype, rows: { row: Float64Array; target: number }[]): Float64Array {
  return Float64Array.from(rows, ({ row, target }) => pipelineLoss(p, row, target, dtype));
}

const ROWS = moderateRows(SEED, 40);

// For a loss ≥ 1/2, a log-softmax evaluated in the dtype errs by a few units of
// roundoff times (|x_t − m| + log Σ) ≤ 6·2 + log 64: within 4 ulps of the loss (the default budget).
describe('peers against the oracle, moderate rows with losses ≥ 1/2 (in ulps)', () => {
  const cases: [Pipeline, Dtype][] = [[tfjsCpuLogSoftmax, 'float32']];
  if (ortUnavailableReason() === undefined) cases.push([onnxruntimeLogSoftmax, 'float32'], [onnxruntimeLogSoftmax, 'float64']);
  for (const [p, dtype] of cases) {
    it(`${p.name} ${dtype}: every row within 4 ulps (seed ${SEED})`, () => {
      const got = losses(p, dtype, ROWS);
      const ulps = ROWS.map(({ row, target }, i) => Number(ulpDistance(got[i], oracleLoss(row, target, dtype).rounded, dtype)));
      expect(Math.max(...ulps)).toBeLessThanOrEqual(4);
    });
  }

  it(`tfjs-cpu-log-softmax float64 is its float32 result on the rounded logits, as tf.tensor gives (seed ${SEED})`, () => {
    const f64 = losses(tfjsCpuLogSoftmax, 'float64', ROWS);
    const f32 = losses(tfjsCpuLogSoftmax, 'float32', ROWS);
    expect(Array.from(f64)).toEqual(Array.from(f32));
    // Scored as float64, that is float32 accuracy: far outside any float64 budget.
    const ulps = ROWS.map(({ row, target }, i) => Number(ulpDistance(f64[i], oracleLoss(row, target, 'float64').rounded, 'float64')));
    expect(Math.max(...ulps)).toBeGreaterThan(2 ** 20);
  });
});

describe('peers as batch kernels', () => {
  for (const p of availablePeers()) {
    for (const dtype of ['float32', 'float64'] as Dtype[]) {
      it(`${p.name} ${dtype}: a 3-row batch gives each row's own loss`, () => {
        const classes = ROWS[0].row.length;
        const batch = [ROWS[0], { row: ROWS[0].row.map((v) => Math.fround(v / 2)), target: 0 }, { row: ROWS[0].row.map((v) => -v), target: classes - 1 }];
        const fmt = formatOf(dtype);
        const x = fmt.array(3 * classes);
        batch.forEach((r, i) => x.set(r.row, i * classes));
        const out = fmt.array(3);
        runKernel(p, dtype, x, 3, classes, Int32Array.from(batch, (r) => r.target), out);
        const single = losses(p, dtype, batch);
        if (p === tfjsCpuLogSoftmax) {
          expect(Array.from(out)).toEqual(Array.from(single));
        } else {
          // onnxruntime's CPU LogSoftmax (MLAS) may take another code path for a batch than for
          // one row: the last bit can differ (seen in float64). The rows must still agree closely.
          for (let i = 0; i < 3; i++) expect(Number(ulpDistance(out[i], single[i], dtype))).toBeLessThanOrEqual(2);
        }
      });
    }
    it(`${p.name}: logits in a SharedArrayBuffer (as the worker pools pass them), at an offset`, () => {
      const classes = ROWS[0].row.length;
      const x = new Float32Array(new SharedArrayBuffer((classes + 3) * 4)).subarray(3);
      x.set(ROWS[0].row);
      const out = new Float32Array(new SharedArrayBuffer(4));
      runKernel(p, 'float32', x, 1, classes, Int32Array.of(ROWS[0].target), out);
      expect(out[0]).toBe(losses(p, 'float32', [ROWS[0]])[0]);
    });
    it(`${p.name}: a failure's cause is 'peer' (a black box)`, () => {
      expect(p.diagnose?.([0, 1], 0, 'float32')).toBe('peer');
    });
  }
});

describe('suites name the peers', () => {
  it('loadSuite finds them by name; an available peer has no complaint', async () => {
    const dir = tempDir();
    const file = join(dir, 'peers.suite.ts');
    const names = availablePeers().map((p) => p.name);
    writeFileSync(file, `export default { name: 'peers', pipelines: ${JSON.stringify(['fused-cross-entropy', ...names])} };\n`);
    const suite = await loadSuite(file);
    expect(suite.pipelines.map((p) => p.name)).toEqual(['fused-cross-entropy', ...names]);
    for (const n of names) expect(peerUnavailable(n)).toBeUndefined();
    expect(names[0]).toBe('tfjs-cpu-log-softmax');
  });
});

describe('missing peers', () => {
  it('one line naming the missing peer, why, and how to get it; nothing when it loads', () => {
    expect(missingPeersLine(undefined)).toBeUndefined();
    expect(missingPeersLine("Cannot find module 'onnxruntime-node'")).toBe(
      "peers: onnxruntime-log-softmax is not available here: the optional package onnxruntime-node does not load (Cannot find module 'onnxruntime-node'); get it with `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`. Suites that list it are refused; the others run without it",
    );
    // Here, the line appears exactly when onnxruntime-node does not load.
    expect(missingPeersLine() === undefined).toBe(ortUnavailableReason() === undefined);
  });
});
