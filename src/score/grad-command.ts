/** `softmax-stability score CASES.csv --grad [--out FILE] [--pipelines a,b] [--budget ULPS] [--external-grad FILE]` (SPEC section 4.2). */
import type { OptionFlags } from '../cases/options.js';
import { isFullyMasked, OPTION_FLAGS } from '../cases/options.js';
import { readAnyCases } from '../cases/read.js';
import { toCsv } from '../report/csv.js';
import { InputError } from '../util/errors.js';
import { prepareOutputFile } from '../util/publish.js';
import { writeFileAtomic } from '../util/write.js';
import type { ScoreCommandOptions } from './command.js';
import { parseBudget, scorePipelines } from './command.js';
import { readExternalGrad } from './external-grad.js';
import { GRAD_COLUMNS, gradCsvRow, gradSummaryLines, scoreGradCases } from './grad.js';

export async function runScoreGrad(casesFile: string, opts: ScoreCommandOptions): Promise<void> {
  if (opts.external !== undefined) throw new InputError('--external gives losses; with --grad give the gradients with --external-grad FILE (id,impl,dtype,grad)', undefined, undefined, '--external');
  if (!opts.grad) throw new InputError('--external-grad scores gradients: add --grad', undefined, undefined, '--external-grad');
  const selected = await scorePipelines(opts);
  const budget = parseBudget(opts.budget);
  if (opts.out !== undefined) prepareOutputFile(opts.out, '--out', [casesFile, ...(opts.externalGrad !== undefined ? [opts.externalGrad] : [])]);
  const given = (Object.keys(OPTION_FLAGS) as (keyof OptionFlags)[]).find((k) => opts[k] !== undefined);
  if (given !== undefined) throw new InputError('the batch options are scored on losses only so far; drop the flag or --grad', undefined, undefined, OPTION_FLAGS[given]);
  const cases = readAnyCases(casesFile);
  for (const c of cases) {
    if (c.soft !== undefined) throw new InputError('--grad scores class-index targets only, not soft targets', casesFile, c.line, 'target');
    if (isFullyMasked(c.logits)) throw new InputError('--grad needs a class that is not masked: every logit of the row is -Infinity', casesFile, c.line, 'logits');
  }
  const external = opts.externalGrad !== undefined ? readExternalGrad(opts.externalGrad, cases) : [];
  const without = selected.filter((p) => p.grad === undefined).map((p) => p.name);
  if (without.length > 0) process.stderr.write(`score --grad: no backward pass, not scored: ${without.join(', ')}\n`);
  const started = performance.now();
  const rows = scoreGradCases(cases, { pipelines: selected, budget, external });
  const csv = toCsv(GRAD_COLUMNS, rows.map(gradCsvRow));
  if (opts.out !== undefined) writeFileAtomic(opts.out, csv);
  else process.stdout.write(csv);
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`scored the gradients of ${cases.length} cases: ${rows.length} rows (${external.length} external) in ${seconds.toFixed(1)} s (budget ${budget} norm ulps)\n${gradSummaryLines(rows).join('\n')}\n`);
}
