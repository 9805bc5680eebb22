/**
 * The oracle's fast tier for float64 losses: the loss in double-double arithmetic
 * (about 106 bits) with a rigorous error bound carried along, then the rounding
 * test (Ziv 1991; the shape of CORE-MATH's functions). When the enclosing
 * interval holds no rounding midpoint of binary64, its double is the correctly
 * rounded loss; otherwise `rounded` is undefined and the caller uses the decimal.js
 * tier (`loss.ts`), never a guess (SPEC section 8). `fast.ts` serves the formats
 * of at most 24 bits with plain double arithmetic; a float64 loss needs this one.
 *
 * Same form as `loss.ts` and `fast.ts`: k the first maximum, m = x[k], t the
 * target, D = m − x[t] ≥ 0,
 *
 *     loss = D + log1p(T),   T = Σ_{j≠k} exp(x_j − m).
 *
 * u = 2^−53 (binary64's unit roundoff), η = 2^−1074 (the smallest subnormal).
 * Each step and its error bound, absolute unless said otherwise:
 *
 * 1. D = Dh + Dl and x_j − m = dh + dl exactly (TwoSum: Knuth, TAOCP vol. 2, 4.2.2).
 * 2. exp(dh + dl) for dh ≥ −760 (below, the term is < 2^−1096: counted as 0 with
 *    that error; a term scaled below 2^−1022 carries an absolute error of 2η). Reduction (Tang, "Table-driven implementation of the exponential
 *    function", ACM TOMS 15(2), 1989): kk = round(dh·N/ln2), N = 2048, kk = Nq + i,
 *    dh + dl = kk·ln2/N + r. ln2/N = C1 + C2 + C3 with C1 of 31 bits, so kk·C1 is
 *    exact (|kk| < 760·N/ln2 < 2^22) and dh − kk·C1 is exact (a multiple of the finer of the two
 *    last places, ≥ 2^−66 as |dh| ≥ ln2/(2N) when kk ≠ 0, below 2^−12 in magnitude); kk·C2 is taken exactly by Dekker's
 *    TwoProd; what is left (kk·C3, the low parts, dl) is summed in double. So
 *    r = rh + rl with |r − r_true| ≤ 2^−90 (|kk·C3| < 2^−73 and its neighbours carry
 *    relative errors of u; the tables' own error, 10^−40, is below 2^−132).
 *    |rh| ≤ ln2/4096 + 2^−40 < 2^−12.5. (N was 256 at first; 2048 makes the
 *    rounding errors of step 3, 8.2u·rh², 64 times smaller, about 2^−75: a
 *    50,257-class gradient then has a component undecided in about one row in 20.)
 * 3. expm1(r) = E + rl·(1 + E) + rl²/2·(1 + E) + …, E = expm1(rh) = rh + rh²·p(rh),
 *    p = 1/2 + rh/6 + rh²/24 + rh³/120 + rh⁴/720: expm1(r) = rh + s with
 *    s = rl + rl·(rh + rh²·p) + rh²·p in double. Roundings: the 12 operations
 *    of s plus the ~5 of step 4 that act on s, each of relative u on a quantity
 *    below |rl|(1 + |rh|) + 0.51·rh², so 16u·(|rl|(1 + |rh|) + 0.51·rh²) bounds
 *    them; the series left out is below |rh|^7/5000·(1 + |rl|) (rh^7/7! and the
 *    rest, < 1.01 of it), and the rl² terms below rl². Call their sum ε_s.
 *    (A first version had rl·rh in place of rl·(rh + rh²·p): the missing
 *    rl·rh²/2 reaches 2^−64.8 relative for |dh| > 512, and a review found float64
 *    losses rounded the wrong way; they are tests in fast.test.ts.)
 * 4. A term is 2^q · (TH_i + TL_i) · (1 + rh + s), TH_i + TL_i = 2^(i/N) to 2^−106
 *    relative; the products TH_i·rh by TwoProd, the rest in double: relative error
 *    ≤ ε_s·1.01 + 2^−100 (e^(2^−90) − 1 < 2^−89 for step 2's error included). Scaling
 *    by 2^q is exact unless a part lands below 2^−1022: then 2η more.
 * 5. T = Σ terms, double-double: highs by TwoSum (exact), every rounding error and
 *    low part into one double accumulator: |ΔT| ≤ γ_{2n}·A, A = Σ |inputs of that
 *    accumulator| (Higham 2002, eq. (4.4); γ_k = ku/(1 − ku)), plus the terms' own
 *    errors ε_t·T + 2η·n (derived in full at `shiftedSum64`, the one summation).
 * 6. log1p(T): y0 = Math.log1p(Th) (fdlibm, stated error < 1 ulp; we allow 2), then
 *    one Newton step for f(y) = e^y − 1 − T: y1 = y0 + (T − M)/(1 + M), M = expm1(y0)
 *    by steps 2–4 (for |y0| < ln2/4096 the reduction is empty and M = rh + s keeps
 *    its relative accuracy; otherwise M = e^y0 − 1 in double-double with
 *    M ≥ 0.000169, losing at most 13 bits). The step's own error: with Δ = y0 − y*,
 *    y1 − y* = e^(−Δ) − 1 + Δ ∈ [0, 0.51·Δ²]; |Δ| ≤ 2^−50·y* + |Tl|. A perturbation
 *    of T or M by ε moves y1 by ε/(1 + M).
 * 7. loss = D + y as a double-double; the final roundings add 2^−100·loss.
 * 8. Rounding test: with the result renormalised to Lh + Ll (|Ll| ≤ ulp(Lh)/2),
 *    Lh is the correctly rounded loss when Ll ± E lies strictly between the
 *    half-ulps below and above Lh (the one below is a quarter ulp at a power of
 *    two; above the largest double, the half-ulp is the overflow threshold).
 *    Losses below 2^−1000 (subnormal or near it) go to the slow tier, and so do
 *    rows whose D overflows a double.
 *
 * The bound is a few times 2^−66 of the loss for rows up to 10^5 classes: it
 * decides all but about one loss in 10^3 to 10^4 (those within the bound of a
 * midpoint); the verification test counts them.
 */
