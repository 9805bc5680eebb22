/**
 * A pipeline in a (dtype, compute) pair (SPEC section 2.1): which kernel runs a
 * batch of a storage format in an arithmetic format, in one place.
 *
 * - float32, float64: `compute` is the dtype; the pipeline's own kernel runs.
 * - float16, bfloat16, `compute` = the dtype (pure): the pipeline's generic
 *   kernel (`Pipeline.generic`, src/pipelines/generic.ts) with every step rounded
 *   by the format's `round` (src/float/dtype.ts).
 * - float16, bfloat16, `compute = float32` (widened, as PyTorch's half kernels and
 *   autocast): the inputs are float32 values already (every half value is one),
 *   so the pipeline's float32 kernel runs and each loss is rounded once to the
 *   storage format. For the built-ins this is `widenedLoss` of their generic
 *   kernel, bit for bit (generic.test.ts checks the float32 kernels against it).
 *
 * - a pipeline with a half kernel of its own (`Pipeline.half`, an external process
 *   that computes in the format, SPEC 7) runs it in the pure mode instead.
 *
 * A pipeline without a generic kernel (a user's that gives only float32 and
 * float64 kernels, or a peer) does not run in the half formats: `runsIn` says so
 * and the commands leave it out with a note, they do not fail.
 */
import type { Dtype, FloatArray } from '../float/dtype.js';
import { DTYPES, formatOf, isHalf } from '../float/dtype.js';
import type { GenericLoss } from './generic.js';
import { GENERIC_LOSS } from './generic.js';
import { BUILTIN_PIPELINES } from './registry.js';
import type { Pipeline } from './types.js';
import { runKernel } from './types.js';

/** The arithmetic format of a row (SPEC 2.1): the dtype itself, or float32 for a widened half format. */
export type Compute = Dtype;

/** A storage format and the format its arithmetic is rounded to. */
export interface Variant {
  readonly dtype: Dtype;
  readonly compute: Compute;
}

/** The two modes of a half format, pure first (SPEC 2.1's default: both). */
export function computeModes(dtype: Dtype): readonly Compute[] {
  return isHalf(dtype) ? [dtype, 'float32'] : [dtype];
}

/** Whether `compute` is an arithmetic mode of `dtype`. */
export function isComputeOf(dtype: Dtype, compute: string): compute is Compute {
  return (computeModes(dtype) as readonly string[]).includes(compute);
}

/** Variants of the dtypes in report order (DTYPES, then pure before widened), restricted to `compute[dtype]` where given. */
export function variantsOf(dtypes: readonly Dtype[], compute: Partial<Record<Dtype, readonly Compute[]>> = {}): Variant[] {
  const out: Variant[] = [];
  for (const dtype of DTYPES) {
    if (!dtypes.includes(dtype)) continue;
    const chosen = compute[dtype];
    for (const c of computeModes(dtype)) if (chosen === undefined || chosen.includes(c)) out.push({ dtype, compute: c });
  }
  return out;
}

/**
 * The generic kernel of a pipeline: its own `generic`, or the built-in's from generic.ts (a
 * built-in listed as an object in a suite is watched through a wrapper whose prototype it is).
 */
export function genericOf(p: Pipeline): GenericLoss | undefined {
  if (p.generic !== undefined) return p.generic;
  for (let q: Pipeline | null = p; q !== null; q = Object.getPrototypeOf(q) as Pipeline | null) {
    if (BUILTIN_PIPELINES.includes(q)) return GENERIC_LOSS[q.name];
  }
  return undefined;
}

/**
 * Whether a pipeline runs in a dtype: never outside its `dtypes` where it lists them; else
 * always in float32 and float64, in a half format only with a generic kernel or a half
 * kernel of its own (`Pipeline.half`).
 */
export function runsIn(p: Pipeline, dtype: Dtype): boolean {
  if (p.dtypes !== undefined && !p.dtypes.includes(dtype)) return false;
  return !isHalf(dtype) || p.half?.[dtype] !== undefined || genericOf(p) !== undefined;
}

/** Why a pipeline is left out of the half formats (the commands' stderr note and summary.md say it in these words). */
export const LEFT_OUT_REASON = "no generic kernel (a suite's own pipeline runs in them once it gives a `generic` loss; the peers run in their frameworks' own dtypes only)";

/**
 * The pipelines left out of some of the half formats among `dtypes`, each with those formats (DTYPES order), in the order
 * given; `runs(p, d)` says whether p ran in d (`runsIn` for a suite's pipelines, the rows of a report for summary.md).
 */
export function leftOutOfHalves<T>(pipelines: readonly T[], dtypes: readonly string[], runs: (p: T, dtype: Dtype) => boolean): { pipeline: T; dtypes: Dtype[] }[] {
  const halves = DTYPES.filter((d) => isHalf(d) && dtypes.includes(d));
  return pipelines.map((p) => ({ pipeline: p, dtypes: halves.filter((d) => !runs(p, d)) })).filter((l) => l.dtypes.length > 0);
}

/**
 * Why `p` does not run in `missing`, formats outside the `dtypes` its entry declares (an external process's, SPEC 7).
 * `cases`: the dtypes come from a cases file (`score`), so the way out is cases in the declared formats, not a choice of dtype.
 */
