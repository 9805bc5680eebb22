/** The repository's copies of the shared fixtures (tests never read outside the repository). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseLogits, parseSoftTarget, readCases } from '../cases/read.js';
import type { Case } from '../cases/read.js';
import type { BatchOptions, OptionFlags } from '../cases/options.js';
import { OPTION_FLAGS, parseOptionFlags, resolveWeights } from '../cases/options.js';
import type { Dtype } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';

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

/** A row of fixtures/mpmath-options-grad/cases.json (scripts/mpmath-options-grad.py): a row under options and mpmath's gradient of its l_n. */
export interface OptionsGradFixture {
  readonly id: string;
  readonly dtype: Dtype;
  readonly row: { logits: Float64Array; target: number; soft?: Float64Array };
  readonly options: BatchOptions;
  readonly weight: Float64Array | undefined;
  /** mpmath's gradient at 400 and 800 bits, correctly rounded to the dtype. */
  readonly want: Float64Array;
}

/** The rows of fixtures/mpmath-options-grad/cases.json, read as `score --grad` reads a cases file and its flags. */
export function readOptionsGradFixtures(): OptionsGradFixture[] {
  type Raw = { id: string; dtype: Dtype; logits: string; target?: number; soft?: string; weight?: string; labelSmoothing?: number; ignoreIndex?: number; maskedRows?: string; grad: string[] };
  const raw = JSON.parse(readFileSync(`${FIXTURES}mpmath-options-grad/cases.json`, 'utf8')) as Raw[];
  return raw.map((r) => {
    const fail = (msg: string) => new Error(`${r.id}: ${msg}`);
    const logits = parseLogits(r.logits, r.dtype, fail as never, true);
    const soft = r.soft === undefined ? undefined : parseSoftTarget(r.soft, logits.length, r.dtype, fail as never);
    const options = parseOptionFlags({ weight: r.weight, ignoreIndex: r.ignoreIndex?.toString(), labelSmoothing: r.labelSmoothing?.toString(), maskedRows: r.maskedRows });
    const row = { logits, target: r.target ?? -1, soft };
    const round = formatOf(r.dtype).round;
    return { id: r.id, dtype: r.dtype, row, options, weight: resolveWeights(options, r.dtype, [row], () => ({})), want: Float64Array.from(r.grad, (g) => round(parseFloat(g))) };
  });
}
