/** The repository's copies of the shared fixtures (tests never read outside the repository). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCases } from '../cases/read.js';
import type { Case } from '../cases/read.js';

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
