import { readFileSync } from 'node:fs';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { formatOf, isAnyDtype } from '../float/dtype.js';
import { nextUp } from '../float/ordinal.js';
import { FIXTURES, readFixtureCases, readTruth } from '../testing/fixtures.js';
import { ExactDecimal, exactDecimal, exactDecimalString, roundDecimal } from './exact.js';
import { oracleGrad, oracleLossAndGrad } from './grad.js';
import { oracleLoss } from './loss.js';

describe('exact conversion from the bits', () => {
  it('reads the binary value, not the shortest decimal', () => {
    expect(exactDecimalString(0.1)).toBe('1000000000000000055511151231257827021181583404541015625e-55');
    expect(exactDecimal(0.1).toString()).toBe('0.1000000000000000055511151231257827021181583404541015625');
    expect(exactDecimal(Math.fround(0.1)).toString()).toBe('0.100000001490116119384765625');
    expect(exactDecimal(Number.MIN_VALUE).toFixed(0, Decimal.ROUND_UP)).toBe('1');
    expect(exactDecimal(2 ** 1023).toString().length).toBeGreaterThan(300);
  });
});

describe('correct rounding of a decimal', () => {
  it('rounds a float32 midpoint to even and one past it up, where double rounding would not', () => {
    // 1 + 2^-24 is the midpoint between 1 and 1 + 2^-23: ties to even gives 1.
    const mid = exactDecimal(1).plus(exactDecimal(2 ** -24));
    expect(roundDecimal(mid, 'float32')).toBe(1);
    // A hair above the midpoint: Number() gives 1 + 2^-24 exactly, which fround would take to 1.
    expect(roundDecimal(mid.plus('1e-40'), 'float32')).toBe(1 + 2 ** -23);
  });

  it('overflows at max + ulp/2 (ties to even) and keeps subnormals', () => {
    const f32 = formatOf('float32');
    const halfUlp = exactDecimal(2 ** 103);
    expect(roundDecimal(exactDecimal(f32.max).plus(halfUlp).minus('1e-30'), 'float32')).toBe(f32.max);
    expect(roundDecimal(exactDecimal(f32.max).plus(halfUlp), 'float32')).toBe(Infinity);
    expect(roundDecimal(exactDecimal(f32.minSubnormal).div(2), 'float32')).toBe(0);
    expect(roundDecimal(exactDecimal(f32.minSubnormal).times('0.5000001'), 'float32')).toBe(f32.minSubnormal);
    expect(roundDecimal(exactDecimal(Number.MIN_VALUE).times(1.5), 'float64')).toBe(nextUp(Number.MIN_VALUE, 'float64'));
  });
});

