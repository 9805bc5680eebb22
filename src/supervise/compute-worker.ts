/**
 * The compute worker: runs one CLI command (`program.ts`'s `main`) for the
 * supervisor (`supervisor.ts`), then reports its exit status on the parent port.
 * Its stdout and stderr reach the terminal through the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerReport } from './supervisor.js';

interface ComputeData {
  readonly argv: string[];
  readonly stderrIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly columns?: number;
}

const data = workerData as ComputeData;
// A worker's stdio are pipes to the main thread: keep the progress bar where the real stderr is a terminal.
if (data.stderrIsTTY) Object.assign(process.stderr, { isTTY: true, columns: data.columns ?? 80 });
if (data.stdoutIsTTY) Object.assign(process.stdout, { isTTY: true });

/** Resolves once everything written so far has reached the main thread. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolveFlush) => stream.write('', () => resolveFlush()));
}

async function report(r: WorkerReport): Promise<void> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  parentPort!.postMessage(r);
  // Handles a user's code left open (timers, sockets) must not keep the run alive.
  process.exit(0);
}

try {
  const { main } = await import('../program.js');
  await report({ kind: 'done', code: await main(data.argv) });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  const crash = e as Error & { thread?: number; exitCode?: number };
  await report({ kind: 'failed', name: e.name, message: e.message, stack: e.stack ?? e.message, crashedThread: crash.thread, exitCode: crash.exitCode });
}
