/**
 * Shortest round-trip decimals.
 *
 * For doubles, `String(x)` already gives the shortest decimal that reads back to x
 * (ECMA-262 Number::toString). For a narrower format it gives the double's digits
 * (`String(Math.fround(0.1))` is "0.10000000149011612"), so we search for the
 * fewest significant digits d whose decimal reads back, through
 * `fmt.round(parseFloat(·))`, to the same value; the format's `roundTripDigits`
 * always suffice (Matula 1968: ⌈p·log10 2⌉ + 1: 9 for binary32, 5 for binary16,
 * 4 for bfloat16). Among the d-digit decimals
 * we try the correctly rounded one and its two neighbours, since at a binade's
 * lower edge the round-trip interval is lopsided and the nearest d-digit decimal
 * can fall outside it while a neighbour does not; of those that read back we
 * keep the nearest to x.
 */
import type { AnyDtype, FormatInfo } from './dtype.js';
import { FLOAT32, formatOf } from './dtype.js';

/** Shortest decimal string that reads back to the float32 value x; "-0" kept. */
export function shortestFloat32(x: number): string {
  return shortestIn(x, FLOAT32);
}

/** Shortest decimal string that reads back, through `fmt.round(parseFloat(·))`, to the value x of `fmt`; "-0" kept. */
export function shortestIn(x: number, fmt: FormatInfo): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  for (let digits = 1; digits <= fmt.roundTripDigits; digits++) {
    const nearest = x.toExponential(digits - 1);
    let best: number | undefined;
    for (const candidate of [nearest, stepLastDigit(nearest, -1), stepLastDigit(nearest, 1)]) {
      const value = parseFloat(candidate);
      if (fmt.round(value) !== x) continue;
      if (best === undefined || Math.abs(value - x) < Math.abs(best - x)) best = value;
    }
    // String() of a double parsed from ≤ 9 digits prints those digits back (≤ 15 significant digits round-trip through binary64).
    if (best !== undefined) return String(best);
  }
  throw new Error(`shortestIn: ${x} is not a ${fmt.dtype} value`);
}

/** Moves the last significant digit of an exponential-notation string ("d.ddde±n") by ±1. */
function stepLastDigit(s: string, step: 1 | -1): string {
  const [mantissa, exponent] = s.split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const scaled = BigInt(digits) + BigInt(step);
  if (scaled <= 0n) return s;
  let text = scaled.toString();
  let exp = Number(exponent);
  if (text.length > digits.length) exp += 1; // 9.99 + 0.01 = 10.0
  if (text.length < digits.length) {
    exp -= 1; // 1.00 − 0.01 = 0.99
    text = text.padEnd(digits.length, '9');
  }
  const body = text.length > 1 ? `${text[0]}.${text.slice(1)}` : text;
  return `${negative ? '-' : ''}${body}e${exp}`;
}

/**
 * The SPEC's spelling of a value of `dtype`: the shortest decimal that reads back
 * to it, `Infinity`, `-Infinity`, `NaN`, and `-0` kept.
 */
export function formatValue(x: number, dtype: AnyDtype): string {
  if (dtype !== 'float64') return shortestIn(x, formatOf(dtype));
  if (Object.is(x, -0)) return '-0';
  return String(x);
}
