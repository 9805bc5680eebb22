/**
 * A history file as series: one per benchmark (suite, pipeline, dtype, compute,
 * quantity, path, workers, shape) and machine fingerprint, in the order of the
 * file, with the change points of each (`changepoint.ts`, on ln of
 * relative_to_reference). The reference loop's own rows (always 1) are left out.
 */
import { REFERENCE_NAME } from '../bench/run.js';
import { changePoints } from './changepoint.js';
import type { HistoryRecord, HistoryResult } from './record.js';

export interface TrendPoint {
  /** 1-based index of the record in the history file (blank lines skipped). */
  readonly run: number;
  readonly date: string;
  readonly commit: string;
  readonly result: HistoryResult;
  /** On the first run of a new segment: the step, exp(mean ln after − mean ln before) − 1; undefined elsewhere. */
  readonly change: number | undefined;
}

export interface Series {
  /** "suite/pipeline/dtype/compute/quantity/path-workers/rowsxclasses". */
  readonly benchmark: string;
  readonly suite: string;
  readonly fingerprint: string;
  readonly machine: string;
  readonly points: readonly TrendPoint[];
}

export function benchmarkName(suite: string, r: HistoryResult): string {
  return `${suite}/${r.pipeline}/${r.dtype}/${r.compute}/${r.quantity}/${r.path}-${r.workers}/${r.batch}x${r.classes}`;
}

/** Every series of the file with its change points; series in order of first appearance. */
export function trendSeries(records: readonly HistoryRecord[]): Series[] {
  const groups = new Map<string, { suite: string; benchmark: string; fingerprint: string; machine: string; points: Omit<TrendPoint, 'change'>[] }>();
  records.forEach((rec, i) => {
    for (const r of rec.results) {
      if (r.pipeline === REFERENCE_NAME) continue;
      const benchmark = benchmarkName(rec.suite, r);
      const key = `${benchmark}|${rec.machine.fingerprint}`;
      let g = groups.get(key);
      if (g === undefined) {
        const m = rec.machine;
        g = { suite: rec.suite, benchmark, fingerprint: m.fingerprint, machine: `${m.cores} x ${m.cpu}, ${m.memory_gib} GiB, Node ${m.node}, ${m.os}`, points: [] };
        groups.set(key, g);
      }
      g.points.push({ run: i + 1, date: rec.date, commit: rec.commit, result: r });
    }
  });
  return [...groups.values()].map((g) => {
    const y = g.points.map((p) => Math.log(p.result.relative_to_reference));
    const starts = changePoints(y);
    const bounds = [0, ...starts, y.length];
    const segMean = (k: number) => y.slice(bounds[k], bounds[k + 1]).reduce((s, v) => s + v, 0) / (bounds[k + 1] - bounds[k]);
    const change = new Map<number, number>();
    starts.forEach((s, k) => change.set(s, Math.exp(segMean(k + 1) - segMean(k)) - 1));
    return { benchmark: g.benchmark, suite: g.suite, fingerprint: g.fingerprint, machine: g.machine, points: g.points.map((p, i) => ({ ...p, change: change.get(i) })) };
  });
}
