/**
 * The oracle's two tiers compared on many cases (issue 17's verification; the
 * driver is `scripts/verify-oracle.ts`, which runs `verifyChunk` on the worker
 * pool). Each case is computed by the fast tier (`fastLossRounded`, what loss-only
 * rows use; `fastLossAndGrad`, what gradient rows use) and by the decimal.js tier
 * (`oracleLossAndGrad`); a difference is any value the fast tier decided that is
 * not the decimal.js tier's, bit for bit (Object.is: −0 and +0 differ).
 *
 * Sources: every fuzz family (`generateCases`), and adversarial rows built to sit
 * on or near the rounding midpoints of the format:
 * - `midpoint-loss`: [a, −δ] with target 1, a a format value ≥ 1 and δ = ulp(a)/2
 *   (or a few of δ's own ulps from it): the loss a + δ + log1p(e^−(a+δ)) is a
 *   midpoint plus a tail far below it, or within a few ulps of one;
 * - `midpoint-grad`: [x, 0, …] with x = ±odd·2^−(p−1) (or −p): p = σ(x) ≈ 1/2 + x/4
 *   − x³/48 sits about x³/48 off a midpoint of the grid near 1/2;
 * - `subnormal-values`: [0, −d, …] whose loss and smaller component are subnormal in the format;
 * - `tied-classes`: c equal logits (c up to 4096, powers of two included: p = 1/c exactly,
 *   g_t = −(1 − 1/c) a midpoint when c is large), sometimes one class apart;
 * - `masked`: rows with −Infinity and the masks real code uses (−1e9, −1e4, the
 *   format's lowest value), a masked target included.
 *
 * And the batch options (SPEC 6): the fuzz's option families (`opt-weights`, `opt-ignore`,
 * `opt-smoothing`, `opt-soft`, `opt-masked-rows`, `optionBatches`), each task under one of
 * four settings (`OPTION_SETTINGS`, chosen by the task's seed): per row its l_n (the
 * "loss" line) and its gradient under the options (`fastBatch` and `fastRowGrad` against
 * `oracleBatch` and `oracleRowGrad`), and per batch its `sum` and `mean` where the
 * setting reduces (the "batch" line). For these sources a task's `count` is a number of
 * batches (1 to 8 rows each), and `cases` counts rows.
 *
 * And `option-extremes` (mix-4; found missing by review, and it found a wrong mean): batches
 * under options the option families never draw, each with its own options: ε = 1, ε below
 * 2^−900 and any ε in [0, 1]; class weights at the ends of the format (smallest subnormal,
 * smallest normal, max/16, max) and 0; logits large enough that the batch sum overflows the
 * format (40-row batches), and losses and components below 2^−900; rows of 64 and 1,024
 * classes; soft targets, masked classes, fully masked rows, ignore_index, every reduction
 * and masked-rows rule.
 */
import fc from 'fast-check';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { nextUp } from '../float/ordinal.js';
import { generateCases } from '../fuzz/cases.js';
import type { Family } from '../suite/define.js';
import { FAMILIES } from '../suite/define.js';
import { DTYPES } from '../float/dtype.js';
import { fastLossRounded } from './fast.js';
import { fastLossAndGrad } from './fast-grad.js';
import { oracleLossAndGrad } from './grad.js';
import type { BatchOptions, OptionRow } from '../cases/options.js';
import { isBare, resolveWeights, rowKind } from '../cases/options.js';
import type { OptionFamily } from '../fuzz/options.js';
import { OPTION_FAMILIES, optionBatches } from '../fuzz/options.js';
import { oracleBatch, oracleRowGrad } from './batch.js';
import { fastBatch, fastRowGrad } from './fast-batch.js';

export const ADVERSARIAL = ['midpoint-loss', 'midpoint-grad', 'subnormal-values', 'tied-classes', 'masked-classes'] as const;
export type Adversarial = (typeof ADVERSARIAL)[number];

/** Option sources built here, beside the fuzz's option families. */
export const OPTION_ADVERSARIAL = ['option-extremes'] as const;
export type OptionAdversarial = (typeof OPTION_ADVERSARIAL)[number];

