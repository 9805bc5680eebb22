/**
 * The region map under a suite's `options` (SPEC 6; issue 15): which settings get
 * panels of their own, how those panels are named, and the cause of a failing cell.
 *
 * A setting is mapped when it changes the per-row loss l_n of a row with a
 * class-index target: class weights (l_n = w_y·(−log p_y), plus the smoothing term
 * Σ_c w_c·(−log p_c)) other than all 1, or label smoothing ε > 0 (weights all 1 with
 * ε = 0 leave l_n bare: a batch-level setting, one note). Its panels are the bare panels
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
 * One whose weights are all 1 with ε = 0 is batch-level (a note): its l_n are the bare ones.
 */
export function mapSettings(suite: { readonly options?: Suite['options']; readonly map?: Pick<Suite['map'], 'extraClasses' | 'masks'> }): { settings: MapSetting[]; notes: string[] } {
  const settings: MapSetting[] = [];
  const notes: string[] = [];
  const all = suite.options ?? [];
  if (all.length === 1 && settingLabel(all[0]) === 'bare') return { settings, notes };
  const classes = 2 + (suite.map?.extraClasses ?? 0) + (suite.map?.masks.length ?? 0);
  for (const [index, o] of all.entries()) {
    if (o.weight !== undefined && o.weight.length !== classes) {
      notes.push(`options setting #${index} (${settingLabel(o)}) has ${o.weight.length} class weights but the map's rows have ${classes} classes (2 + map.extraClasses + map.masks): not mapped`);
      continue;
    }
    // Weights all 1 without smoothing leave every l_n as it is (isBare): the panels would repeat the bare ones.
    if ((o.weight === undefined || o.weight.every((w) => w === 1)) && o.labelSmoothing === 0) {
      const ones = o.weight === undefined ? '' : ' (its class weights are all 1)';
      notes.push(`options setting #${index} (${settingLabel(o)}) changes batch-level options only${ones}: its per-row map is the bare map, not drawn again`);
      continue;
    }
    const options: BatchOptions = { ...o, ignoreIndex: undefined, reduction: 'none', maskedRows: 'nan' };
    settings.push({ index, options, label: settingLabel(options) });
  }
  return { settings, notes };
}
