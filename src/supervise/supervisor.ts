/**
 * The supervisor: the CLI's main thread runs no user code. It starts the
 * command in a worker thread (`compute-worker.ts`: parsing, the suite file,
 * every phase), stays idle itself, and so can always act on:
 *
 * - SIGINT / SIGTERM: the compute worker and its pools are stopped, the run's
 *   staging folders removed, one line printed; exit 130 / 143 (128 + signal
 *   number, the shell's convention), within a second whatever the run is doing.
 * - Silence: every thread of the run posts heartbeats (`heartbeat.ts`); when
 *   none arrives for the suite's `watchdog.stallSeconds` (default
 *   DEFAULT_STALL_SECONDS), the run is stopped with one line naming the phase and
 *   the pipeline a thread entered and never left; exit 2.
 * - User code ending the process: `process.exit(n)` in a pipeline ends only the
 *   worker thread it runs in; reported in one line naming the pipeline, exit 2.
 * - Uncaught errors: thrown from the suite file's code (e.g. from a timer a
 *   pipeline set), exit 2 naming the pipeline; anywhere else, an internal error
 *   of the harness, exit 3 with the stack.
 *
 * - External pipelines' processes (SPEC 7): each leads a process group the
 *   host thread announces here; none outlives the run. At a normal end (the
 *   compute thread gone, so their stdin closed) each group has PROCESS_GRACE_MS
 *   to exit, then is SIGKILLed; on the watchdog, a signal, a failed run or any
 *   exit of this process, SIGKILL at once (synchronously, in an 'exit' hook).
 *
 * Exit statuses therefore keep their meaning (SPEC section 1): 0 success,
 * 1 only the gate's regression verdict, 2 bad usage, bad input or a failure of
 * user code, 3 an internal error.
 */
import { rmSync } from 'node:fs';
import { BroadcastChannel, Worker } from 'node:worker_threads';
import { compiledModule } from '../util/compiled.js';
import type { Message } from './heartbeat.js';
import { CHANNEL_ENV } from './heartbeat.js';
import { endGroups, killGroups } from './process-groups.js';

/**
 * Default watchdog limit, seconds without any heartbeat. The slowest legitimate
 * step that posts none is one oracle row of a 50,257-class vocabulary at a
 * precision doubled twice (about 5 s at 48 digits, a few times that when Ziv's
 * loop doubles, and 2–4 times slower again on a loaded 2-core machine), or one
 * call of a slow user kernel on the bench's largest shape: 120 s is several times
 * the worst of these, and short enough that a CI job notices a hang.
 */
export const DEFAULT_STALL_SECONDS = 120;

/** What the compute worker posts on its port. */
export type WorkerReport =
  | { readonly kind: 'done'; readonly code: number }
  | { readonly kind: 'failed'; readonly name: string; readonly message: string; readonly stack: string; readonly crashedThread?: number; readonly exitCode?: number };

interface ThreadState {
  readonly at: number;
  readonly phase?: string;
  readonly pipeline?: string;
  readonly dtype?: string;
  readonly inPipeline?: boolean;
  readonly step?: string;
}

const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;

export interface SuperviseOptions {
  /** The compute worker's entry (compiled JS). */
  readonly entry?: string;
}

