/**
 * Statistics of paired benchmark rounds: the median and its distribution-free
 * confidence interval from order statistics.
 *
 * For n independent observations of a continuous quantity, the number that fall
 * below the true median is Binomial(n, 1/2), so with X(1) ≤ … ≤ X(n) sorted,
 *
 *     P(X(k) ≤ median ≤ X(n−k+1)) = 1 − 2·P(B ≤ k − 1),  B ~ Binomial(n, 1/2).
 *
 * The interval takes the largest k whose coverage is still ≥ the confidence asked
 * for (W. J. Conover, Practical Nonparametric Statistics, 3rd ed., Wiley 1999,
 * §3.2, "confidence interval for a quantile"; J.-Y. Le Boudec, Performance
 * Evaluation of Computer and Communication Systems, EPFL Press 2010, §2.2.1,
 * Theorem 2.1). No distribution is assumed for the observations: timing ratios
 * are skewed and heavy-tailed on a busy machine, which a t interval ignores.
 * At 95%, n ≥ 6 is needed (n = 6 gives [X(1), X(6)], coverage 96.9%); fewer
 * observations have no such interval and give `undefined` bounds.
 */
import { binomialDistribution, medianSorted, quantileSorted, mean } from 'simple-statistics';

export interface MedianInterval {
  readonly median: number;
  /** Bounds of the interval; undefined when n is too small for the confidence asked for. */
  readonly low: number | undefined;
  readonly high: number | undefined;
  /** The interval's exact coverage, 1 − 2·P(B ≤ k − 1) (≥ the confidence asked for), or undefined. */
  readonly coverage: number | undefined;
  readonly n: number;
}

/** Ranks k (1-based) and coverage of the order-statistic interval [X(k), X(n−k+1)] for the median at `confidence`, or undefined. */
export function medianIntervalRanks(n: number, confidence = 0.95): { k: number; coverage: number } | undefined {
  if (!(n >= 1) || !Number.isInteger(n)) throw new RangeError(`n must be a whole number ≥ 1, got ${n}`);
  const pmf = binomialDistribution(n, 0.5);
  if (pmf === undefined) throw new RangeError(`no binomial distribution for n = ${n}`);
  const alpha = 1 - confidence;
  // Largest k with 2·P(B ≤ k − 1) ≤ alpha; k ≤ n/2 keeps the interval non-empty.
  let best: { k: number; coverage: number } | undefined;
  let cdf = 0;
  for (let k = 1; k <= Math.ceil(n / 2); k++) {
    cdf += pmf[k - 1] ?? 0; // P(B ≤ k − 1)
    if (2 * cdf > alpha) break;
    best = { k, coverage: 1 - 2 * cdf };
  }
  return best;
}

/** The median of `values` and its distribution-free order-statistic confidence interval (see the module comment). */
export function medianInterval(values: readonly number[], confidence = 0.95): MedianInterval {
  if (values.length === 0) throw new RangeError('no values');
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const ranks = medianIntervalRanks(n, confidence);
  return {
    median: medianSorted(sorted),
    low: ranks === undefined ? undefined : sorted[ranks.k - 1],
    high: ranks === undefined ? undefined : sorted[n - ranks.k],
    coverage: ranks?.coverage,
    n,
  };
}

/** Per-call timings of a task over its rounds, as bench.csv reports them (ms). */
export interface TimingSummary {
  /** Mean over rounds of the mean per-call time of the round. */
  readonly meanMs: number;
  /** 99th percentile of the rounds' per-call times (linear interpolation, simple-statistics' quantileSorted). */
  readonly p99Ms: number;
  /**
   * Relative margin of error, %: half the width of the 95% order-statistic interval of
   * the median per-call time, over that median; undefined where n < 6 gives no interval.
   */
  readonly rmePct: number | undefined;
  /** Rounds (each one timed block of calls). */
  readonly samples: number;
}

export function summariseTimings(perCallMs: readonly number[]): TimingSummary {
  const sorted = [...perCallMs].sort((a, b) => a - b);
  const m = medianInterval(sorted);
  const rmePct = m.low === undefined || m.high === undefined ? undefined : (100 * (m.high - m.low)) / 2 / m.median;
  return { meanMs: mean(sorted), p99Ms: quantileSorted(sorted, 0.99), rmePct, samples: sorted.length };
}
