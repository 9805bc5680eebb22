/**
 * Which tier answers the oracle's rounded entry points (`oracleLossRounded`,
 * `oracleLossAndGradRounded`, `oracleGradRounded`, `oracleBatchRounded`,
 * `oracleRowGradRounded`): `fast` (the default: the fast tier where its rounding
 * test decides, decimal.js where it does not) or `decimal` (decimal.js alone,
 * Ziv's loop in `loss.ts`, `grad.ts`, `batch.ts`).
 *
 * Set by the environment variable SOFTMAX_STABILITY_ORACLE, read once per thread
 * (worker threads inherit it). The answers are the same bit for bit in both
 * (issue 17; `verify-oracle` compares the tiers case by case); `decimal` is there
 * to show that on a whole campaign: run a suite's `fuzz` both ways and compare the
 * files (`scripts/oracle-tiers.ts`, run by `bash scripts/fuzz-tiers.sh`), and to time
 * the oracle's tiers against each other on the same code. Tools that compare the
 * tiers on purpose (`scripts/verify-oracle.ts`, `scripts/oracle-throughput.ts`) call
 * the fast functions and the decimal.js ones directly, whatever it says.
 */
import { InputError } from '../util/errors.js';

/** The environment variable that picks the tier. */
export const ORACLE_TIER_VARIABLE = 'SOFTMAX_STABILITY_ORACLE';

export type OracleTier = 'fast' | 'decimal';

let tier: OracleTier | undefined;

/**
 * The tier this thread's oracle uses.
 *
 * @throws InputError when SOFTMAX_STABILITY_ORACLE is set to anything but `fast`, `decimal` or the empty string
 */
export function oracleTier(): OracleTier {
  if (tier === undefined) {
    const v = process.env[ORACLE_TIER_VARIABLE];
    if (v === undefined || v === '' || v === 'fast') tier = 'fast';
    else if (v === 'decimal') tier = 'decimal';
    else throw new InputError(`environment variable ${ORACLE_TIER_VARIABLE} is ${JSON.stringify(v)}: set it to fast (the default: the fast tier, decimal.js where it cannot decide) or decimal (decimal.js alone, to compare a campaign's files or times with the fast tier's), or unset it`);
  }
  return tier;
}

/** Whether the rounded entry points may take the fast tier's answer. */
export function fastTierOn(): boolean {
  return (tier ?? oracleTier()) === 'fast';
}