describe('oracle against mpmath (2300 and 4600 bits)', () => {
  const truth = readTruth();
  const cases = readFixtureCases();

  it('finds oracle_loss equal to loss_rounded on all 680 rows, and loss_exact to 30 digits', () => {
    expect(cases).toHaveLength(680);
    const mismatches: string[] = [];
    for (const c of cases) {
      const t = truth.get(c.id);
      if (t === undefined) throw new Error(`no truth for ${c.id}`);
      const o = oracleLoss(c.logits, c.target, c.dtype);
      const want = formatOf(c.dtype).round(parseFloat(t.lossRounded));
      if (!Object.is(o.rounded, want)) mismatches.push(`${c.id}: oracle ${o.rounded}, mpmath ${t.lossRounded}`);
      if (t.lossExact !== 'inf' && o.exact !== 'Infinity') {
        const a = new Decimal(o.exact);
        const b = new Decimal(t.lossExact);
        if (!b.isZero() && a.minus(b).abs().div(b).gt('1e-30')) mismatches.push(`${c.id}: exact ${o.exact} vs ${t.lossExact}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

/** Rows of a CSV of fixtures/mpmath-t2/ (no quoted fields there), header dropped. */
const read = (name: string) => readFileSync(`${FIXTURES}mpmath-t2/${name}`, 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));

/** The rows of a mpmath-t2 cases file: id, format, target and logits rounded directly to the format. */
function readRows(name: string) {
  return read(name).map(([id, dtype, target, logits]) => {
    if (!isAnyDtype(dtype)) throw new Error(`${id}: dtype ${dtype}`);
    const fmt = formatOf(dtype);
    return { id, dtype, fmt, target: Number(target), row: logits.split(' ').map((s) => fmt.round(parseFloat(s))) };
  });
}

describe('oracle against mpmath in the half formats (600 and 1400 bits, rounded directly)', () => {
  it('finds oracle_loss equal to loss_rounded on every float16 and bfloat16 row of mpmath-t2/half-cases.csv', () => {
    const truth = new Map(read('half-truth.csv').map(([id, dtype, loss]) => [id, { dtype, loss }]));
    const rows = readRows('half-cases.csv');
    expect(rows.length).toBe(422);
    const mismatches: string[] = [];
    const seen = new Set<string>();
    for (const { id, dtype, fmt, target, row } of rows) {
      const t = truth.get(id);
      if (t === undefined || t.dtype !== dtype) throw new Error(`no truth for ${id}`);
      const o = oracleLoss(row, target, dtype);
      const want = fmt.round(parseFloat(t.loss));
      if (!Object.is(o.rounded, want)) mismatches.push(`${id} ${dtype}: oracle ${o.rounded}, mpmath ${t.loss}`);
      seen.add(dtype);
    }
    expect(mismatches).toEqual([]);
    expect([...seen].sort()).toEqual(['bfloat16', 'float16']);
  });
});

describe('gradient oracle against mpmath (600 and 1400 bits, every component rounded directly)', () => {

  it('equals grad-truth.csv in every component of every row, in all four formats', () => {
    const truth = new Map(read('grad-truth.csv').map(([id, , dtype, grad]) => [id, { dtype, grad }]));
    const rows = readRows('grad-cases.csv');
    expect(rows.length).toBe(232);
    const mismatches: string[] = [];
    const seen = new Set<string>();
    let components = 0;
    for (const { id, dtype, fmt, target, row } of rows) {
      const t = truth.get(id);
      if (t === undefined || t.dtype !== dtype) throw new Error(`no truth for ${id}`);
      const want = t.grad.split(' ').map((s) => fmt.round(parseFloat(s)));
      const got = oracleGrad(row, target, dtype).rounded;
      expect(got.length).toBe(want.length);
      for (let j = 0; j < want.length; j++) {
        components++;
        if (!Object.is(got[j], want[j])) mismatches.push(`${id} ${dtype} class ${j}: oracle ${got[j]}, mpmath ${want[j]}`);
      }
      seen.add(dtype);
    }
    expect(mismatches).toEqual([]);
    expect(seen.size).toBe(4);
    expect(components).toBeGreaterThan(1000);
  });

  it('gives the issue-14 rows their mpmath values, masked classes exactly 0, tied classes exactly', () => {
    expect(Array.from(oracleGrad([-431, 279, 427], 0, 'float64').rounded)).toEqual([-1, 5.301718666092324e-65, 1]);
    expect(Array.from(oracleGrad([1, 2, -Infinity, 3], 0, 'float64').rounded)).toEqual([-0.9099694268296196, 0.24472847105479764, 0, 0.6652409557748219]);
    expect(Array.from(oracleGrad([0, -20], 0, 'float32').rounded)).toEqual([Math.fround(-2.0611537e-9), Math.fround(2.0611537e-9)]);
    // 4096 tied classes in float16: p = 2^−12 exactly and g_t = −(1 − 2^−12), a rounding midpoint (ties to even: −1).
    const tied = oracleGrad(new Array<number>(4096).fill(0), 0, 'float16').rounded;
    expect(tied[0]).toBe(-1);
    expect(tied[1]).toBe(2 ** -12);
    expect(Array.from(oracleGrad([-Infinity, 0], 0, 'float64').rounded)).toEqual([-1, 1]);
    expect(Array.from(oracleGrad([5, -Infinity], 0, 'float32').rounded)).toEqual([0, 0]);
  });

  it('rounds components near the underflow line correctly: e^−103.5 ≈ 1.1e−45 to the smallest float32 subnormal, e^−104.5 ≈ 4.1e−46 to 0', () => {
    expect(oracleGrad([0, -103.5], 0, 'float32').rounded[1]).toBe(formatOf('float32').minSubnormal);
    expect(Object.is(oracleGrad([0, -104.5], 0, 'float32').rounded[1], 0)).toBe(true);
    // float64: e^−745 ≈ 4.9e−324 rounds to the smallest subnormal, e^−746 ≈ 1.8e−324 to 0; so does the target's −Σ.
    expect(Array.from(oracleGrad([0, -745, -Infinity], 0, 'float64').rounded)).toEqual([-Number.MIN_VALUE, Number.MIN_VALUE, 0]);
    expect(Array.from(oracleGrad([0, -746], 0, 'float64').rounded)).toEqual([-0, 0]);
    // A term negligible for the sums (below the largest other term by more than W ≈ 137) keeps its own component.
    const far = oracleGrad([0, -10, -200], 1, 'float64').rounded;
    expect(far[2]).toBe(roundDecimal(new ExactDecimal(-200).exp().div(new ExactDecimal(-10).exp().plus(1)), 'float64'));
    expect(oracleGrad([0, -600, -745], 0, 'float64').rounded[2]).toBe(Number.MIN_VALUE);
    // Ten terms each under half the smallest float16 subnormal: each rounds to 0, their sum in the target's component does not.
    const row = [0, ...new Array<number>(10).fill(-17.5)];
    const g = oracleGrad(row, 0, 'float16').rounded;
    expect(g.slice(1).every((v) => Object.is(v, 0))).toBe(true);
    expect(g[0]).toBe(-formatOf('float16').round(10 * Math.exp(-17.5)));
  });
});

describe('the loss and the gradient from one set of terms (oracleLossAndGrad)', () => {
  it('equals oracleLoss and oracleGrad bit for bit on every mpmath-t2 gradient row and the mpmath rows of up to 16 classes', () => {
    const rows = [
      ...readRows('grad-cases.csv'),
      ...readFixtureCases()
        .filter((c) => c.logits.length <= 16)
        .map((c) => ({ id: c.id, dtype: c.dtype, target: c.target, row: Array.from(c.logits) })),
      { id: 'masked-target', dtype: 'float64' as const, target: 1, row: [1, -Infinity, 3] },
    ];
    expect(rows.length).toBeGreaterThan(400);
    const mismatches: string[] = [];
    for (const { id, dtype, target, row } of rows) {
      const joint = oracleLossAndGrad(row, target, dtype);
      const loss = oracleLoss(row, target, dtype);
      if (!Object.is(joint.loss.rounded, loss.rounded) || joint.loss.exact !== loss.exact) mismatches.push(`${id}: loss ${joint.loss.rounded} vs ${loss.rounded}`);
      const grad = oracleGrad(row, target, dtype).rounded;
      grad.forEach((v, j) => {
        if (!Object.is(v, joint.grad.rounded[j])) mismatches.push(`${id} class ${j}: ${joint.grad.rounded[j]} vs ${v}`);
      });
    }
    expect(mismatches).toEqual([]);
  });
});
