/**
 * The regression gate's comparisons (issue 6): a current run of a suite against
 * its committed baseline, file by file. A regression is a pipeline × dtype
 *
 * - whose max ulps or max bits of error (per fuzz family) rise past the suite's
 *   tolerance;
 * - whose share of `ok` falls (per fuzz family);
 * - whose safe region shrinks: a map cell that was `ok` and is not, or a boundary
 *   out of `ok` that moves towards the ok side;
 * - whose `relative_to_reference` throughput falls by more than the tolerance,
 *   beyond doubt: the whole 95% interval of the current median lies below the
 *   limit (`throughputStatus`); an interval that straddles it is `inconclusive`.
 *
 * Rows are matched by their key columns; a key in the baseline but not in the
 * current run is a regression of its own (`missing`), since the gate cannot vouch
 * for what it did not measure; a new key is reported as `new`, not a failure.
 */
import { join } from 'node:path';
import { ordinal } from '../float/ordinal.js';
import type { Dtype } from '../float/dtype.js';
import { isDtype } from '../float/dtype.js';
import { BENCH_COLUMNS, BOUNDARIES_COLUMNS, FUZZ_COLUMNS, REGIONS_COLUMNS } from '../report/columns.js';
import type { ReportRow } from '../report/read.js';
import { numberField, readReport } from '../report/read.js';
import type { GateSettings } from '../suite/define.js';
import { InputError } from '../util/errors.js';
import type { KeyFields } from '../report/key.js';
import { KEY_COLUMNS, keyText, readKey } from '../report/key.js';

export type GateStatus = 'pass' | 'regression' | 'missing' | 'new' | 'inconclusive';

export interface GateRow extends KeyFields {
  readonly check: 'accuracy' | 'ok-share' | 'region' | 'boundary' | 'throughput';
  readonly metric: string;
  readonly baseline: string;
  readonly current: string;
  readonly limit: string;
  readonly status: GateStatus;
}

/** The compared rows' key (src/report/key.ts), checked: a known dtype, a compute mode of it, a known quantity. */
function keyOfRow(file: string, r: ReportRow): KeyFields {
  const { pipeline, dtype, compute, quantity } = readKey(file, r.line, r.values);
  return { pipeline, dtype, compute, quantity };
}

/** The key columns of a report file followed by the columns that tell its rows apart within a key. */
function keyColumns(...rest: string[]): string[] {
  return [...KEY_COLUMNS, ...rest];
}

function keyed(file: string, rows: ReportRow[], keyColumns: readonly string[]): Map<string, ReportRow> {
  const map = new Map<string, ReportRow>();
  for (const r of rows) {
    const key = keyColumns.map((c) => r.values[c]).join('|');
    if (map.has(key)) throw new InputError(`duplicate row for ${keyColumns.map((c) => `${c}=${r.values[c]}`).join(', ')}`, file, r.line);
    map.set(key, r);
  }
  return map;
}

/**
 * Pairs boundary rows by what they are: the same pipeline, dtype, panel, axis,
 * fixed coordinate and change of outcome. A line can cross the same change more
 * than once (ok and inaccurate alternating); such rows pair by nearness, the
 * closest values first (distance in values of the dtype between the `last_value`s),
 * so one edge that moved, appeared or vanished is one change, not a shift of
 * every later occurrence. Returns both sides under shared keys: a paired row has
 * the same key on both, an unpaired one a key of its own.
 */
