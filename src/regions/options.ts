/**
 * The region map under a suite's `options` (SPEC 6; issue 15): which settings get
 * panels of their own, how those panels are named, and the cause of a failing cell.
 *
 * A setting is mapped when it changes the per-row loss l_n of a row with a
 * class-index target: class weights (l_n = w_y·(−log p_y), plus the smoothing term
 * Σ_c w_c·(−log p_c)) or label smoothing ε > 0. Its panels are the bare panels
 * with the row's l_n under the setting, named `target-max#i` and `target-min#i`,
 * `i` the setting's index in the suite's `options` (also for a single setting: a
 * bare `target-max` panel sits beside it). The rest of a setting is batch-level
 * and left out of the per-row map: `reduction` (a one-row map has no batch),
 * `maskedRows` (a map row is never fully masked: its largest logit a is finite)
 * and `ignore_index` (an ignored row's l_n is 0 by definition, with no arithmetic
 * to go wrong; the fuzz family `opt-ignore` puts it under test). Soft targets are
 * no setting (they belong to a row: fuzz family `opt-soft`, `score`), so the map
 * has no soft-target panel: a target distribution would be a third axis.
 */
import type { BatchOptions } from '../cases/options.js';
import { settingLabel } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';
import { oracleLossRounded } from '../oracle/loss.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Variant } from '../pipelines/variant.js';
import { diagnoseVariant, runVariant } from '../pipelines/variant.js';
import { formatOf } from '../float/dtype.js';
import { classify } from '../score/outcome.js';
import type { Suite } from '../suite/load.js';
import type { Panel } from './grid.js';

/** One mapped setting: its index in the suite's `options`, the setting, and its label (`ε=0.1, weight=[4, 0.25]`). */
export interface MapSetting {
  readonly index: number;
  readonly options: BatchOptions;
  readonly label: string;
}

/** The map's panel name of a setting's panel: `target-max#2`; the bare panel without a setting. */
export function settingPanel(panel: Panel, setting: MapSetting | undefined): string {
  return setting === undefined ? panel : `${panel}#${setting.index}`;
}

/** The bare panel of a map panel name (`target-max#2` → `target-max`). */
export function basePanel(panel: string): Panel {
  return panel.replace(/#\d+$/, '') as Panel;
}

/**
 * The settings of the suite the map draws (see the file comment), with the per-row
 * part of each (its `ignoreIndex`, `reduction` and `maskedRows` reset to the
 * defaults), and one note per setting left out (stderr). A setting whose `weight`
 * does not have one entry per class of the map's rows (2 + map.extraClasses +
 * map.masks) is left out with a note: PyTorch refuses a weight whose size is not C.
 */
export function mapSettings(suite: { readonly options?: Suite['options']; readonly map?: Pick<Suite['map'], 'extraClasses' | 'masks'> }): { settings: MapSetting[]; notes: string[] } {
  const settings: MapSetting[] = [];
  const notes: string[] = [];
  const all = suite.options ?? [];
  if (all.length === 1 && settingLabel(all[0]) === 'bare') return { settings, notes };
  const classes = 2 + (suite.map?.extraClasses ?? 0) + (suite.map?.masks.length ?? 0);
  for (const [index, o] of all.entries()) {
    if (o.weight === undefined && o.labelSmoothing === 0) {
      notes.push(`options setting #${index} (${settingLabel(o)}) changes batch-level options only: its per-row map is the bare map, not drawn again`);
      continue;
    }
    if (o.weight !== undefined && o.weight.length !== classes) {
      notes.push(`options setting #${index} (${settingLabel(o)}) has ${o.weight.length} class weights but the map's rows have ${classes} classes (2 + map.extraClasses + map.masks): not mapped`);
      continue;
    }
    const options: BatchOptions = { ...o, ignoreIndex: undefined, reduction: 'none', maskedRows: 'nan' };
    settings.push({ index, options, label: settingLabel(options) });
  }
  return { settings, notes };
}

/**
 * The first step that went wrong in a pipeline's l_n of `row` (class-index `target`)
 * under `options`, in the variant's arithmetic (SPEC 5 `cause`): `zero-times-inf` where
 * l_n is NaN and a zero coefficient (weight 0, or every coefficient of a class) met an
 * infinite −log p_c, unless some class's own −log p_c is NaN; else the pipeline's own
 * diagnosis of −log p_c for the first class c whose −log p_c is not ok against its
 * correctly rounded value (the target first, then, with ε > 0, every class in order),
 * where that class counts (a positive coefficient, or a non-finite −log p_c, which a
 * zero coefficient turns into 0·∞); else the composition's step: `zero-times-inf`
 * (l_n is NaN: a zero weight, or (ε/C)·w_c = 0, times an infinite −log p_c),
 * `product-overflow` (a weight times a finite −log p_y overflows), `sum-overflow`
 * (the smoothing sum or the final sum overflows), otherwise `rounding`. '' for a
 * pipeline without `diagnose` whose class fails.
 */
export function optionCause(p: Pipeline, v: Variant, row: Float64Array, target: number, options: BatchOptions, weight: ArrayLike<number> | undefined, loss: number, budget: number): string {
  const dtype = v.dtype as Dtype;
  const fmt = formatOf(dtype);
  const x = fmt.array(row.length);
  x.set(row);
  const out = fmt.array(1);
  const w = (c: number) => (weight === undefined ? 1 : weight[c]);
  const classes = options.labelSmoothing > 0 ? [target, ...Array.from({ length: row.length }, (_, c) => c).filter((c) => c !== target)] : [target];
  let infiniteTimesZero = false;
  let nllInfinite = false;
  let first: { cause: string; nan: boolean } | undefined;
  for (const c of classes) {
    runVariant(p, v, x, 1, row.length, Int32Array.of(c), out);
    const own = out[0];
    const coefficient = (c === target ? (1 - options.labelSmoothing) * w(c) : 0) + (options.labelSmoothing / row.length) * w(c);
    if (!Number.isFinite(own) && coefficient === 0) infiniteTimesZero = true;
    if (c === target && fmt.round(w(c) * own) === Infinity && Number.isFinite(own)) nllInfinite = true;
    if (first !== undefined || (coefficient === 0 && Number.isFinite(own))) continue;
    if (classify(own, oracleLossRounded(row, c, dtype), dtype, budget).outcome !== 'ok') first = { cause: diagnoseVariant(p, v, row, c), nan: Number.isNaN(own) };
  }
  // A NaN l_n made by 0·∞ names it, unless a class's own −log p_c was already NaN.
  if (Number.isNaN(loss) && infiniteTimesZero && first?.nan !== true) return 'zero-times-inf';
  if (first !== undefined) return first.cause;
  if (Number.isNaN(loss)) return infiniteTimesZero ? 'zero-times-inf' : 'inf-minus-inf';
  if (!Number.isFinite(loss)) return nllInfinite ? 'product-overflow' : 'sum-overflow';
  return 'rounding';
}
