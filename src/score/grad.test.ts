/**
 * `score --grad` (SPEC section 4.2): the columns, the measures, the issue-14
 * rows with their mpmath values, the truth file scored at 0 ulps in all four
 * formats, both compute modes of the half formats, and bad input (exit 2, one
 * line naming the file, the row and the field, nothing written).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseAnyCases, readAnyCases } from '../cases/read.js';
import { formatOf } from '../float/dtype.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import { runCli, tempDir } from '../testing/cli.js';
import { FIXTURES } from '../testing/fixtures.js';
import { readExternalGrad } from './external-grad.js';
import { GRAD_COLUMNS, gradCsvRow, judgeGrad, scoreGradCases } from './grad.js';

const GRAD_CASES = `${FIXTURES}mpmath-t2/grad-cases.csv`;
const GRAD_TRUTH = `${FIXTURES}mpmath-t2/grad-truth.csv`;

/** The scored rows of one case, by pipeline name (and compute, for the half formats). */
function scoreOne(dtype: string, target: number, logits: string) {
  const cases = parseAnyCases(`id,dtype,target,logits\nc,${dtype},${target},${logits}\n`, 'c.csv');
  const rows = scoreGradCases(cases, { pipelines: BUILTIN_PIPELINES });
  return new Map(rows.map((r) => [r.compute === r.dtype ? r.pipeline : `${r.pipeline}@${r.compute}`, r]));
}

describe('the measures', () => {
  it('max_ulp, norm_ulp, worst_class and the outcome, first match wins', () => {
    const u = 2 ** -52; // ulp of 1 (and of 0.5 ... 1) in float64
    // 0.75 + 3·2^−52 is 6 ulps (2^−53) above 0.75; the largest component, 1 − 2^−52, also has ulp 2^−53: norm_ulp 6.
    expect(judgeGrad([-1 + u, 0.75 + 3 * u], [-1 + u, 0.75], 'float64')).toEqual({ outcome: 'inaccurate', maxUlp: 6, normUlp: 6, worst: 1 });
    expect(judgeGrad([-1 + u, 0.75 + 3 * u], [-1 + u, 0.75], 'float64', 6).outcome).toBe('ok');
    expect(judgeGrad([NaN, Infinity], [0.5, -0.5], 'float32').outcome).toBe('nan');
    expect(judgeGrad([-Infinity, 0.5], [-0.5, 0.5], 'float32')).toMatchObject({ outcome: 'overflow', maxUlp: undefined, normUlp: undefined, worst: 0 });
    expect(judgeGrad([0, -0], [1e-30, -1e-30], 'float32').outcome).toBe('underflow');
    expect(judgeGrad([0, 0], [0, 0], 'float32').outcome).toBe('ok');
    // A small component far off in ulps, but tiny beside the largest: max_ulp large, norm_ulp below 1.
    const v = judgeGrad([-0.5, 0.5 - 2 ** -40, 2 ** -40], [-0.5, 0.5 - 2 ** -40, 2 ** -41], 'float64');
    expect(v.worst).toBe(2);
    expect(v.maxUlp).toBe(2 ** 52);
    expect(v.normUlp).toBe(2 ** -41 / 2 ** -53);
    expect(v.outcome).toBe('inaccurate');
  });
});

