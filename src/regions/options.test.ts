/** The region map under a suite's `options` (issue 15; SPEC 6): per-row l_n panels `target-max#i`, `target-min#i`. */
import { describe, expect, it } from 'vitest';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import { checkSuite } from '../suite/load.js';
import { computeMap } from './command.js';
import { PanelEvaluator } from './evaluate.js';
import { mapUnits, REGION_COLUMNS } from './map.js';
import { mapSettings } from './options.js';
import { mapChartSpec } from './chart.js';
import { optionCause } from '../pipelines/option-cause.js';
import { pipelineBatch } from '../pipelines/options.js';
import { diagnoseVariant, runVariant } from '../pipelines/variant.js';

const names = ['naive-softmax', 'stable-log-softmax', 'accurate-cross-entropy'];
const suiteWith = (extra: object, map: object = {}) =>
  checkSuite({ name: 'map-options', seed: 5, pipelines: names, dtypes: ['float64'], map: { offsets: 15, gaps: 8, quantities: ['loss'], ...map }, ...extra }, '/virtual/map-options.suite.ts');

const panelAt = REGION_COLUMNS.indexOf('panel');
const outcomeAt = REGION_COLUMNS.indexOf('outcome');
const causeAt = REGION_COLUMNS.indexOf('cause');

describe('map under options', () => {
  it('maps the settings that change l_n (weights, smoothing) as target-max#i / target-min#i after the bare panels; batch-level settings get a note', () => {
    const suite = suiteWith({ options: [{ reduction: 'mean' }, { labelSmoothing: 0.1, ignoreIndex: 0 }, { weight: [4, 0.25] }, { weight: [1, 2, 3] }, { weight: [1, 1], reduction: 'sum' }, { weight: [1, 1], labelSmoothing: 0.1 }] });
    const { settings, notes } = mapSettings(suite);
    expect(settings.map((s) => [s.index, s.label])).toEqual([
      [1, 'ε=0.1'],
      [2, 'weight=[4, 0.25]'],
      [5, 'ε=0.1, weight=[1, 1]'],
    ]);
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(/setting #0 \(reduction=mean\) changes batch-level options only/);
    expect(notes[1]).toMatch(/setting #3 .* 3 class weights but the map's rows have 2 classes/);
    // Weights all 1 without smoothing: l_n is the bare l_n (isBare), so no panels that repeat the bare ones.
    expect(notes[2]).toMatch(/setting #4 \(.*weight=\[1, 1\].*\) changes batch-level options only \(its class weights are all 1\)/);
    const units = mapUnits(suite).filter((u) => u.pipeline.name === 'naive-softmax');
    expect(units.map((u) => u.panel)).toEqual(['target-max', 'target-min', 'target-max#1', 'target-min#1', 'target-max#2', 'target-min#2', 'target-max#5', 'target-min#5']);
  });

  it('a suite without options (or with one bare setting) has exactly the bare units and no options in map.json', () => {
    const plain = suiteWith({});
    expect(mapUnits(plain).every((u) => !u.panel.includes('#') && u.setting === undefined)).toBe(true);
    expect(mapUnits(suiteWith({ options: { reduction: 'sum' } })).length).toBe(mapUnits(plain).length);
    expect(mapSettings(suiteWith({ options: {} })).notes).toEqual([]);
    const folder = computeMap(suiteWith({}, { offsets: 15, gaps: 8 })).folder;
    expect('options' in folder.manifest).toBe(false);
  });

  it('a cell under ε = 0.1 and under weights holds l_n, correctly rounded (mpmath, 400 bits)', () => {
    // Row [3, 2, 1] (a = 3, g = 1, one extra class), target 0: (1 − ε)·L_0 + (ε/3)·Σ L_c.
    const smooth = new PanelEvaluator('float64', 'target-max', 1, [], { weight: undefined, ignoreIndex: undefined, reduction: 'none', labelSmoothing: 0.1, maskedRows: 'nan' });
    expect(smooth.oracle(3, 1)).toBe(0.5076059644443803);
    // Weights [4, 0.25, 0], target 1: (1 − ε)·0.25·L_1 + (ε/3)·(4·L_0 + 0.25·L_1).
    const weighted = new PanelEvaluator('float64', 'target-min', 1, [], { weight: [4, 0.25, 0], ignoreIndex: undefined, reduction: 'none', labelSmoothing: 0.1, maskedRows: 'nan' });
    expect(weighted.oracle(3, 1)).toBe(0.38278885362960613);
    const accurate = BUILTIN_PIPELINES.find((p) => p.name === 'accurate-cross-entropy')!;
    expect(weighted.evaluate(accurate, 2, 3, 1).outcome).toBe('ok');
  });

  it('smoothing over a −Infinity class: l_n = +Infinity everywhere (ok where a pipeline gives it); a zero weight on it makes PyTorch\'s 0·∞ a NaN (cause zero-times-inf)', () => {
    const suite = suiteWith({ options: [{ labelSmoothing: 0.1 }, { labelSmoothing: 0.1, weight: [1, 1, 0] }] }, { masks: [-Infinity] });
    const { regions } = computeMap(suite).folder;
    const rows = (pipeline: string, panel: string) => regions.filter((r) => r[0] === pipeline && r[panelAt] === panel);
    // Setting 0: the smoothing sum meets the masked class, so the oracle is +Infinity in every cell; stable-log-softmax gives it.
    expect(rows('stable-log-softmax', 'target-max#0').length).toBe(15 * 8);
    expect(rows('stable-log-softmax', 'target-max#0').every((r) => r[outcomeAt] === 'ok')).toBe(true);
    expect(rows('accurate-cross-entropy', 'target-min#0').every((r) => r[outcomeAt] === 'ok')).toBe(true);
    // Setting 1: weight 0 on the masked class, so the exact l_n is finite; PyTorch's Σ_c w_c·(−log p_c) has 0·∞ = NaN.
    const stable = rows('stable-log-softmax', 'target-max#1');
    expect(stable.every((r) => r[outcomeAt] === 'nan' && r[causeAt] === 'zero-times-inf')).toBe(true);
    // accurate-cross-entropy drops the zero coefficient (the exact value has no 0·∞ term).
    expect(rows('accurate-cross-entropy', 'target-max#1').every((r) => r[outcomeAt] === 'ok')).toBe(true);
    // The bare panels are untouched by the settings: the masked class contributes nothing there.
    expect(rows('stable-log-softmax', 'target-max').filter((r) => r[outcomeAt] === 'nan')).toEqual([]);
  });

  it('ε = 1: (1 − ε)·w_y·(−log p_y) is 0·∞ where −log p_y is infinite (cause zero-times-inf, not inf-minus-inf); an infinite l_n names the class whose −log p_c overflowed', () => {
    const stable = BUILTIN_PIPELINES.find((p) => p.name === 'stable-log-softmax')!;
    const naive = BUILTIN_PIPELINES.find((p) => p.name === 'naive-softmax')!;
    const v = { dtype: 'float32', compute: 'float32' } as const;
    const eps1 = { weight: undefined, ignoreIndex: undefined, reduction: 'none', labelSmoothing: 1, maskedRows: 'nan' } as const;
    const row = { logits: [-Infinity, 0], target: 0 };
    const l = pipelineBatch(stable, v, [row], eps1, undefined).rows[0];
    expect(l).toBeNaN();
    expect(optionCause(stable, v, row, eps1, undefined, l, 4)).toBe('zero-times-inf');
    // The same 0·∞ under a zero target weight at ε = 0.5 (the combined coefficient (ε/C)·w_y is 0 too).
    expect(optionCause(stable, v, row, { ...eps1, labelSmoothing: 0.5 }, [0, 1], NaN, 4)).toBe('zero-times-inf');
    // The map under ε = 1: naive-softmax's target-max at large gaps takes −log p_1 = −log 0 = +Infinity in the smoothing sum.
    const suite = suiteWith({ options: [{ labelSmoothing: 1 }] });
    const { regions } = computeMap(suite).folder;
    const cells = (panel: string) => regions.filter((r) => r[0] === 'naive-softmax' && r[panelAt] === panel);
    const overflow = cells('target-max#0').filter((r) => r[outcomeAt] === 'overflow');
    expect(overflow.length).toBeGreaterThan(0);
    const offsetAt = REGION_COLUMNS.indexOf('offset');
    const gapAt = REGION_COLUMNS.indexOf('gap');
    const v64 = { dtype: 'float64', compute: 'float64' } as const;
    for (const r of overflow) {
      const a = Number(r[offsetAt]);
      const g = Number(r[gapAt]);
      expect(r[causeAt]).toBe(diagnoseVariant(naive, v64, Float64Array.of(a, a - g), 1));
      expect(r[causeAt]).not.toBe('absorption');
    }
    // target-min: where naive-softmax's −log p_1 itself is +Infinity (not NaN), (1 − 1)·∞ is the NaN.
    const ownLoss = (r: readonly string[]) => {
      const out = new Float64Array(1);
      runVariant(naive, v64, Float64Array.of(Number(r[offsetAt]), Number(r[offsetAt]) - Number(r[gapAt])), 1, 2, Int32Array.of(1), out);
      return out[0];
    };
    const zeroTimesInf = cells('target-min#0').filter((r) => r[outcomeAt] === 'nan' && ownLoss(r) === Infinity);
    expect(zeroTimesInf.length).toBeGreaterThan(10);
    expect(zeroTimesInf.every((r) => r[causeAt] === 'zero-times-inf')).toBe(true);
  });

  it('ε = 0.1 turns naive-softmax\'s exp underflow of the other class into an infinite l_n even on target-max (−log 0 in the smoothing sum)', () => {
    const suite = suiteWith({ options: { labelSmoothing: 0.1 } });
    const { regions, boundaries, manifest } = computeMap(suite).folder;
    expect(manifest.options).toEqual([{ index: 0, label: 'ε=0.1' }]);
    const naive = (panel: string) => regions.filter((r) => r[0] === 'naive-softmax' && r[panelAt] === panel);
    // Bare target-max: p_0 → 1, the loss underflows to 0 at large gaps. Under ε = 0.1 the same cells take −log p_1 = −log 0 in the smoothing sum: +Infinity.
    const bare = naive('target-max');
    const smoothed = naive('target-max#0');
    expect(smoothed).toHaveLength(bare.length);
    const turned = smoothed.filter((r, i) => r[outcomeAt] === 'overflow' && bare[i][outcomeAt] !== 'overflow');
    expect(turned.length).toBeGreaterThan(10);
    // The causes: those of the class whose −log p_1 is +Infinity (p_1 = 0 by the division's underflow, then log 0),
    // not the target's small error (its own exp-underflow: e^(a−g) absorbed into p_0 = 1).
    expect([...new Set(turned.map((r) => r[causeAt]))].sort()).toEqual(['division-underflow', 'log-of-zero']);
    // stable-log-softmax has no such cells: its −log p_1 = g + log1p(e^−g) stays finite.
    expect(regions.filter((r) => r[0] === 'stable-log-softmax' && r[panelAt] === 'target-max#0' && r[outcomeAt] !== 'ok')).toEqual([]);
    // Boundaries are keyed by the same panel name.
    expect(boundaries.some((b) => b[0] === 'naive-softmax' && b[2] === 'target-max#0' && b[6] === 'overflow')).toBe(true);
  });

  it('the chart puts the settings\' panels after the bare ones and names the settings', () => {
    const rows = [
      ['p', 'float64', 'target-max#1', '0', '0', 'ok', '', '0', 'float64', 'loss'],
      ['p', 'float64', 'target-max', '0', '0', 'ok', '', '0', 'float64', 'loss'],
    ];
    const spec = mapChartSpec({ dtype: 'float64', rows, pipelines: ['p'], meta: 'm', options: [{ index: 1, label: 'ε=0.1' }] }) as unknown as { facet: { column: { sort: string[] } }; title: { subtitle: string[] } };
    expect(spec.facet.column.sort).toEqual(['target-max', 'target-min', 'target-max#1']);
    expect(spec.title.subtitle.join('\n')).toMatch(/#1 ε=0\.1/);
  });
});
