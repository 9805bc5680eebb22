/**
 * Reading a map: boundary lines (the same adjacent pair found at several fixed
 * values, i.e. a straight edge of a region) set beside the analytic thresholds
 * of exp, and the outcomes and causes per unit. Used by the console and by the
 * summary section.
 */
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { BOUNDARIES_COLUMNS, REGIONS_COLUMNS } from '../report/columns.js';
import { pipelineInVariant } from '../report/key.js';
import { formatValue } from '../float/shortest.js';
import { OUTCOMES } from '../score/outcome.js';
import type { Threshold } from './thresholds.js';
import { expThresholds } from './thresholds.js';

const SHORT: Readonly<Record<Threshold['key'], string>> = {
  overflow: 'ln(max)',
  subnormal: 'ln(minNormal)',
  minSubnormal: 'ln(minSubnormal)',
  zero: 'ln(minSubnormal/2)',
  absorption: '−ln(u)',
};

export function thresholdName(t: Threshold): string {
  return SHORT[t.key];
}

/** Which threshold pair (or its negation) a boundary pair is, to the last bit; undefined if none. */
export function analyticMatch(dtype: Dtype, last: number, first: number): string | undefined {
  for (const t of expThresholds(dtype)) {
    if (t.pair === undefined) continue;
    if (last === t.pair.last && first === t.pair.first) return `= ${SHORT[t.key]}`;
    if (t.key !== 'absorption' && last === -t.pair.first && first === -t.pair.last) return `= −${SHORT[t.key]}`;
  }
  return undefined;
}

export interface BoundaryLine {
  readonly pipeline: string;
  readonly dtype: Dtype;
  readonly panel: string;
  readonly axis: string;
  readonly from: string;
  readonly to: string;
  readonly last: string;
  readonly first: string;
  /** How many fixed values share the pair, and the smallest and largest of them. */
  count: number;
  fixedMin: string;
  fixedMax: string;
  readonly analytic: string | undefined;
}

/** Groups boundaries.csv rows by (unit, axis, outcomes, pair), in first-seen order. */
export function boundaryLines(rows: readonly (readonly string[])[]): BoundaryLine[] {
  const byKey = new Map<string, BoundaryLine>();
  for (const r of rows) {
    const [name, dtypeText, panel, axis, fixed, from, to, last, first] = r;
    const dtype = dtypeText as Dtype;
    const pipeline = pipelineInVariant(name, dtype, r[BOUNDARIES_COLUMNS.indexOf('compute')] ?? dtype, r[BOUNDARIES_COLUMNS.indexOf('quantity')]);
    const key = [pipeline, dtype, panel, axis, from, to, last, first].join('|');
    const line = byKey.get(key);
    if (line === undefined) {
      const fmt = formatOf(dtype);
      byKey.set(key, { pipeline, dtype, panel, axis, from, to, last, first, count: 1, fixedMin: fixed, fixedMax: fixed, analytic: analyticMatch(dtype, fmt.round(Number(last)), fmt.round(Number(first))) });
    } else {
      line.count++;
      line.fixedMax = fixed;
    }
  }
  return [...byKey.values()];
}

const HARD = new Set(['overflow', 'underflow', 'nan']);

/**
 * The lines worth a table: every pair on an exp threshold, edges of a hard
 * outcome (overflow, underflow, nan) at two or more fixed values, and other
 * edges (ok/inaccurate, which flicker) at five or more.
 */
export function straightLines(lines: readonly BoundaryLine[]): BoundaryLine[] {
  return lines.filter((l) => l.analytic !== undefined || l.count >= (HARD.has(l.from) || HARD.has(l.to) ? 2 : 5));
}

export interface UnitTally {
  readonly pipeline: string;
  readonly dtype: string;
  readonly panel: string;
  readonly counts: Record<string, number>;
  readonly causes: Map<string, number>;
  cells: number;
}

/** Cells per outcome and per cause for each unit, in first-seen order. */
export function tallyRegions(rows: readonly (readonly string[])[]): UnitTally[] {
  const byKey = new Map<string, UnitTally>();
  for (const r of rows) {
    const [name, dtype, panel, , , outcome, cause] = r;
    const pipeline = pipelineInVariant(name, dtype, r[REGIONS_COLUMNS.indexOf('compute')] ?? dtype, r[REGIONS_COLUMNS.indexOf('quantity')]);
    const key = `${pipeline}|${dtype}|${panel}`;
    let t = byKey.get(key);
    if (t === undefined) {
      t = { pipeline, dtype, panel, counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])), causes: new Map(), cells: 0 };
      byKey.set(key, t);
    }
    t.counts[outcome]++;
    t.cells++;
    if (cause !== '') t.causes.set(cause, (t.causes.get(cause) ?? 0) + 1);
  }
  return [...byKey.values()];
}

/** "log-of-zero 1132, exp-overflow 996" — most frequent first. */
export function causeList(causes: Map<string, number>): string {
  return [...causes]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
}

/** The thresholds of a dtype as table rows: name, what, analytic, last, first. */
export function thresholdRows(dtype: Dtype): string[][] {
  return expThresholds(dtype).map((t) => [
    thresholdName(t),
    t.label,
    t.analytic,
    t.pair ? formatValue(t.pair.last, dtype) : '',
    t.pair ? formatValue(t.pair.first, dtype) : '',
  ]);
}