import { Decimal } from 'decimal.js';
import { exactDecimalString } from './exact.js';

const U = 2 ** -53;
const ETA = 2 ** -1074;
/** Table size: 2^(i/N), i = 0..N−1. */
const N = 2048;
const SPLITTER = 134217729; // 2^27 + 1, Dekker's split
const ROUNDER = 6755399441055744; // 1.5·2^52: x + ROUNDER − ROUNDER rounds x (|x| < 2^51) to an integer
const INV_LN2_N = N / Math.LN2;

/** ln2/N = C1 + C2 + C3 (C1: 31 significant bits) from decimal.js at 40 digits, and 2^(i/N) = TH[i] + TL[i] (below). */
const D40 = Decimal.clone({ precision: 40 });
const [C1, C2, C3] = (() => {
  const c = D40.ln(2).div(N);
  const hi = Number(c.toString());
  const c1 = Math.trunc(hi * 2 ** 42) / 2 ** 42; // ln2/2048 ∈ [2^−12, 2^−11): 42 fractional bits = 31 significant
  const rest = c.minus(exactDecimalString(c1));
  const c2 = Number(rest.toString());
  const c3 = Number(rest.minus(exactDecimalString(c2)).toString());
  return [c1, c2, c3];
})();
const TH = new Float64Array(N);
const TL = new Float64Array(N);
{
  // 2^(i/N) = (2^(1/N))^i by repeated products at 50 digits (one pow per entry took ~1 s at load):
  // each product and the base add a relative 10^−49 at most, 2·2048·10^−49 < 10^−45 in all, below
  // the tables' stated 10^−40.
  const D50 = Decimal.clone({ precision: 50 });
  const base = new D50(2).pow(new D50(1).div(N));
  let v = new D50(1);
  for (let i = 0; i < N; i++) {
    TH[i] = Number(v.toString());
    TL[i] = Number(v.minus(exactDecimalString(TH[i])).toString());
    v = v.times(base);
  }
}

/** 2^q for q = −POW2_BIAS … 1023 (a table: Math.pow per term was a tenth of the loss tier's time). */
const POW2_BIAS = 1100;
const POW2 = new Float64Array(POW2_BIAS + 1024);
for (let q = -POW2_BIAS; q <= 1023; q++) POW2[q + POW2_BIAS] = 2 ** q;
const TWO_M90 = 2 ** -90;
const TWO_M960 = 2 ** -960;