export interface VerifyTask {
  readonly source: Family | Adversarial | OptionFamily | OptionAdversarial;
  readonly dtype: Dtype;
  readonly seed: number;
  readonly count: number;
}

/** Counts of one task: cases, and per quantity the cases (rows or components) the fast tier left to decimal.js and the differences. */
export interface VerifyCounts {
  readonly cases: number;
  readonly lossFallback: number;
  readonly lossDifferences: number;
  /** Rows whose gradient had an undecided component, components in all and undecided, differences (components). */
  readonly gradRowFallback: number;
  readonly gradComponents: number;
  readonly gradComponentFallback: number;
  readonly gradDifferences: number;
  /** Option sources only (0 elsewhere): batch values (sum, mean) compared, left to decimal.js, differences. */
  readonly batchValues: number;
  readonly batchFallback: number;
  readonly batchDifferences: number;
  /** The first few differences, for the report. */
  readonly examples: string[];
}

/** ulp of a positive normal value a of the format (a power of two times 2^(1−p)). */
function ulpIn(a: number, dtype: Dtype): number {
  return nextUp(a, dtype) - a;
}

/** The adversarial rows of a source, as fast-check arbitraries (seeded through fc.sample). */
function adversarial(source: Adversarial, dtype: Dtype): fc.Arbitrary<{ logits: number[]; target: number }> {
  const fmt = formatOf(dtype);
  const r = fmt.round;
  const emaxSmall = Math.min(fmt.emax - 1, 30);
  switch (source) {
    case 'midpoint-loss':
      return fc.tuple(fc.integer({ min: 0, max: emaxSmall }), fc.double({ min: 1, max: 2, noNaN: true }), fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 3 })).map(([e, f, k, extra]) => {
        const a = r(f * 2 ** e);
        const half = ulpIn(a, dtype) / 2;
        // δ = ulp(a)/2 + k ulps of δ (k = 0: an exact midpoint, then the tail decides).
        const delta = r(half + k * ulpIn(half, dtype));
        const logits = [a, r(-delta)];
        for (let i = 0; i < extra; i++) logits.push(r(-delta - 8 * (i + 1)));
        return { logits, target: 1 };
      });
    case 'midpoint-grad':
      return fc.tuple(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })), fc.integer({ min: 0, max: 2 ** Math.min(fmt.precision - 2, 20) }), fc.boolean(), fc.integer({ min: 0, max: 2 })).map(([e, m, neg, extra]) => {
        // p = σ(x) = 1/2 + x/4 − x³/48 + …: with x = odd·2^−(p−1) (above 1/2, grid 2^−p) or
        // −odd·2^−p (below, grid 2^−(p+1)), x/4 is a midpoint of the grid and p misses it by
        // about x³/48; e > 0 moves x off that construction.
        const x = r((neg ? -1 : 1) * (2 * m + 1) * 2 ** -(fmt.precision - 1 + (neg ? 1 : 0) + e));
        const logits = [x, 0];
        for (let i = 0; i < extra; i++) logits.push(r(-(i + 1) * 3.5));
        return { logits, target: (m + extra) % logits.length };
      });
    case 'subnormal-values': {
      const lo = -Math.log(fmt.minNormal) - 2;
      const hi = -Math.log(fmt.minSubnormal) + 2;
      return fc.tuple(fc.double({ min: lo, max: hi, noNaN: true }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 })).map(([d, extra, t]) => {
        const logits = [0, r(-d)];
        for (let i = 0; i < extra; i++) logits.push(r(-d - i - 0.5));
        return { logits, target: t };
      });
    }
    case 'tied-classes':
      return fc.tuple(fc.oneof(fc.integer({ min: 2, max: 64 }), fc.constantFrom(2, 4, 8, 16, 256, 1024, 4096)), fc.double({ min: -50, max: 50, noNaN: true }), fc.boolean(), fc.nat()).map(([c, v, apart, t]) => {
        const logits = new Array<number>(c).fill(r(v));
        if (apart) logits[(t >> 3) % c] = r(v - 1);
        return { logits, target: t % c };
      });
    case 'masked-classes': {
      const masks = [-Infinity, r(-1e9), r(-1e4), -fmt.max];
      return fc.tuple(fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 2, maxLength: 8 }), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.nat(), fc.boolean()).map(([xs, which, t, maskTarget]) => {
        const logits = xs.map(r);
        for (const w of which) logits[w % logits.length] = masks[(w >> 3) % masks.length];
        const target = t % logits.length;
        if (maskTarget) logits[target] = -Infinity;
        if (logits.every((x) => x === -Infinity)) logits[(target + 1) % logits.length] = 0;
        return { logits, target };
      });
    }
  }
}

