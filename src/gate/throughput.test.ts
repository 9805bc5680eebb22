/** The gate's throughput decision on synthetic round ratios (seeded), through the same interval bench.csv reports. */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { medianInterval } from '../bench/stats.js';
import { tempDir } from '../testing/cli.js';
import { mulberry32 } from '../util/random.js';
import { machineNote } from './command.js';
import type { GateRow } from './compare.js';
import { throughputStatus } from './compare.js';

/** `n` round ratios around `centre`, uniform within ± `spread` (relative), seeded. */
function rounds(seed: number, n: number, centre: number, spread: number): number[] {
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => centre * (1 + spread * (2 * next() - 1)));
}

const BASELINE = 1.2;
/** The baseline as bench.csv gives it: its median and interval. */
const BASE = { median: BASELINE, low: 1.18, high: 1.22 };
const TOLERANCE = 0.15; // limit 1.02

describe('throughputStatus (seeded samples 1..3)', () => {
  it('a clear drop (25% slower, ±3% noise): the whole interval lies below the limit → regression', () => {
    const iv = medianInterval(rounds(1, 15, BASELINE * 0.75, 0.03));
    expect(iv.high as number).toBeLessThan(BASELINE * (1 - TOLERANCE));
    expect(throughputStatus(BASE, TOLERANCE, iv)).toEqual({ limit: BASELINE * (1 - TOLERANCE), status: 'regression' });
  });

  it('a clear pass (unchanged, ±3% noise): the whole interval lies above the limit → pass', () => {
    const iv = medianInterval(rounds(2, 15, BASELINE, 0.03));
    expect(iv.low as number).toBeGreaterThan(BASELINE * (1 - TOLERANCE));
    expect(throughputStatus(BASE, TOLERANCE, iv).status).toBe('pass');
  });

  it('a noisy run whose median is below the limit but whose interval straddles it → inconclusive, not a regression', () => {
    // Centred 2% below the limit with ±30% noise (a loaded machine).
    const iv = medianInterval(rounds(3, 15, BASELINE * (1 - TOLERANCE) * 0.98, 0.3));
    expect(iv.median).toBeLessThan(BASELINE * (1 - TOLERANCE));
    expect(iv.low as number).toBeLessThan(BASELINE * (1 - TOLERANCE));
    expect(iv.high as number).toBeGreaterThanOrEqual(BASELINE * (1 - TOLERANCE));
    expect(throughputStatus(BASE, TOLERANCE, iv).status).toBe('inconclusive');
  });

  it('the boundaries: high just below the limit is a regression, low at the limit a pass; no interval never regresses', () => {
    const limit = BASELINE * (1 - TOLERANCE);
    expect(throughputStatus(BASE, TOLERANCE, { median: 0.9, low: 0.8, high: limit * (1 - 1e-12) }).status).toBe('regression');
    expect(throughputStatus(BASE, TOLERANCE, { median: 0.9, low: 0.8, high: limit }).status).toBe('inconclusive');
    expect(throughputStatus(BASE, TOLERANCE, { median: 1.1, low: limit, high: 1.2 }).status).toBe('pass');
    expect(throughputStatus(BASE, TOLERANCE, { median: 0.5, low: undefined, high: undefined }).status).toBe('inconclusive');
    expect(throughputStatus(BASE, TOLERANCE, { median: 1.2, low: undefined, high: undefined }).status).toBe('pass');
  });

  it('a clear drop against a baseline row without an interval (≤ 5 rounds) is inconclusive, not a regression', () => {
    const iv = medianInterval(rounds(1, 15, BASELINE * 0.75, 0.03));
    expect(throughputStatus({ median: BASELINE, low: undefined, high: undefined }, TOLERANCE, iv).status).toBe('inconclusive');
    expect(throughputStatus({ median: BASELINE, low: undefined, high: undefined }, TOLERANCE, medianInterval(rounds(2, 15, BASELINE, 0.03))).status).toBe('pass');
  });
});

describe('machineNote: the gate tells the user when the machine looks loaded', () => {
  const row = (current: string, status: GateRow['status'] = 'pass'): GateRow => ({ check: 'throughput', pipeline: 'p', dtype: 'float64', compute: 'float64', quantity: 'loss', metric: 'm', baseline: '1', current, limit: '0.85', status });
  const dirWithLoad = (load: number) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bench.json'), JSON.stringify({ loadBefore: [load, 0, 0], loadAfter: [load, 0, 0] }));
    return dir;
  };
  it('says nothing on a quiet machine with narrow intervals', () => {
    expect(machineNote(dirWithLoad(0.2), [row('1.00 [0.99, 1.01]')], 0.15)).toBe('');
  });
  it('names the load average against the cores, the interval width, and what to do', () => {
    const cores = availableParallelism();
    const note = machineNote(dirWithLoad(4 * cores), [row('1.00 [0.70, 1.30]', 'inconclusive')], 0.15);
    expect(note).toContain(`load average ${(4 * cores).toFixed(2)} → ${(4 * cores).toFixed(2)} on ${cores} cores`);
    expect(note).toContain('median throughput interval 60.0% wide against a 15% tolerance');
    expect(note).toContain('The machine looks loaded');
    expect(note).toContain('bench.budgetSeconds');
  });
  it('an inconclusive check on a quiet machine: re-run to settle it', () => {
    const note = machineNote(dirWithLoad(0.1), [row('0.86 [0.84, 0.88]', 'inconclusive')], 0.15);
    expect(note).toContain('Intervals straddling the limit');
  });
});
