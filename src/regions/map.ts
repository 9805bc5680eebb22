/**
 * The region map (SPEC section 5, `regions.csv` and `boundaries.csv`).
 *
 * Work is split into units, pipeline × dtype × compute × quantity × panel in the
 * suite's order (the suite's `map.quantities`: loss, then grad for a pipeline with a backward pass
 * in that mode; panels target-max, target-min). For each unit: every cell of the
 * grid (offsets × gaps) gets its outcome, its cause (the pipeline's `diagnose`,
 * or for `grad` the grad diagnosis; empty where the outcome is ok or the pipeline
 * has none) and its ulp error (for `grad`: norm_ulp, the measure SPEC 4.2's
 * outcome compares with the budget); then, between every
 * two neighbouring cells with different outcomes, along the offset axis (at a
 * fixed gap) and along the gap axis (at a fixed offset), bisection over the
 * dtype's ordinals finds the two adjacent values where the outcome changes
 * (bisect.ts says which change where there are several).
 *
 * Under a suite's `options` (SPEC 6), each setting that changes the per-row loss
 * (class weights, label smoothing; options.ts says which and why) adds the two
 * panels again, `target-max#i` and `target-min#i` (i: the setting's index in
 * `options`), after the bare panels of each pipeline × dtype × compute, for the
 * loss only: their cells hold the row's l_n under the setting, as PyTorch composes
 * it, scored against the option oracle rounded once; a failing cell's cause is
 * `optionCause`'s. A suite without `options` has the units it had before.
 *
 * Rows: regions by offset, then gap; boundaries along the offset axis (by gap,
 * then offset), then along the gap axis (by offset, then gap). A unit's rows
 * depend on nothing but the unit, so shards (`--shard i/n`: unit u belongs to
 * shard (u mod n) + 1) merge back to the unsharded files (merge.ts).
 */
import type { Dtype } from '../float/dtype.js';
import { formatValue } from '../float/shortest.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Compute } from '../pipelines/variant.js';
import { diagnoseVariant, runsIn, variantsOf } from '../pipelines/variant.js';
import type { Quantity } from '../report/key.js';
import { QUANTITIES, trailingKey } from '../report/key.js';
import type { GradMode } from '../score/grad.js';
import { gradCause, gradModeOf } from '../score/grad.js';
import type { Outcome } from '../score/outcome.js';
import type { Suite } from '../suite/load.js';
import { bisectBoundary } from './bisect.js';
import { PanelEvaluator } from './evaluate.js';
import type { MaskSpec } from '../float/mask.js';
import type { Panel } from './grid.js';
import { gapGrid, offsetGrid, PANELS } from './grid.js';
import type { MapSetting } from './options.js';
import { basePanel, mapSettings, settingPanel } from './options.js';
import { optionCause } from '../pipelines/option-cause.js';

export { BOUNDARIES_COLUMNS as BOUNDARY_COLUMNS, REGIONS_COLUMNS as REGION_COLUMNS } from '../report/columns.js';

export interface MapUnit {
  readonly index: number;
  readonly pipeline: Pipeline;
  readonly dtype: Dtype;
  /** The arithmetic format (SPEC 2.1). */
  readonly compute: Compute;
  /** `loss`, or `grad`: the gradient (SPEC 2.2), judged by SPEC 4.2's outcome. */
  readonly quantity: Quantity;
  /** `target-max`, `target-min`, or under an options setting `target-max#i`, `target-min#i`. */
  readonly panel: string;
  /** The options setting of the panel (SPEC 6), or undefined for the bare loss. */
  readonly setting?: MapSetting;
}

export type { Shard } from '../util/shard.js';
export { inShard, parseShard } from '../util/shard.js';

/**
 * Every unit of the suite in the canonical order: pipeline, dtype, compute and
 * quantity (src/report/key.ts), panel; a pipeline without a generic kernel skips
 * the half formats, and its gradient is mapped where it has one in that mode.
 */
export function mapUnits(suite: Pick<Suite, 'pipelines' | 'dtypes'> & { readonly compute?: Suite['compute']; readonly map?: Pick<Suite['map'], 'quantities' | 'extraClasses' | 'masks'>; readonly options?: Suite['options'] }): MapUnit[] {
  const units: MapUnit[] = [];
  const quantities = suite.map?.quantities ?? QUANTITIES;
  const { settings } = mapSettings(suite);
  for (const pipeline of suite.pipelines) {
    for (const { dtype, compute } of variantsOf(suite.dtypes, suite.compute)) {
      if (!runsIn(pipeline, dtype)) continue;
      for (const quantity of quantities) {
        if (quantity === 'grad' && gradModeOf(pipeline, dtype, compute) === undefined) continue;
        for (const panel of PANELS) units.push({ index: units.length, pipeline, dtype, compute, quantity, panel });
        if (quantity !== 'loss') continue;
        for (const setting of settings) for (const panel of PANELS) units.push({ index: units.length, pipeline, dtype, compute, quantity, panel: settingPanel(panel, setting), setting });
      }
    }
  }
  return units;
}

export function unitKey(pipeline: string, dtype: string, panel: string, compute: string = dtype, quantity: string = 'loss'): string {
  return `${pipeline}|${dtype}|${compute}|${quantity}|${panel}`;
}

export type CsvCells = string[];

export interface UnitResult {
  readonly unit: MapUnit;
  readonly regions: CsvCells[];
  readonly boundaries: CsvCells[];
  /** Cells per outcome, for the console. */
  readonly counts: Record<Outcome, number>;
}

