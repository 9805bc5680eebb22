/**
 * Scoring one result against the oracle (SPEC section 4): ulps, bits, outcome.
 */
import type { Dtype } from '../float/dtype.js';
import { bitsOfError, ulpDistance } from '../float/ordinal.js';

export type Outcome = 'ok' | 'inaccurate' | 'overflow' | 'underflow' | 'nan';
export const OUTCOMES: readonly Outcome[] = ['ok', 'inaccurate', 'overflow', 'underflow', 'nan'];

/** Default ulp budget of an `ok` result (SPEC section 4). */
export const DEFAULT_BUDGET = 4;

export interface Verdict {
  /** Ulps between loss and the correctly rounded loss; undefined where SPEC leaves it empty. */
  readonly ulps: number | undefined;
  /** log2(1 + ulps), or the format's width where ulps is undefined. */
  readonly bits: number;
  readonly outcome: Outcome;
}

/** First match wins, in the SPEC's order. */
export function classify(loss: number, oracle: number, dtype: Dtype, budget: number = DEFAULT_BUDGET): Verdict {
  const ulps = ulpDistance(loss, oracle, dtype);
  const bits = bitsOfError(ulps, dtype);
  let outcome: Outcome;
  if (Number.isNaN(loss)) outcome = 'nan';
  else if (loss === oracle && !Number.isFinite(oracle)) outcome = 'ok';
  else if (!Number.isFinite(loss) && Number.isFinite(oracle)) outcome = 'overflow';
  else if (loss === 0 && oracle !== 0) outcome = 'underflow';
  else if (ulps !== undefined && ulps <= budget) outcome = 'ok';
  else outcome = 'inaccurate';
  return { ulps, bits, outcome };
}
