/**
 * One cell of the map: the row of (a, g), its correctly rounded loss (computed
 * once per dtype × panel × point and shared by every pipeline), a pipeline's
 * loss from its kernel, and the outcome as `score` classifies it.
 *
 * Under an options setting (SPEC 6; `MapSetting`, map.ts) the cell's value is the
 * per-row loss l_n of the row with the panel's class-index target: the pipeline's
 * l_n as PyTorch composes it (`pipelineBatch`, src/pipelines/options.ts) against the
 * option oracle's l_n rounded once (`oracleBatch`, src/oracle/batch.ts). l_n depends
 * on the row only through its differences m − x_j, as the bare loss, so the cache
 * key is the same.
 *
 * Bisection needs only outcomes: `outcome` first tries the values the rounded
 * loss can be (bounds.ts; bare loss only) and calls the oracle only when they disagree.
 */
import type { Dtype, FloatArray } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { oracleLossRounded } from '../oracle/loss.js';
import { oracleGradRounded } from '../oracle/grad.js';
import type { GradMode, GradVerdict } from '../score/grad.js';
import { judgeGrad } from '../score/grad.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Compute } from '../pipelines/variant.js';
import { runVariant } from '../pipelines/variant.js';
import type { Verdict } from '../score/outcome.js';
import type { Outcome } from '../score/outcome.js';
import { classify } from '../score/outcome.js';
import { fromOrdinal, ordinal } from '../float/ordinal.js';
import type { MaskSpec } from '../float/mask.js';
import { maskValue } from '../float/mask.js';
import type { BatchOptions } from '../cases/options.js';
import { weightsIn } from '../cases/options.js';
import { oracleBatch } from '../oracle/batch.js';
import { pipelineBatch } from '../pipelines/options.js';
import { roundedLossRange } from './bounds.js';
import type { Panel } from './grid.js';
import { fillRow, PANEL_TARGET } from './grid.js';

export interface CellResult extends Verdict {
  readonly loss: number;
  readonly oracle: number;
}

export class PanelEvaluator {
  readonly target: number;
  private readonly row: Float64Array;
  private readonly x: FloatArray;
  private readonly out: FloatArray;
  private readonly targets: Int32Array;
  private readonly oracles = new Map<string, number>();
  private readonly gradOracles = new Map<string, Float64Array>();
  /** Oracle evaluations made (cache misses). */
  oracleCalls = 0;
  /** Outcomes decided from the bounds alone. */
  boundedOutcomes = 0;

  /** The masked classes' values in the dtype (after the extra classes). */
  private readonly masks: readonly number[];
  /** The class weights of `options` rounded to the dtype (PyTorch's weight tensor), or undefined. */
  readonly weight: Float64Array | undefined;

  /**
   * `options`: a setting whose per-row loss l_n the cells hold (SPEC 6), or undefined for the
   * bare loss; its `weight` must have one entry per class of the row (2 + extraClasses + masks).
   */
  constructor(
    readonly dtype: Dtype,
    readonly panel: Panel,
    readonly extraClasses: number,
    masks: readonly MaskSpec[] = [],
    readonly options?: BatchOptions,
  ) {
    this.masks = masks.map((v) => maskValue(v, dtype));
    this.weight = options?.weight === undefined ? undefined : weightsIn(options.weight, dtype, 'options.weight');
    const n = 2 + extraClasses + masks.length;
    this.target = PANEL_TARGET[panel];
    this.row = new Float64Array(n);
    const fmt = formatOf(dtype);
    this.x = fmt.array(n);
    this.out = fmt.array(1);
    this.targets = Int32Array.of(this.target);
  }

  /** The row of (a, g): a fresh copy. */
  rowOf(a: number, g: number): Float64Array {
    return fillRow(new Float64Array(this.row.length), a, g, this.dtype, this.masks);
  }