export interface MapGrid {
  readonly offsets: readonly number[];
  readonly gaps: readonly number[];
}

export function gridOf(suite: Pick<Suite, 'map'>, dtype: Dtype): MapGrid {
  return { offsets: offsetGrid(dtype, suite.map.offsets), gaps: gapGrid(dtype, suite.map.gaps) };
}

/** Shares the oracle values of a dtype × panel between the units (pipelines) that use them. */
export class EvaluatorCache {
  private readonly byKey = new Map<string, PanelEvaluator>();
  constructor(
    private readonly extraClasses: number,
    private readonly masks: readonly MaskSpec[] = [],
  ) {}
  /** The evaluator of a map panel (`target-max`, or `target-max#i` under `setting`). */
  get(dtype: Dtype, panel: string, setting?: MapSetting): PanelEvaluator {
    const key = `${dtype}|${panel}`;
    let ev = this.byKey.get(key);
    if (ev === undefined) {
      ev = new PanelEvaluator(dtype, basePanel(panel), this.extraClasses, this.masks, setting?.options);
      this.byKey.set(key, ev);
    }
    return ev;
  }
  get oracleCalls(): number {
    let n = 0;
    for (const ev of this.byKey.values()) n += ev.oracleCalls;
    return n;
  }
  get boundedOutcomes(): number {
    let n = 0;
    for (const ev of this.byKey.values()) n += ev.boundedOutcomes;
    return n;
  }
}

/** `tick(k)` is called with 1 after each grid cell and with 0 after each boundary's bisection (progress lines). */
export function runUnit(unit: MapUnit, grid: MapGrid, budget: number, evaluators: EvaluatorCache, tick: (k: number) => void = () => {}): UnitResult {
  const { pipeline: p, dtype, compute, panel, quantity } = unit;
  const key = trailingKey({ compute, quantity });
  const ev = evaluators.get(dtype, panel, unit.setting);
  const setting = unit.setting;
  const mode = quantity === 'grad' ? (gradModeOf(p, dtype, compute) as GradMode) : undefined;
  // A cell: its outcome, cause and ulp error (norm_ulp for a gradient); and its outcome alone (bisection).
  const cell = (a: number, g: number): [Outcome, string, string] => {
    if (mode !== undefined) {
      const r = ev.evaluateGrad(mode, budget, a, g);
      const cause = r.outcome === 'ok' ? '' : (gradCause(p, mode, dtype, { logits: ev.rowOf(a, g), target: ev.target }, r, r.grad, r.oracle) ?? '');
      return [r.outcome, cause, r.normUlp === undefined ? '' : String(r.normUlp)];
    }
    const r = ev.evaluate(p, budget, a, g, compute);
    const cause =
      r.outcome === 'ok' ? '' : setting === undefined ? diagnoseVariant(p, unit, ev.rowOf(a, g), ev.target) : optionCause(p, unit, { logits: ev.rowOf(a, g), target: ev.target }, setting.options, ev.weight, r.loss, budget);
    return [r.outcome, cause, r.ulps === undefined ? '' : String(r.ulps)];
  };
  const outcomeAt = (a: number, g: number): Outcome => (mode !== undefined ? ev.evaluateGrad(mode, budget, a, g).outcome : ev.outcome(p, budget, a, g, compute));
  const { offsets, gaps } = grid;
  const fv = (x: number) => formatValue(x, dtype);
  const outcomes: Outcome[][] = [];
  const regions: CsvCells[] = [];
  const counts: Record<Outcome, number> = { ok: 0, inaccurate: 0, overflow: 0, underflow: 0, nan: 0 };
  for (const a of offsets) {
    const column: Outcome[] = [];
    for (const g of gaps) {
      const [outcome, cause, ulps] = cell(a, g);
      regions.push([p.name, dtype, panel, fv(a), fv(g), outcome, cause, ulps, ...key]);
      column.push(outcome);
      counts[outcome]++;
      tick(1);
    }
    outcomes.push(column);
  }

  const boundaries: CsvCells[] = [];
  const push = (axis: 'offset' | 'gap', fixed: number, lo: number, hi: number, loO: Outcome, hiO: Outcome, at: (v: number) => Outcome) => {
    const b = bisectBoundary(at, lo, hi, loO, hiO, dtype);
    boundaries.push([p.name, dtype, panel, axis, fv(fixed), b.fromOutcome, b.toOutcome, fv(b.last), fv(b.first), ...key]);
    tick(0);
  };
  for (let j = 0; j < gaps.length; j++) {
    const g = gaps[j];
    const at = (a: number) => outcomeAt(a, g);
    for (let i = 0; i + 1 < offsets.length; i++) {
      if (outcomes[i][j] !== outcomes[i + 1][j]) push('offset', g, offsets[i], offsets[i + 1], outcomes[i][j], outcomes[i + 1][j], at);
    }
  }
  for (let i = 0; i < offsets.length; i++) {
    const a = offsets[i];
    const at = (g: number) => outcomeAt(a, g);
    for (let j = 0; j + 1 < gaps.length; j++) {
      if (outcomes[i][j] !== outcomes[i][j + 1]) push('gap', a, gaps[j], gaps[j + 1], outcomes[i][j], outcomes[i][j + 1], at);
    }
  }
  return { unit, regions, boundaries, counts };
}
