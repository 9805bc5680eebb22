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
import { oracleLossAndGradRounded } from '../oracle/grad.js';
import { oracleLossRoundedTier } from '../oracle/loss.js';
import type { WorkerPool } from './pool.js';
import { compiledModule } from './pool.js';

export interface OracleBatch {
  readonly dtype: Dtype;
  /** The rows, back to back. */
  readonly data: Float64Array;
  /** Row r is data[starts[r] .. starts[r + 1]). */
  readonly starts: Int32Array;
  readonly targets: Int32Array;
  /** Also the correctly rounded gradient of every row (oracleLossAndGradRounded: one set of terms gives both). */
  readonly grad?: boolean;
}

/** The oracle's answers for a batch: the losses, and with `grad` the gradients laid out as the batch's `data`. */
export interface OracleAnswers {
  readonly loss: Float64Array;
  readonly grad?: Float64Array;
  /** Per row: 1 when the fast tier could not decide it (the loss, or with `grad` the loss or a component) and decimal.js answered, else 0. */
  readonly fallback: Uint8Array;
  /** Per row: gradient components the fast tier left undecided (0 without `grad`). */
  readonly undecided: Int32Array;
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
  const fallback = new Uint8Array(n);
  const undecided = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const row = batch.data.subarray(batch.starts[r], batch.starts[r + 1]);
    if (grad === undefined || fullyMasked(row)) {
      const one = oracleLossRoundedTier(row, batch.targets[r], batch.dtype);
      loss[r] = one.rounded;
      fallback[r] = one.fast ? 0 : 1;
      grad?.fill(NaN, batch.starts[r], batch.starts[r + 1]);
    } else {
      const both = oracleLossAndGradRounded(row, batch.targets[r], batch.dtype);
      loss[r] = both.loss;
      fallback[r] = both.fast ? 0 : 1;
      undecided[r] = both.undecided;
      grad.set(both.grad, batch.starts[r]);
    }
  }
  return { loss, grad, fallback, undecided };
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
  /** `fallback[i]`: 1 when row i fell back to decimal.js (see OracleAnswers), and its undecided gradient components. */
  readonly fallback: Uint8Array;
  readonly undecided: Int32Array;
}

/**
 * As `oracleRows`, and with `grad` also every row's correctly rounded gradient
 * (SPEC 2.2; NaN components for a fully masked row), from the same terms as
 * its loss (oracleLossAndGradRounded: the fast tier, decimal.js for what it
 * cannot decide), so the gradient costs little more; and which rows fell back.
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
  const fallback = new Uint8Array(rows.length);
  const undecided = new Int32Array(rows.length);
  await Promise.all(
    order.map(async ({ g, w }) => {
      const batch = pack(rows, g, options.grad);
      const result = await pool.run<OracleAnswers>(file, 'oracleBatch', batch);
      g.forEach((i, r) => {
        out[i] = result.loss[r];
        fallback[i] = result.fallback[r];
        undecided[i] = result.undecided[r];
        if (grads !== undefined) grads[i] = result.grad!.subarray(batch.starts[r], batch.starts[r + 1]);
      });
      onDone?.(g.length, w);
    }),
  );
  return { loss: out, grad: grads, fallback, undecided };
}

/**
 * The fast tier's fallback share by group (e.g. fuzz family), for a progress line:
 * "ordinal 0/320, vocab 1/2 (5 components), …", the rows that fell back to
 * decimal.js out of the rows of that group, in order of first appearance, with
 * the gradient components left undecided when any were.
 *
 * @param groups - one label per row of `answers`
 */
export function fallbackShares(groups: readonly string[], answers: Pick<OracleRowsAnswers, 'fallback' | 'undecided'>): string {
  const by = new Map<string, { rows: number; fell: number; components: number }>();
  groups.forEach((g, i) => {
    let s = by.get(g);
    if (s === undefined) by.set(g, (s = { rows: 0, fell: 0, components: 0 }));
    s.rows++;
    s.fell += answers.fallback[i];
    s.components += answers.undecided[i];
  });
  return [...by].map(([g, s]) => `${g} ${s.fell}/${s.rows}${s.components > 0 ? ` (${s.components} components)` : ''}`).join(', ');
}
