/**
 * summary.md's Options section (issue 15's Must-show) from a fuzz.csv with option
 * rows: the table names which pipeline fails under which option family, the
 * picture is written, and the Accuracy table leaves the option rows out.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUZZ_COLUMNS } from './columns.js';
import { toCsv } from './csv.js';
import { writeSummary } from './summary.js';
import { tempDir } from '../testing/cli.js';

// pipeline,dtype,family,cases,ok,inaccurate,overflow,underflow,nan,max_ulp,mean_bits,max_bits,seed,compute,quantity
const ROWS = [
  ['stable-log-softmax', 'float32', 'moderate', '10', '10', '0', '0', '0', '0', '2', '1', '1.58', '7', 'float32', 'loss'],
  ['stable-log-softmax', 'float32', 'opt-smoothing#0', '40', '30', '10', '0', '0', '0', '900', '3', '9.8', '8', 'float32', 'loss'],
  ['stable-log-softmax', 'float32', 'opt-smoothing#0@mean', '8', '8', '0', '0', '0', '0', '1', '1', '1', '8', 'float32', 'loss'],
  ['stable-log-softmax', 'float32', 'opt-soft#1@sum', '8', '6', '0', '0', '0', '2', '', '8', '32', '9', 'float32', 'loss'],
  ['accurate-cross-entropy', 'float32', 'moderate', '10', '10', '0', '0', '0', '0', '0', '0', '0', '7', 'float32', 'loss'],
  ['accurate-cross-entropy', 'float32', 'opt-smoothing#0', '40', '40', '0', '0', '0', '0', '1', '0.5', '1', '8', 'float32', 'loss'],
  ['accurate-cross-entropy', 'float32', 'opt-smoothing#0', '40', '40', '0', '0', '0', '0', '1', '0.5', '1', '8', 'float32', 'grad'],
];

describe('the Options section of summary.md', () => {
  it('names which pipelines fail under which option, with its picture; the Accuracy table counts the bare families only', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fuzz.csv'), toCsv(FUZZ_COLUMNS, ROWS));
    await writeSummary(dir, { suite: 't', seed: 1, commit: 'c', machine: 'm' });
    const md = readFileSync(join(dir, 'summary.md'), 'utf8');
    const section = md.slice(md.indexOf('## Options'));
    expect(section).toContain('![Share of cases not ok under batch options](options.svg)');
    expect(existsSync(join(dir, 'options.svg'))).toBe(true);
    expect(readFileSync(join(dir, 'options.svg'), 'utf8')).toContain('opt-soft#1@sum');
    expect(section).toContain('| pipeline | smoothing | smoothing (batch) | soft | soft (batch) |');
    expect(section).toContain('| stable-log-softmax | 25% (inaccurate) | ok | – | 25% (nan) |');
    expect(section).toContain('| accurate-cross-entropy | ok | – | – | – |');
    expect(section).toContain('| accurate-cross-entropy grad | ok | – | – | – |');
    // Accuracy: 10 cases a pipeline (the moderate rows), not the 48 or 56 of the option rows.
    const accuracy = md.slice(md.indexOf('## Accuracy'), md.indexOf('## Options'));
    expect(accuracy).toMatch(/\| stable-log-softmax \| float32 \| 10 \| 100\.0%/);
  });
  it('no option rows: no section, no picture', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fuzz.csv'), toCsv(FUZZ_COLUMNS, ROWS.filter((r) => r[2] === 'moderate')));
    await writeSummary(dir, { suite: 't', seed: 1, commit: 'c', machine: 'm' });
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).not.toContain('## Options');
    expect(existsSync(join(dir, 'options.svg'))).toBe(false);
  });
});