// Results of the helpers (module state: the tier allocates nothing per term).
let hi = 0;
let lo = 0;
/** Error bound of the last `expDD`, relative to its result. */
let expRel = 0;
/** The last `expDD` result (minusOne false) as 2^expQ·(expUh + expUl), unscaled: relative accuracy kept at any size (the caller scales it). */
let expUh = 0;
let expUl = 0;
let expQ = 0;

/** Dekker's TwoProd: a·b = hi + lo exactly (|a|, |b| < 2^995). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  hi = p;
  lo = ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * Steps 2–4. Leaves e^(dh + dl) as 2^expQ·(expUh + expUl), unscaled,
 * when `minusOne` is false, and e^(dh + dl) − 1 as hi + lo when it is true (exactly the
 * same arithmetic, the 1 taken out before the table product when kk = 0, and by
 * TwoSum otherwise); expRel bounds the relative error of the result.
 */
function expDD(dh: number, dl: number, minusOne: boolean): void {
  const kk = dh * INV_LN2_N + ROUNDER - ROUNDER;
  let rh: number;
  let rl: number;
  if (kk === 0) {
    rh = dh;
    rl = dl;
  } else {
    const r1 = dh - kk * C1; // exact (step 2)
    twoProd(kk, C2);
    const s = r1 - hi;
    const bb = s - r1;
    const e = r1 - (s - bb) + (-hi - bb);
    rh = s;
    rl = e - lo - kk * C3 + dl;
  }
  const p = 0.5 + rh * (1 / 6 + rh * (1 / 24 + rh * (1 / 120 + rh * (1 / 720))));
  // expm1(rh + rl) = E + rl·(1 + E) + O(rl²), E = expm1(rh) = rh + rh²·p: the cross term rl·E in
  // full (rl·rh alone left out rl·rh²/2, up to 2^−64.8 relative when |dh| > 512: found in review).
  const e2 = rh * rh * p;
  const s = rl + rl * (rh + e2) + e2;
  const arh = Math.abs(rh);
  // Step 3's bound; with kk = 0 there was no reduction (r = dh + dl exactly), else step 2's 2^−90.
  const rh2 = rh * rh;
  const epsS = 16 * U * (Math.abs(rl) * (1 + arh) + 0.51 * rh2) + ((rh2 * rh2 * rh2 * arh) / 5000) * (1 + Math.abs(rl)) + rl * rl + (kk === 0 ? 0 : TWO_M90);
  if (kk === 0) {
    // e^r = 1 + (rh + s); for expm1 the 1 is never added. rh + s by TwoSum (|s| may exceed |rh|).
    const em1h = rh + s;
    const bm = em1h - rh;
    const em1l = rh - (em1h - bm) + (s - bm);
    if (minusOne) {
      hi = em1h;
      lo = em1l;
      // Relative to |expm1(r)| ≥ 0.99·|r| (|r| < 2^−12.5), and r ≈ rh + rl.
      const mag = Math.abs(em1h);
      expRel = mag === 0 ? Infinity : (epsS * 1.02) / mag + 2 ** -100;
    } else {
      const h = 1 + em1h;
      const l = em1h - (h - 1) + em1l;
      expUh = h;
      expUl = l;
      expQ = 0;
      expRel = epsS * 1.02 + 2 ** -100;
    }
    return;
  }
  const ki = kk | 0;
  const i = ki & (N - 1);
  const q = (ki - i) / N;
  // (TH + TL)(1 + rh + s) = TH + TH·rh + (TH·s + TL + TL·(rh + s)).
  const th = TH[i];
  twoProd(th, rh);
  const ph = hi;
  const pl = lo;
  const h = th + ph;
  const bb = h - th;
  const e = th - (h - bb) + (ph - bb);
  let l = e + pl + th * s + TL[i] + TL[i] * (rh + s);
  let hh = h;
  expRel = epsS * 1.02 + 2 ** -100;
  if (minusOne) {
    // e^y0 − 1 with y0 ∈ (ln2/4096, 12]: q ≥ 0, no scaling below 2^−1022.
    const scale = 2 ** q;
    hh *= scale;
    l *= scale;
    // Exact: hh ∈ (1, 2) gives hh − 1 by Sterbenz's lemma; hh ≥ 2 has an ulp that divides 1.
    const m = hh - 1;
    const mm = m + l;
    hi = mm;
    lo = l - (mm - m);
    // Relative to e^y0 − 1 ≥ 0.000169 the error of e^y0 grows by e^y0/(e^y0 − 1) ≤ 5910.
    expRel = (expRel * (hh + Math.abs(l))) / Math.max(mm, 1e-300) + 2 ** -100;
    return;
  }
  expUh = hh;
  expUl = l;
  expQ = q; // ≥ −1100 as dh ≥ −760
}