/** The rows of a task: the family's fuzz cases, or an adversarial source's rows, `count` of them from `seed`. */
export function verifyRows(task: VerifyTask): { logits: ArrayLike<number>; target: number }[] {
  if ((ADVERSARIAL as readonly string[]).includes(task.source)) return fc.sample(adversarial(task.source as Adversarial, task.dtype), { seed: task.seed, numRuns: task.count });
  return generateCases(task.source as Family, task.dtype, task.seed, task.count).filter((c) => !c.logits.every((x) => x === -Infinity));
}

/**
 * The counts of one task, kept as the tiers are compared (one place for both kinds
 * of task, so the bare rows and the option rows are judged by the same rules). Each
 * fast value compared is the one the oracle's rounded entry points would use.
 *
 * A fast value is a difference when it is not the decimal.js value bit for bit
 * (`Object.is`: −0 and +0 differ, NaN equals NaN). The fast tiers mark what they
 * leave to decimal.js as `undefined` (losses, batch values) or NaN (gradient
 * components, with the count of such components). A NaN component is skipped as
 * undecided only when its row has undecided components: a row with none is used
 * as it is by the oracle (`oracleRowGradRounded` returns it whole), so a NaN there
 * is an answer and is compared like any other value.
 */
export class Tally {
  private readonly c = { cases: 0, lossFallback: 0, lossDifferences: 0, gradRowFallback: 0, gradComponents: 0, gradComponentFallback: 0, gradDifferences: 0, batchValues: 0, batchFallback: 0, batchDifferences: 0 };
  private readonly examples: string[] = [];

  /** One more row (a case). */
  row(): void {
    this.c.cases++;
  }

  /** A loss (or l_n): `fast` undefined when the fast tier left it to decimal.js; `counted` false for a second loss of a row already counted (the one computed with the gradient). */
  loss(fast: number | undefined, slow: number, where: () => string, label: string, counted = true): void {
    if (fast === undefined) {
      if (counted) this.c.lossFallback++;
    } else if (!Object.is(fast, slow)) {
      this.c.lossDifferences++;
      this.example(`${where()}: ${label} fast ${fast}, decimal.js ${slow}`);
    }
  }

  /** A batch value (sum or mean) of an option batch. */
  batch(fast: number | undefined, slow: number, where: () => string, label: string): void {
    this.c.batchValues++;
    if (fast === undefined) this.c.batchFallback++;
    else if (!Object.is(fast, slow)) {
      this.c.batchDifferences++;
      this.example(`${where()}: ${label} fast ${fast}, decimal.js ${slow}`);
    }
  }

  /** A row's gradient: `fast` with NaN where undecided, `undecided` the fast tier's count of those, `slow` the decimal.js gradient. */
  grad(fast: ArrayLike<number>, slow: ArrayLike<number>, undecided: number, where: () => string, label: string): void {
    this.c.gradComponents += fast.length;
    if (undecided > 0) this.c.gradRowFallback++;
    this.c.gradComponentFallback += undecided;
    let skipped = 0;
    for (let j = 0; j < fast.length; j++) {
      if (undecided > 0 && Number.isNaN(fast[j]) && skipped < undecided) {
        skipped++;
        continue;
      }
      if (!Object.is(fast[j], slow[j])) {
        this.c.gradDifferences++;
        this.example(`${where()}${label} class ${j}: gradient fast ${fast[j]}, decimal.js ${slow[j]}`);
      }
    }
  }

