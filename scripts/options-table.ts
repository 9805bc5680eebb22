/**
 * The README's table of the batch options (SPEC 6): every built-in pipeline on
 * every batch of fixtures/mpmath-t2/options.json (48 batches: weights, label
 * smoothing, both, ignore_index, soft targets, soft targets with smoothing; float32
 * and float64), scored as `score --reduction mean` scores them.
 *
 *     npx tsx scripts/options-table.ts
 *
 * Prints a markdown table: per pipeline, the rows `ok` of the per-row l_n and of the
 * @batch means, and the largest ulp error of each (`—` where some value has no ulp
 * count: NaN, or exactly one side infinite), per dtype. Exit status 0.
 */
import type { BatchOptions } from '../src/cases/options.js';
import { parseOptionFlags } from '../src/cases/options.js';
import { readCases } from '../src/cases/read.js';
import type { Dtype } from '../src/float/dtype.js';
import { BUILTIN_PIPELINES } from '../src/pipelines/registry.js';
import { BATCH_ID, scoreCases } from '../src/score/score.js';
import type { ScoredRow } from '../src/score/score.js';
import { FIXTURES, flagsOf, OPTIONS_BATCHES } from '../src/testing/fixtures.js';

interface Tally {
  ok: number;
  rows: number;
  max: number;
  none: number;
}
const tally = (): Tally => ({ ok: 0, rows: 0, max: 0, none: 0 });
const byKey = new Map<string, { row: Tally; batch: Tally }>();

function add(rows: readonly ScoredRow[]): void {
  for (const r of rows) {
    const key = `${r.pipeline}\u0000${r.dtype}`;
    let t = byKey.get(key);
    if (t === undefined) byKey.set(key, (t = { row: tally(), batch: tally() }));
    const x = r.id === BATCH_ID ? t.batch : t.row;
    x.rows++;
    if (r.outcome === 'ok') x.ok++;
    if (r.ulps === undefined) x.none++;
    else x.max = Math.max(x.max, r.ulps);
  }
}

for (const b of OPTIONS_BATCHES) {
  const cases = readCases(`${FIXTURES}mpmath-t2/options/${b.file}`);
  const batch: BatchOptions = { ...parseOptionFlags(flagsOf(b.flags, b.maskedRows)), reduction: 'mean' };
  add(scoreCases(cases, { pipelines: BUILTIN_PIPELINES, batch }));
}

const show = (t: Tally) => `${t.ok}/${t.rows}, ${t.none > 0 ? '—' : t.max}`;
const dtypes: Dtype[] = ['float32', 'float64'];
const lines = [
  `| pipeline | ${dtypes.map((d) => `${d} l_n | ${d} mean`).join(' | ')} |`,
  `|---|${dtypes.map(() => '---|---').join('|')}|`,
  ...BUILTIN_PIPELINES.map((p) => `| \`${p.name}\` | ${dtypes.map((d) => { const t = byKey.get(`${p.name}\u0000${d}`)!; return `${show(t.row)} | ${show(t.batch)}`; }).join(' | ')} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);
