/**
 * A worker-thread pool (tinypool) for the oracle and any other CPU-bound task.
 *
 * A task names a compiled module and one of its exports: `pool.run(moduleFile,
 * 'exportName', input)`. Module files are the compiled JS under dist/ (Node 20
 * workers cannot load a .ts entry); `compiledModule('pool/oracle-task.js')` gives
 * the path of `src/pool/oracle-task.ts`'s build output whether the caller runs
 * from dist/ or from the sources (vitest).
 *
 * Crashes. tinypool rejects a task whose worker throws or emits 'error', but a
 * worker thread that just exits (process.exit in a worker, a native abort) leaves
 * its task pending forever. The pool therefore watches every thread's 'exit': an
 * exit that we did not ask for fails every pending and later task with
 * `WorkerCrashError`, so a command ends with a message instead of hanging.
 */
import { availableParallelism } from 'node:os';
import Tinypool from 'tinypool';
import { compiledModule } from '../util/compiled.js';
import { InputError } from '../util/errors.js';
import type { InputErrorResult, PoolTaskEnvelope } from './task.js';
import { INPUT_ERROR } from './task.js';

const TASK_FILE = () => compiledModule('pool/task.js');

export class WorkerCrashError extends Error {
  override readonly name = 'WorkerCrashError';
  constructor(
    message: string,
    /** The thread id of the worker that exited, and its exit code. */
    readonly thread?: number,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

export { compiledModule } from '../util/compiled.js';

export interface PoolOptions {
  /** Worker threads (default: os.availableParallelism()). */
  readonly threads?: number;
}

interface TinypoolThread {
  readonly threadId: number;
  on(event: 'exit', listener: (code: number) => void): unknown;
}

export class WorkerPool {
  readonly threads: number;
  private readonly pool: Tinypool;
  private readonly watched = new WeakSet<object>();
  private readonly pending = new Set<(err: Error) => void>();
  private failure: WorkerCrashError | undefined;
  private destroying = false;

  constructor(options: PoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
    this.pool = new Tinypool({ filename: null, minThreads: this.threads, maxThreads: this.threads, isolateWorkers: false });
    this.watch();
  }

  /** Runs `name` exported by the compiled module `file` on `input` in a worker. */
  run<R>(file: string, name: string, input: unknown, transferList?: ArrayBuffer[]): Promise<R> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.destroying) return Promise.reject(new Error('the worker pool was closed'));
    // Every task runs through task.js, which posts the thread's heartbeats around it (supervise/heartbeat.ts).
    const envelope: PoolTaskEnvelope = { file, name, input };
    const started = this.pool.run(envelope, { filename: TASK_FILE(), name: 'runTask', transferList }) as Promise<R>;
    this.watch();
    return new Promise<R>((resolvePromise, reject) => {
      this.pending.add(reject);
      started.then(
        (value) => {
          this.pending.delete(reject);
          if (value !== null && typeof value === 'object' && INPUT_ERROR in value) reject(new InputError((value as InputErrorResult)[INPUT_ERROR]));
          else resolvePromise(value);
        },
        (err: unknown) => {
          this.pending.delete(reject);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /** Stops the threads. After a crash it does not wait for the dead thread (tinypool would wait for an 'exit' already past). */
  async destroy(): Promise<void> {
    if (this.destroying) return;
    this.destroying = true;
    if (this.failure !== undefined) {
      void this.pool.destroy().catch(() => undefined);
      return;
    }
    await this.pool.destroy();
  }

  private watch(): void {
    for (const thread of this.pool.threads as unknown as TinypoolThread[]) {
      if (this.watched.has(thread)) continue;
      this.watched.add(thread);
      thread.on('exit', (code) => this.onExit(code, thread.threadId));
    }
  }

  private onExit(code: number, thread: number): void {
    if (this.destroying || this.failure !== undefined) return;
    this.failure = new WorkerCrashError(`a worker thread exited unexpectedly (exit code ${code}); the run was stopped and nothing was written`, thread, code);
    for (const reject of this.pending) reject(this.failure);
    this.pending.clear();
    void this.destroy();
  }
}