/** `divDD`'s result: the quotient's high and low parts. */
export const ddQuotient = new Float64Array(2);
/** Relative error bound of `divDD`. */
export const DIV_DD_REL = 2 ** -98;
/**
 * Double-double division (Dekker 1971's div2): (xh + xl)/(yh + yl) as
 * ddQuotient[0] + ddQuotient[1], within a relative 2^−98 of the exact quotient.
 * Preconditions: xh, yh > 0, |xl| ≤ 2^−52·xh, |yl| ≤ 2^−52·yh, and xh, yh, xh/yh
 * in [2^−900, 2^900] (so TwoProd is exact).
 * Bound: qh = fl(xh/yh); ph + pl = qh·yh exactly (TwoProd); xh − ph is exact
 * (Sterbenz: ph = xh(1 + θ), |θ| ≤ 2u); r = x − qh·y = (xh − ph) − pl + xl − qh·yl
 * has parts of at most 2u·|x|, u·|x|, 2u·|x| and 2u·|x| (1.01 for the rest), so every
 * partial sum is ≤ 7.1u·|x| and its 4 roundings leave r̂ within 28.4u²·|x|;
 * ql = fl(r̂/yh) differs from r/y by that over yh, by |r|·|yl|/(yh·y) ≤ 14.2u²·|x|/y
 * and by u·|ql| ≤ 7.2u²·|x|/y: in all below 51u²·|x/y| < 2^−100.3·|x/y|
 * (x/y = qh + r/y exactly). 2^−98 leaves a factor 5 for what this skips.
 */
export function divDD(xh: number, xl: number, yh: number, yl: number): void {
  const qh = xh / yh;
  twoProd(qh, yh);
  const r = xh - hi - lo + xl - qh * yl;
  ddQuotient[0] = qh;
  ddQuotient[1] = r / yh;
}

/** `mulDD`'s result: the product's high and low parts and a bound on its absolute error. */
export const ddProduct = new Float64Array(3);
/**
 * Double-double product of x = xh + xl and y = yh + yl (|xl| ≤ u·|xh|, |yl| ≤ u·|yh|)
 * as ddProduct[0] + ddProduct[1], with ddProduct[2] bounding its absolute error.
 * When |xh|, |yh| ∈ [2^−1000, 2^900] and |xh·yh| ∈ [2^−900, 2^900], TwoProd is exact
 * (Dekker 1971: no split overflows, no partial product underflows): ph + pl = xh·yh,
 * and the low part pl + xh·yl + xl·yh (each ≤ u·|xh·yh|·(1 + u)) is rounded twice,
 * ≤ 2·u·2.01u·|xy|; xl·yl ≤ u²·|xy| is left out; the renormalisation (Fast2Sum) is
 * exact: 5.1u² < 2^−100 relative, taken as 2^−100·|result|·(1 + 2^−50). Outside that
 * range the product is the double xh·yh: the lows left out (≤ (2u + u²)·|xh·yh|) and
 * its own rounding (u·|p| + η/2) give 3.01u·|p| + η.
 */
export function mulDD(xh: number, xl: number, yh: number, yl: number): void {
  const p = xh * yh;
  const ax = Math.abs(xh);
  const ay = Math.abs(yh);
  const ap = Math.abs(p);
  if (ax >= 2 ** -1000 && ax <= 2 ** 900 && ay >= 2 ** -1000 && ay <= 2 ** 900 && ap >= 2 ** -900 && ap <= 2 ** 900) {
    twoProd(xh, yh);
    const l = lo + xh * yl + xl * yh;
    const h = hi + l;
    ddProduct[0] = h;
    ddProduct[1] = l - (h - hi);
    ddProduct[2] = Math.abs(h) * 2 ** -100 * (1 + 2 ** -50);
  } else {
    ddProduct[0] = p;
    ddProduct[1] = 0;
    ddProduct[2] = 3.01 * U * ap + ETA;
  }
}

