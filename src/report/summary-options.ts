/**
 * summary.md's Options section (issue 15): which pipelines fail under which batch
 * option, from the option rows of fuzz.csv (src/fuzz/options.ts: family
 * `opt-X[#i]` for the per-row l_n or its gradient, `opt-X[#i]@mean|sum` for the
 * batch value), as a heat map (`options.svg`: the share of each pipeline's cases
 * that are not `ok`, per option family and setting, one panel per dtype) and a
 * table of each pipeline's share not `ok` per option family (settings and dtypes together).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { isOptionFamily, OPTION_FAMILIES, softTargetLeftOut } from '../fuzz/options.js';
import { OUTCOMES } from '../score/outcome.js';
import { writeFileAtomic } from '../util/write.js';
import { renderSvg } from './chart.js';
import { FUZZ_COLUMNS } from './columns.js';
import { pipelineInVariant, readKey } from './key.js';
import type { RunMeta } from './meta.js';
import { metaLine } from './meta.js';
import { readKeyedReport } from './read.js';

/** The picture of the section. */
export const OPTIONS_CHART = 'options.svg';

interface OptionCell {
  readonly pipeline: string;
  readonly row: string;
  readonly dtype: string;
  readonly family: string;
  readonly cases: number;
  readonly notOk: number;
  readonly counts: Record<string, number>;
  readonly maxUlp: string;
}

/** The option rows of the folder's fuzz.csv (none: undefined). */
function optionCells(dir: string): OptionCell[] | undefined {
  const file = join(dir, 'fuzz.csv');
  if (!existsSync(file)) return undefined;
  const cells: OptionCell[] = [];
  for (const r of readKeyedReport(file, FUZZ_COLUMNS)) {
    const v = r.values;
    if (!isOptionFamily(v.family)) continue;
    const k = readKey(file, r.line, v);
    const cases = Number(v.cases);
    cells.push({
      pipeline: v.pipeline,
      row: pipelineInVariant(k.pipeline, k.dtype, k.compute, k.quantity),
      dtype: k.dtype,
      family: v.family,
      cases,
      notOk: cases === 0 ? 0 : (cases - Number(v.ok)) / cases,
      counts: Object.fromEntries(OUTCOMES.map((o) => [o, Number(v[o])])),
      maxUlp: v.max_ulp,
    });
  }
  return cells.length === 0 ? undefined : cells;
}

/**
 * The legend of the `#i` columns: each setting of the suite's `options` in words
 * (fuzz.json's `options`), e.g. `#0 reduction=mean; #1 reduction=sum, maskedRows=zero`;
 * undefined for a folder whose fuzz.json does not have them.
 */
export function settingsLegend(settings: readonly string[] | undefined): string | undefined {
  if (settings === undefined || settings.length === 0) return undefined;
  return settings.length === 1 ? `setting: ${settings[0]}` : settings.map((t, i) => `#${i} ${t}`).join('; ');
}

/**
 * The section's markdown, and `options.svg` written into `into`; undefined when
 * fuzz.csv has no option rows. `settings`: each setting of the suite in words
 * (fuzz.json's `options`), named in the picture and under it.
 */