  private example(text: string): void {
    if (this.examples.length < 5) this.examples.push(text);
  }

  result(): VerifyCounts {
    return { ...this.c, examples: this.examples };
  }
}

/** Worker side: both tiers on every row of the task, counted. */
export function verifyChunk(task: VerifyTask): VerifyCounts {
  if ((OPTION_FAMILIES as readonly string[]).includes(task.source) || (OPTION_ADVERSARIAL as readonly string[]).includes(task.source)) return verifyOptionChunk(task);
  const { dtype } = task;
  const tally = new Tally();
  for (const { logits, target } of verifyRows(task)) {
    tally.row();
    const slow = oracleLossAndGrad(logits, target, dtype);
    const where = () => `${task.source} ${dtype} [${Array.from(logits).slice(0, 8).join(', ')}${logits.length > 8 ? ', …' : ''}] target ${target}`;
    tally.loss(fastLossRounded(logits, target, dtype), slow.loss.rounded, where, 'loss');
    const grad = new Float64Array(logits.length);
    const both = fastLossAndGrad(logits, target, dtype, grad);
    tally.loss(both.loss, slow.loss.rounded, where, 'loss (with the gradient)', false);
    tally.grad(grad, slow.grad.rounded, both.undecided, where, '');
  }
  return tally.result();
}

const setting = (o: Partial<BatchOptions>): BatchOptions => ({ weight: undefined, ignoreIndex: undefined, reduction: 'mean', labelSmoothing: 0, maskedRows: 'nan', ...o });

/**
 * The settings an option task runs under (task seed mod 4), over which each family draws
 * its own weights, ignore_index or smoothing: the options suite's three
 * (`suites/options.suite.ts`: mean; sum with `maskedRows: zero`; ε = 0.1 with `maskedRows:
 * ignore`) and reduction none with ε = 0.3.
 */
export const OPTION_SETTINGS: readonly BatchOptions[] = [setting({}), setting({ reduction: 'sum', maskedRows: 'zero' }), setting({ labelSmoothing: 0.1, maskedRows: 'ignore' }), setting({ reduction: 'none', labelSmoothing: 0.3 })];

/**
 * `option-extremes` batches in `dtype` (see the header): each with its own options, so the
 * task's setting is not used. Rows of 64 or 1,024 classes come at most 4 to a batch.
 */