/** The index of the first maximum of a row among its finite logits (−Infinity is masked), or −1 when every logit is −Infinity. */
export function firstMax(row: ArrayLike<number>): number {
  let k = -1;
  for (let j = 0; j < row.length; j++) if (row[j] > -Infinity && (k < 0 || row[j] > row[k])) k = j;
  return k;
}

/** The fast float64 loss and its interval (for the verification script and the tests). */
export interface Fast64Loss {
  /** The correctly rounded loss when the rounding test decides it, else undefined. */
  readonly rounded: number | undefined;
  /** loss ≈ hi + lo, with |exact − (hi + lo)| ≤ bound. */
  readonly hi: number;
  readonly lo: number;
  readonly bound: number;
}

const UNDECIDED: Fast64Loss = { rounded: undefined, hi: NaN, lo: NaN, bound: Infinity };

/** ulp of a normal double v > 0: 2^(exponent − 52), from its bits. */
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
function ulpOf(v: number): number {
  F64[0] = v;
  const e = (U32[1] >>> 20) & 0x7ff;
  return 2 ** (e - 1075);
}
function isPowerOfTwo(v: number): boolean {
  F64[0] = v;
  return (U32[1] & 0xfffff) === 0 && U32[0] === 0;
}

/** T = Σ_{j≠k} exp(x_j − m) of one row as Th + Tl, |T − (Th + Tl)| ≤ ET (steps 2–5). */
export interface ShiftedSum64 {
  readonly Th: number;
  readonly Tl: number;
  readonly ET: number;
  /** Terms that may carry the 2η of a part scaled below 2^−1022, and terms counted as 0 (x_j − m < −760). */
  readonly tiny: number;
  readonly far: number;
  /** Terms of the sum: the unmasked classes other than k. */
  readonly terms: number;
}

const NO_TERMS: ShiftedSum64 = { Th: 0, Tl: 0, ET: 0, tiny: 0, far: 0, terms: 0 };

/**
 * Steps 2–5: T = Σ_{j≠k} exp(x_j − m) in double-double with its bound, k the
 * first maximum and m = x[k]: the one summation of the fast tier (the loss here,
 * the gradient's components and its subnormal 1 − p_t in `fast-grad.ts`).
 *
 * With `keep` (length ≥ 4n), each term's unscaled value and bound are kept for the
 * gradient: keep[4j] + keep[4j+1] = e_j·2^−keep[4j+2] within a relative keep[4j+3]
 * (`expRel`); keep[4j] = 0 for a term counted as 0 (x_j − m < −760); entries of k
 * and masked classes are not written. With `rescale` = s > 0, the terms are not
 * evaluated again but read from `keep` (written by an earlier call on the same
 * row), and the sum returned is 2^s·T, its bound 2^s times T's: every term scaled
 * by 2^(q_j + s) instead of 2^q_j, which keeps terms near or below the subnormal
 * range normal (`fast-grad.ts` step 4 takes s = 1100 when T < 2^−900). Precondition:
 * 2^s·T < 2^1000 (no term overflows).
 *
 * The bound (step 5), in the units of the result (2^s·T): the terms t_i, each
 * scaled exactly by a power of two unless a part lands below 2^−1022, are first
 * renormalised (Fast2Sum, exact: |lo| < |hi|); their highs are summed by TwoSum
 * (exact), and every TwoSum error and low part goes into one double accumulator
 * Sl: its n_t ≤ 2·terms additions err by at most γ_{2·terms}·A, A = Σ |inputs of
 * Sl| (Higham 2002, eq. (4.4); γ_k = ku/(1 − ku)), with A's own rounding as a
 * factor (1 + 2γ). The terms' own errors: ρ = max expRel relative to each term,
 * applied to Σ t_i ≤ Th + γA + absT (1.001 for the renormalisation and the
 * absolute part), plus absT: 2η for each term scaled below 2^−1022 (it was below
 * 2^−960: a counted `tiny`), 2^(s−1096) for each term counted as 0 (< 2^−1096
 * unscaled), rounded up to a whole number of η (a double cannot hold less: 2^−1096
 * itself would read 0). The final Th + Tl is a TwoSum of Sh and Sl (exact); the
 * factor 1 + 2^−40 covers the rounding of the bound's own arithmetic:
 *
 *     ET = (γ·A·(1 + 2γ) + ρ·(Th + γ·A + absT)·1.001 + absT)·(1 + 2^−40).
 */
