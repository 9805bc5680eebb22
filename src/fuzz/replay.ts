/**
 * `fuzz --replay SEED:PATH --pipeline P --dtype D [--compute C] [--quantity grad] [--suite S] [--family F]`:
 * regenerates one recorded case from its seed and fast-check path, and scores
 * it against the oracle: its loss (SPEC 4), or with `--quantity grad` its
 * gradient (SPEC 4.2: outcome by norm_ulp, the worst component, the grad cause). The family and dtype come from the seed's low bits
 * (seed.ts); `--family` replays a path under another family's generator.
 */
import type { Dtype } from '../float/dtype.js';
import { DTYPES, isDtype } from '../float/dtype.js';
import type { Compute } from '../pipelines/variant.js';
import { computeModes, diagnoseVariant, isComputeOf, notRunReason, runsIn } from '../pipelines/variant.js';
import { formatValue } from '../float/shortest.js';
import { ulpDistanceText } from '../float/ordinal.js';
import type { OracleResult } from '../oracle/loss.js';
import { oracleLoss } from '../oracle/loss.js';
import { oracleGradRounded } from '../oracle/grad.js';
import { QUANTITIES } from '../report/key.js';
import type { GradVerdict } from '../score/grad.js';
import { gradCause, gradModeOf, judgeGrad } from '../score/grad.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import type { Pipeline } from '../pipelines/types.js';
import type { Verdict } from '../score/outcome.js';
import { classify, DEFAULT_BUDGET } from '../score/outcome.js';
import { pipelineLoss } from '../score/score.js';
import type { Family } from '../suite/define.js';
import { FAMILIES } from '../suite/define.js';
import { isAbsolute, relative, sep } from 'node:path';
import type { Suite } from '../suite/load.js';
import { resolveSuitePath } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import { harnessCommand } from '../util/invocation.js';
import { caseAt } from './cases.js';
import type { FuzzCase } from './families.js';
import { parseReplayToken, unitOfSeed, unitSeed } from './seed.js';
import type { OptionFamily } from './options.js';
import { OPTION_FAMILIES, optionSeed } from './options.js';
import { formatOptionReplay, optionUnitOfSeed, replayOption } from './option-failures.js';
import type { Quantity } from '../report/key.js';

export interface ReplayRequest {
  readonly token: string;
  readonly pipeline?: string;
  readonly dtype?: string;
  /** The arithmetic format (SPEC 2.1; failures.csv's compute column); default the dtype itself. */
  readonly compute?: string;
  readonly family?: string;
  /** `loss` (default) or `grad` (failures.csv's quantity column). */
  readonly quantity?: string;
}

/** A replayed gradient (SPEC 4.2): the pipeline's and the correctly rounded one, and their measures. */
export interface ReplayedGrad extends GradVerdict {
  readonly grad: Float64Array;
  readonly oracle: Float64Array;
}

export interface ReplayResult extends Verdict {
  readonly seed: number;
  readonly path: string;
  readonly pipeline: Pipeline;
  readonly dtype: Dtype;
  readonly compute: Compute;
  readonly family: Family;
  readonly case: FuzzCase;
  readonly loss: number;
  readonly oracle: OracleResult;
  readonly cause: string;
  /** Set where the seed is not one of the suite's (another suite's bare seed, or an option seed whose low bits name a family). */
  readonly note?: string;
  /** With `--quantity grad`: the gradient; then `outcome` and `cause` are the gradient's. */
  readonly grad?: ReplayedGrad;
}

/** A word for a POSIX shell: as is when safe, else single-quoted. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

/**
 * How `--suite` names a suite file from `cwd`: its name when that name finds the
 * same file from there (suites/NAME.suite.ts in cwd or in this package), else
 * its path relative to cwd ("./" added so that it reads as a path).
 */
export function suiteArgument(name: string, file: string, cwd: string = process.cwd()): string {
  try {
    if (resolveSuitePath(name, cwd) === file) return name;
  } catch {
    // not a name that resolves: a path
  }
  const rel = relative(cwd, file);
  if (isAbsolute(rel)) return file; // another drive
  return rel.startsWith('..') ? rel : `.${sep}${rel}`;
}

