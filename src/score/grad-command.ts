/** `softmax-stability score CASES.csv --grad [--out FILE] [--pipelines a,b] [--budget ULPS] [--external-grad FILE]` and the batch options' flags (SPEC sections 4.2, 6). */
import { parseOptionFlags } from '../cases/options.js';
import { readAnyCases } from '../cases/read.js';
import { toCsv } from '../report/csv.js';
import { InputError } from '../util/errors.js';
import { prepareOutputFile } from '../util/publish.js';
import { writeFileAtomic } from '../util/write.js';
import { runBeforePublish } from '../util/before-publish.js';
import type { ScoreCommandOptions } from './command.js';
import { checkSelectedRun, parseBudget, scorePipelines } from './command.js';
import { skippedNote } from '../pipelines/variant.js';
import { readExternalGrad } from './external-grad.js';
import { GRAD_COLUMNS, gradCsvRow, gradSummaryLines, scoreGradCases } from './grad.js';

export async function runScoreGrad(casesFile: string, opts: ScoreCommandOptions): Promise<void> {
  if (opts.external !== undefined) throw new InputError('--external gives losses; with --grad give the gradients with --external-grad FILE (id,impl,dtype,grad)', undefined, undefined, '--external');
  if (!opts.grad) throw new InputError('--external-grad scores gradients: add --grad', undefined, undefined, '--external-grad');
  const selected = await scorePipelines(opts);
  const budget = parseBudget(opts.budget);
  const batch = parseOptionFlags(opts);
  if (opts.out !== undefined) prepareOutputFile(opts.out, '--out', [casesFile, ...(opts.externalGrad !== undefined ? [opts.externalGrad] : [])]);
  if (batch.reduction !== 'none') process.stderr.write(`score --grad: the gradient scored is each row's l_n with respect to its logits (SPEC 6), whatever the reduction; --reduction ${batch.reduction} adds no row\n`);
  const cases = readAnyCases(casesFile, batch.ignoreIndex);
  const external = opts.externalGrad !== undefined ? readExternalGrad(opts.externalGrad, cases) : [];
  const dtypes = [...new Set(cases.map((c) => c.dtype))];
  checkSelectedRun(opts.pipelines, selected, dtypes, casesFile);
  const note = skippedNote(selected, dtypes);
  if (note !== undefined) process.stderr.write(`score --grad: ${note}\n`);
  const without = selected.filter((p) => p.grad === undefined).map((p) => p.name);
  if (without.length > 0) process.stderr.write(`score --grad: no backward pass, not scored: ${without.join(', ')}\n`);
  const started = performance.now();
  const rows = scoreGradCases(cases, { pipelines: selected, budget, external, batch, file: casesFile });
  const csv = toCsv(GRAD_COLUMNS, rows.map(gradCsvRow));
  runBeforePublish();
  if (opts.out !== undefined) writeFileAtomic(opts.out, csv);
  else process.stdout.write(csv);
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`scored the gradients of ${cases.length} cases: ${rows.length} rows (${external.length} external) in ${seconds.toFixed(1)} s (budget ${budget} norm ulps)\n${gradSummaryLines(rows).join('\n')}\n`);
}