export function shiftedSum64(row: ArrayLike<number>, k: number, m: number, keep?: Float64Array, rescale = 0): ShiftedSum64 {
  const n = row.length;
  const reuse = rescale !== 0;
  // Step 5: T = Sh + Sl; A = Σ|inputs of Sl|; the terms' relative errors and absolute 2η.
  let Sh = 0;
  let Sl = 0;
  let A = 0;
  let relMax = 0;
  let tiny = 0;
  let far = 0;
  let terms = 0;
  for (let j = 0; j < n; j++) {
    const x = row[j];
    if (j === k || x === -Infinity) continue;
    terms++;
    let uh: number;
    let ul: number;
    let q: number;
    let rel: number;
    if (reuse) {
      uh = keep![4 * j];
      if (uh === 0) {
        far++;
        continue;
      }
      ul = keep![4 * j + 1];
      q = keep![4 * j + 2];
      rel = keep![4 * j + 3];
    } else {
      const dh = x - m;
      if (dh < -760) {
        // e^(dh + dl) < e^−759.99 < 2^−1096: counted as 0 with that error.
        far++;
        if (keep !== undefined) keep[4 * j] = 0;
        continue;
      }
      const b = dh - x;
      const dl = x - (dh - b) + (-m - b);
      expDD(dh, dl, false);
      uh = expUh;
      ul = expUl;
      q = expQ;
      rel = expRel;
      if (keep !== undefined) {
        keep[4 * j] = uh;
        keep[4 * j + 1] = ul;
        keep[4 * j + 2] = q;
        keep[4 * j + 3] = rel;
      }
    }
    if (rel > relMax) relMax = rel;
    const scale = POW2[q + rescale + POW2_BIAS]; // 2^(q + s), 0 below 2^−1074
    const h0 = uh * scale;
    const l0 = ul * scale;
    if (h0 < TWO_M960) tiny++;
    // The term renormalised first (Fast2Sum, exact: |lo| < |hi|): expDD's lo can reach 2^−19·hi,
    // and A below (the accumulator's inputs) would carry it n times.
    const th = h0 + l0;
    const tl = l0 - (th - h0);
    const s = Sh + th;
    const bb = s - Sh;
    const e = Sh - (s - bb) + (th - bb);
    Sh = s;
    Sl += e + tl;
    A += Math.abs(e) + Math.abs(tl);
  }
  if (terms === 0) return NO_TERMS;
  const g2n = (2 * terms * U) / (1 - 2 * terms * U);
  const Th = Sh + Sl;
  const Tl = Sl - (Th - Sh);
  // 2^(s−1096) per far term: for s = 0 a whole number of η (2^−22 of one, rounded up); otherwise a double
  // itself (the terms are then 2^(q+s) ≥ 2^−1022 in size: no tiny ones; 2^(s−22)·η would overflow).
  const absT = reuse ? ETA * Math.ceil(2 * tiny) + far * 2 ** (rescale - 1096) : ETA * Math.ceil(2 * tiny + far * 2 ** -22);
  const ET = (g2n * A * (1 + 2 * g2n) + relMax * (Th + g2n * A + absT) * 1.001 + absT) * (1 + 2 ** -40);
  return { Th, Tl, ET, tiny, far, terms };
}

/**
 * The fast tier for a float64 row: the correctly rounded loss when the rounding
 * test decides it, else `rounded` undefined (use the slow tier).
 *
 * @param row - logits, length n ≥ 1, finite doubles or −Infinity (masked)
 * @param target - index of the target, row[target] finite
 */
export function fastLoss64(row: ArrayLike<number>, target: number): Fast64Loss {
  const k = firstMax(row);
  const m = row[k];
  const xt = row[target];
  const Dh = m - xt;
  // m − x[t] rounded to +Infinity: the exact D is at least the overflow threshold, and so is the loss.
  if (Dh === Infinity) return { rounded: Infinity, hi: Infinity, lo: 0, bound: 0 };
  const bD = Dh - m;
  const Dl = m - (Dh - bD) + (-xt - bD);
  return lossFromSum64(Dh, Dl, shiftedSum64(row, k, m));
}

/**
 * Steps 6–8: the loss D + log1p(T) from D = Dh + Dl (exact; Dh finite) and the
 * shifted sum of `shiftedSum64`, with the rounding test.
 */
