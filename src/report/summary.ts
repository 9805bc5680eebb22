/**
 * summary.md: the run in tables and pictures, readable on its own (SPEC section 5),
 * assembled from whatever the folder holds: fuzz.csv, failures.csv, the map
 * folder, bench.csv. Each part names the seed, suite, commit and machine it came
 * from. Nothing in it depends on the time of day, so a rerun of the same commit
 * with the same seed on the same machine rewrites the same accuracy sections.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderBenchSection } from '../bench/section.js';
import { hasMapOutput } from '../regions/files.js';
import { renderMapSection } from '../regions/section.js';
import { writeFileAtomic } from '../util/write.js';
import { FAILURES_COLUMNS } from './columns.js';
import type { RunMeta } from './meta.js';
import { metaLine } from './meta.js';
import { readReport } from './read.js';
import { accuracyByPipeline, renderAccuracySpeed, renderAccuracyTable } from './summary-accuracy.js';

export const SUMMARY_FILE = 'summary.md';

/** Up to this many counterexamples are quoted, one per pipeline × dtype, the worst first. */
const QUOTED_FAILURES = 12;

function failuresSection(dir: string, meta: RunMeta): string | undefined {
  const file = join(dir, 'failures.csv');
  if (!existsSync(file)) return undefined;
  const rows = readReport(file, FAILURES_COLUMNS);
  const byUnit = new Map<string, (typeof rows)[number]>();
  for (const r of rows) {
    const key = `${r.values.pipeline}|${r.values.dtype}`;
    const before = byUnit.get(key);
    if (before === undefined || Number(r.values.ulp_error || Infinity) > Number(before.values.ulp_error || Infinity)) byUnit.set(key, r);
  }
  const out = ['## Counterexamples', '', `*${metaLine(meta)}.* ${rows.length} shrunk counterexamples in \`failures.csv\`; the worst of each pipeline × dtype:`, ''];
  out.push('| pipeline | dtype | family | outcome | cause | ulps | loss | oracle | target | logits | replay |', '|---|---|---|---|---|--:|---|---|--:|---|---|');
  const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);
  for (const r of [...byUnit.values()].slice(0, QUOTED_FAILURES)) {
    const v = r.values;
    out.push(
      `| ${v.pipeline} | ${v.dtype} | ${v.family} | ${v.outcome} | ${v.cause} | ${v.ulp_error} | ${v.loss} | ${v.oracle_loss} | ${v.target} | \`${clip(v.logits)}\` | \`fuzz --replay ${v.seed}:${v.path} --pipeline ${v.pipeline} --dtype ${v.dtype} --suite ${meta.suite}\` |`,
    );
  }
  return out.join('\n');
}

export async function writeSummary(dir: string, meta: RunMeta): Promise<string> {
  const parts: string[] = [];
  parts.push(`# softmax-stability: suite \`${meta.suite}\``, '');
  parts.push(`Seed ${meta.seed}, commit ${meta.commit}, machine: ${meta.machine}.`, '');
  parts.push(
    'Every loss is compared with the exact loss of its inputs correctly rounded to the dtype (a decimal.js oracle); `ulps` counts the values of the dtype between them, bits of error are log2(1 + ulps) (Herbie\'s measure). Outcomes: `ok` within the pipeline\'s ulp budget, `inaccurate` beyond it, `overflow` ±Infinity for a finite loss, `underflow` 0 for a non-zero loss, `nan`.',
    '',
  );
  const acc = accuracyByPipeline(dir);
  if (acc !== undefined) {
    parts.push('## Accuracy', '', `*${metaLine(meta)}.* Fuzz campaign over every family (\`fuzz.csv\` has them one by one); share of each outcome and the error, per pipeline × dtype:`, '');
    parts.push(renderAccuracyTable(acc), '');
  }
  const speed = await renderAccuracySpeed(dir, meta);
  if (speed !== undefined) parts.push('## Which pipeline to pick', '', `*${metaLine(meta)}.* Each point is a pipeline in one dtype: the worst error the fuzz campaign found against its speed on the largest shape it ran inline.`, '', speed, '');
  const failures = failuresSection(dir, meta);
  if (failures !== undefined) parts.push(failures, '');
  if (hasMapOutput(dir)) parts.push(renderMapSection(dir), '');
  if (existsSync(join(dir, 'bench.csv')) && existsSync(join(dir, 'bench.json'))) parts.push(renderBenchSection(dir), '');
  const text = `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
  const file = join(dir, SUMMARY_FILE);
  writeFileAtomic(file, text);
  return file;
}