export function optionExtremes(dtype: Dtype): fc.Arbitrary<{ rows: OptionRow[]; options: BatchOptions }> {
  const fmt = formatOf(dtype);
  const r = fmt.round;
  const weightValue = fc.oneof(fc.constantFrom(0, fmt.minSubnormal, fmt.minNormal, 1, r(fmt.max / 16), fmt.max), fc.double({ min: 0.125, max: 8, noNaN: true }).map(r));
  const eps = fc.oneof(fc.constantFrom(0, 1, 2 ** -1074, 2 ** -1000, 1e-300, 1e-10, 0.5), fc.double({ min: 0, max: 1, noNaN: true }));
  const classes = fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 2, max: 8 }) }, { weight: 3, arbitrary: fc.constant(64) }, { weight: 1, arbitrary: fc.constant(1024) });
  const batchRows = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.constant(40) });
  // Large logits: losses up to about 4,000, so 40 rows overflow float16's sum (and weights of max/16 every
  // format's). Not larger: under options a value can lie within e^−(spread) of a dyadic rounding boundary
  // (g_k = U_k/(C·S) with S = 1 + e^−spread), and the decimal.js tier's Ziv loop then needs about
  // spread/2.3 digits; past its 6,144 (a spread above about 14,000) it cannot decide (README, the known
  // defect of the decimal tier under options).
  const big = Math.min(r(fmt.max / 4), 2000);
  const settings = fc.record({
    C: classes,
    n: batchRows,
    scale: fc.constantFrom('moderate', 'large', 'tiny'),
    soft: fc.boolean(),
    masked: fc.integer({ min: 0, max: 3 }),
    weighted: fc.integer({ min: 0, max: 3 }),
    eps,
    ignore: fc.boolean(),
    reduction: fc.constantFrom('mean', 'sum', 'none'),
    maskedRows: fc.constantFrom('nan', 'zero', 'ignore'),
  });
  return settings.chain((s) => {
    const C = s.C;
    const n = C >= 64 ? Math.min(s.n, 4) : s.n;
    // tiny: the target is the maximum (0) and the others are e^−20 to e^−745 below: l_n and g_j down to the subnormals.
    const logit = s.scale === 'moderate' ? fc.double({ min: -8, max: 8, noNaN: true }) : s.scale === 'large' ? fc.double({ min: -big, max: big, noNaN: true }) : fc.double({ min: -745, max: -20, noNaN: true });
    const row = fc.tuple(fc.array(logit, { minLength: C, maxLength: C }), fc.nat(), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: C, maxLength: C }), fc.array(fc.nat(), { maxLength: 2 })).map(([xs, t, q, maskAt]): OptionRow => {
      const logits = xs.map(r);
      if (s.scale === 'tiny') logits[0] = 0;
      // masked: 1 or 2 masked classes in some rows, a fully masked row now and then.
      if (s.masked > 0) for (const m of maskAt) logits[m % C] = -Infinity;
      if (s.masked === 3 && t % 5 === 0) logits.fill(-Infinity);
      const target = s.scale === 'tiny' ? 0 : t % C;
      if (!s.soft) return { logits, target };
      const total = q.reduce((a, b) => a + b, 0) || 1;
      return { logits, target: 0, soft: q.map((v) => r(v / total)) };
    });
    return fc.tuple(fc.array(row, { minLength: n, maxLength: n }), fc.array(weightValue, { minLength: C, maxLength: C }), fc.nat()).map(([rows, w, ig]) => ({
      rows,
      options: { weight: s.weighted === 0 ? undefined : w, ignoreIndex: s.ignore ? ig % C : undefined, reduction: s.reduction, labelSmoothing: s.eps, maskedRows: s.maskedRows } as BatchOptions,
    }));
  });
}

/** Both tiers on every batch of an option task: each row's l_n and gradient, each batch's sum and mean (where it reduces). */
function verifyOptionChunk(task: VerifyTask): VerifyCounts {
  const { dtype } = task;
  const base = OPTION_SETTINGS[task.seed % OPTION_SETTINGS.length];
  const tally = new Tally();
  const batches = task.source === 'option-extremes' ? fc.sample(optionExtremes(dtype), { seed: task.seed, numRuns: task.count }) : optionBatches(task.source as OptionFamily, dtype, base, task.seed, task.count);
  for (const [b, { rows, options }] of batches.entries()) {
    const where = () => `${task.source} ${dtype} seed ${task.seed} batch ${b} (${JSON.stringify({ ...options, weight: options.weight === undefined ? undefined : Array.from(options.weight) })})`;
    const weight = resolveWeights(options, dtype, rows, () => ({}));
    const reduce = options.reduction !== 'none';
    const fast = fastBatch(rows, options, dtype, weight, reduce);
    const slow = oracleBatch(rows, options, dtype, weight, reduce);
    for (const [n, row] of rows.entries()) {
      tally.row();
      tally.loss(fast.rows[n], slow.rows[n].rounded, () => `${where()} row ${n}`, 'l_n');
      // The fast gradient production uses for this row (oracleRowGradRounded in batch.ts): a row the options
      // leave bare (a class target, weight 1, no smoothing) goes to oracleGradRounded's fastLossAndGrad, any
      // other to fastRowGrad. Found in review: this compared fastRowGrad on bare rows too, which production
      // never uses there.
      const grad = new Float64Array(row.logits.length);
      const undecided = rowKind(row, options) === 'loss' && isBare(row, options, weight) ? fastLossAndGrad(row.logits, row.target, dtype, grad).undecided : fastRowGrad(row, options, dtype, weight, grad);
      tally.grad(grad, oracleRowGrad(row, options, dtype, weight), undecided, where, ` row ${n}`);
    }
    if (!reduce) continue;
    tally.batch(fast.sum, slow.sum.rounded, where, 'sum');
    tally.batch(fast.mean, slow.mean.rounded, where, 'mean');
  }
  return tally.result();
}

