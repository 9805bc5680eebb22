/**
 * Cases of a unit (dtype × family) from its seed, and one case from SEED:PATH.
 *
 * Both go through `fc.check` with the unit's arbitrary, so run i of a campaign
 * and `--replay SEED:i` are produced by the same code path in fast-check
 * (PATH's first segment indexes the generated runs; each further segment picks a
 * shrink of the value before it, without running any predicate).
 */
import fc from 'fast-check';
import type { Dtype } from '../float/dtype.js';
import type { Family } from '../suite/define.js';
import type { FuzzCase } from './families.js';
import { familyArbitrary } from './families.js';

/** Parameters shared by every fc.check of the fuzzer: no global plugins or hooks may alter a run. */
export const CHECK_BASE = { noGlobalPlugins: true, includeErrorInReport: false } as const;

/** The first `runs` cases of a unit, in run order (run i has path "i"). */
export function generateCases(family: Family, dtype: Dtype, seed: number, runs: number): FuzzCase[] {
  const cases: FuzzCase[] = [];
  fc.check(
    fc.property(familyArbitrary(family, dtype), (c) => {
      cases.push(c);
      return true;
    }),
    { ...CHECK_BASE, seed, numRuns: runs },
  );
  return cases;
}

/** The case at SEED:PATH, or undefined where the path leads nowhere (a shrink index past the last shrink). */
export function caseAt(family: Family, dtype: Dtype, seed: number, path: string): FuzzCase | undefined {
  let found: FuzzCase | undefined;
  fc.check(
    fc.property(familyArbitrary(family, dtype), (c) => {
      found ??= c;
      return false;
    }),
    { ...CHECK_BASE, seed, path, numRuns: 1, endOnFailure: true },
  );
  return found;
}

/** FNV-1a over the row's bytes and the target: a fingerprint to check that a worker regenerated the same case. */
export function caseChecksum(c: FuzzCase): number {
  const bytes = new Uint8Array(c.logits.buffer, c.logits.byteOffset, c.logits.byteLength);
  let h = 0x811c9dc5 ^ c.target;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}
