/**
 * The key every report row is filed under: (pipeline, dtype, compute, quantity)
 * (SPEC sections 2.1 and 5). fuzz.csv, failures.csv, regions.csv,
 * boundaries.csv, bench.csv and gate.csv carry it in their `pipeline`, `dtype`
 * and trailing `compute`, `quantity` columns; fuzz, map, bench, gate, merge and
 * the summary read, check, order and print it through this file alone.
 *
 * - `compute` is the arithmetic format: the dtype itself for float32 and float64,
 *   and for float16 / bfloat16 either the dtype (pure) or `float32` (widened).
 * - `quantity` is `loss` (the per-row loss) or `grad` (its gradient, SPEC 2.2).
 *
 * Order: pipelines as the caller lists them (the suite's order), then dtypes in
 * `DTYPES` order, pure before widened, then quantities in `QUANTITIES` order.
 */
import type { Dtype } from '../float/dtype.js';
import { DTYPES, isDtype } from '../float/dtype.js';
import type { Compute, Variant } from '../pipelines/variant.js';
import { computeModes, isComputeOf } from '../pipelines/variant.js';
import { InputError } from '../util/errors.js';

export const QUANTITIES = ['loss', 'grad'] as const;
export type Quantity = (typeof QUANTITIES)[number];

/** The key columns, in the order the reports hold them relative to each other. */
export const KEY_COLUMNS = ['pipeline', 'dtype', 'compute', 'quantity'] as const;

export interface ReportKey extends Variant {
  readonly pipeline: string;
  readonly quantity: Quantity;
}

/** A key as text fields, as read from a file (checked by `readKey`). */
export interface KeyFields {
  readonly pipeline: string;
  readonly dtype: string;
  readonly compute: string;
  readonly quantity: string;
}

/** A key of a pipeline in a variant (quantity `loss` unless given). */
export function reportKey(pipeline: string, v: Variant, quantity: Quantity = 'loss'): ReportKey {
  return { pipeline, dtype: v.dtype, compute: v.compute, quantity };
}

/** The key's fields as the reports' trailing columns: `[compute, quantity]`. */
export function trailingKey(k: { readonly compute: string; readonly quantity: string }): [string, string] {
  return [k.compute, k.quantity];
}

/** One string per key, for maps and sets. */
export function keyText(k: KeyFields): string {
  return `${k.pipeline}|${k.dtype}|${k.compute}|${k.quantity}`;
}

/** How the console and summary.md name a key: `naive-softmax float16`, `naive-softmax float16 (compute float32)`, `… grad`. */
export function keyLabel(k: { readonly pipeline: string; readonly dtype: string; readonly compute: string; readonly quantity?: string }): string {
  return `${k.pipeline} ${variantLabel(k)}${k.quantity === 'grad' ? ' grad' : ''}`;
}

/** A pipeline's name within its dtype's table or chart: `naive-softmax`, or `naive-softmax (compute float32)` for a widened half row; ` grad` added for a gradient row. */
export function pipelineInVariant(pipeline: string, dtype: string, compute: string, quantity: string = 'loss'): string {
  return `${compute === dtype ? pipeline : `${pipeline} (compute ${compute})`}${quantity === 'grad' ? ' grad' : ''}`;
}

/** `float16`, `float16 (compute float32)`: a dtype, with its compute where it is not the dtype itself. */
export function variantLabel(v: { readonly dtype: string; readonly compute: string }): string {
  return v.compute === v.dtype ? v.dtype : `${v.dtype} (compute ${v.compute})`;
}

/**
 * Reads and checks the key of a report row: a known dtype, a compute that is a
 * mode of it, a known quantity. A bad field is an InputError naming the file,
 * line and column.
 */
export function readKey(file: string, line: number, values: Readonly<Record<string, string>>): ReportKey {
  const dtype = values.dtype;
  if (!isDtype(dtype)) throw new InputError(`unknown dtype ${JSON.stringify(dtype)}; one of ${DTYPES.join(', ')}`, file, line, 'dtype');
  const compute = values.compute;
  if (!isComputeOf(dtype, compute)) throw new InputError(`compute ${JSON.stringify(compute)} is not a mode of ${dtype}; one of ${computeModes(dtype).join(', ')}`, file, line, 'compute');
  const quantity = values.quantity;
  if (!(QUANTITIES as readonly string[]).includes(quantity)) throw new InputError(`unknown quantity ${JSON.stringify(quantity)}; one of ${QUANTITIES.join(', ')}`, file, line, 'quantity');
  return { pipeline: values.pipeline, dtype, compute, quantity: quantity as Quantity };
}

/** Rank of a variant within a pipeline: DTYPES order, pure before widened. */
export function variantRank(dtype: string, compute: string): number {
  const d = DTYPES.indexOf(dtype as Dtype);
  const c = d < 0 ? -1 : computeModes(dtype as Dtype).indexOf(compute as Compute);
  return d * 4 + c;
}

/** Compares two keys in report order; `pipelines` gives the pipelines' order. */
export function compareKeys(pipelines: readonly string[], a: KeyFields, b: KeyFields): number {
  return (
    pipelines.indexOf(a.pipeline) - pipelines.indexOf(b.pipeline) ||
    variantRank(a.dtype, a.compute) - variantRank(b.dtype, b.compute) ||
    QUANTITIES.indexOf(a.quantity as Quantity) - QUANTITIES.indexOf(b.quantity as Quantity)
  );
}