function declaredReason(p: Pipeline, missing: readonly Dtype[], cases = false): string {
  const own = p.dtypes ?? [];
  const ownList = own.length === 1 ? own[0] : `one of ${own.join(', ')}`;
  return `pipeline ${p.name} declares dtypes [${own.join(', ')}]; add ${missing.join(' and ')} to its dtypes (if its implementation computes in ${missing.length === 1 ? 'it' : 'them'}) or ${cases ? `score cases in ${ownList} (these are ${missing.join(', ')})` : `choose ${ownList}`}`;
}

/**
 * Why a pipeline does not run in a dtype, or in those of a list it does not run in (`runsIn` false), in words a message can end with:
 * the formats its own `dtypes` declare (an external process's, SPEC 7), else LEFT_OUT_REASON.
 * `cases`: the dtypes are a cases file's (`score`): the reason then ends "or score cases in …" rather than "or choose …".
 * Undefined when it runs there.
 */
export function notRunReason(p: Pipeline, dtype: Dtype | readonly Dtype[], cases = false): string | undefined {
  const missing = (typeof dtype === 'string' ? [dtype] : dtype).filter((d) => !runsIn(p, d));
  if (missing.length === 0) return undefined;
  return p.dtypes !== undefined && missing.every((d) => !p.dtypes!.includes(d)) ? declaredReason(p, missing, cases) : LEFT_OUT_REASON;
}

/** The one-line note a command prints for the pipelines it leaves out of the half formats, each with its reason (`notRunReason`); undefined when none is left out. */
export function skippedNote(pipelines: readonly Pipeline[], dtypes: readonly Dtype[]): string | undefined {
  const given = DTYPES.filter((d) => dtypes.includes(d));
  const left = pipelines.map((p) => ({ pipeline: p, dtypes: given.filter((d) => !runsIn(p, d)) })).filter((l) => l.dtypes.length > 0);
  // Left out by the formats its entry declares (any format), or of the half formats for want of a generic kernel.
  const declared = left.filter((l) => l.pipeline.dtypes !== undefined && l.dtypes.some((d) => !l.pipeline.dtypes!.includes(d)));
  const generic = left.filter((l) => !declared.includes(l));
  const parts: string[] = [];
  if (generic.length > 0) parts.push(`${generic.map((l) => l.pipeline.name).join(', ')} not run in ${[...new Set(generic.flatMap((l) => l.dtypes))].join(' and ')}: ${LEFT_OUT_REASON}`);
  for (const l of declared) parts.push(`${l.pipeline.name} not run in ${l.dtypes.join(' and ')}: ${declaredReason(l.pipeline, l.dtypes)}`);
  return parts.length === 0 ? undefined : parts.join('; ');
}

/** Why a pipeline has no gradient rows (issue 14: "simply not in the gradient reports", said where it happens). */
export const NO_GRAD_REASON = 'no backward pass (the pipeline has no `grad` kernel; give it one to see its gradients)';

/**
 * The note `fuzz` and `map` print when the suite asks for gradients (`quantities`
 * holds `grad`) and some pipelines have no backward pass: they get loss rows only.
 * Undefined when gradients are not asked for or every pipeline has one.
 */
export function noGradNote(pipelines: readonly Pipeline[], quantities: readonly string[]): string | undefined {
  if (!quantities.includes('grad')) return undefined;
  const left = pipelines.filter((p) => p.grad === undefined).map((p) => p.name);
  return left.length === 0 ? undefined : `${left.join(', ')}: no gradient rows: ${NO_GRAD_REASON}`;
}

/**
 * Runs one pipeline on a batch of a storage format in an arithmetic format.
 * `logits` and `out` are `formatOf(dtype).array`s (Float32Array for the half
 * formats); `rows × classes` row-major logits, `targets[r]` the class of row r.
 * Throws if the pipeline does not run in the dtype (check `runsIn` first).
 */
export function runVariant(p: Pipeline, v: Variant, logits: FloatArray, rows: number, classes: number, targets: Int32Array, out: FloatArray): void {
  const { dtype, compute } = v;
  if (!isHalf(dtype)) return runKernel(p, dtype, logits, rows, classes, targets, out);
  const own = p.half?.[dtype];
  if (own !== undefined && compute === dtype) return own(logits as Float32Array, rows, classes, targets, out as Float32Array);
  const round = formatOf(dtype).round;
  if (compute === 'float32' && runsIn(p, dtype)) {
    runKernel(p, 'float32', logits, rows, classes, targets, out);
    for (let r = 0; r < rows; r++) out[r] = round(out[r]);
    return;
  }
  const generic = genericOf(p);
  if (generic === undefined) throw new Error(`pipeline ${p.name} has no generic kernel, so it does not run in ${dtype}`);
  for (let r = 0, base = 0; r < rows; r++, base += classes) out[r] = generic(logits.subarray(base, base + classes), targets[r], round);
}

/** The first step that went wrong in a row, traced in the variant's arithmetic format (undefined without `diagnose`). */
export function diagnoseVariant(p: Pipeline, v: Variant, row: ArrayLike<number>, target: number): string {
  return p.diagnose?.(row, target, v.compute) ?? '';
}
