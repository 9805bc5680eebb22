/**
 * Seeds of a campaign, and the replay token SEED:PATH.
 *
 * Each work unit (dtype × family) gets its own fast-check seed, derived from the
 * suite seed by a hash, with the unit written into the seed's low 6 bits:
 *
 *     unitSeed = (hash(suiteSeed, dtype, family) & 0x7fffffc0) | dtypeIndex << 4 | familyIndex
 *
 * (dtypeIndex in DTYPES: float32 0, float64 1, float16 2, bfloat16 3)
 *
 * so a token from failures.csv names its family and dtype by itself (`--replay`
 * needs no suite seed and no --family), seeds stay non-negative 31-bit integers
 * (fast-check uses a 32-bit seed as is), and changing the suite seed changes
 * every unit's cases. PATH is fast-check's counterexample path: the run's index,
 * then the index of each shrink step taken.
 */
import type { Dtype } from '../float/dtype.js';
import { DTYPES } from '../float/dtype.js';
import type { Family } from '../suite/define.js';
import { FAMILIES } from '../suite/define.js';
import { InputError } from '../util/errors.js';

/** murmur3's 32-bit finaliser (fmix32). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function unitSeed(suiteSeed: number, dtype: Dtype, family: Family): number {
  const lo = suiteSeed % 2 ** 32 >>> 0;
  const hi = Math.floor(suiteSeed / 2 ** 32) >>> 0;
  const d = DTYPES.indexOf(dtype);
  const f = FAMILIES.indexOf(family);
  let h = fmix32(lo ^ 0x9e3779b9);
  h = fmix32(h ^ hi);
  h = fmix32(h ^ ((d << 8) | f));
  return (h & 0x7fffffc0) | (d << 4) | f;
}

/** The dtype and family a unit seed was made for, if its low bits name one. */
export function unitOfSeed(seed: number): { dtype: Dtype; family: Family } | undefined {
  const f = seed & 15;
  const d = (seed >>> 4) & 3;
  if (f >= FAMILIES.length || seed < 0) return undefined;
  return { dtype: DTYPES[d], family: FAMILIES[f] };
}

export interface ReplayToken {
  readonly seed: number;
  /** fast-check path: "run" or "run:shrink:shrink…". */
  readonly path: string;
}

const TOKEN = /^(\d{1,10}):(\d+(?::\d+)*)$/;

export function parseReplayToken(text: string): ReplayToken {
  const m = TOKEN.exec(text.trim());
  const seed = m === null ? NaN : Number(m[1]);
  if (m === null || seed > 0x7fffffff) {
    throw new InputError(
      `replay token ${JSON.stringify(text)} does not parse; give SEED:PATH as in failures.csv's seed and path columns, e.g. 1234567:17:0:3 (SEED a whole number below 2^31, PATH run and shrink indices separated by colons)`,
      undefined,
      undefined,
      '--replay',
    );
  }
  return { seed, path: m[2] };
}