describe('the issue-14 rows (mpmath, 400 bits)', () => {
  it('float64 [−431, 279, 427], target 0: oracle [−1, 5.301718666092324e−65, 1]; naive-softmax’s autograd gives NaN (p_t underflows, −1/0, ∞·0); the shifted pipelines are exact', () => {
    const rows = scoreOne('float64', 0, '-431 279 427');
    const naive = rows.get('naive-softmax')!;
    expect(Array.from(naive.oracle)).toEqual([-1, 5.301718666092324e-65, 1]);
    expect(naive.outcome).toBe('nan');
    expect(naive.cause).toBe('division-underflow');
    for (const name of ['stable-log-softmax', 'fused-cross-entropy', 'logsumexp-minus-target', 'log1p-log-softmax', 'online-softmax', 'accurate-cross-entropy']) {
      expect(rows.get(name)!.maxUlp, name).toBe(0);
    }
  });

  it('float64 [1, 2, −∞, 3], target 0: oracle [−0.9099694268296196, 0.24472847105479764, 0, 0.6652409557748219]; the masked component is exactly 0 in every pipeline', () => {
    const rows = scoreOne('float64', 0, '1 2 -Infinity 3');
    for (const [name, r] of rows) {
      expect(Array.from(r.oracle)).toEqual([-0.9099694268296196, 0.24472847105479764, 0, 0.6652409557748219]);
      expect(Object.is(r.grad[2], 0), name).toBe(true);
      expect(r.outcome, name).toBe('ok');
    }
  });

  it('float32 [0, −20], target 0: oracle [−2.0611537e−9, 2.0611537e−9]; stable-log-softmax’s target component is 0 (log Σ rounds to 0, exp(0) − 1 = 0): norm_ulp ≈ 2^23, a cancellation; log1p-log-softmax is exact', () => {
    const rows = scoreOne('float32', 0, '0 -20');
    const stable = rows.get('stable-log-softmax')!;
    expect(Array.from(stable.oracle)).toEqual([Math.fround(-2.0611537e-9), Math.fround(2.0611537e-9)]);
    expect(stable.grad[0]).toBe(0);
    // |g*_0| = 2.06e−9 lies in [2^−29, 2^−28), ulp 2^−52: the whole component lost is 2.06e−9 · 2^52 ≈ 2^23.15 ulps.
    expect(stable.normUlp).toBe(Math.abs(stable.oracle[0]) / 2 ** -52);
    expect(stable.normUlp).toBeGreaterThan(2 ** 23);
    expect(stable.outcome).toBe('inaccurate');
    expect(stable.worst).toBe(0);
    expect(stable.cause).toBe('cancellation');
    expect(rows.get('log1p-log-softmax')!.maxUlp).toBe(0);
    expect(rows.get('accurate-cross-entropy')!.maxUlp).toBe(0);
  });

  it('float32 [100, 0], target 1: exp(100) overflows: naive-softmax’s gradient is NaN (∞/∞), unshifted-log-softmax’s [0, −1] (log ∞ = ∞, exp(−∞) = 0): both exp-overflow', () => {
    const rows = scoreOne('float32', 1, '100 0');
    expect(rows.get('naive-softmax')!.outcome).toBe('nan');
    expect(rows.get('naive-softmax')!.cause).toBe('exp-overflow');
    const unshifted = rows.get('unshifted-log-softmax')!;
    expect(Array.from(unshifted.grad)).toEqual([0, -1]);
    expect(unshifted.outcome).toBe('inaccurate');
    expect(unshifted.cause).toBe('exp-overflow');
    expect(rows.get('stable-log-softmax')!.outcome).toBe('ok');
  });
});

describe('float16 and bfloat16: a pure and a widened row per pipeline', () => {
  it('bfloat16, 300 tied classes: the pure sum stalls at 256, the widened one does not', () => {
    const rows = scoreOne('bfloat16', 0, new Array(300).fill('0').join(' '));
    const pure = rows.get('fused-cross-entropy')!;
    const widened = rows.get('fused-cross-entropy@float32')!;
    expect(pure.compute).toBe('bfloat16');
    // p = 1/300 ≈ 0.00333: pure gives 1/256 = 0.00390625 for every other class (dozens of ulps off), widened
    // the correctly rounded value. Beside the target's component (≈ −1, ulp 2^−8) that is < 1 norm ulp: ok.
    expect(pure.grad[1]).toBe(1 / 256);
    expect(pure.maxUlp).toBeGreaterThan(30);
    expect(pure.normUlp).toBeLessThan(1);
    expect(pure.outcome).toBe('ok');
    expect(widened.grad[1]).toBe(pure.oracle[1]);
    expect(widened.maxUlp).toBe(0);
    expect(rows.size).toBe(2 * BUILTIN_PIPELINES.length);
  });

  it('float16 [12, 0]: pure naive-softmax overflows in exp (e^12 > 65504, NaN gradient); widened is exact', () => {
    const rows = scoreOne('float16', 0, '12 0');
    expect(rows.get('naive-softmax')!.outcome).toBe('nan');
    expect(rows.get('naive-softmax')!.cause).toBe('exp-overflow');
    expect(rows.get('naive-softmax@float32')!.maxUlp).toBe(0);
  });
});

