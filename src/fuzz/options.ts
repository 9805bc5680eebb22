/**
 * Fuzzing under PyTorch's batch options (SPEC 6; issue 15): a suite's `options`
 * (one setting, or a list of settings to sweep) applied to batches drawn by five
 * option families, every pipeline's per-row l_n, the reduction's batch value and
 * (with `fuzz.quantities` grad) the gradient of each l_n scored against the oracle
 * (src/oracle/batch.ts) as the bare fuzz scores its cases.
 *
 * Families (each draws what it is about and takes the rest from the setting):
 *
 * | family | draws |
 * |---|---|
 * | `opt-weights` | class weights 2^u, u ∈ [−3, 3], a fifth of them 0 |
 * | `opt-ignore` | ignore_index a class; each row's target it with probability 0.4, and one batch in six every row (the mean's 0/0) |
 * | `opt-smoothing` | ε = 10^u, u uniform in [−4, log10 0.5] |
 * | `opt-soft` | soft targets, one of four kinds per row: one-hot, near one-hot (1 − δ, δ ∈ [10^−6, 10^−1] spread), uniform, sparse (2–3 classes) |
 * | `opt-masked-rows` | fully masked rows (probability 0.3) and masked classes (probability 0.3 a row) |
 *
 * A batch: 1 to 8 rows of 2 to 12 classes (PyTorch's composition costs C kernel
 * calls a row), or, under a setting that gives `weight`, of exactly as many classes
 * as weights (PyTorch refuses a weight whose size is not C; repeating the weights over
 * other class counts would test weights the researcher never gave), logits `offset + scale·N(0, 1)` rounded to the dtype, the offset 0
 * or a fraction of exp's overflow threshold, the scale 10^u, u ∈ [−1, 2]. Every
 * random choice comes from mulberry32 seeded by the suite seed, the setting, the
 * dtype and the family (`optionSeed`): same seed, same batches.
 *
 * Report rows (fuzz.csv, SPEC 5's columns unchanged) are keyed (pipeline, dtype,
 * compute, quantity) as every row, and told apart by `family`: `opt-weights` holds
 * the per-row l_n (quantity `loss`) or their gradients (`grad`), `opt-weights@mean`
 * (or `@sum`, the setting's reduction) the batch value of each batch (quantity
 * `loss`, `cases` = batches). With a list of settings, each family name ends in the
 * setting's index: `opt-weights#1`, `opt-weights#1@mean`. `seed` is the family's
 * seed. A value whose oracle is NaN (a fully masked row under `nan`, a mean over
 * ignored rows only) is not judged, as the bare fuzz leaves a fully masked row's
 * gradient out. A failing row of a batch gets failures.csv rows, is shrunk and
 * replays (option-failures.ts); the batch values are counted in fuzz.csv only.
 */
import type { BatchOptions, OptionRow } from '../cases/options.js';
import { DEFAULT_OPTIONS, resolveWeights } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';
import { DTYPES, formatOf } from '../float/dtype.js';
import type { BatchRounded } from '../oracle/batch.js';
import { oracleBatchRounded, oracleRowGradRounded } from '../oracle/batch.js';
import { pipelineBatch, pipelineRowGrad } from '../pipelines/options.js';
import type { Pipeline } from '../pipelines/types.js';
import { runsIn } from '../pipelines/variant.js';
import type { Suite } from '../suite/load.js';
import type { Family } from '../suite/define.js';
import { FAMILIES } from '../suite/define.js';
import { InputError } from '../util/errors.js';
import { mulberry32 } from '../util/random.js';
import type { UnitStats } from './campaign.js';
import { addGrad, addLoss, emptyStats } from './campaign.js';
import { expOverflowAt } from './families.js';
import type { OptionFailure } from './option-failures.js';
import { optionFailureRows } from './option-failures.js';
import { ulpDistance } from '../float/ordinal.js';

export const OPTION_FAMILIES = ['opt-weights', 'opt-ignore', 'opt-smoothing', 'opt-soft', 'opt-masked-rows'] as const;
export type OptionFamily = (typeof OPTION_FAMILIES)[number];

