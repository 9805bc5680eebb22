/**
 * Every pool task goes through here (worker side): the task's module is
 * imported and its export called, bracketed by heartbeats (`supervise/heartbeat.ts`)
 * so that the supervisor knows which threads are busy and which are idle.
 */
import { pathToFileURL } from 'node:url';
import { beat } from '../supervise/heartbeat.js';
import { InputError } from '../util/errors.js';

/** The key of a task's result that carries an InputError's message from a worker (pool.ts throws it again as one). */
export const INPUT_ERROR = '__softmaxStabilityInputError';
export interface InputErrorResult {
  readonly [INPUT_ERROR]: string;
}

export interface PoolTaskEnvelope {
  /** The compiled module and its export. */
  readonly file: string;
  readonly name: string;
  readonly input: unknown;
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

export async function runTask(task: PoolTaskEnvelope): Promise<unknown> {
  let mod = modules.get(task.file);
  if (mod === undefined) {
    mod = import(pathToFileURL(task.file).href) as Promise<Record<string, unknown>>;
    modules.set(task.file, mod);
  }
  const fn = (await mod)[task.name];
  if (typeof fn !== 'function') throw new Error(`${task.file} has no export ${task.name}`);
  beat({ step: `task ${task.name}`, inPipeline: false });
  try {
    return await (fn as (input: unknown) => unknown)(task.input);
  } catch (err) {
    // A thread's errors reach the pool as plain Errors: bad input (an external pipeline's fault, SPEC 7) is sent as such, to stay exit 2.
    if (err instanceof InputError) return { [INPUT_ERROR]: err.message } satisfies InputErrorResult;
    throw err;
  } finally {
    beat({ step: 'idle', inPipeline: false });
  }
}