/** Runs the CLI `argv` under supervision; resolves to the process's exit status. */
export function supervise(argv: readonly string[], options: SuperviseOptions = {}): Promise<number> {
  const channelName = `softmax-stability-${process.pid}-${Date.now()}`;
  process.env[CHANNEL_ENV] = channelName;
  const channel = new BroadcastChannel(channelName);
  const threads = new Map<number, ThreadState>();
  const staging = new Set<string>();
  /** Process groups of external pipelines started in the run: none outlives it (SPEC 7). */
  const groups = new Set<number>();
  const killAllGroups = () => killGroups(groups);
  process.on('exit', killAllGroups);
  let stallSeconds = DEFAULT_STALL_SECONDS;
  let suiteFile: string | undefined;
  let phase = argv.find((a) => !a.startsWith('-')) ?? 'cli';
  let lastBeat = performance.now();
  let report: WorkerReport | undefined;
  let ending = false;

  const worker = new Worker(options.entry ?? compiledModule('supervise/compute-worker.js'), {
    workerData: { argv: [...argv], stderrIsTTY: process.stderr.isTTY === true, stdoutIsTTY: process.stdout.isTTY === true, columns: process.stderr.columns },
  });

  return new Promise<number>((resolveStatus) => {
    const watchdog = setInterval(() => {
      const silent = (performance.now() - lastBeat) / 1000;
      if (silent >= stallSeconds) void stop(stallLine(), 2);
    }, 100);

    const stallLine = (): string => {
      // The thread that most recently entered a pipeline and has not said it left (a thread leaving a kernel posts nothing until its next change, so older claims may be stale).
      const stuck = [...threads.values()].filter((t) => t.inPipeline === true).sort((a, b) => b.at - a.at)[0];
      const where = stuck !== undefined ? `in pipeline ${JSON.stringify(stuck.pipeline)} (${stuck.dtype}), which has not returned` : `at step ${latest()?.step ?? 'start'}`;
      return `no progress for ${stallSeconds} s in the ${phase} phase, ${where}; stopped. The limit is the suite's watchdog.stallSeconds (${stallSeconds} s): raise it if one step legitimately takes longer`;
    };
    const latest = (): ThreadState | undefined => [...threads.values()].sort((a, b) => b.at - a.at)[0];
    /** The pipeline a thread last entered, for faults found after the fact. */
    const pipelineOf = (thread: number | undefined): ThreadState | undefined => {
      const t = thread === undefined ? undefined : threads.get(thread);
      if (t?.pipeline !== undefined) return t;
      return [...threads.values()].filter((s) => s.pipeline !== undefined).sort((a, b) => b.at - a.at)[0];
    };
    const named = (t: ThreadState | undefined) => (t?.pipeline !== undefined ? `pipeline ${JSON.stringify(t.pipeline)} (${t.dtype})` : 'code of the suite file');

    const finish = (status: number) => {
      if (ending) return;
      ending = true;
      clearInterval(watchdog);
      // A run that failed (user code ended its thread, an uncaught error) leaves no staging folder or
      // lock behind; a finished one (0, or 1 from the gate) removed its own before it returned.
      if (status >= 2) for (const dir of staging) rmSync(dir, { recursive: true, force: true });
      channel.close();
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      // The compute thread and its pools have ended, so every process's stdin is closed: a grace to exit, then SIGKILL.
      void endGroups(status >= 2 ? [] : groups).then(() => {
        killAllGroups();
        resolveStatus(status);
      });
    };

    /** Ends the run now: the worker and its pools stopped, staging removed, one line, `status`. */
    const stop = async (line: string, status: number) => {
      if (ending) return;
      ending = true;
      clearInterval(watchdog);
      process.stderr.write(`softmax-stability: ${line}\n`);
      // terminate() interrupts a busy loop (V8 TerminateExecution); do not wait on it for long.
      await Promise.race([worker.terminate(), new Promise((r) => setTimeout(r, 300))]);
      killAllGroups();
      for (const dir of staging) rmSync(dir, { recursive: true, force: true });
      // process.exit ends every thread, the pools' nested workers included.
      process.exit(status);
    };

    const onSignal = (signal: NodeJS.Signals) => {
      void stop(`interrupted (${signal}) in the ${phase} phase; the output folder keeps the previous reports`, SIGNAL_STATUS[signal as keyof typeof SIGNAL_STATUS] ?? 2);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    channel.onmessage = (event) => {
      const m = (event as { data: Message }).data;
      lastBeat = performance.now();
      if (m.kind === 'beat') {
        const before = threads.get(m.thread);
        threads.set(m.thread, { ...m, at: lastBeat, pipeline: m.pipeline ?? before?.pipeline, dtype: m.dtype ?? before?.dtype });
        if (m.phase !== undefined && m.thread === worker.threadId) phase = m.phase;
      } else if (m.kind === 'process-group') {
        groups.add(m.pgid);
      } else if (m.kind === 'staging') {
        if (m.active) staging.add(m.path);
        else staging.delete(m.path);
      } else {
        stallSeconds = m.stallSeconds;
        suiteFile = m.file;
      }
    };

    worker.on('message', (m: WorkerReport) => {
      report = m;
    });

    worker.on('error', (err: Error) => {
      // An uncaught exception in the compute worker: thrown by user code after it returned, or a bug of ours.
      if (ending) return;
      const stack = err.stack ?? String(err);
      if (suiteFile !== undefined && stack.includes(suiteFile)) {
        process.stderr.write(`softmax-stability: ${named(pipelineOf(worker.threadId))} threw an uncaught error in the ${phase} phase: ${err.message} (${suiteFile}); fix the pipeline or remove it from the suite\n`);
        finish(2);
      } else {
        process.stderr.write(`softmax-stability: internal error: ${stack}\n`);
        finish(3);
      }
    });

    worker.on('exit', (code) => {
      if (ending) return;
      if (report?.kind === 'done') return finish(report.code);
      if (report?.kind === 'failed') {
        const fromSuite = suiteFile !== undefined && report.stack.includes(suiteFile);
        if (report.crashedThread !== undefined) {
          const t = threads.get(report.crashedThread);
          if (t?.inPipeline === true || fromSuite) {
            process.stderr.write(`softmax-stability: ${named(t)} ended its worker thread (process.exit(${report.exitCode ?? '?'}) or a crash) in the ${phase} phase; a pipeline must return its losses. Fix the pipeline or remove it from the suite\n`);
            return finish(2);
          }
          process.stderr.write(`softmax-stability: ${report.message}\n`);
          return finish(3);
        }
        if (fromSuite) {
          process.stderr.write(`softmax-stability: ${named(pipelineOf(undefined))} threw in the ${phase} phase: ${report.message}; fix the pipeline or remove it from the suite\n`);
          return finish(2);
        }
        process.stderr.write(`softmax-stability: internal error: ${report.stack}\n`);
        return finish(3);
      }
      // The worker ended without a word: user code called process.exit.
      const t = threads.get(worker.threadId);
      const who = t?.inPipeline === true ? named(t) : `the suite file${suiteFile ? ` ${suiteFile}` : ''} (last ${named(pipelineOf(worker.threadId))})`;
      process.stderr.write(`softmax-stability: ${who} ended the process with process.exit(${code}) in the ${phase} phase; nothing was written. A pipeline must return its losses: fix it or remove it from the suite\n`);
      finish(2);
    });
  });
}