/** Batches per setting × dtype × family. */
export const OPTION_BATCHES = 16;

/** Whether a suite fuzzes options: it gave `options` other than the bare default (opt-in; the ci and default suites do not). */
export function fuzzesOptions(suite: Pick<Suite, 'options'>): boolean {
  const o = suite.options;
  const bare = (s: BatchOptions) => (Object.keys(DEFAULT_OPTIONS) as (keyof BatchOptions)[]).every((k) => s[k] === DEFAULT_OPTIONS[k]);
  return !(o.length === 1 && bare(o[0]));
}

/** The family column of an option row: `opt-weights`, `opt-weights#1` (setting 1 of a list), `…@mean` for the batch values. */
export function optionFamilyName(family: OptionFamily, setting: number | undefined, batch?: 'mean' | 'sum'): string {
  return `${family}${setting === undefined ? '' : `#${setting}`}${batch === undefined ? '' : `@${batch}`}`;
}

/** Whether a fuzz.csv family is an option row's (the summary's options section, merge). */
export function isOptionFamily(family: string): boolean {
  return (OPTION_FAMILIES as readonly string[]).includes(family.replace(/(#\d+)?(@(mean|sum))?$/, ''));
}

/** A seed per setting × dtype × family, from the suite seed (FNV-1a over the names, then mixed). */
export function optionSeed(suiteSeed: number, setting: number, dtype: Dtype, family: OptionFamily): number {
  let h = 0x811c9dc5 ^ (suiteSeed >>> 0) ^ Math.floor(suiteSeed / 2 ** 32);
  for (const ch of `${setting}|${dtype}|${family}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

/** One batch of an option family: its rows and the setting it runs under (the family's draws over the suite's setting). */
export interface OptionBatch {
  readonly rows: OptionRow[];
  readonly options: BatchOptions;
}

/**
 * The batches of one family in one dtype under one setting, deterministic in `seed`.
 * Logits, weights and soft targets are values of the dtype.
 */
export function optionBatches(family: OptionFamily, dtype: Dtype, base: BatchOptions, seed: number, count: number = OPTION_BATCHES): OptionBatch[] {
  const rnd = mulberry32(seed);
  const round = formatOf(dtype).round;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const limit = formatOf(dtype).max / 2;
  const out: OptionBatch[] = [];
  for (let b = 0; b < count; b++) {
    const drawn = int(2, 12);
    // A setting's weights name its classes (PyTorch requires weight of size C): its batches have that many; opt-weights draws its own.
    const C = base.weight !== undefined && family !== 'opt-weights' ? base.weight.length : drawn;
    const N = int(1, 8);
    const offset = rnd() < 0.5 ? 0 : (rnd() < 0.5 ? 1 : -1) * expOverflowAt(dtype) * (0.5 + rnd());
    const scale = 10 ** (-1 + 3 * rnd());
    const rows: OptionRow[] = [];
    let options: BatchOptions = base;
    if (family === 'opt-weights') options = { ...base, weight: Array.from({ length: C }, () => (rnd() < 0.2 ? 0 : round(2 ** (-3 + 6 * rnd())))) };
    if (family === 'opt-smoothing') options = { ...base, labelSmoothing: 10 ** (-4 + (4 + Math.log10(0.5)) * rnd()) };
    const ignore = int(0, C - 1);
    const allIgnored = rnd() < 1 / 6;
    if (family === 'opt-ignore') options = { ...base, ignoreIndex: ignore };
    for (let n = 0; n < N; n++) {
      const logits = Float64Array.from({ length: C }, () => round(Math.max(-limit, Math.min(limit, offset + scale * gauss()))));
      let target = int(0, C - 1);
      let soft: Float64Array | undefined;
      if (family === 'opt-ignore' && (allIgnored || rnd() < 0.4)) target = ignore;
      if (family === 'opt-soft') soft = softTarget(C, target, rnd, round);
      if (family === 'opt-masked-rows') {
        if (rnd() < 0.3) logits.fill(-Infinity);
        else if (rnd() < 0.3) logits[int(0, C - 1)] = -Infinity;
      }
      rows.push({ logits, target, soft });
    }
    out.push({ rows, options });
  }
  return out;
}

/** A soft target of one of four kinds: one-hot, near one-hot, uniform, sparse; values of the dtype. */
function softTarget(C: number, t: number, rnd: () => number, round: (x: number) => number): Float64Array {
  const q = new Float64Array(C);
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) q[t] = 1;
  else if (kind === 1) {
    const delta = 10 ** (-6 + 5 * rnd());
    q.fill(delta / (C - 1));
    q[t] = 1 - delta;
  } else if (kind === 2) q.fill(1 / C);
  else {
    const k = Math.min(C, 2 + Math.floor(rnd() * 2));
    let total = 0;
    for (let i = 0; i < k; i++) {
      const c = Math.floor(rnd() * C);
      const v = 0.1 + rnd();
      q[c] += v;
      total += v;
    }
    for (let c = 0; c < C; c++) q[c] /= total;
  }
  return q.map(round);
}

/** Whether a pipeline can be fuzzed with soft targets: not one that computes l_n itself from class-index targets (an external process, SPEC 7 frames). */
export function takesSoftTargets(p: Pipeline): boolean {
  return p.optionLosses === undefined;
}

/** The note `fuzz` prints when the suite fuzzes options (`fuzzesOptions`: not the one bare setting of a suite without `options`) and some pipelines are left out of the opt-soft family; undefined otherwise. */
export function softTargetNote(suite: Pick<Suite, 'pipelines' | 'options'>): string | undefined {
  return softTargetLeftOut(fuzzesOptions(suite) ? suite.pipelines.filter((p) => !takesSoftTargets(p)).map((p) => p.name) : []);
}

/** The words of that note for the named pipelines (summary.md's Options section says the same); undefined for none. */
export function softTargetLeftOut(names: readonly string[]): string | undefined {
  return names.length === 0 ? undefined : `${names.join(', ')} not run in opt-soft: a frame carries class-index targets only (SPEC 7); their other option rows run`;
}

/**
 * The option rows of a campaign (see the file comment): per pipeline, dtype, compute
 * and quantity (the suite's order, as the bare rows), then setting and family, the
 * per-row statistics and, for a `mean` or `sum` setting, the batch values'. With
 * `failureRows`, each per-row statistic with failures gets its failures.csv rows
 * there (worst and shrunk: option-failures.ts).
 */
export function optionStats(suite: Suite, failureRows?: Map<UnitStats, string[][]>): UnitStats[] {
  const settings = suite.options;
  const listed = settings.length > 1;
  const dtypes = DTYPES.filter((d) => suite.dtypes.includes(d));
  // Oracle values once per setting × dtype × family.
  const work = new Map<string, { batches: OptionBatch[]; weights: (Float64Array | undefined)[]; oracle: BatchRounded[]; grads: Float64Array[][] | undefined; seed: number }>();
  const withGrad = suite.fuzz.quantities.includes('grad');
  for (const [s, setting] of settings.entries()) {
    for (const dtype of dtypes) {
      for (const family of OPTION_FAMILIES) {
        const seed = optionSeed(suite.seed, s, dtype, family);
        const batches = optionBatches(family, dtype, setting, seed);
        const weights = batches.map((b) => resolveWeights(b.options, dtype, b.rows, () => ({})));
        const oracle = batches.map((b, i) => oracleBatchRounded(b.rows, b.options, dtype, weights[i], b.options.reduction !== 'none'));
        const grads = withGrad ? batches.map((b, i) => b.rows.map((r) => oracleRowGradRounded(r, b.options, dtype, weights[i]))) : undefined;
        work.set(`${s}|${dtype}|${family}`, { batches, weights, oracle, grads, seed });
      }
    }
  }
  const out: UnitStats[] = [];
  for (const p of suite.pipelines) {
    for (const dtype of dtypes) {
      if (!runsIn(p, dtype)) continue;
      const budget = suite.budgets[p.name];
      for (const compute of suite.compute[dtype]) {
        const v = { dtype, compute };
        for (const quantity of suite.fuzz.quantities) {
          for (const [s, setting] of settings.entries()) {
            for (const family of OPTION_FAMILIES) {
              if (family === 'opt-soft' && !takesSoftTargets(p)) continue;
              const w = work.get(`${s}|${dtype}|${family}`)!;
              const unit = (name: string, runs: number) => ({ dtype, family: name as Family, seed: w.seed, runs });
              const rowStats = emptyStats(p.name, compute, quantity, unit(optionFamilyName(family, listed ? s : undefined), 0), 0);
              const reduction = setting.reduction === 'none' ? undefined : setting.reduction;
              const batchStats = reduction === undefined || quantity === 'grad' ? undefined : emptyStats(p.name, compute, 'loss', unit(optionFamilyName(family, listed ? s : undefined, reduction), w.batches.length), 0);
              let judged = 0;
              const failures: OptionFailure[] = [];
              // A pipeline that throws is the user's code: exit 2 naming it (as the bare fuzz's PipelineThrew).
              const guarded = <T>(i: number, run: () => T): T => {
                try {
                  return run();
                } catch (err) {
                  const why = err instanceof Error ? err.message : String(err);
                  throw new InputError(`pipeline ${p.name} threw on batch ${i} of ${family} ${dtype} under options setting ${s}: ${why}; fix the pipeline or remove it from the suite`, suite.file, undefined, `pipelines[${suite.pipelines.indexOf(p)}]`);
                }
              };
              w.batches.forEach((b, i) => {
                if (quantity === 'loss') {
                  const got = guarded(i, () => pipelineBatch(p, v, b.rows, b.options, w.weights[i]));
                  b.rows.forEach((_, n) => {
                    const want = w.oracle[i].rows[n];
                    if (Number.isNaN(want)) return;
                    judged++;
                    const verdict = addLoss(rowStats, got.rows[n], want, budget);
                    if (verdict.outcome !== 'ok') failures.push({ batch: i, row: n, outcome: verdict.outcome, error: ulpDistance(got.rows[n], want, dtype) });
                  });
                  if (batchStats !== undefined && reduction !== undefined) {
                    const want = w.oracle[i][reduction];
                    if (!Number.isNaN(want)) {
                      batchStats.cases++;
                      addLoss(batchStats, got[reduction], want, budget);
                    }
                  }
                } else {
                  b.rows.forEach((r, n) => {
                    const want = w.grads![i][n];
                    if (want.length > 0 && Number.isNaN(want[0])) return;
                    const g = guarded(i, () => pipelineRowGrad(p, v, r, b.options, w.weights[i]));
                    if (g === undefined) return;
                    const verdict = addGrad(rowStats, g, want, budget);
                    if (verdict.outcome !== 'ok') failures.push({ batch: i, row: n, outcome: verdict.outcome, error: verdict.normUlp });
                  });
                }
              });
              if (quantity === 'loss') rowStats.cases = judged;
              if (rowStats.cases > 0) out.push(rowStats);
              if (failureRows !== undefined && failures.length > 0) {
                const limits = { record: Math.max(...Object.values(suite.fuzz.failures)), attempts: suite.fuzz.shrink.attempts, steps: suite.fuzz.shrink.steps };
                failureRows.set(rowStats, optionFailureRows({ pipeline: p, variant: v, quantity, budget }, rowStats.unit.family, w.seed, w.batches, w.weights, failures, limits));
              }
              if (batchStats !== undefined && batchStats.cases > 0) out.push(batchStats);
            }
          }
        }
      }
    }
  }
  return out;
}

/** A fuzz.csv family's place within its key (campaign order, merge): the bare families in FAMILIES order, then the option rows in the order written. */
export function familyRank(family: string): number {
  const i = (FAMILIES as readonly string[]).indexOf(family);
  return i >= 0 ? i : FAMILIES.length;
}
