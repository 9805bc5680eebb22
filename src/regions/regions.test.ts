/**
 * The region map: grid, exact boundaries against thresholds derived here from
 * the dtype's own exp, stable pipelines without overflow, every reported pair
 * re-checked against the decimal oracle, and the bounds that spare it.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dtype } from '../float/dtype.js';
import { NATIVE_DTYPES, formatOf } from '../float/dtype.js';
import { nextDown, nextUp, ordinal } from '../float/ordinal.js';
import { oracleLoss } from '../oracle/loss.js';
import { naiveSoftmax } from '../pipelines/naive.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import type { Pipeline } from '../pipelines/types.js';
import { classify } from '../score/outcome.js';
import { pipelineLoss } from '../score/score.js';
import { checkSuite } from '../suite/load.js';
import { roundedLossRange } from './bounds.js';
import { computeMap } from './command.js';
import type { MapFolder } from './files.js';
import { fillRow, gapGrid, offsetGrid, PANEL_TARGET } from './grid.js';
import type { Panel } from './grid.js';
import { BOUNDARY_COLUMNS, REGION_COLUMNS } from './map.js';
import { expThresholds } from './thresholds.js';

/** The largest x with exp(x) finite in the dtype (Math.exp, then rounded), by stepping from ln(max). */
function lastFiniteExp(dtype: Dtype): number {
  const fmt = formatOf(dtype);
  const e = (x: number) => fmt.round(Math.exp(x));
  let x = fmt.round(Math.log(fmt.max));
  while (e(x) === Infinity) x = nextDown(x, dtype);
  while (e(nextUp(x, dtype)) !== Infinity) x = nextUp(x, dtype);
  return x;
}

/** The largest x with exp(x) rounding to 0 in the dtype, by stepping from ln(minSubnormal/2). */
function lastZeroExp(dtype: Dtype): number {
  const fmt = formatOf(dtype);
  const e = (x: number) => fmt.round(Math.exp(x));
  let x = fmt.round(Math.log(fmt.minSubnormal) - Math.LN2);
  while (e(x) !== 0) x = nextDown(x, dtype);
  while (e(nextUp(x, dtype)) === 0) x = nextUp(x, dtype);
  return x;
}

const STABLE = ['stable-log-softmax', 'fused-cross-entropy', 'logsumexp-minus-target', 'log1p-log-softmax', 'online-softmax'];
const pipelineNamed = (name: string): Pipeline => BUILTIN_PIPELINES.find((p) => p.name === name)!;

interface BoundaryRow {
  pipeline: string;
  dtype: Dtype;
  panel: Panel;
  axis: string;
  fixed: number;
  from: string;
  to: string;
  last: number;
  first: number;
}

