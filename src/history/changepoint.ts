/**
 * Change points of a benchmark series: a penalised piecewise-constant fit,
 * solved exactly by PELT (R. Killick, P. Fearnhead, I. A. Eckley, "Optimal
 * detection of changepoints with a linear computational cost", JASA 107 (2012)
 * 1590–1598), the method of R's `changepoint` package; asv's `step_detect`
 * fits the same kind of model.
 *
 * Model: the values (natural logs of relative_to_reference, so that a change is a
 * ratio) are a constant mean per segment plus noise of variance σ². Cost of a
 * segment: Σ (y − ȳ)² / σ²  (twice the negative Gaussian log-likelihood, up to
 * a constant). σ is estimated from successive differences, σ̂ = sd(Δy)/√2 (von
 * Neumann's mean square successive difference, Ann. Math. Stat. 12 (1941)
 * 367–395): a single step adds one large difference, so it inflates σ̂ far less
 * than it would the series' own variance.
 * Penalty per change point: β = 3·ln n, the modified BIC of Zhang & Siegmund
 * (Biometrics 63, 2007) that `changepoint` uses by default (MBIC), stricter than
 * BIC's 2·ln n against false alarms on short series. Segments have at least
 * MIN_SEGMENT points, so a single outlying run is not a change.
 */
import { sampleStandardDeviation } from 'simple-statistics';

export const MIN_SEGMENT = 2;
/** β = PENALTY_FACTOR · ln n (MBIC). */
export const PENALTY_FACTOR = 3;
/** Smallest noise scale, in log units: a 0.01% change, below any timer's resolution; a flat series then splits only at real steps. */
export const SIGMA_FLOOR = 1e-4;

/** Noise scale from successive differences (von Neumann); 0 when the series is flat or shorter than 3. */
export function noiseScale(y: readonly number[]): number {
  if (y.length < 3) return 0;
  const d = y.slice(1).map((v, i) => v - y[i]);
  return sampleStandardDeviation(d) / Math.SQRT2;
}

/**
 * Indices (0-based) where a new segment starts, in increasing order; empty when
 * the series is best fitted by one constant (or too short: < 2·MIN_SEGMENT).
 * `sigma` defaults to `noiseScale(y)`, floored at SIGMA_FLOOR.
 */
export function changePoints(y: readonly number[], sigma = noiseScale(y), penaltyFactor = PENALTY_FACTOR): number[] {
  const n = y.length;
  if (n < 2 * MIN_SEGMENT) return [];
  // Centred, so the prefix sums do not cancel; σ floored at SIGMA_FLOOR (log units).
  const mean = y.reduce((s, v) => s + v, 0) / n;
  const scale = Math.max(sigma, SIGMA_FLOOR);
  const s1 = [0];
  const s2 = [0];
  for (const v of y) {
    const z = (v - mean) / scale;
    s1.push(s1[s1.length - 1] + z);
    s2.push(s2[s2.length - 1] + z * z);
  }
  /** Cost of y[a..b) in units of σ². */
  const cost = (a: number, b: number) => {
    const m = b - a;
    const s = s1[b] - s1[a];
    return Math.max(0, s2[b] - s2[a] - (s * s) / m);
  };
  const beta = penaltyFactor * Math.log(n);
  const F = new Array<number>(n + 1).fill(Infinity);
  const last = new Array<number>(n + 1).fill(0);
  F[0] = -beta;
  let candidates: number[] = [0];
  for (let t = MIN_SEGMENT; t <= n; t++) {
    let best = Infinity;
    let arg = 0;
    const values: number[] = [];
    for (const tau of candidates) {
      const v = t - tau >= MIN_SEGMENT ? F[tau] + cost(tau, t) + beta : Infinity;
      values.push(v);
      if (v < best) {
        best = v;
        arg = tau;
      }
    }
    F[t] = best;
    last[t] = arg;
    // PELT pruning: a τ whose F(τ) + C(τ, t) exceeds F(t) can never be optimal later (the cost is additive over splits).
    candidates = candidates.filter((tau, i) => !(t - tau >= MIN_SEGMENT && values[i] - beta > F[t]));
    candidates.push(t);
  }
  const out: number[] = [];
  for (let t = n; t > 0; t = last[t]) if (last[t] > 0) out.push(last[t]);
  return out.reverse();
}
