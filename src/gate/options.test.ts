/**
 * The gate over option rows (issue 15): fuzz.csv rows of suites/options.suite.ts's
 * option families (src/fuzz/options.ts) are compared like every fuzz row, by
 * (pipeline, dtype, compute, quantity, family): a worse option row, a worse batch
 * value row (`opt-X#i@mean`) and a missing option row each fail the gate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzzCsvRow } from '../fuzz/campaign.js';
import { optionStats } from '../fuzz/options.js';
import { findPipeline } from '../pipelines/registry.js';
import { BENCH_COLUMNS, BOUNDARIES_COLUMNS, FUZZ_COLUMNS, REGIONS_COLUMNS } from '../report/columns.js';
import { toCsv } from '../report/csv.js';
import type { Suite } from '../suite/load.js';
import { DEFAULT_GATE, loadSuite } from '../suite/load.js';
import { tempDir } from '../testing/cli.js';
import { compareRuns } from './compare.js';

async function smallOptionsSuite(): Promise<Suite> {
  const suite = await loadSuite('options');
  const pipelines = ['stable-log-softmax', 'accurate-cross-entropy'].map((n) => findPipeline(n)!);
  return { ...suite, pipelines, dtypes: ['float32'], fuzz: { ...suite.fuzz, quantities: ['loss'] }, options: suite.options.slice(0, 2) };
}

function folder(rows: string[][]): string {
  const dir = join(tempDir(), 'reports');
  mkdirSync(dir);
  writeFileSync(join(dir, 'fuzz.csv'), toCsv(FUZZ_COLUMNS, rows));
  for (const [f, columns] of [['regions', REGIONS_COLUMNS], ['boundaries', BOUNDARIES_COLUMNS], ['bench', BENCH_COLUMNS]] as const) writeFileSync(join(dir, `${f}.csv`), toCsv(columns, []));
  return dir;
}

describe('the gate covers option rows', () => {
  it('the option rows are deterministic: same seed, same rows', async () => {
    const suite = await smallOptionsSuite();
    expect(optionStats(suite).map(fuzzCsvRow)).toEqual(optionStats(suite).map(fuzzCsvRow));
  });
  it('a worse per-row option row, a worse batch-value row and a missing option row are regressions; the same rows pass', async () => {
    const rows = (await smallOptionsSuite().then(optionStats)).map(fuzzCsvRow);
    const families = new Set(rows.map((r) => r[2]));
    for (const f of ['opt-weights#0', 'opt-ignore#0@mean', 'opt-smoothing#1', 'opt-soft#1@sum', 'opt-masked-rows#1']) expect(families.has(f), f).toBe(true);
    const base = folder(rows);
    expect(compareRuns(base, folder(rows), DEFAULT_GATE).filter((r) => r.status !== 'pass')).toEqual([]);

    const at = (family: string) => rows.findIndex((r) => r[0] === 'accurate-cross-entropy' && r[2] === family);
    const worse = rows.map((r) => [...r]);
    worse[at('opt-weights#0')][9] = '40'; // max_ulp
    worse[at('opt-ignore#0@mean')][4] = String(Number(worse[at('opt-ignore#0@mean')][4]) - 1); // one ok fewer
    worse[at('opt-ignore#0@mean')][5] = String(Number(worse[at('opt-ignore#0@mean')][5]) + 1);
    const gate = compareRuns(base, folder(worse.filter((_, i) => i !== at('opt-soft#1'))), DEFAULT_GATE);
    const failed = gate.filter((r) => r.status !== 'pass').map((r) => `${r.pipeline} ${r.metric} ${r.status}`);
    expect(failed).toContain('accurate-cross-entropy max_ulp[opt-weights#0] regression');
    expect(failed).toContain('accurate-cross-entropy ok_share[opt-ignore#0@mean] regression');
    expect(failed.some((f) => f.startsWith('accurate-cross-entropy') && f.includes('opt-soft#1') && f.endsWith('missing'))).toBe(true);
  });
});