export function lossFromSum64(Dh: number, Dl: number, sum: ShiftedSum64): Fast64Loss {
  if (sum.terms === 0) {
    // loss = D exactly.
    return decide64(Dh, Dl, 0);
  }
  const { Th, Tl, ET, tiny, far } = sum;
  if (Th < 2 ** -960) {
    // T near the subnormal range, where its relative accuracy is not kept: 0 ≤ log1p(T) ≤ T ≤ Th + ET,
    // so the loss lies in [D, D + Y]; decided by D alone unless D is within Y of a midpoint
    // (and left to the slow tier when D = 0: the loss is then below 2^−959).
    // D = 0 and only far terms (fewer than 2^21): the loss is below 2^21·2^−1096 = η/2, so it rounds to +0.
    if (Dh === 0 && Dl === 0 && Th === 0 && tiny === 0 && far < 2 ** 21) return { rounded: 0, hi: 0, lo: 0, bound: 0 };
    // Otherwise [D, D + Y] ⊂ [D − Y, D + Y] (η/2 is not a double, so the interval is not halved).
    const Y = (Th + ET) * (1 + 2 ** -50) + ETA;
    return decide64(Dh, Dl, Y);
  }
  // Step 6: y0, M = expm1(y0), y1 = y0 + (T − M)/(1 + M).
  const y0 = Math.log1p(Th);
  expDD(y0, 0, true);
  const Mh = hi;
  const Ml = lo;
  const EM = expRel * Math.abs(Mh) * 1.001;
  // N = T − M in double-double: highs by TwoSum, lows in double.
  const nh = Th - Mh;
  const bn = nh - Th;
  const ne = Th - (nh - bn) + (-Mh - bn);
  const nl = ne + Tl - Ml;
  const num = nh + nl;
  const den = 1 + Mh; // |Ml| ≤ ulp(Mh): the division's relative error below 4u covers it
  const delta = num / den;
  const yh = y0 + delta;
  const yl = delta - (yh - y0);
  // |Δ| of y0: 2 ulps of log1p plus |Tl|/(1+T); Newton: 0.51·Δ².
  const dy0 = 2 * 2 ** -52 * y0 + Math.abs(Tl) + ET + ETA;
  // (ET + EM)/(1 + M): the inputs' errors; 0.51·Δ²: Newton's; 4u·|δ|: the roundings of num, 1 + M
  // and the division; 4u·(|ne| + |Tl| + |Ml|)/(1 + M): the two roundings of nl.
  const Ey = ((ET + EM + 4 * U * (Math.abs(ne) + Math.abs(Tl) + Math.abs(Ml))) / den) * 1.001 + 0.51 * dy0 * dy0 + 4 * U * Math.abs(delta) + 2 ** -100 * yh;
  // Step 7: L = D + y.
  const s = Dh + yh;
  const bs = s - Dh;
  const se = Dh - (s - bs) + (yh - bs);
  const low = se + Dl + yl;
  const EL = (Ey + 2 ** -100 * Math.abs(s)) * (1 + 2 ** -30);
  return decide64(s, low, EL);
}

/** Step 8: the rounding test on hi + lo ± bound (|lo| ≤ ulp(hi), bound ≥ 0): binary64's correctly rounded value of every number in the interval, or `rounded` undefined. */
export function decide64(h: number, l: number, bound: number): Fast64Loss {
  const Lh = h + l;
  const Ll = l - (Lh - h);
  if (!(Lh >= 2 ** -1000 && Lh < Infinity)) {
    if (Lh === 0 && Ll === 0 && bound === 0) return { rounded: 0, hi: 0, lo: 0, bound: 0 };
    return { rounded: undefined, hi: Lh, lo: Ll, bound };
  }
  const ulp = ulpOf(Lh);
  const halfUp = ulp / 2;
  const halfDown = isPowerOfTwo(Lh) ? ulp / 4 : ulp / 2;
  // Ll ± bound, each rounded outward by one ulp of its own (a relative 2^−52, plus η).
  const top = Ll + bound;
  const bottom = Ll - bound;
  const topUp = top + Math.abs(top) * 2 ** -52 + ETA;
  const bottomDown = bottom - Math.abs(bottom) * 2 ** -52 - ETA;
  const ok = topUp < halfUp && bottomDown > -halfDown;
  return { rounded: ok ? Lh : undefined, hi: Lh, lo: Ll, bound };
}