export interface ReplayCommand {
  readonly seed: string | number;
  readonly path: string;
  readonly pipeline: string;
  readonly dtype: string;
  /** Printed as `--compute C` where it is not the dtype itself. */
  readonly compute?: string;
  /** Printed as `--quantity grad` for a gradient failure. */
  readonly quantity?: string;
  /** `--suite` as suiteArgument gives it. */
  readonly suite: string;
}

/** The command that replays one case, to paste in the folder the campaign ran in. */
export function replayCommand(r: ReplayCommand): string {
  const compute = r.compute === undefined || r.compute === r.dtype ? '' : ` --compute ${r.compute}`;
  const quantity = r.quantity === undefined || r.quantity === 'loss' ? '' : ` --quantity ${r.quantity}`;
  return `${harnessCommand()} fuzz --replay ${r.seed}:${r.path} --pipeline ${shellWord(r.pipeline)} --dtype ${r.dtype}${compute}${quantity} --suite ${shellWord(r.suite)}`;
}

/** Runs past this index are refused: fast-check would step through every run before it. */
const MAX_RUN = 10_000_000;

/** The checked arguments of a replay: token, dtype, compute, quantity and pipeline (InputError naming the flag at fault). */
function replayArgs(suite: Suite, req: ReplayRequest): { seed: number; path: string; dtype: Dtype; compute: Compute; quantity: Quantity; pipeline: Pipeline } {
  const { seed, path } = parseReplayToken(req.token);
  if (Number(path.split(':')[0]) >= MAX_RUN) {
    throw new InputError(`run ${path.split(':')[0]} is past ${MAX_RUN}; give the path printed in failures.csv`, undefined, undefined, '--replay');
  }
  if (req.dtype === undefined || !isDtype(req.dtype)) {
    throw new InputError(`${req.dtype === undefined ? 'missing' : `unknown dtype ${JSON.stringify(req.dtype)}`}; --replay needs --dtype, one of ${DTYPES.join(', ')} (failures.csv's dtype column)`, undefined, undefined, '--dtype');
  }
  const dtype = req.dtype;
  const compute = req.compute ?? dtype;
  if (!isComputeOf(dtype, compute)) {
    throw new InputError(`compute ${JSON.stringify(compute)} is not a mode of ${dtype}; give --compute ${computeModes(dtype).join(' or --compute ')} (failures.csv's compute column)`, undefined, undefined, '--compute');
  }
  const quantity = req.quantity ?? 'loss';
  if (!(QUANTITIES as readonly string[]).includes(quantity)) {
    throw new InputError(`unknown quantity ${JSON.stringify(quantity)}; give --quantity ${QUANTITIES.join(' or --quantity ')} (failures.csv's quantity column)`, undefined, undefined, '--quantity');
  }
  const available = [...suite.pipelines, ...BUILTIN_PIPELINES.filter((b) => !suite.pipelines.some((p) => p.name === b.name))];
  const pipeline = available.find((p) => p.name === req.pipeline);
  if (pipeline === undefined) {
    throw new InputError(
      `${req.pipeline === undefined ? 'missing' : `unknown pipeline ${JSON.stringify(req.pipeline)}`}; --replay needs --pipeline, one of ${available.map((p) => p.name).join(', ')}`,
      undefined,
      undefined,
      '--pipeline',
    );
  }
  if (!runsIn(pipeline, dtype)) throw new InputError(`${pipeline.name} does not run in ${dtype}: ${notRunReason(pipeline, dtype)}`, undefined, undefined, '--dtype');
  return { seed, path, dtype, compute: compute as Compute, quantity: quantity as Quantity, pipeline };
}

/**
 * The text `fuzz --replay` prints: an option row's (a seed of one of the suite's option
 * families, option-failures.ts) or a bare case's (formatReplay).
 */