describe('the truth file, scored with --external-grad', () => {
  it('every truth row of mpmath-t2/grad-truth.csv (232 rows, four formats) is 0 ulps from the oracle', () => {
    const cases = readAnyCases(GRAD_CASES);
    const external = readExternalGrad(GRAD_TRUTH, cases);
    expect(external).toHaveLength(232);
    const rows = scoreGradCases(cases, { pipelines: [], external });
    expect(rows).toHaveLength(232);
    expect(new Set(rows.map((r) => r.dtype))).toEqual(new Set(['float64', 'float32', 'float16', 'bfloat16']));
    const off = rows.filter((r) => r.maxUlp !== 0 || r.outcome !== 'ok');
    expect(off.map((r) => gradCsvRow(r).join(','))).toEqual([]);
  });

  it('the command writes the SPEC columns, truth rows at max_ulp 0 with compute native, after the built-ins of each case', () => {
    const dir = tempDir();
    const out = join(dir, 'grad.csv');
    const r = runCli(['score', GRAD_CASES, '--grad', '--external-grad', GRAD_TRUTH, '--pipelines', 'stable-log-softmax', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual([...GRAD_COLUMNS]);
    const truth = rows.filter((x) => x.pipeline === 'truth');
    expect(truth).toHaveLength(232);
    expect(truth.every((x) => x.max_ulp === '0' && x.norm_ulp === '0' && x.outcome === 'ok' && x.compute === 'native' && x.cause === '')).toBe(true);
    // Per case: the built-in (two rows for a half format), then the truth row.
    expect(rows[0].pipeline).toBe('stable-log-softmax');
    expect(rows[1].pipeline).toBe('truth');
    const half = rows.filter((x) => x.dtype === 'float16' && x.pipeline === 'stable-log-softmax');
    expect(new Set(half.map((x) => x.compute))).toEqual(new Set(['float16', 'float32']));
    expect(r.stderr).toMatch(/scored the gradients of 232 cases/);
  });
});

describe('bad input: exit 2, one line naming the file, row and field, nothing written', () => {
  const run = (cases: string, external: string | undefined, extra: string[] = []) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.csv'), cases);
    const args = ['score', join(dir, 'c.csv'), '--grad', '--out', join(dir, 'out.csv'), ...extra];
    if (external !== undefined) {
      writeFileSync(join(dir, 'e.csv'), external);
      args.push('--external-grad', join(dir, 'e.csv'));
    }
    const r = runCli(args);
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('peers:'))).toHaveLength(1);
    return r.stderr;
  };
  const cases = 'id,dtype,target,logits\na,float16,0,1 2\nb,float64,1,0 0 0\n';

  it('a gradient with the wrong number of values', () => {
    expect(run(cases, 'id,impl,dtype,grad\na,t,float16,-0.73 0.73\nb,t,float64,0.3 -0.6\n')).toMatch(/e\.csv, row 3, field grad: 2 gradient values, the case has 3 classes/);
  });
  it('a value that is not a number', () => {
    expect(run(cases, 'id,impl,dtype,grad\na,t,float16,-0.73 abc\n')).toMatch(/e\.csv, row 2, field grad: value 2 is "abc", not a number/);
  });
  it('a dtype other than the case’s, an unknown id', () => {
    expect(run(cases, 'id,impl,dtype,grad\na,t,float32,-0.73 0.73\n')).toMatch(/row 2, field dtype: dtype "float32" differs from the case's float16/);
    expect(run(cases, 'id,impl,dtype,grad\nzz,t,float16,-0.73 0.73\n')).toMatch(/row 2, field id: id "zz" is not in the cases file/);
  });
  it('an unknown dtype in the cases file; --external with --grad', () => {
    expect(run('id,dtype,target,logits\na,float8,0,1 2\n', undefined)).toMatch(/c\.csv, row 2, field dtype: unknown dtype "float8"; use one of float32, float64, float16, bfloat16/);
    const dir = tempDir();
    writeFileSync(join(dir, 'x.csv'), 'id,impl,dtype,loss\n');
    expect(run(cases, undefined, ['--external', join(dir, 'x.csv')])).toMatch(/field --external: --external gives losses; with --grad give the gradients with --external-grad/);
  });
  it('an extra field on a row, a second row for the same id and impl (found in review: read without a word)', () => {
    expect(run(cases, 'id,impl,dtype,grad\na,t,float16,-0.73 0.73,extra\n')).toMatch(/e\.csv, row 2, field grad: 5 fields, the header has 4/);
    expect(run(cases, 'id,impl,dtype,grad\na,t,float16,-0.73 0.73\na,t,float16,-0.73 0.73\n')).toMatch(/e\.csv, row 3, field id: id "a" of impl "t" is given twice \(line 2 too\)/);
  });
  it('a float16 logit that rounds to infinity', () => {
    expect(run('id,dtype,target,logits\na,float16,0,70000 1\n', undefined)).toMatch(/c\.csv, row 2, field logits: logit 1 is 70000, which is \+Infinity in float16/);
  });
});