export function pairBoundaryRows(files: { base: string; cur: string }, baseRows: ReportRow[], curRows: ReportRow[], keyColumns: readonly string[]): [Map<string, ReportRow>, Map<string, ReportRow>] {
  const group = (rows: ReportRow[]) => {
    const g = new Map<string, ReportRow[]>();
    for (const r of rows) {
      const k = keyColumns.map((c) => r.values[c]).join('|');
      g.set(k, [...(g.get(k) ?? []), r]);
    }
    return g;
  };
  const bg = group(baseRows);
  const cg = group(curRows);
  const base = new Map<string, ReportRow>();
  const cur = new Map<string, ReportRow>();
  const position = (file: string, r: ReportRow) => ordinal(numberField(file, r, 'last_value', { special: true }) ?? 0, dtypeOf(file, r));
  for (const k of new Set([...bg.keys(), ...cg.keys()])) {
    const bs = bg.get(k) ?? [];
    const cs = cg.get(k) ?? [];
    const bp = bs.map((r) => position(files.base, r));
    const cp = cs.map((r) => position(files.cur, r));
    const candidates: [bigint, number, number][] = [];
    bs.forEach((_, i) => cs.forEach((__, j) => candidates.push([bp[i] > cp[j] ? bp[i] - cp[j] : cp[j] - bp[i], i, j])));
    candidates.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1] || x[2] - y[2]));
    const bUsed = new Set<number>();
    const cUsed = new Set<number>();
    for (const [, i, j] of candidates) {
      if (bUsed.has(i) || cUsed.has(j)) continue;
      bUsed.add(i);
      cUsed.add(j);
      base.set(`${k}#${i}`, bs[i]);
      cur.set(`${k}#${i}`, cs[j]);
    }
    bs.forEach((r, i) => (bUsed.has(i) ? undefined : base.set(`${k}#${i}`, r)));
    cs.forEach((r, j) => (cUsed.has(j) ? undefined : cur.set(`${k}#new${j}`, r)));
  }
  return [base, cur];
}

function dtypeOf(file: string, r: ReportRow): Dtype {
  const d = r.values.dtype;
  if (!isDtype(d)) throw new InputError(`unknown dtype ${JSON.stringify(d)}`, file, r.line, 'dtype');
  return d;
}

/** Pairs baseline and current rows by key; calls `both` for pairs, reports the unpaired. */
function pair(
  out: GateRow[],
  check: GateRow['check'],
  files: { base: string; cur: string },
  base: Map<string, ReportRow>,
  cur: Map<string, ReportRow>,
  metricOf: (r: ReportRow) => string,
  both: (b: ReportRow, c: ReportRow) => void,
): void {
  for (const [key, b] of base) {
    const c = cur.get(key);
    if (c === undefined) {
      out.push({ check, ...keyOfRow(files.base, b), metric: metricOf(b), baseline: 'present', current: 'absent', limit: 'present', status: 'missing' });
    } else {
      keyOfRow(files.base, b);
      keyOfRow(files.cur, c);
      both(b, c);
    }
  }
  for (const [key, c] of cur) {
    if (!base.has(key)) out.push({ check, ...keyOfRow(files.cur, c), metric: metricOf(c), baseline: 'absent', current: 'present', limit: '', status: 'new' });
  }
}

function compareFuzz(out: GateRow[], baseDir: string, curDir: string, tol: Required<GateSettings>): void {
  const files = { base: join(baseDir, 'fuzz.csv'), cur: join(curDir, 'fuzz.csv') };
  const key = keyColumns('family');
  const base = keyed(files.base, readReport(files.base, FUZZ_COLUMNS), key);
  const cur = keyed(files.cur, readReport(files.cur, FUZZ_COLUMNS), key);
  pair(out, 'accuracy', files, base, cur, (r) => `fuzz[${r.values.family}]`, (b, c) => {
    const k = keyOfRow(files.base, b);
    const fam = b.values.family;
    // An empty max_ulp means some case's ulp error is undefined (NaN, or one side infinite): the worst there is.
    const bu = numberField(files.base, b, 'max_ulp', { special: true, empty: true }) ?? Infinity;
    const cu = numberField(files.cur, c, 'max_ulp', { special: true, empty: true }) ?? Infinity;
    const ulpLimit = bu + tol.ulpTolerance;
    out.push({ check: 'accuracy', ...k, metric: `max_ulp[${fam}]`, baseline: b.values.max_ulp, current: c.values.max_ulp, limit: String(ulpLimit), status: cu > ulpLimit ? 'regression' : 'pass' });
    const bb = numberField(files.base, b, 'max_bits') ?? 0;
    const cb = numberField(files.cur, c, 'max_bits') ?? 0;
    const bitsLimit = bb + tol.bitsTolerance;
    out.push({ check: 'accuracy', ...k, metric: `max_bits[${fam}]`, baseline: b.values.max_bits, current: c.values.max_bits, limit: String(bitsLimit), status: cb > bitsLimit ? 'regression' : 'pass' });
    const share = (file: string, r: ReportRow) => {
      const cases = numberField(file, r, 'cases') ?? 0;
      return cases > 0 ? (numberField(file, r, 'ok') ?? 0) / cases : 1;
    };
    const bs = share(files.base, b);
    const cs = share(files.cur, c);
    out.push({ check: 'ok-share', ...k, metric: `ok_share[${fam}]`, baseline: bs.toFixed(6), current: cs.toFixed(6), limit: bs.toFixed(6), status: cs < bs ? 'regression' : 'pass' });
  });
}