export function replayText(suite: Suite, req: ReplayRequest): string {
  const { seed } = parseReplayToken(req.token);
  const named = req.family === undefined ? undefined : /^(opt-[a-z-]+)(?:#(\d+))?$/.exec(req.family);
  const unit = req.family === undefined ? optionUnitOfSeed(suite, seed) : named != null && (OPTION_FAMILIES as readonly string[]).includes(named[1]) ? ('named' as const) : undefined;
  if (unit === undefined) return formatReplay(replay(suite, req));
  const a = replayArgs(suite, req);
  let u: Exclude<typeof unit, 'named'>;
  if (unit === 'named') {
    // --family opt-X#i (opt-X where the suite has one setting): failures.csv's family column; the seed must be that family's.
    const setting = Number(named![2] ?? 0);
    if (named![2] === undefined && suite.options.length > 1) {
      throw new InputError(`suite ${suite.name} has ${suite.options.length} options settings; give the row's family as failures.csv writes it, ${named![1]}#i`, undefined, undefined, '--family');
    }
    if (setting >= suite.options.length) {
      throw new InputError(
        `suite ${suite.name} has no options setting #${setting} (it has ${suite.options.length}); a row of family ${req.family} replays with the --suite that recorded it (e.g. --suite options)`,
        undefined,
        undefined,
        '--family',
      );
    }
    u = { setting, dtype: a.dtype, family: named![1] as OptionFamily };
    const own = optionSeed(suite.seed, setting, a.dtype, u.family);
    if (own !== seed) {
      throw new InputError(`seed ${seed} is not suite ${suite.name}'s seed of ${req.family} in ${a.dtype} (${own}); ${OPTION_ROWS_HINT}`, undefined, undefined, '--replay');
    }
  } else u = unit;
  return formatOptionReplay(replayOption(suite, u, a.seed, a.path, a.pipeline, { dtype: a.dtype, compute: a.compute }, a.quantity));
}

/** Where an option row's seed goes, for the messages of a seed this suite did not make. */
const OPTION_ROWS_HINT = "a row of an option family (failures.csv's family opt-X#i) replays only with the --suite that recorded it (e.g. --suite options)";

export function replay(suite: Suite, req: ReplayRequest): ReplayResult {
  const { seed, path, dtype, compute, quantity, pipeline } = replayArgs(suite, req);
  let family: Family;
  let note: string | undefined;
  if (req.family !== undefined) {
    if (!(FAMILIES as readonly string[]).includes(req.family)) {
      throw new InputError(`unknown family ${JSON.stringify(req.family)}; use one of ${FAMILIES.join(', ')}, or an option family opt-X#i of the suite's options (${OPTION_FAMILIES.join(', ')})`, undefined, undefined, '--family');
    }
    family = req.family as Family;
  } else {
    const unit = unitOfSeed(seed);
    if (unit === undefined) {
      throw new InputError(
        `seed ${seed} is not one of suite ${suite.name}'s fuzz seeds (bare or options families) and no bare family's seed (its low 4 bits name no family); ${OPTION_ROWS_HINT}; else copy the seed from failures.csv, or give --family`,
        undefined,
        undefined,
        '--replay',
      );
    }
    // A bare seed carries its dtype and family, so another suite's bare seed replays here too; an option seed does not.
    const ours = unitSeed(suite.seed, unit.dtype, unit.family) === seed;
    if (unit.dtype !== dtype) {
      if (ours) throw new InputError(`seed ${seed} was made for ${unit.dtype} cases; pass --dtype ${unit.dtype} (or --family ${unit.family} to replay its path in ${dtype})`, undefined, undefined, '--dtype');
      throw new InputError(
        `seed ${seed} is not one of suite ${suite.name}'s seeds for ${dtype} (bare or options families); ${OPTION_ROWS_HINT}; a bare row recorded by another suite replays with that suite too`,
        undefined,
        undefined,
        '--replay',
      );
    }
    if (!ours) note = `seed ${seed} is not one of suite ${suite.name}'s seeds: replayed as the bare ${unit.family} case of ${dtype} its low bits name; ${OPTION_ROWS_HINT}`;
    family = unit.family;
  }
  let c: FuzzCase | undefined;
  try {
    c = caseAt(family, dtype, seed, path);
  } catch {
    c = undefined;
  }
  if (c === undefined) {
    throw new InputError(`path ${path} leads to no case under seed ${seed} (${family}, ${dtype}); copy seed and path from the same failures.csv row`, undefined, undefined, '--replay');
  }
  const budget = suite.budgets[pipeline.name] ?? DEFAULT_BUDGET;
  const loss = pipelineLoss(pipeline, c.logits, c.target, dtype, compute);
  if (quantity === 'grad') {
    const mode = gradModeOf(pipeline, dtype, compute);
    if (mode === undefined) throw new InputError(`${pipeline.name} has no gradient in ${dtype} (compute ${compute}): no grad kernel${compute === dtype ? ' (or no grad.generic for a pure half format)' : ''}`, undefined, undefined, '--quantity');
    // The gradient from the fast tier (decimal.js where it cannot decide); the loss from decimal.js,
    // whose 30 digits `oracle_exact` prints (the fast tier cannot guarantee them).
    const want = oracleGradRounded(c.logits, c.target, dtype);
    const oracle = oracleLoss(c.logits, c.target, dtype);
    const g = new Float64Array(c.logits.length);
    mode.run(c.logits, c.target, g);
    const v = judgeGrad(g, want, dtype, budget);
    const cause = gradCause(pipeline, mode, dtype, c, v, g, want) ?? '';
    const lossVerdict = classify(loss, oracle.rounded, dtype, budget);
    return { seed, path, pipeline, dtype, compute, family, case: c, loss, oracle, ...lossVerdict, outcome: v.outcome, cause, grad: { ...v, grad: g, oracle: want }, ...(note === undefined ? {} : { note }) };
  }
  const oracle = oracleLoss(c.logits, c.target, dtype);
  const verdict = classify(loss, oracle.rounded, dtype, budget);
  const cause = verdict.outcome === 'ok' ? '' : diagnoseVariant(pipeline, { dtype, compute }, c.logits, c.target);
  return { seed, path, pipeline, dtype, compute, family, case: c, loss, oracle, ...verdict, cause, ...(note === undefined ? {} : { note }) };
}

/** The replayed case, one `name: value` line each; `case` is the same case as a row of a cases file (SPEC section 3) for `score`. */
export function formatReplay(r: ReplayResult): string {
  const d = r.dtype;
  const logits = Array.from(r.case.logits, (x) => formatValue(x, d)).join(' ');
  const lines: [string, string][] = [
    ['seed', String(r.seed)],
    ['path', r.path],
    ['pipeline', r.pipeline.name],
    ['dtype', d],
    ['compute', r.compute],
    ['family', r.family],
    ['classes', String(r.case.logits.length)],
    ['target', String(r.case.target)],
    ['logits', logits],
    ['loss', formatValue(r.loss, d)],
    ['oracle_loss', formatValue(r.oracle.rounded, d)],
    ['oracle_exact', r.oracle.exact],
    ['ulp_error', r.ulps === undefined ? '' : ulpDistanceText(r.loss, r.oracle.rounded, d)],
    ['bits_error', String(r.bits)],
    ['outcome', r.outcome],
    ['cause', r.cause],
    ['case', `replay-${r.seed}-${r.path.replaceAll(':', '-')},${d},${r.case.target},${logits}`],
  ];
  if (r.note !== undefined) lines.unshift(['note', r.note]);
  if (r.grad !== undefined) {
    // The gradient's lines (SPEC 4.2's names), after the loss's: the outcome and cause are the gradient's.
    const gr = r.grad;
    const w = gr.worst;
    const at = lines.findIndex(([k]) => k === 'outcome');
    lines.splice(
      at,
      0,
      ['quantity', 'grad'],
      ['grad', Array.from(gr.grad, (x) => formatValue(x, d)).join(' ')],
      ['oracle_grad', Array.from(gr.oracle, (x) => formatValue(x, d)).join(' ')],
      ['worst_class', String(w)],
      ['grad_worst', formatValue(gr.grad[w], d)],
      ['oracle_grad_worst', formatValue(gr.oracle[w], d)],
      ['max_ulp', gr.maxUlp === undefined ? '' : ulpDistanceText(gr.grad[w], gr.oracle[w], d)],
      ['norm_ulp', gr.normUlp === undefined ? '' : String(gr.normUlp)],
    );
  }
  return lines.map(([k, v]) => `${k}: ${v}`.trimEnd()).join('\n') + '\n';
}