describe('thresholds and grid', () => {
  it('float32: last finite exp 88.72283172607422, exp rounds to 0 up to −103.97208404541016; float64: 709.782712893384, −745.1332191019412', () => {
    // Derived by stepping on the dtype's exp, then checked against the known values.
    expect(lastFiniteExp('float32')).toBe(88.72283172607422);
    expect(lastFiniteExp('float64')).toBe(709.782712893384);
    expect(lastZeroExp('float32')).toBe(-103.97208404541016);
    expect(lastZeroExp('float64')).toBe(-745.1332191019412);
    for (const dtype of NATIVE_DTYPES) {
      const [overflow, , , zero] = expThresholds(dtype);
      expect(overflow.pair).toEqual({ last: lastFiniteExp(dtype), first: nextUp(lastFiniteExp(dtype), dtype) });
      expect(zero.pair).toEqual({ last: lastZeroExp(dtype), first: nextUp(lastZeroExp(dtype), dtype) });
    }
  });

  it('every allowed size from the smallest (15 offsets, 8 gaps) gives that many distinct, finite values of the dtype', () => {
    for (const dtype of NATIVE_DTYPES) {
      for (let n = 15; n <= 301; n += 2) {
        const o = offsetGrid(dtype, n);
        expect(o, `${dtype} ${n} offsets`).toHaveLength(n);
        expect(new Set(o).size).toBe(n);
        expect(o.every((v) => Number.isFinite(v) && formatOf(dtype).round(v) === v)).toBe(true);
      }
      for (let n = 8; n <= 300; n++) {
        const g = gapGrid(dtype, n);
        expect(g, `${dtype} ${n} gaps`).toHaveLength(n);
        expect(new Set(g).size).toBe(n);
        expect(g.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      }
    }
  });

  for (const dtype of NATIVE_DTYPES) {
    it(`${dtype}: offsets symmetric from −max to max with 0 and the thresholds; gaps from 0 to max; all values of the dtype`, () => {
      const fmt = formatOf(dtype);
      const o = offsetGrid(dtype, 49);
      const g = gapGrid(dtype, 33);
      expect(o).toHaveLength(49);
      expect(g).toHaveLength(33);
      expect(o[0]).toBe(-fmt.max);
      expect(o[48]).toBe(fmt.max);
      expect(o[24]).toBe(0);
      expect(g[0]).toBe(0);
      expect(g[32]).toBe(fmt.max);
      for (let i = 0; i < 24; i++) expect(o[i]).toBe(-o[48 - i]);
      for (const v of [...o, ...g]) expect(fmt.round(v)).toBe(v);
      for (const list of [o, g]) for (let i = 1; i < list.length; i++) expect(list[i]).toBeGreaterThan(list[i - 1]);
      for (const t of expThresholds(dtype).filter((x) => x.key === 'overflow' || x.key === 'subnormal' || x.key === 'zero')) {
        expect(o).toContain(t.rounded);
        expect(o).toContain(-t.rounded);
        expect(g).toContain(Math.abs(t.rounded));
      }
    });
  }
});

describe('the map of the built-in pipelines (49 offsets × 33 gaps)', () => {
  /** Every row; `folder` holds the loss's (quantity = loss), which the threshold checks below are about. */
  let full: MapFolder;
  let folder: MapFolder;
  let boundaries: BoundaryRow[];
  const suite = checkSuite({ name: 'map-test', seed: 1, map: { offsets: 49, gaps: 33 } }, '/virtual/map-test.suite.ts');
  const quantityOf = (r: readonly string[], columns: readonly string[]) => r[columns.indexOf('quantity')];

  beforeAll(() => {
    full = computeMap(suite).folder;
    folder = {
      ...full,
      regions: full.regions.filter((r) => quantityOf(r, REGION_COLUMNS) === 'loss'),
      boundaries: full.boundaries.filter((r) => quantityOf(r, BOUNDARY_COLUMNS) === 'loss'),
    };
    boundaries = folder.boundaries.map(([pipeline, dtype, panel, axis, fixed, from, to, last, first]) => {
      const round = formatOf(dtype as Dtype).round;
      return { pipeline, dtype: dtype as Dtype, panel: panel as Panel, axis, fixed: round(Number(fixed)), from, to, last: round(Number(last)), first: round(Number(first)) };
    });
  });

  it('has one regions row per pipeline, dtype, quantity (every built-in has a backward pass), panel and cell, causes only where the outcome is not ok', () => {
    expect(folder.regions).toHaveLength(suite.pipelines.length * 2 * 2 * 49 * 33);
    expect(full.regions).toHaveLength(suite.pipelines.length * 2 * 2 * 2 * 49 * 33);
    for (const r of full.regions) {
      expect(r).toHaveLength(REGION_COLUMNS.length);
      expect(r[6] === '').toBe(r[5] === 'ok');
    }
    for (const r of full.boundaries) expect(r).toHaveLength(BOUNDARY_COLUMNS.length);
  });

  it('the gradient panels: accurate-cross-entropy ok in every cell; stable-log-softmax float32 loses the target component of confident rows (cancellation) where its loss is ok; naive autograd NaN past the overflow line', () => {
    const cells = (p: string, dtype: string, q: string, panel: string) => full.regions.filter((r) => r[0] === p && r[1] === dtype && r[2] === panel && quantityOf(r, REGION_COLUMNS) === q);
    for (const dtype of NATIVE_DTYPES) for (const panel of ['target-max', 'target-min']) expect(cells('accurate-cross-entropy', dtype, 'grad', panel).every((r) => r[5] === 'ok')).toBe(true);
    const lossOk = new Set(cells('stable-log-softmax', 'float32', 'loss', 'target-max').filter((r) => r[5] === 'ok').map((r) => `${r[3]} ${r[4]}`));
    const cancelled = cells('stable-log-softmax', 'float32', 'grad', 'target-max').filter((r) => r[5] === 'inaccurate' && r[6] === 'cancellation' && lossOk.has(`${r[3]} ${r[4]}`));
    expect(cancelled.length).toBeGreaterThan(20);
    // Such a cell, re-judged here from its row: exp(z_t) − 1 is off by far more than the budget in norm ulps.
    for (const r of cancelled) expect(Number(r[7])).toBeGreaterThan(4);
    const x = lastFiniteExp('float32');
    const past = cells('naive-softmax', 'float32', 'grad', 'target-max').filter((r) => Number(r[3]) > x);
    expect(past.length).toBeGreaterThan(0);
    expect(past.every((r) => r[5] === 'nan')).toBe(true);
  });

  for (const dtype of NATIVE_DTYPES) {
    const fmt = formatOf(dtype);
    it(`naive-softmax ${dtype}: the overflow line along the offset axis is the last x with exp(x) finite, at every gap where exp(a − g) vanishes beside exp(a)`, () => {
      const x = lastFiniteExp(dtype);
      // fl(exp(a) + exp(a − g)) = exp(a) once exp(−g) < 2^−(p+1), i.e. g > (p + 1)·ln 2.
      const gaps = gapGrid(dtype, 33).filter((g) => g > (fmt.precision + 1) * Math.LN2);
      expect(gaps.length).toBeGreaterThan(10);
      for (const g of gaps) {
        const found = boundaries.filter((b) => b.pipeline === 'naive-softmax' && b.dtype === dtype && b.panel === 'target-max' && b.axis === 'offset' && b.fixed === g && b.last > 0 && b.to === 'nan');
        expect(found, `gap ${g}`).toHaveLength(1);
        expect(found[0]).toMatchObject({ last: x, first: nextUp(x, dtype) });
      }
    });

    it(`naive-softmax ${dtype}: below the last x with exp(x) = 0 the row is 0/0 at every gap`, () => {
      const z = lastZeroExp(dtype);
      for (const g of gapGrid(dtype, 33)) {
        const found = boundaries.filter((b) => b.pipeline === 'naive-softmax' && b.dtype === dtype && b.panel === 'target-max' && b.axis === 'offset' && b.fixed === g && b.last < 0 && b.from === 'nan');
        expect(found, `gap ${g}`).toHaveLength(1);
        expect(found[0]).toMatchObject({ last: z, first: nextUp(z, dtype) });
      }
    });

    it(`naive-softmax ${dtype}: the log-of-zero line along the gap axis at a = 0 is where exp(−g) rounds to 0`, () => {
      const z = lastZeroExp(dtype);
      const found = boundaries.filter((b) => b.pipeline === 'naive-softmax' && b.dtype === dtype && b.panel === 'target-min' && b.axis === 'gap' && b.fixed === 0 && b.to === 'overflow');
      expect(found).toHaveLength(1);
      // First g with exp(−g) = 0 is −z; the value before it still has p[target-min] > 0.
      expect(found[0]).toMatchObject({ last: nextDown(-z, dtype), first: -z });
      expect(naiveSoftmax.diagnose!(Float64Array.of(0, -found[0].first), 1, dtype)).toBe('log-of-zero');
      const cells = folder.regions.filter((r) => r[0] === 'naive-softmax' && r[1] === dtype && r[2] === 'target-min' && r[3] === '0' && fmt.round(Number(r[4])) >= -z);
      expect(cells.length).toBeGreaterThan(3);
      for (const c of cells) expect(c.slice(5, 7)).toEqual(['overflow', 'log-of-zero']);
    });
  }

  it('the stable pipelines have no overflow region: every loss is finite where the true loss is (up to the largest finite loss, g = max)', () => {
    for (const name of STABLE) {
      const cells = folder.regions.filter((r) => r[0] === name);
      expect(cells.length).toBe(2 * 2 * 49 * 33);
      expect(cells.filter((r) => r[5] === 'overflow' || r[5] === 'nan')).toEqual([]);
      expect(boundaries.filter((b) => b.pipeline === name && (b.from === 'overflow' || b.to === 'overflow'))).toEqual([]);
    }
    // The largest finite loss: row [0, −max] scores max in both dtypes, and every stable pipeline returns it finite.
    for (const dtype of NATIVE_DTYPES) {
      const max = formatOf(dtype).max;
      expect(oracleLoss([0, -max], 1, dtype).rounded).toBe(max);
      for (const name of STABLE) expect(pipelineLoss(pipelineNamed(name), Float64Array.of(0, -max), 1, dtype), `${name} ${dtype}`).toBe(max);
    }
    // The test can fail: the naive pipeline does overflow on the same grid.
    expect(folder.regions.some((r) => r[0] === 'naive-softmax' && r[5] === 'overflow')).toBe(true);
  });

  it('the stable pipelines lose a confident loss exactly where 1 + exp(−g) rounds to 1 (g = p·ln 2), at every offset of moderate size', () => {
    for (const dtype of NATIVE_DTYPES) {
      const fmt = formatOf(dtype);
      // Derived here: the first g with fl(1 + fl(exp(−g))) = 1, stepping from p·ln 2.
      let g = fmt.round(fmt.precision * Math.LN2);
      const absorbed = (v: number) => fmt.round(1 + fmt.round(Math.exp(-v))) === 1;
      while (absorbed(g)) g = nextDown(g, dtype);
      while (!absorbed(g)) g = nextUp(g, dtype);
      for (const name of ['stable-log-softmax', 'fused-cross-entropy', 'online-softmax']) {
        // Every small offset has such an edge; at a = 0 the row is [0, −g], x_1 − m = −g exactly, so the edge is the pair itself.
        const found = boundaries.filter((b) => b.pipeline === name && b.dtype === dtype && b.panel === 'target-max' && b.axis === 'gap' && Math.abs(b.fixed) <= 1 && b.to === 'underflow');
        expect(found.length, `${name} ${dtype}`).toBeGreaterThan(3);
        for (const b of found.filter((x) => x.fixed === 0)) expect(b).toMatchObject({ last: nextDown(g, dtype), first: g });
        expect(found.filter((b) => b.fixed === 0), `${name} ${dtype} at a = 0`).toHaveLength(1);
      }
    }
  });

  it('every reported pair is adjacent and has the reported outcomes under the decimal oracle (one boundary in 7)', () => {
    expect(boundaries.length).toBeGreaterThan(500);
    boundaries.forEach((b, i) => {
      expect(ordinal(b.first, b.dtype) - ordinal(b.last, b.dtype)).toBe(1n);
      if (i % 7 !== 0) return;
      const p = pipelineNamed(b.pipeline);
      const budget = suite.budgets[b.pipeline];
      const outcomeAt = (v: number) => {
        const [a, g] = b.axis === 'offset' ? [v, b.fixed] : [b.fixed, v];
        const row = fillRow(new Float64Array(2), a, g, b.dtype);
        const t = PANEL_TARGET[b.panel];
        return classify(pipelineLoss(p, row, t, b.dtype), oracleLoss(row, t, b.dtype).rounded, b.dtype, budget).outcome;
      };
      expect([outcomeAt(b.last), outcomeAt(b.first)], JSON.stringify(folder.boundaries[i])).toEqual([b.from, b.to]);
    });
  });
});

describe('bounds on the rounded loss (bounds.ts) contain the oracle', () => {
  // Rows near the exp thresholds, at large offsets, with masked classes and midpoint differences.
  const special = (dtype: Dtype) => {
    const fmt = formatOf(dtype);
    return fc.oneof(
      fc.double({ min: -1e3, max: 1e3, noNaN: true }),
      fc.constantFrom(0, -0, fmt.max, -fmt.max, fmt.minSubnormal, 88.72283172607422, 709.782712893384, -745.1332191019412, 2 ** 53, -1),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -200, max: 200 }).map((k) => 2 ** k * (1 + 2 ** -24)),
    ).map((v) => fmt.round(v));
  };
  for (const dtype of NATIVE_DTYPES) {
    const seed = dtype === 'float32' ? 4101 : 4102;
    it(`${dtype}, seed ${seed}: the correctly rounded loss lies in the range for 400 rows`, () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(special(dtype), fc.constant(-Infinity)), { minLength: 1, maxLength: 5 }), fc.nat(), (values, t) => {
          const row = values.filter((v) => Number.isFinite(v) || v === -Infinity);
          if (!row.some((v) => Number.isFinite(v))) return;
          const target = t % row.length;
          const range = roundedLossRange(row, target, dtype);
          if (range === undefined) return;
          const exact = oracleLoss(row, target, dtype).rounded;
          expect(exact >= range[0] && exact <= range[1], `[${row.join(', ')}] target ${target}: ${exact} not in [${range.join(', ')}]`).toBe(true);
        }),
        { seed, numRuns: 400 },
      );
    });
  }
});

describe('oracle: a loss whose exact value is a rounding midpoint plus a tiny tail', () => {
  // Found by the map: D = m − x_t on a midpoint, T = exp(−D) far below it; Ziv's interval straddles the midpoint at any precision.
  it('rounds up, at the first precision (float32 and float64)', () => {
    const f32 = oracleLoss([-311797448704, -1004446416896], 1, 'float32');
    expect(f32.rounded).toBe(692649000960); // D = 692648968192 is the midpoint of 692648935424 and 692649000960
    expect(f32.digits).toBe(48);
    const f64 = oracleLoss([2 ** 53, -1], 1, 'float64');
    expect(f64.rounded).toBe(2 ** 53 + 2); // D = 2^53 + 1, the midpoint of 2^53 and 2^53 + 2
    expect(f64.digits).toBe(48);
  });
});