function compareRegions(out: GateRow[], baseDir: string, curDir: string): void {
  const files = { base: join(baseDir, 'regions.csv'), cur: join(curDir, 'regions.csv') };
  const key = keyColumns('panel', 'offset', 'gap');
  const base = keyed(files.base, readReport(files.base, REGIONS_COLUMNS), key);
  const cur = keyed(files.cur, readReport(files.cur, REGIONS_COLUMNS), key);
  // One row per pipeline × dtype × panel: ok cells lost (and the first one, to name it).
  const lost = new Map<string, { key: KeyFields; panel: string; okBase: number; okCur: number; lostCells: number; first?: ReportRow }>();
  const missing: GateRow[] = [];
  pair(missing, 'region', files, base, cur, (r) => `cell[${r.values.panel} offset=${r.values.offset} gap=${r.values.gap}]`, (b, c) => {
    const key = keyOfRow(files.base, b);
    const k = `${keyText(key)}|${b.values.panel}`;
    let e = lost.get(k);
    if (e === undefined) {
      e = { key, panel: b.values.panel, okBase: 0, okCur: 0, lostCells: 0 };
      lost.set(k, e);
    }
    if (b.values.outcome === 'ok') e.okBase++;
    if (c.values.outcome === 'ok') e.okCur++;
    if (b.values.outcome === 'ok' && c.values.outcome !== 'ok') {
      e.lostCells++;
      e.first ??= c;
    }
  });
  for (const e of lost.values()) {
    const where = e.first ? ` first at offset=${e.first.values.offset} gap=${e.first.values.gap} (${e.first.values.outcome})` : '';
    out.push({
      check: 'region',
      ...e.key,
      metric: `ok_cells[${e.panel}]${where}`,
      baseline: String(e.okBase),
      current: String(e.okCur),
      limit: `no ok cell lost`,
      status: e.lostCells > 0 ? 'regression' : 'pass',
    });
  }
  out.push(...missing);
}

function compareBoundaries(out: GateRow[], baseDir: string, curDir: string): void {
  const files = { base: join(baseDir, 'boundaries.csv'), cur: join(curDir, 'boundaries.csv') };
  const key = keyColumns('panel', 'axis', 'fixed', 'from_outcome', 'to_outcome');
  const [base, cur] = pairBoundaryRows(files, readReport(files.base, BOUNDARIES_COLUMNS), readReport(files.cur, BOUNDARIES_COLUMNS), key);
  const metricOf = (r: ReportRow) => `${r.values.panel} ${r.values.axis} ${r.values.from_outcome}->${r.values.to_outcome} at ${r.values.axis === 'offset' ? 'gap' : 'offset'}=${r.values.fixed}`;
  const moved: GateRow[] = [];
  pair(moved, 'boundary', files, base, cur, metricOf, (b, c) => {
    const dtype = dtypeOf(files.base, b);
    // Along the axis the outcome goes from `from` (up to last_value) to `to` (from first_value on).
    // Leaving ok: the safe side ends at last_value, and shrinks if it moves down.
    // Entering ok: the safe side starts at first_value, and shrinks if it moves up.
    let column: 'last_value' | 'first_value' | undefined;
    if (b.values.from_outcome === 'ok' && b.values.to_outcome !== 'ok') column = 'last_value';
    else if (b.values.to_outcome === 'ok' && b.values.from_outcome !== 'ok') column = 'first_value';
    if (column === undefined) return;
    const bv = numberField(files.base, b, column, { special: true }) ?? 0;
    const cv = numberField(files.cur, c, column, { special: true }) ?? 0;
    const shrinks = column === 'last_value' ? ordinal(cv, dtype) < ordinal(bv, dtype) : ordinal(cv, dtype) > ordinal(bv, dtype);
    moved.push({
      check: 'boundary',
      ...keyOfRow(files.base, b),
      metric: `${metricOf(b)} ${column}`,
      baseline: b.values[column],
      current: c.values[column],
      limit: column === 'last_value' ? `>= ${b.values[column]}` : `<= ${b.values[column]}`,
      status: shrinks ? 'regression' : 'pass',
    });
  });
  // A boundary present only now means a region appeared: the region check names its cells.
  // A boundary missing now means one vanished: with no ok cell lost, the region grew. Neither fails here.
  out.push(...moved.map((r) => (r.status === 'missing' ? { ...r, status: 'new' as const, metric: `${r.metric} (gone)` } : r)));
}

