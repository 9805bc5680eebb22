/** The repository's copies of the shared fixtures (tests never read outside the repository). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCases } from '../cases/read.js';
import type { Case } from '../cases/read.js';
import type { BatchOptions, OptionFlags } from '../cases/options.js';
import { OPTION_FLAGS, parseOptionFlags, resolveWeights } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const CASES_CSV = `${FIXTURES}mpmath/cases.csv`;
export const TRUTH_CSV = `${FIXTURES}mpmath/truth.csv`;
export const PEERS_CSV = `${FIXTURES}peers/framework-losses.csv`;

export interface Truth {
  readonly id: string;
  readonly dtype: string;
  readonly lossExact: string;
  readonly lossRounded: string;
}

export function readTruth(): Map<string, Truth> {
  const lines = readFileSync(TRUTH_CSV, 'utf8').trim().split('\n').slice(1);
  return new Map(
    lines.map((line) => {
      const [id, dtype, lossExact, lossRounded] = line.split(',');
      return [id, { id, dtype, lossExact, lossRounded }];
    }),
  );
}

/** The gradient rows of fixtures/mpmath-t2/grad-cases.csv (every format), logits as written (not rounded). */
export function readGradFixtureRows(): { id: string; dtype: string; target: number; logits: number[] }[] {
  return readFileSync(`${FIXTURES}mpmath-t2/grad-cases.csv`, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [id, dtype, target, logits] = line.split(',');
      return { id, dtype, target: Number(target), logits: logits.split(' ').map(parseFloat) };
    });
}

export function readFixtureCases(): Case[] {
  return readCases(CASES_CSV);
}

/** A batch of fixtures/mpmath-t2/options.json: its cases file, flags and mpmath's values (400 bits). */
export interface OptionsBatch {
  name: string;
  file: string;
  dtype: Dtype;
  flags: string[];
  maskedRows: string;
  rows: Record<string, string>;
  sum: string;
  mean: string;
}

/** `['--weight', '1 2', …]` as the flags object of `score`. */
export function flagsOf(flags: readonly string[], maskedRows?: string): OptionFlags {
  const byFlag = Object.fromEntries(Object.entries(OPTION_FLAGS).map(([k, f]) => [f, k]));
  const out: Record<string, string> = {};
  for (let i = 0; i < flags.length; i += 2) out[byFlag[flags[i]]] = flags[i + 1];
  if (maskedRows !== undefined) out.maskedRows = maskedRows;
  return out;
}

export const OPTIONS_BATCHES = JSON.parse(readFileSync(`${FIXTURES}mpmath-t2/options.json`, 'utf8')) as OptionsBatch[];

/** A batch of options.json read as `score` reads it: cases, validated options, rows and the dtype's weights. */
export function fixtureBatch(b: OptionsBatch) {
  const cases = readCases(`${FIXTURES}mpmath-t2/options/${b.file}`);
  const options: BatchOptions = parseOptionFlags(flagsOf(b.flags, b.maskedRows));
  const rows = cases.map((c) => ({ logits: c.logits, target: c.target, soft: c.soft }));
  const weight = resolveWeights(options, b.dtype, rows, () => ({}));
  return { cases, options, rows, weight };
}
