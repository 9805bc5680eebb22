/**
 * A suite's external pipeline entry (SPEC 7): `{ name, command: [program, ...args],
 * dtypes?, grad?, timeoutMs?, clock? }`, validated here with messages that name the field
 * (`pipelines[2].command`) and say what is expected.
 */
import { z } from 'zod';
import type { Dtype } from '../float/dtype.js';
import { didYouMean, dtypeList, fieldName, showValue } from '../suite/schema.js';
import { InputError } from '../util/errors.js';

/** Default time a process has to answer one frame, milliseconds (SPEC 7). */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** A pipeline name as reports show it: kebab-case letters and digits (SPEC 2). */
const PIPELINE_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const MAX_TIMEOUT_MS = 86_400_000;

export const externalSpecSchema = z.strictObject({
  /** The pipeline's name in every report. */
  name: z.string({ error: 'a pipeline name' }).regex(PIPELINE_NAME, { error: 'a pipeline name of lower-case letters, digits, ".", "_" and "-" (e.g. "torch-cross-entropy")' }),
  /** `[program, ...args]`: started once per worker, without a shell. */
  command: z
    .array(z.string({ error: 'a command: an array of strings, [program, ...args]' }).min(1, { error: 'a command: non-empty strings, [program, ...args]' }), { error: 'a command: an array of strings, [program, ...args] (no shell: split the arguments yourself)' })
    .min(1, { error: 'a command: [program, ...args], at least the program' })
    .readonly(),
  /** The formats the process computes in (default: all four; frames of other formats are never sent). */
  dtypes: dtypeList.optional(),
  /** Whether the process answers op 2 (losses and gradients); default false. */
  grad: z.boolean({ error: 'true or false: whether the process answers op 2 (gradients)' }).optional(),
  /** Milliseconds the process has to answer one frame (default 30,000). */
  timeoutMs: z
    .number({ error: `a time in milliseconds: a whole number from 1 to ${MAX_TIMEOUT_MS.toLocaleString('en-US')}` })
    .int({ error: `a time in milliseconds: a whole number from 1 to ${MAX_TIMEOUT_MS.toLocaleString('en-US')}` })
    .min(1, { error: `a time in milliseconds: a whole number from 1 to ${MAX_TIMEOUT_MS.toLocaleString('en-US')}` })
    .max(MAX_TIMEOUT_MS, { error: `a time in milliseconds: a whole number from 1 to ${MAX_TIMEOUT_MS.toLocaleString('en-US')}` })
    .optional(),
  /**
   * The clock bench times the pipeline's rows on (default `cpu`): `cpu`, the CPU time of its
   * processes (every thread, from /proc), blind to children that have exited and to GPU time;
   * `wall`, elapsed time, for GPU or multi-process implementations (noisier on a loaded machine).
   */
  clock: z.enum(['cpu', 'wall'], { error: "a bench clock: 'cpu' (its processes' CPU time, the default) or 'wall' (elapsed time: GPU or multi-process implementations)" }).optional(),
});

export type ExternalSpecInput = z.input<typeof externalSpecSchema>;

/** A checked entry with its defaults. */
export interface ExternalSpec {
  readonly name: string;
  readonly command: readonly string[];
  readonly dtypes: readonly Dtype[];
  readonly grad: boolean;
  readonly timeoutMs: number;
  /** The clock bench times its rows on: `cpu` (its processes' CPU time) or `wall` (elapsed). */
  readonly clock: 'cpu' | 'wall';
}

/** Whether a suite's pipeline entry is an external one (an object with a `command`). */
export function isExternalEntry(p: unknown): p is ExternalSpecInput {
  return p !== null && typeof p === 'object' && 'command' in p && typeof (p as { float32?: unknown }).float32 !== 'function';
}

/**
 * Checks an external entry; throws an InputError naming the suite file and the field
 * (`pipelines[i].command`) on any fault.
 */
export function checkExternalSpec(input: unknown, file: string, index: number): ExternalSpec {
  const at = (path: readonly PropertyKey[]) => fieldName(['pipelines', index, ...path]);
  const parsed = externalSpecSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue & { input?: unknown };
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(externalSpecSchema.shape);
      const hint = didYouMean(issue.keys[0], known);
      throw new InputError(`unknown key ${JSON.stringify(issue.keys[0])}${hint !== undefined ? `; did you mean ${JSON.stringify(hint)}?` : '.'} Known keys of an external pipeline: ${known.join(', ')}`, file, undefined, at([...issue.path, issue.keys[0]]));
    }
    throw new InputError(`got ${'input' in issue ? showValue(issue.input) : 'nothing'}; expected ${issue.message}`, file, undefined, at(issue.path));
  }
  const d = parsed.data;
  return { name: d.name, command: d.command, dtypes: d.dtypes ?? ['float32', 'float64', 'float16', 'bfloat16'], grad: d.grad ?? false, timeoutMs: d.timeoutMs ?? DEFAULT_TIMEOUT_MS, clock: d.clock ?? 'cpu' };
}
