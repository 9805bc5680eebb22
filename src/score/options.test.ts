import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ulpDistance } from '../float/ordinal.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import { runCli, tempDir } from '../testing/cli.js';
import { SCORE_COLUMNS } from './score.js';

const HEADER = 'id,dtype,target,logits\n';
const n = BUILTIN_PIPELINES.length;

/** `score` on a small cases file with the given flags: its rows, keyed by id and pipeline. */
function score(cases: string, flags: string[]) {
  const dir = tempDir();
  const file = join(dir, 'cases.csv');
  writeFileSync(file, HEADER + cases);
  const out = join(dir, 'scored.csv');
  const r = runCli(['score', file, '--out', out, ...flags]);
  expect(r.status, r.stderr).toBe(0);
  const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
  expect(Object.keys(rows[0])).toEqual([...SCORE_COLUMNS]);
  return rows;
}

const oracleOf = (rows: Record<string, string>[], id: string, dtype: string) => rows.filter((r) => r.id === id && r.dtype === dtype).map((r) => r.oracle_loss);

describe('score with the batch options (SPEC 6)', () => {
  it('--weight and --reduction mean: per-case l_n rows, then one @batch row per pipeline and dtype (the issue: 1.7409392977777136, float32 1.7409393)', () => {
    const rows = score('a,float64,0,1 2 3\nb,float64,2,1 2 3\nc,float32,0,1 2 3\nd,float32,2,1 2 3\n', ['--weight', '2 1 1', '--reduction', 'mean']);
    expect(rows).toHaveLength(4 * n + 2 * n);
    expect(rows.slice(4 * n).map((r) => `${r.id}/${r.dtype}/${r.pipeline}`)).toEqual([
      ...BUILTIN_PIPELINES.map((p) => `@batch/float64/${p.name}`),
      ...BUILTIN_PIPELINES.map((p) => `@batch/float32/${p.name}`),
    ]);
    expect(new Set(oracleOf(rows, '@batch', 'float64'))).toEqual(new Set(['1.7409392977777136']));
    expect(new Set(oracleOf(rows, '@batch', 'float32'))).toEqual(new Set(['1.7409393']));
    // Row a's l_n is w_0·(−log p_0) = 2·(log(e + e^2 + e^3) − 1), mpmath at 400 bits.
    expect(new Set(oracleOf(rows, 'a', 'float64'))).toEqual(new Set(['4.81521192888876']));
    expect(rows.filter((r) => r.pipeline === 'accurate-cross-entropy').every((r) => r.outcome === 'ok')).toBe(true);
  });

  it('--label-smoothing: [1, 2, 3], target 0, ε = 0.1 gives 2.3076059644443805; [-Infinity, 0] gives +Infinity in every pipeline', () => {
    const rows = score('a,float64,0,1 2 3\nm,float64,1,-Infinity 0\nm32,float32,1,-Infinity 0\n', ['--label-smoothing', '0.1']);
    expect(rows).toHaveLength(3 * n);
    expect(new Set(oracleOf(rows, 'a', 'float64'))).toEqual(new Set(['2.3076059644443805']));
    for (const id of ['m', 'm32']) {
      const m = rows.filter((r) => r.id === id);
      expect(new Set(m.map((r) => `${r.oracle_loss} ${r.loss} ${r.outcome}`))).toEqual(new Set(['Infinity Infinity ok']));
    }
  });

  it('--ignore-index: every row ignored gives a NaN mean (0/0) and a sum of 0, in the oracle and every pipeline', () => {
    const cases = 'a,float64,1,1 2\nb,float64,1,3 0\n';
    const mean = score(cases, ['--ignore-index', '1', '--reduction', 'mean']).filter((r) => r.id === '@batch');
    expect(mean).toHaveLength(n);
    expect(new Set(mean.map((r) => `${r.loss} ${r.oracle_loss}`))).toEqual(new Set(['NaN NaN']));
    const sum = score(cases, ['--ignore-index', '1', '--reduction', 'sum']);
    expect(new Set(sum.map((r) => `${r.loss} ${r.oracle_loss} ${r.outcome}`))).toEqual(new Set(['0 0 ok']));
  });

  it("--ignore-index -100: a row whose target is PyTorch's padding -100 is read and ignored (l_n = 0, no weight in the mean)", () => {
    const kept = 'a,float64,0,1 2 3\nb,float64,2,5 -3 0\n';
    const flags = ['--ignore-index', '-100', '--reduction', 'mean', '--weight', '2 1 0.5'];
    const rows = score(`${kept}pad,float64,-100,7 1 2\n`, flags);
    expect(new Set(rows.filter((r) => r.id === 'pad').map((r) => `${r.loss} ${r.oracle_loss} ${r.outcome}`))).toEqual(new Set(['0 0 ok']));
    const mean = oracleOf(rows, '@batch', 'float64');
    expect(mean).toHaveLength(n);
    expect(new Set(mean)).toEqual(new Set(oracleOf(score(kept, flags), '@batch', 'float64')));
    expect(Number(mean[0])).toBeGreaterThan(0);
  });

  it('a batch mixing hard and soft targets: the mean divides by the hard rows\' target weights plus 1 per soft row (README)', () => {
    const rows = score('a,float64,0,1 2 3\ns,float64,0.25 0 0.75,1 2 3\n', ['--weight', '2 1 1', '--reduction', 'mean']);
    const [la, ls, mean] = ['a', 's', '@batch'].map((id) => Number(oracleOf(rows, id, 'float64')[0]));
    expect(ulpDistance(mean, (la + ls) / 3, 'float64')).toBeLessThanOrEqual(1);
    expect(ulpDistance(mean, (la + ls) / 2, 'float64')).toBeGreaterThan(1000);
  });

  it('--masked-rows: a fully masked row is NaN, 0 in the mean, or dropped (the issue: 0.3132616875182228, 0.1566308437591114)', () => {
    const cases = 'a,float64,1,0 1\nz,float64,0,-Infinity -Infinity\n';
    const want = { nan: 'NaN', zero: '0.1566308437591114', ignore: '0.3132616875182228' };
    for (const [m, value] of Object.entries(want)) {
      const rows = score(cases, ['--masked-rows', m, '--reduction', 'mean']);
      expect(new Set(oracleOf(rows, 'a', 'float64'))).toEqual(new Set(['0.3132616875182228']));
      expect(new Set(oracleOf(rows, 'z', 'float64'))).toEqual(new Set([m === 'nan' ? 'NaN' : '0']));
      expect(new Set(oracleOf(rows, '@batch', 'float64')), m).toEqual(new Set([value]));
      // The pipelines follow the convention too: accurate-cross-entropy gets every value.
      expect(rows.find((r) => r.id === '@batch' && r.pipeline === 'accurate-cross-entropy')!.loss).toBe(value);
    }
  });

  it('soft targets: l_n = −Σ q_c log p_c, a one-hot soft target equals its class index', () => {
    const rows = score('h,float64,2,1 2 3\ns,float64,0 0 1,1 2 3\n', ['--pipelines', 'accurate-cross-entropy,stable-log-softmax']);
    expect(oracleOf(rows, 's', 'float64')).toEqual(oracleOf(rows, 'h', 'float64'));
    expect(rows.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});

describe('a flag given no value', () => {
  it('--reduction followed by --out: one line naming --reduction, not "too many arguments"', () => {
    const dir = tempDir();
    const file = join(dir, 'cases.csv');
    writeFileSync(file, `${HEADER}a,float64,0,1 2 3\n`);
    const r = runCli(['score', file, '--reduction', '--out', join(dir, 'x.csv')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['softmax-stability: field --reduction: got no value (the next argument "--out" is a flag); give --reduction <r>']);
    expect(readdirSync(dir)).toEqual(['cases.csv']);
    // Other usage errors keep commander's own line.
    const extra = runCli(['score', file, 'more.csv']);
    expect(extra.status).toBe(2);
    expect(extra.stderr).toContain('too many arguments');
  });
});

describe('a bad batch option is refused: exit 2, one line naming the flag or row, nothing written', () => {
  const bad: [string, string[], string, RegExp][] = [
    ['a negative weight', ['--weight', '1 -2 1'], '', /field --weight: got -2; expected class weights: finite numbers ≥ 0/],
    ['a weight that is not a number', ['--weight', '1 x 1'], '', /field --weight: class weight 1 "x" is not a number/],
    ['weights of the wrong length', ['--weight', '1 1'], '', /cases\.csv, row 2, field logits: the row has 3 classes but the class weights \(--weight\) are 2/],
    ['smoothing above 1', ['--label-smoothing', '1.5'], '', /field --label-smoothing: got 1\.5; expected label smoothing: a number from 0 to 1/],
    ['negative smoothing', ['--label-smoothing', '-0.1'], '', /field --label-smoothing: got -0\.1/],
    ['an ignore_index that is not an integer', ['--ignore-index', '1.5'], '', /field --ignore-index: got "1\.5"; expected ignore_index: an integer/],
    ['an ignore_index that is a word', ['--ignore-index', 'pad'], '', /field --ignore-index: got "pad"/],
    ['an unknown reduction', ['--reduction', 'avg'], '', /field --reduction: got "avg"; expected a reduction: one of none, mean, sum/],
    ['an unknown masked-rows convention', ['--masked-rows', 'skip'], '', /field --masked-rows: got "skip"; expected a masked-rows convention: one of nan, zero, ignore/],
    ['a soft target with a negative entry', [], 's,float64,0.5 -0.5 1,1 2 3\n', /row 3, field target: soft target entry 1 is -0\.5, a negative probability/],
    ['a negative target without --ignore-index', [], 'pad,float64,-100,1 2 3\n', /row 3, field target: target -100 is negative: a class index is 0-based; a padding row \(PyTorch's -100\) is read with --ignore-index -100/],
    ['a negative target other than --ignore-index', ['--ignore-index', '-100'], 'pad,float64,-3,1 2 3\n', /row 3, field target: target -3 is negative: a class index is 0-based and --ignore-index is -100/],
    ['a soft target of the wrong length', [], 's,float64,0.5 0.5,1 2 3\n', /row 3, field target: the soft target has 2 entries but the row has 3 logits/],
  ];
  for (const [name, flags, extra, message] of bad) {
    it(name, () => {
      const dir = tempDir();
      const file = join(dir, 'cases.csv');
      writeFileSync(file, `${HEADER}a,float64,0,1 2 3\n${extra}`);
      const out = join(dir, 'scored.csv');
      const r = runCli(['score', file, '--out', out, ...flags]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir)).toEqual(['cases.csv']);
    });
  }
});