/**
 * The case mix, as shares of `--cases` per source (each split evenly over the four
 * formats). Adversarial sources come first and take 44%: the midpoint sources most
 * (their rows are the ones a wrong bound would get wrong), tied classes less (rows
 * of up to 4096 classes, the dearest adversarial rows). The nine fuzz families take
 * 51%, `moderate` less than the others (its rows are the widest: about 6 times the
 * cost of a small row in decimal.js). The five option families take 5%, counted in
 * batches of 1 to 8 rows (about 4.5 rows a batch, so about 2·10^6 rows at 10^7), and
 * `option-extremes` 0.02% on top, in batches of 1 to 8 rows or 40 (about 8 rows a batch).
 * Vocabulary rows (32k–50k classes, seconds each) are counted apart: `--vocab` rows
 * per format, by default one per 10^6 cases.
 * Changing a share changes every task after it: bump MIX_VERSION with it, so shard
 * files of another mix are never merged (mix-2: before the option families; mix-3: before
`option-extremes`, which comes on top: the shares sum to 100.02%).
 */
export const MIX: readonly { readonly source: Family | Adversarial | OptionFamily | OptionAdversarial; readonly share: number }[] = [
  { source: 'midpoint-loss', share: 0.12 },
  { source: 'midpoint-grad', share: 0.12 },
  { source: 'subnormal-values', share: 0.08 },
  { source: 'tied-classes', share: 0.04 },
  { source: 'masked-classes', share: 0.08 },
  ...FAMILIES.filter((f) => f !== 'vocab').map((source) => ({ source, share: source === 'moderate' ? 0.03 : 0.06 })),
  ...OPTION_FAMILIES.map((source) => ({ source, share: 0.01 })),
  // Its rows cost about 100 times a small row in decimal.js (many components fall back, wide rows): 0.02%.
  { source: 'option-extremes', share: 0.0002 },
];
export const MIX_VERSION = 'mix-4';

/** One task of the verification: a chunk of one source × dtype, its seed fixed by (seed, source, dtype, chunk index). */
export interface IndexedTask extends VerifyTask {
  /** "source\tdtype": the table's row. */
  readonly key: string;
}

/**
 * The whole task list of a verification run: sources in MIX order (adversarial first), then
 * vocabulary rows (one a task); per source every dtype; chunks of `chunk` rows. The list depends
 * on (total, seed, chunk, vocabRows) only, so a shard (`shardOf`) is the same set of cases whatever
 * the worker count or order.
 */
export function verifyTasks(total: number, seed: number, chunk: number, vocabRows: number): IndexedTask[] {
  const sources = [...MIX.map(({ source, share }) => ({ source, perDtype: Math.max(1, Math.round((total * share) / DTYPES.length)) })), ...(vocabRows > 0 ? [{ source: 'vocab' as const, perDtype: vocabRows }] : [])];
  const tasks: IndexedTask[] = [];
  sources.forEach(({ source, perDtype }, si) => {
    DTYPES.forEach((dtype, di) => {
      for (let c = 0, done = 0; done < perDtype; c++) {
        const count = Math.min(source === 'vocab' ? 1 : chunk, perDtype - done);
        tasks.push({ key: `${source}\t${dtype}`, source, dtype, seed: (seed * 1000003 + si * 104729 + di * 1299709 + c * 7919) >>> 0, count });
        done += count;
      }
    });
  });
  return tasks;
}

/** Indices of shard i of n (1-based i) in a task list of `length`: every n-th task from i − 1, so each shard samples every source and dtype. */
export function shardOf(length: number, i: number, n: number): number[] {
  const out: number[] = [];
  for (let t = i - 1; t < length; t += n) out.push(t);
  return out;
}