  /**
   * The loss depends on the row only through the exact differences m − x_j
   * (loss = (m − x_t) + log1p(Σ_{j≠k} exp(x_j − m))), so the cache is keyed by
   * them, each as an exact pair hi + lo (TwoSum): rows [a, a] at any a share one
   * entry. Fills this.row with the row of (a, g).
   */
  private key(a: number, g: number): string {
    const row = fillRow(this.row, a, g, this.dtype, this.masks);
    let m = -Infinity;
    for (let j = 0; j < row.length; j++) if (row[j] > m) m = row[j];
    let key = '';
    for (let j = 0; j < row.length; j++) {
      const x = row[j];
      const hi = m - x;
      const bb = hi - m;
      const lo = m - (hi - bb) + (-x - bb);
      key += `${hi}${lo === 0 || !Number.isFinite(hi) ? '' : `+${lo}`} `;
    }
    return key;
  }

  oracle(a: number, g: number): number {
    const key = this.key(a, g);
    let v = this.oracles.get(key);
    if (v === undefined) {
      v = this.options === undefined ? oracleLossRounded(this.row, this.target, this.dtype) : oracleBatch([{ logits: this.row, target: this.target }], this.options, this.dtype, this.weight, false).rows[0].rounded;
      this.oracleCalls++;
      this.oracles.set(key, v);
    }
    return v;
  }

  private lossOf(p: Pipeline, compute: Compute, a: number, g: number): number {
    if (this.options !== undefined) {
      const logits = fillRow(this.row, a, g, this.dtype, this.masks);
      return pipelineBatch(p, { dtype: this.dtype, compute }, [{ logits, target: this.target }], this.options, this.weight).rows[0];
    }
    this.x.set(fillRow(this.row, a, g, this.dtype, this.masks));
    runVariant(p, { dtype: this.dtype, compute }, this.x, 1, this.row.length, this.targets, this.out);
    return this.out[0];
  }

  /** The cell (a, g) of pipeline `p` computed in `compute` (default: the dtype itself). */
  evaluate(p: Pipeline, budget: number, a: number, g: number, compute: Compute = this.dtype): CellResult {
    const oracle = this.oracle(a, g);
    const loss = this.lossOf(p, compute, a, g);
    return { loss, oracle, ...classify(loss, oracle, this.dtype, budget) };
  }

  /** The correctly rounded gradient of the cell (a, g) (SPEC 2.2), computed once per row of differences (as the loss). */
  gradOracle(a: number, g: number): Float64Array {
    const key = this.key(a, g);
    let v = this.gradOracles.get(key);
    if (v === undefined) {
      v = oracleGradRounded(this.row, this.target, this.dtype);
      this.oracleCalls++;
      this.gradOracles.set(key, v);
    }
    return v;
  }

  /**
   * The gradient of the cell (a, g) by one of a pipeline's grad modes, judged as
   * `score --grad` judges it (SPEC 4.2: outcome by norm_ulp against the budget).
   * A 2-class row's gradient costs one oracle call more than its loss, no bisection shortcut.
   */
  evaluateGrad(mode: GradMode, budget: number, a: number, g: number): GradVerdict & { readonly grad: Float64Array; readonly oracle: Float64Array } {
    const oracle = this.gradOracle(a, g);
    const grad = new Float64Array(this.row.length);
    mode.run(this.rowOf(a, g), this.target, grad);
    return { ...judgeGrad(grad, oracle, this.dtype, budget), grad, oracle };
  }

  /** The outcome alone: the same as evaluate(…).outcome. */
  outcome(p: Pipeline, budget: number, a: number, g: number, compute: Compute = this.dtype): Outcome {
    const cached = this.oracles.get(this.key(a, g));
    const loss = this.lossOf(p, compute, a, g);
    if (cached !== undefined) return classify(loss, cached, this.dtype, budget).outcome;
    const range = this.options !== undefined ? undefined : roundedLossRange(this.row, this.target, this.dtype);
    if (range !== undefined) {
      const lo = ordinal(range[0], this.dtype);
      const hi = ordinal(range[1], this.dtype);
      if (hi - lo <= 64n) {
        const first = classify(loss, range[0], this.dtype, budget).outcome;
        let same = true;
        for (let o = lo + 1n; o <= hi && same; o++) same = classify(loss, fromOrdinal(o, this.dtype), this.dtype, budget).outcome === first;
        if (same) {
          this.boundedOutcomes++;
          return first;
        }
      }
    }
    return classify(loss, this.oracle(a, g), this.dtype, budget).outcome;
  }
}
