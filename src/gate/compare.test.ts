/**
 * The gate's readers against what the writers write (issue 10 item 3) and the
 * pairing of boundary rows by identity (issue 12 item 7), on small folders
 * written with the report writer (toCsv), so every cell form is exercised:
 * empty, NaN, ±Infinity, -0, and ulp counts beyond 2^53.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeFuzzOutputs } from '../fuzz/merge.js';
import { BENCH_COLUMNS, BOUNDARIES_COLUMNS, FAILURES_COLUMNS, FUZZ_COLUMNS, GATE_COLUMNS, REGIONS_COLUMNS } from '../report/columns.js';
import { toCsv } from '../report/csv.js';
import { readReport } from '../report/read.js';
import { DEFAULT_GATE } from '../suite/load.js';
import { tempDir } from '../testing/cli.js';
import { compareRuns } from './compare.js';

type Files = Partial<Record<'fuzz' | 'failures' | 'regions' | 'boundaries' | 'bench' | 'gate', string[][]>>;
const COLUMNS = { fuzz: FUZZ_COLUMNS, failures: FAILURES_COLUMNS, regions: REGIONS_COLUMNS, boundaries: BOUNDARIES_COLUMNS, bench: BENCH_COLUMNS, gate: GATE_COLUMNS };

function folder(files: Files): string {
  const dir = join(tempDir(), 'reports');
  mkdirSync(dir);
  for (const [name, columns] of Object.entries(COLUMNS)) writeFileSync(join(dir, `${name}.csv`), toCsv(columns, files[name as keyof Files] ?? []));
  return dir;
}

const SPECIAL: Files = {
  fuzz: [
    ['p', 'float64', 'spread', '6', '0', '0', '0', '0', '6', '', '64', '64', '925575572', 'float64', 'loss'],
    ['p', 'float64', 'offset', '6', '1', '0', '5', '0', '0', 'Infinity', '64', '64', '925575553', 'float64', 'loss'],
    ['p', 'float32', 'ordinal', '6', '1', '5', '0', '0', '0', '18014398509481985', '20.1', '32', '925575554', 'float32', 'loss'],
  ],
  failures: [['p', 'float64', 'spread', 'nan', 'inf-minus-inf', '', 'NaN', '-0', '0', '-Infinity 1.5 -0 1e308', '925575572', '3:0', 'float64', 'loss', '', 'shrunk']],
  regions: [
    ['p', 'float64', 'target-max', '-0', '0', 'ok', '', '0', 'float64', 'loss'],
    ['p', 'float64', 'target-max', '-1.7976931348623157e+308', 'Infinity', 'nan', 'inf-minus-inf', '', 'float64', 'loss'],
  ],
  boundaries: [['p', 'float64', 'target-max', 'gap', '-0', 'ok', 'underflow', '-0', '5e-324', 'float64', 'loss']],
  bench: [['p', 'float64', 'inline', '1', '4', '10', '0.001', '0.002', '1.5', '100', '40000000', '0.5', 'float64', 'loss', '0.45', '0.55']],
  gate: [['accuracy', 'p', 'float64', 'max_ulp[spread]', '', '', '', 'pass', 'float64', 'loss']],
};

describe('what the writer writes, the readers accept', () => {
  it('every report file reads back cell for cell: empty, NaN, ±Infinity, -0', () => {
    const dir = folder(SPECIAL);
    for (const [name, columns] of Object.entries(COLUMNS)) {
      const rows = readReport(join(dir, `${name}.csv`), columns).map((r) => columns.map((c) => r.values[c]));
      expect(rows, name).toEqual(SPECIAL[name as keyof Files]);
    }
  });

  it('the gate compares a folder with such cells against itself: every check passes, none throws', () => {
    const dir = folder(SPECIAL);
    const rows = compareRuns(dir, dir, DEFAULT_GATE);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(rows.find((r) => r.metric === 'max_ulp[spread]')).toMatchObject({ baseline: '', current: '', status: 'pass' });
  });

  it('an empty max_ulp now where the baseline had one is a regression (every case went NaN or overflowed)', () => {
    const base = folder({ fuzz: [['p', 'float64', 'spread', '6', '6', '0', '0', '0', '0', '1', '1', '1', '925575572', 'float64', 'loss']] });
    const cur = folder({ fuzz: [['p', 'float64', 'spread', '6', '0', '0', '0', '0', '6', '', '64', '64', '925575572', 'float64', 'loss']] });
    expect(compareRuns(base, cur, DEFAULT_GATE).find((r) => r.metric === 'max_ulp[spread]')?.status).toBe('regression');
  });

  it('rows are keyed by compute too: a widened float16 row regresses on its own, named with its compute; a compute that is no mode of the dtype is refused', () => {
    const row = (compute: string, maxUlp: string) => ['p', 'float16', 'spread', '6', '6', '0', '0', '0', '0', maxUlp, '1', '1', '925575588', compute, 'loss'];
    const base = folder({ fuzz: [row('float16', '3'), row('float32', '1')] });
    const cur = folder({ fuzz: [row('float16', '3'), row('float32', '2')] });
    const accuracy = compareRuns(base, cur, DEFAULT_GATE).filter((r) => r.metric === 'max_ulp[spread]');
    expect(accuracy.map((r) => [r.dtype, r.compute, r.quantity, r.status])).toEqual([
      ['float16', 'float16', 'loss', 'pass'],
      ['float16', 'float32', 'loss', 'regression'],
    ]);
    const bad = folder({ fuzz: [row('float64', '3')] });
    expect(() => compareRuns(bad, bad, DEFAULT_GATE)).toThrow(/row 2, field compute: compute "float64" is not a mode of float16/);
  });

  it('grad rows are keyed by quantity: a pipeline whose gradient gets worse fails the gate while its loss passes; a baseline without grad rows reports them `new`, not a failure', () => {
    // A fuzz.csv row of a quantity; grad rows hold max_ulp over components (SPEC 4.2) and the outcome counts by norm_ulp.
    const row = (quantity: string, ok: string, maxUlp: string, maxBits: string) => ['p', 'float32', 'dominant', '6', ok, String(6 - Number(ok)), '0', '0', '0', maxUlp, maxBits, maxBits, '925575570', 'float32', quantity];
    const region = (quantity: string, outcome: string) => ['p', 'float32', 'target-max', '0', '20', outcome, outcome === 'ok' ? '' : 'cancellation', outcome === 'ok' ? '0' : '8388608', 'float32', quantity];
    const base = folder({ fuzz: [row('loss', '6', '1', '1'), row('grad', '6', '2', '1.58')], regions: [region('loss', 'ok'), region('grad', 'ok')] });
    const cur = folder({ fuzz: [row('loss', '6', '1', '1'), row('grad', '2', '8388608', '23')], regions: [region('loss', 'ok'), region('grad', 'inaccurate')] });
    const rows = compareRuns(base, cur, DEFAULT_GATE);
    const status = (quantity: string, metric: string) => rows.find((r) => r.quantity === quantity && r.metric === metric)?.status;
    for (const m of ['max_ulp[dominant]', 'max_bits[dominant]', 'ok_share[dominant]']) {
      expect(status('loss', m), m).toBe('pass');
      expect(status('grad', m), m).toBe('regression');
    }
    expect(rows.filter((r) => r.check === 'region' && r.status === 'regression').map((r) => r.quantity)).toEqual(['grad']);
    // The committed baseline of an earlier version has loss rows only: the current grad rows are `new` (shown, exit 0), nothing throws.
    const lossOnly = folder({ fuzz: [row('loss', '6', '1', '1')], regions: [region('loss', 'ok')] });
    const first = compareRuns(lossOnly, cur, DEFAULT_GATE);
    expect(first.filter((r) => r.quantity === 'grad').map((r) => r.status)).toEqual(['new', 'new']);
    expect(first.filter((r) => r.quantity === 'loss').every((r) => r.status === 'pass')).toBe(true);
    // The other way round (grad rows in the baseline, none now: a suite that dropped `grad` from fuzz.quantities) is `missing`, a failure.
    expect(compareRuns(cur, lossOnly, DEFAULT_GATE).filter((r) => r.quantity === 'grad').map((r) => r.status)).toEqual(['missing', 'missing']);
  });

  it('fuzz merge reads its own files back byte for byte', () => {
    const dir = folder(SPECIAL);
    const merged = mergeFuzzOutputs([dir]);
    expect(merged.fuzz).toBe(toCsv(FUZZ_COLUMNS, [SPECIAL.fuzz![2], SPECIAL.fuzz![1], SPECIAL.fuzz![0]]));
    expect(merged.failures).toBe(toCsv(FAILURES_COLUMNS, SPECIAL.failures!));
  });
});

describe('boundary rows pair by what they are', () => {
  // One gap line crossing ok → inaccurate three times (ok and inaccurate alternate along it).
  const edge = (last: number) => ['p', 'float64', 'target-max', 'gap', '1', 'ok', 'inaccurate', String(last), String(last + 1e-9), 'float64', 'loss'];
  const changes = (base: number[], cur: number[]) => {
    const rows = compareRuns(folder({ boundaries: base.map(edge) }), folder({ boundaries: cur.map(edge) }), DEFAULT_GATE).filter((r) => r.check === 'boundary');
    return { rows, changed: rows.filter((r) => r.status !== 'pass' || r.baseline !== r.current) };
  };

  it('a new crossing before the others is one `new` row, not a chain of moves', () => {
    const { rows, changed } = changes([10, 20, 30], [5, 10, 20, 30]);
    expect(rows).toHaveLength(4);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ status: 'new', current: 'present' });
  });

  it('one edge moved is exactly one boundary change, the others pass unchanged', () => {
    const { changed } = changes([10, 20, 30], [10, 18, 30]);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ baseline: '20', current: '18', status: 'regression' });
  });

  it('a crossing gone is one row', () => {
    const { changed } = changes([10, 20, 30], [10, 30]);
    expect(changed).toHaveLength(1);
    expect(changed[0].metric).toContain('(gone)');
  });
});
