/**
 * The oracle on the pool: many rows (of one dtype) per task, packed in typed
 * arrays (a 50,257-class row is 400 kB; structured clone copies typed arrays
 * without per-element work).
 *
 *     const rounded = await oracleRows(pool, [{ dtype: 'float32', logits, target }, …], (k) => bar.tick(k));
 *
 * Results come back in the order of `rows`, whatever order the workers finish
 * in. Small rows are grouped so a task is worth its message; the largest tasks
 * are queued first so both cores stay busy to the end.
 */
import type { Dtype } from '../float/dtype.js';
import { oracleLossAndGrad } from '../oracle/grad.js';
import { oracleLossRounded } from '../oracle/loss.js';
import type { WorkerPool } from './pool.js';
import { compiledModule } from './pool.js';

export interface OracleBatch {
  readonly dtype: Dtype;
  /** The rows, back to back. */
  readonly data: Float64Array;
  /** Row r is data[starts[r] .. starts[r + 1]). */
  readonly starts: Int32Array;
  readonly targets: Int32Array;
  /** Also the correctly rounded gradient of every row (oracleLossAndGrad: one set of decimal terms gives both). */
  readonly grad?: boolean;
}

/** The oracle's answers for a batch: the losses, and with `grad` the gradients laid out as the batch's `data`. */
export interface OracleAnswers {
  readonly loss: Float64Array;
  readonly grad?: Float64Array;
}

/** True when every logit of the row is −Infinity (a fully masked row: SPEC 6 gives its loss a convention, 2.2 no gradient). */
function fullyMasked(row: Float64Array): boolean {
  return row.every((x) => x === -Infinity);
}

/**
 * Worker side: the correctly rounded loss of each row of the batch, and with
 * `batch.grad` its correctly rounded gradient (NaN components for a fully
 * masked row, which has none).
 */
export function oracleBatch(batch: OracleBatch): OracleAnswers {
  const n = batch.targets.length;
  const loss = new Float64Array(n);
  const grad = batch.grad ? new Float64Array(batch.data.length) : undefined;
  for (let r = 0; r < n; r++) {
    const row = batch.data.subarray(batch.starts[r], batch.starts[r + 1]);
    if (grad === undefined || fullyMasked(row)) {
      loss[r] = oracleLossRounded(row, batch.targets[r], batch.dtype);
      grad?.fill(NaN, batch.starts[r], batch.starts[r + 1]);
    } else {
      const both = oracleLossAndGrad(row, batch.targets[r], batch.dtype);
      loss[r] = both.loss.rounded;
      grad.set(both.grad.rounded, batch.starts[r]);
    }
  }
  return { loss, grad };
}

/** A task carries up to this many logits, or one row if it is wider. */
const TASK_LOGITS = 4096;
/** …and at most this many rows, so progress moves. */
const TASK_ROWS = 64;

export interface OracleRow {
  readonly dtype: Dtype;
  readonly logits: ArrayLike<number>;
  readonly target: number;
}

function pack(rows: readonly OracleRow[], indices: readonly number[], grad: boolean): OracleBatch {
  let total = 0;
  for (const i of indices) total += rows[i].logits.length;
  const data = new Float64Array(total);
  const starts = new Int32Array(indices.length + 1);
  const targets = new Int32Array(indices.length);
  let at = 0;
  indices.forEach((i, r) => {
    starts[r] = at;
    data.set(rows[i].logits, at);
    at += rows[i].logits.length;
    targets[r] = rows[i].target;
  });
  starts[indices.length] = at;
  return { dtype: rows[indices[0]].dtype, data, starts, targets, grad };
}

/**
 * The rounded oracle loss of every row, computed on the pool, in the order of
 * `rows`. `onDone(k, n)` is called as each task's k rows of n logits in all finish (for a progress bar).
 */
export async function oracleRows(pool: WorkerPool, rows: readonly OracleRow[], onDone?: (rows: number, logits: number) => void): Promise<Float64Array> {
  return (await oracleRowsWithGrad(pool, rows, { grad: false, onDone })).loss;
}

/** The oracle's answers for many rows: `loss[i]` of row i, and with `grad` its gradient, `grad[i]` (a Float64Array of its classes). */
export interface OracleRowsAnswers {
  readonly loss: Float64Array;
  readonly grad: Float64Array[] | undefined;
}

/**
 * As `oracleRows`, and with `grad` also every row's correctly rounded gradient
 * (SPEC 2.2; NaN components for a fully masked row), from the same decimal
 * terms as its loss (oracleLossAndGrad), so the gradient costs little more.
 */
export async function oracleRowsWithGrad(
  pool: WorkerPool,
  rows: readonly OracleRow[],
  options: { readonly grad: boolean; readonly onDone?: (rows: number, logits: number) => void },
): Promise<OracleRowsAnswers> {
  const { onDone } = options;
  const groups: number[][] = [];
  let current: number[] = [];
  let logits = 0;
  for (let i = 0; i < rows.length; i++) {
    const n = rows[i].logits.length;
    const full = logits + n > TASK_LOGITS || current.length >= TASK_ROWS || (current.length > 0 && rows[current[0]].dtype !== rows[i].dtype);
    if (current.length > 0 && full) {
      groups.push(current);
      current = [];
      logits = 0;
    }
    current.push(i);
    logits += n;
  }
  if (current.length > 0) groups.push(current);
  const weight = (g: number[]) => g.reduce((s, i) => s + rows[i].logits.length, 0);
  const order = groups.map((g, k) => ({ g, k, w: weight(g) })).sort((a, b) => b.w - a.w || a.k - b.k);

  const file = compiledModule('pool/oracle-task.js');
  const out = new Float64Array(rows.length);
  const grads: Float64Array[] | undefined = options.grad ? new Array<Float64Array>(rows.length) : undefined;
  await Promise.all(
    order.map(async ({ g, w }) => {
      const batch = pack(rows, g, options.grad);
      const result = await pool.run<OracleAnswers>(file, 'oracleBatch', batch);
      g.forEach((i, r) => {
        out[i] = result.loss[r];
        if (grads !== undefined) grads[i] = result.grad!.subarray(batch.starts[r], batch.starts[r + 1]);
      });
      onDone?.(g.length, w);
    }),
  );
  return { loss: out, grad: grads };
}