export async function renderOptionsSection(dir: string, meta: RunMeta, into: string = dir, settings?: readonly string[]): Promise<string | undefined> {
  const cells = optionCells(dir);
  if (cells === undefined) return undefined;
  const families = [...new Set(cells.map((c) => c.family))];
  const rows = [...new Set(cells.map((c) => c.row))];
  const dtypes = [...new Set(cells.map((c) => c.dtype))];
  const legend = settingsLegend(settings);
  const longest = Math.max(...rows.map((r) => r.length));
  // One chart per dtype, each as tall as its own rows (a facet shares one height: the half formats' twice as many rows were half as tall).
  const panel = (dtype: string) => ({
    title: { text: dtype, anchor: 'start' as const, fontSize: 13 },
    width: 18 * families.length,
    height: 16 * new Set(cells.filter((c) => c.dtype === dtype).map((c) => c.row)).size,
    transform: [{ filter: { field: 'dtype', equal: dtype } }],
    mark: { type: 'rect' as const, stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'family', type: 'nominal' as const, sort: families, scale: { domain: families }, title: dtype === dtypes[dtypes.length - 1] ? 'option family (fuzz.csv family)' : null, axis: { labelAngle: -60 } },
      // Labels in full: "accurate-cross-entropy (compute float32) grad" and its loss row must not both end in "float3…".
      y: { field: 'row', type: 'nominal' as const, sort: rows, title: null, axis: { labelLimit: 0, labelFontSize: 10, minExtent: 6 * longest } },
      // Every case ok: grey, outside the colour scale, which starts at the first case not ok (the legend has no 0%).
      color: {
        condition: { test: 'datum.share === 0', value: '#e8e8e8' },
        field: 'share',
        type: 'quantitative' as const,
        title: ['share not ok', '(grey: all ok)'],
        scale: { domain: [0.01, 1], clamp: true, scheme: 'orangered' },
        legend: { format: '.0%', values: [0.01, 0.25, 0.5, 0.75, 1] },
      },
      tooltip: [{ field: 'row' }, { field: 'family' }, { field: 'cases' }, { field: 'share', format: '.1%' }, { field: 'maxUlp' }],
    },
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Under batch options: share of cases not ok',
      subtitle: [
        metaLine(meta),
        'columns: option family, #i the suite setting, @mean/@sum the batch value; rows: pipeline (compute), grad = its gradient',
        ...(legend === undefined ? [] : [`settings: ${legend}`]),
        'grey: every case ok; white: not scored (a gradient has no batch value)',
      ],
      subtitleFontSize: 9,
    },
    background: 'white',
    data: { values: cells.map((c) => ({ ...c, share: c.notOk })) },
    vconcat: dtypes.map(panel),
    resolve: { scale: { y: 'independent', color: 'shared' } },
  };
  writeFileAtomic(join(into, OPTIONS_CHART), await renderSvg(spec));
  // Which pipeline fails under which option: per pipeline (compute, quantity), each option family over its settings and dtypes.
  const kindOf = (f: string) => f.replace(/(#\d+)?(@(mean|sum))?$/, '');
  const kinds = OPTION_FAMILIES.filter((k) => families.some((f) => kindOf(f) === k));
  const isBatch = (f: string) => /@(mean|sum)$/.test(f);
  const columns = kinds.flatMap((k) => [{ kind: k, batch: false }, { kind: k, batch: true }]);
  const table = [`| pipeline | ${columns.map((c) => `${c.kind.slice(4)}${c.batch ? ' (batch)' : ''}`).join(' | ')} |`, `|---|${columns.map(() => '---:').join('|')}|`];
  const labels = [...new Set(cells.map((c) => c.row))];
  for (const label of labels) {
    const mine = cells.filter((c) => c.row === label);
    const cell = (col: { kind: string; batch: boolean }) => {
      const here = mine.filter((c) => kindOf(c.family) === col.kind && isBatch(c.family) === col.batch);
      const cases = here.reduce((n, c) => n + c.cases, 0);
      if (cases === 0) return '–';
      const counts = Object.fromEntries(OUTCOMES.map((o) => [o, here.reduce((n, c) => n + c.counts[o], 0)]));
      const bad = cases - counts.ok;
      if (bad === 0) return 'ok';
      const worst = OUTCOMES.filter((o) => o !== 'ok' && counts[o] > 0).sort((a, b) => counts[b] - counts[a])[0];
      const share = (100 * bad) / cases;
      return `${share < 1 ? share.toFixed(2) : share.toFixed(0)}% (${worst})`;
    };
    table.push(`| ${label} | ${columns.map(cell).join(' | ')} |`);
  }
  // Pipelines with option rows but none of opt-soft: external processes (fuzz's note on stderr, in the same words).
  const noSoft = softTargetLeftOut([...new Set(cells.map((c) => c.pipeline))].filter((p) => !cells.some((c) => c.pipeline === p && kindOf(c.family) === 'opt-soft')));
  return [
    `*${metaLine(meta)}.* PyTorch's cross-entropy options (class weights, ignore_index, label smoothing, soft targets, fully masked rows; SPEC 6) drawn by the option families of the fuzz campaign (\`opt-*\` rows of \`fuzz.csv\`) under each setting of the suite's \`options\` (\`#i\`: its i-th). ` +
      'A row `opt-X` scores each row loss l_n (or, marked grad, its gradient), `opt-X@mean` / `@sum` the batch value of each batch; a value whose exact result is NaN (a fully masked row under `nan`, a mean over ignored rows only) is not judged. Every pipeline composes the options as PyTorch does (log_softmax, nll_loss with weights, the smoothing term, the reduction accumulated in the compute format).',
    '',
    `![Share of cases not ok under batch options](${OPTIONS_CHART})`,
    '',
    ...(legend === undefined ? [] : [`Settings of the suite's \`options\` (the \`#i\` of the columns): ${legend.replace(/(#\d+) ([^;]+)/g, '`$1` $2')}.`, '']),
    `Share of each pipeline's cases that are not \`ok\` under each option family, the row losses (or gradients) and *(batch)* the reduction's values (every setting and dtype together, \`(compute float32)\` the widened half formats; \`ok\` where none fails, – where not scored; the most frequent failure in brackets):`,
    '',
    ...table,
    ...(noSoft === undefined ? [] : ['', `Left out: ${noSoft}.`]),
  ].join('\n');
}
