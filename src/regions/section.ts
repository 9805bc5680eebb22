/**
 * The region-map section of summary.md, written from a map folder alone:
 * provenance, the exp thresholds beside the boundary lines found, the pictures
 * (relative links: summary.md sits in the same folder) and the outcomes and
 * causes per pipeline.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dtype } from '../float/dtype.js';
import { metaLine } from '../report/meta.js';
import { chartFileName } from './chart.js';
import type { BoundaryLine } from './digest.js';
import { boundaryLines, causeList, straightLines, tallyRegions, thresholdRows } from './digest.js';
import { BOUNDARIES_FILE, isComplete, readMapFolder, REGIONS_FILE } from './files.js';

/** Most boundary-line rows shown per dtype; the rest are counted. */
const MAX_LINES = 40;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function lineRow(l: BoundaryLine): string[] {
  const along = l.count === 1 ? `${l.axis === 'offset' ? 'g' : 'a'} = ${l.fixedMin}` : `${l.count} ${l.axis === 'offset' ? 'gaps' : 'offsets'}, ${l.fixedMin} … ${l.fixedMax}`;
  return [l.pipeline, l.panel, l.axis, `${l.from} → ${l.to}`, l.last, l.first, along, l.analytic ?? ''];
}

export function renderMapSection(dir: string): string {
  const { manifest, regions, boundaries } = readMapFolder(dir);
  const out: string[] = [];
  const masks = manifest.grid.masks ?? [];
  out.push('## Region maps', '');
  out.push(`*${metaLine(manifest)}; grid ${manifest.grid.offsets} offsets × ${manifest.grid.gaps} gaps${manifest.grid.extraClasses > 0 ? `, ${manifest.grid.extraClasses} extra classes` : ''}${masks.length > 0 ? `, ${masks.length} masked ${masks.length === 1 ? 'class' : 'classes'}` : ''}${isComplete(manifest) ? '' : `; shard ${manifest.shard} only (${manifest.done.length} of ${manifest.units.length} units)`}.*`, '');
  out.push(
    `Each cell is the row [a, a − g${manifest.grid.extraClasses > 0 ? ', a − 2g, …' : ''}${masks.map((v) => `, ${v === 'lowest' ? '−max' : v}`).join('')}] in the dtype: the offset a is the largest logit, the gap g ≥ 0 how far the next class lies below it${masks.length > 0 ? ` (then the masked classes of \`map.masks\`: −max is the format's lowest value, and so is a finite mask the format cannot hold)` : ''}. ` +
      'Panel `target-max` scores class 0 (a confident, correct prediction: the true loss is log(1 + e^−g)), `target-min` class 1 (a confident, wrong one: about g). ' +
      'Outcomes are scored as `score` does, against the correctly rounded loss. ' +
      `Where two neighbouring cells differ, bisection over the dtype's values finds the adjacent pair where the outcome changes (\`${BOUNDARIES_FILE}\`); ` +
      `each non-ok cell names the first step that went wrong (\`cause\` in \`${REGIONS_FILE}\`).`,
    '',
  );
  if (manifest.options !== undefined && manifest.options.length > 0) {
    out.push(
      `**Under options** (SPEC 6): the panels \`target-max#i\` and \`target-min#i\` hold the per-row loss l_n of the same rows under the suite's options setting i, as PyTorch composes it (log_softmax, nll_loss with class weights, the label-smoothing sum over every class), scored against the option oracle's l_n rounded once: ${manifest.options.map((o) => `\`#${o.index}\` ${o.label}`).join('; ')}. ` +
        'Settings that change batch-level options only (reduction, ignore_index, maskedRows) have no panels: a row\'s l_n is the bare loss there. ' +
        'Causes of the composition: `zero-times-inf` (a zero coefficient times an infinite −log p_c: NaN), `product-overflow` (a weight times −log p_y), `sum-overflow`; otherwise the first class whose −log p_c went wrong names the step.',
      '',
    );
  }
  out.push('### Thresholds of exp', '');
  out.push('`last` and `first` are the adjacent values where the dtype\'s own arithmetic (Math.exp, rounded to the dtype; for −ln(u), 1 + exp(−g)) crosses the threshold. A boundary that equals one of these pairs, or its negation, is marked in the tables below.', '');
  const thresholdTable: string[][] = [];
  for (const dtype of manifest.dtypes) for (const r of thresholdRows(dtype)) thresholdTable.push([dtype, ...r]);
  out.push(table(['dtype', 'threshold', 'meaning', 'analytic value', 'last', 'first'], thresholdTable), '');

  const lines = boundaryLines(boundaries);
  const tallies = tallyRegions(regions);
  for (const dtype of manifest.dtypes as readonly Dtype[]) {
    out.push(`### ${dtype}`, '');
    const svg = chartFileName(dtype);
    if (existsSync(join(dir, svg))) out.push(`![Region map, ${dtype}: outcome per pipeline, panel, offset and gap](${svg})`, '');
    const causes = chartFileName(dtype, 'cause');
    if (existsSync(join(dir, causes))) out.push(`![Region map, ${dtype}: cause of each failing cell](${causes})`, '');
    // The gradient's panels (SPEC 2.2; outcome by norm_ulp against the budget, SPEC 4.2), beside the loss's.
    const gradSvg = chartFileName(dtype, 'outcome', 'grad');
    if (existsSync(join(dir, gradSvg))) out.push(`![Region map, ${dtype}: outcome of each pipeline's gradient per panel, offset and gap](${gradSvg})`, '');
    const gradCauses = chartFileName(dtype, 'cause', 'grad');
    if (existsSync(join(dir, gradCauses))) out.push(`![Region map, ${dtype}: cause of each failing gradient cell](${gradCauses})`, '');
    const mine = lines.filter((l) => l.dtype === dtype);
    const straight = straightLines(mine);
    out.push(`Boundary lines: every pair that is an exp threshold, edges of overflow, underflow or nan found at two or more fixed values, other edges at five or more. The ${mine.length - straight.length} further pairs (single points of curved edges, ok/inaccurate flicker) are in \`${BOUNDARIES_FILE}\`.`, '');
    if (straight.length === 0) out.push('None.', '');
    else {
      // The longest lines and every threshold match, shown in pipeline order.
      const rank = (l: BoundaryLine) => (l.analytic !== undefined ? 1e9 : 0) + l.count;
      const keep = new Set([...straight].sort((x, y) => rank(y) - rank(x)).slice(0, MAX_LINES));
      const shown = straight.filter((l) => keep.has(l));
      out.push(table(['pipeline', 'panel', 'axis', 'change', 'last_value', 'first_value', 'along', 'analytic'], shown.map(lineRow)), '');
      if (straight.length > shown.length) out.push(`… and ${straight.length - shown.length} more lines in \`${BOUNDARIES_FILE}\`.`, '');
    }
    const rows = tallies
      .filter((t) => t.dtype === dtype)
      .map((t) => [t.pipeline, t.panel, ...['ok', 'inaccurate', 'overflow', 'underflow', 'nan'].map((o) => String(t.counts[o])), causeList(t.causes)]);
    out.push(`Cells per outcome (of ${tallies.find((t) => t.dtype === dtype)?.cells ?? 0} per panel) and their causes:`, '');
    out.push(table(['pipeline', 'panel', 'ok', 'inaccurate', 'overflow', 'underflow', 'nan', 'causes'], rows), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
