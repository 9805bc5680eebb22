/** `--shard i/n`: the i-th of n deterministic shares of a run's work units (fuzz, map, run). */
import { InputError } from './errors.js';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m === null ? NaN : Number(m[1]);
  const count = m === null ? NaN : Number(m[2]);
  if (m === null || !(count >= 1) || !(index >= 1) || index > count) {
    throw new InputError(`shard ${JSON.stringify(text)} must be i/n with 1 ≤ i ≤ n, e.g. --shard 1/2 and --shard 2/2`, undefined, undefined, '--shard');
  }
  return { index, count };
}

/** Unit `index` (0-based, in the run's canonical order) belongs to shard (index mod n) + 1. */
export function inShard(index: number, shard: Shard | undefined): boolean {
  return shard === undefined || index % shard.count === shard.index - 1;
}