/** Counts of one table row, without examples, and the examples with the index of the task that found them. */
export type RowCounts = Omit<VerifyCounts, 'examples'>;
export interface Summed {
  /** Table rows in task order (first appearance of each key). */
  readonly rows: Map<string, RowCounts>;
  /** [task index, text], in task order. */
  readonly examples: [number, string][];
}

const ZERO: RowCounts = { cases: 0, lossFallback: 0, lossDifferences: 0, gradRowFallback: 0, gradComponents: 0, gradComponentFallback: 0, gradDifferences: 0, batchValues: 0, batchFallback: 0, batchDifferences: 0 };

/** Adds `r` (the counts of task `index`, key `key`) into `into`. */
export function addCounts(into: Summed, key: string, index: number, r: VerifyCounts | RowCounts, examples: readonly string[] = []): void {
  const s = into.rows.get(key) ?? ZERO;
  into.rows.set(key, {
    cases: s.cases + r.cases,
    lossFallback: s.lossFallback + r.lossFallback,
    lossDifferences: s.lossDifferences + r.lossDifferences,
    gradRowFallback: s.gradRowFallback + r.gradRowFallback,
    gradComponents: s.gradComponents + r.gradComponents,
    gradComponentFallback: s.gradComponentFallback + r.gradComponentFallback,
    gradDifferences: s.gradDifferences + r.gradDifferences,
    batchValues: s.batchValues + (r.batchValues ?? 0),
    batchFallback: s.batchFallback + (r.batchFallback ?? 0),
    batchDifferences: s.batchDifferences + (r.batchDifferences ?? 0),
  });
  for (const e of examples) into.examples.push([index, e]);
}

/**
 * The report of summed counts: the markdown table (source × dtype × quantity, rows in
 * task order) and the summary line; then up to 10 differences, in task order. The same
 * bytes for the same cases, however they were split into shards.
 */
export function verifyReport(sum: Summed, seed: number, keyOrder: readonly string[]): { text: string; differences: number } {
  const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(3)}%`);
  const lines = ['| source | dtype | quantity | cases | left to decimal.js | share | differences |', '|---|---|---|---:|---:|---:|---:|'];
  let cases = 0;
  let differences = 0;
  let lossFell = 0;
  let gradFell = 0;
  let batchValues = 0;
  let batchFell = 0;
  for (const key of keyOrder) {
    const s = sum.rows.get(key);
    if (s === undefined) continue;
    const [source, dtype] = key.split('\t');
    lines.push(`| ${source} | ${dtype} | loss | ${s.cases} | ${s.lossFallback} | ${pct(s.lossFallback, s.cases)} | ${s.lossDifferences} |`);
    lines.push(`| ${source} | ${dtype} | grad | ${s.cases} rows, ${s.gradComponents} components | ${s.gradRowFallback} rows, ${s.gradComponentFallback} components | ${pct(s.gradRowFallback, s.cases)} of rows | ${s.gradDifferences} |`);
    if (s.batchValues > 0) lines.push(`| ${source} | ${dtype} | batch (sum, mean) | ${s.batchValues} values | ${s.batchFallback} | ${pct(s.batchFallback, s.batchValues)} | ${s.batchDifferences} |`);
    cases += s.cases;
    differences += s.lossDifferences + s.gradDifferences + s.batchDifferences;
    batchValues += s.batchValues;
    batchFell += s.batchFallback;
    lossFell += s.lossFallback;
    gradFell += s.gradRowFallback;
  }
  let text = `${lines.join('\n')}\n\n`;
  text += `${cases} cases (seed ${seed}), each with both tiers for the loss and the gradient: ${differences} differences; left to decimal.js: ${pct(lossFell, cases)} of losses, ${pct(gradFell, cases)} of gradients${batchValues === 0 ? '' : `, ${pct(batchFell, batchValues)} of ${batchValues} batch values (sum, mean)`}\n`;
  const examples = [...sum.examples].sort((a, b) => a[0] - b[0]).slice(0, 10);
  for (const [, e] of examples) text += `DIFFERENCE ${e}\n`;
  return { text, differences };
}
