/** The gate reads an empty max_ulp (some result NaN or infinite, issue 12.6) as worse than any count. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toCsv } from '../report/csv.js';
import { BENCH_COLUMNS, BOUNDARIES_COLUMNS, FUZZ_COLUMNS, REGIONS_COLUMNS } from '../report/columns.js';
import { DEFAULT_GATE } from '../suite/load.js';
import { tempDir } from '../testing/cli.js';
import { compareRuns } from './compare.js';

function folder(maxUlps: Record<string, string>): string {
  const dir = join(tempDir(), 'run');
  mkdirSync(dir);
  const rows = Object.entries(maxUlps).map(([family, maxUlp]) => ['p', 'float32', family, '10', '8', '0', '1', '0', '1', maxUlp, '3', '32', '7', 'float32', 'loss']);
  writeFileSync(join(dir, 'fuzz.csv'), toCsv(FUZZ_COLUMNS, rows));
  for (const [f, c] of [['regions.csv', REGIONS_COLUMNS], ['boundaries.csv', BOUNDARIES_COLUMNS], ['bench.csv', BENCH_COLUMNS]] as const) writeFileSync(join(dir, f), toCsv(c, []));
  return dir;
}

describe('gate, max_ulp empty', () => {
  it('a count becoming empty is a regression; empty staying empty, or becoming a count, passes', () => {
    const base = folder({ ordinal: '12', offset: '', spread: '' });
    const cur = folder({ ordinal: '', offset: '', spread: '5' });
    const rows = compareRuns(base, cur, DEFAULT_GATE).filter((r) => r.metric.startsWith('max_ulp'));
    expect(rows.map((r) => [r.metric, r.status])).toEqual([
      ['max_ulp[ordinal]', 'regression'],
      ['max_ulp[offset]', 'pass'],
      ['max_ulp[spread]', 'pass'],
    ]);
  });
});