describe('score --grad with the batch options (SPEC 6: the gradient of each l_n)', () => {
  const scoreCli = (cases: string, flags: string[]) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.csv'), `id,dtype,target,logits\n${cases}`);
    const r = runCli(['score', join(dir, 'c.csv'), '--grad', '--out', join(dir, 'out.csv'), '--pipelines', 'stable-log-softmax,accurate-cross-entropy', ...flags]);
    expect(r.status, r.stderr).toBe(0);
    return { rows: parse(readFileSync(join(dir, 'out.csv'), 'utf8'), { columns: true }) as Record<string, string>[], stderr: r.stderr };
  };
  it('--weight, --label-smoothing: the oracle of each row is mpmath’s (fixtures/mpmath-options-grad: weights-t0, smooth-0.1)', () => {
    for (const [flags, want] of [
      [['--weight', '2 1 1'], ['-1.8199388536592391', '0.4894569421095953', '1.3304819115496438']],
      [['--label-smoothing', '0.1'], ['-0.8433027601629529', '0.21139513772146432', '0.6319076224414886']],
    ] as const) {
      const { rows } = scoreCli('a,float64,0,1 2 3\n', [...flags]);
      const accurate = rows.find((r) => r.pipeline === 'accurate-cross-entropy')!;
      expect(accurate.outcome).toBe('ok');
      expect(want).toContain(accurate.oracle_grad);
      expect(accurate.oracle_grad).toBe(want[Number(accurate.worst_class)]);
    }
  });
  it('--ignore-index: the ignored row’s gradient is 0 everywhere (ok); a soft target and a fully masked row (--masked-rows zero) are scored; --reduction mean is noted, not a row', () => {
    const { rows, stderr } = scoreCli('a,float64,1,1 2 3\nb,float64,0.5 0.25 0.25,3 -1 2\nc,float32,0,-Infinity -Infinity -Infinity\n', ['--ignore-index', '1', '--masked-rows', 'zero', '--reduction', 'mean']);
    expect(rows.map((r) => r.id)).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
    for (const r of rows.filter((x) => x.id !== 'b')) expect([r.outcome, r.grad, r.oracle_grad]).toEqual(['ok', '0', '0']);
    expect(rows.find((r) => r.id === 'b' && r.pipeline === 'accurate-cross-entropy')!.outcome).toBe('ok');
    expect(stderr).toMatch(/whatever the reduction; --reduction mean adds no row/);
  });
  it('a bad option is refused before any work: exit 2, one line naming the flag, nothing written', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.csv'), 'id,dtype,target,logits\na,float64,0,1 2 3\n');
    for (const [flags, message] of [
      [['--label-smoothing', '2'], /field --label-smoothing: got 2; expected label smoothing: a number from 0 to 1/],
      [['--weight', '1 -1 1'], /field --weight: got -1; expected class weights/],
      [['--weight', '1 1'], /c\.csv, row 2, field logits: the row has 3 classes but the class weights \(--weight\) are 2/],
    ] as const) {
      const r = runCli(['score', join(dir, 'c.csv'), '--grad', '--out', join(dir, 'out.csv'), ...flags]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('peers:'))).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(dir, 'out.csv'))).toBe(false);
    }
  });
});