/** The current measurement of a throughput ratio: its median over rounds and 95% interval (undefined below 6 rounds). */
export interface RatioEstimate {
  readonly median: number;
  readonly low: number | undefined;
  readonly high: number | undefined;
}

/**
 * The throughput decision (SPEC section 5): with limit = baseline × (1 − tolerance),
 * `regression` only when the whole interval lies below the limit (high < limit),
 * `inconclusive` when it straddles the limit (low < limit ≤ high), `pass` when it
 * lies at or above (low ≥ limit). Without an interval (too few rounds), a median
 * below the limit is `inconclusive`, never a regression; so is a drop measured
 * against a baseline row that had no interval itself (its median is one of three
 * rounds or fewer, not a figure to fail a build on).
 */
export function throughputStatus(baseline: RatioEstimate, tolerance: number, current: RatioEstimate): { limit: number; status: 'pass' | 'regression' | 'inconclusive' } {
  const limit = baseline.median * (1 - tolerance);
  const { median, low, high } = current;
  if (low === undefined || high === undefined) return { limit, status: median < limit ? 'inconclusive' : 'pass' };
  if (high < limit) return { limit, status: baseline.low === undefined || baseline.high === undefined ? 'inconclusive' : 'regression' };
  if (low < limit) return { limit, status: 'inconclusive' };
  return { limit, status: 'pass' };
}

function compareBench(out: GateRow[], baseDir: string, curDir: string, tol: Required<GateSettings>): void {
  const files = { base: join(baseDir, 'bench.csv'), cur: join(curDir, 'bench.csv') };
  const key = keyColumns('path', 'workers', 'batch', 'classes');
  const base = keyed(files.base, readReport(files.base, BENCH_COLUMNS), key);
  const cur = keyed(files.cur, readReport(files.cur, BENCH_COLUMNS), key);
  const metricOf = (r: ReportRow) => `relative_to_reference[${r.values.batch}x${r.values.classes} ${r.values.path}${r.values.path === 'pool' ? ` ${r.values.workers}w` : ''}]`;
  pair(out, 'throughput', files, base, cur, metricOf, (b, c) => {
    const bv = numberField(files.base, b, 'relative_to_reference') ?? 0;
    const cv = numberField(files.cur, c, 'relative_to_reference') ?? 0;
    const low = numberField(files.cur, c, 'ci_low', { empty: true });
    const high = numberField(files.cur, c, 'ci_high', { empty: true });
    const baseline = { median: bv, low: numberField(files.base, b, 'ci_low', { empty: true }), high: numberField(files.base, b, 'ci_high', { empty: true }) };
    const { limit, status } = throughputStatus(baseline, tol.throughputTolerance, { median: cv, low, high });
    const current = low === undefined || high === undefined ? c.values.relative_to_reference : `${c.values.relative_to_reference} [${c.values.ci_low}, ${c.values.ci_high}]`;
    out.push({ check: 'throughput', ...keyOfRow(files.base, b), metric: metricOf(b), baseline: b.values.relative_to_reference, current, limit: limit.toPrecision(4), status });
  });
}

/** Every comparison, in a fixed order: accuracy and ok share, regions, boundaries, throughput. */
export function compareRuns(baseDir: string, curDir: string, tol: Required<GateSettings>): GateRow[] {
  const out: GateRow[] = [];
  compareFuzz(out, baseDir, curDir, tol);
  compareRegions(out, baseDir, curDir);
  compareBoundaries(out, baseDir, curDir);
  compareBench(out, baseDir, curDir, tol);
  return out;
}

export function isFailure(r: GateRow): boolean {
  return r.status === 'regression' || r.status === 'missing';
}
