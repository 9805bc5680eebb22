/**
 * The helper thread that owns an external pipeline's process (SPEC 7). Pipeline
 * kernels are synchronous and a child process's pipes are not, so the kernel's
 * thread hands each request frame to this thread through the sync bridge
 * (src/peers/sync-bridge.ts: it blocks in Atomics.wait) and this thread, free to
 * run its event loop, writes the frame to the process's stdin and collects the
 * reply from its stdout.
 *
 * The process is started on the first frame, with stdin, stdout and stderr as pipes
 * (each line it writes on stderr goes to the harness's stderr, the log, prefixed with
 * `[pipeline-name] `). Each
 * frame fails, with a reason in words, when the process cannot be started, has
 * exited (its exit code or signal, and how many bytes of the reply had come), does
 * not answer within `timeoutMs`, sent more bytes than its reply at once (too long), or
 * wrote bytes after its previous reply; its process
 * group is then SIGKILLed. A `close` request (before the command publishes its files)
 * ends the process's stdin and fails when it writes bytes after its last reply before
 * it exits.
 *
 * Lifetime: each process leads a process group of its own (`detached`), announced to
 * the supervisor (src/supervise/supervisor.ts), which ends every group on every way
 * out of the run: at a normal end, once the compute thread has ended (the process's
 * stdin closed), a grace of PROCESS_GRACE_MS then SIGKILL; on the watchdog, SIGINT,
 * SIGTERM or a fault, SIGKILL at once. This thread also SIGKILLs its groups when it
 * exits (outside the CLI, where there is no supervisor). The reply's own checks (magic, status, size) are the
 * caller's (`decodeReply`); here only its length is read from its header
 * (`expectedReplyBytes`), so a wrong magic ends the wait at once.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { workerData } from 'node:worker_threads';
import type { BridgeData } from '../peers/sync-bridge.js';
import { serveSync } from '../peers/sync-bridge.js';
import { announceProcessGroup } from '../supervise/heartbeat.js';
import { killGroups, PROCESS_GRACE_MS, signalGroup } from '../supervise/process-groups.js';
import type { FrameShape } from './frame.js';
import { expectedReplyBytes } from './frame.js';
import { printable } from '../util/printable.js';

/** One frame for the process. */
export interface HostRequest {
  /** The pipeline's name: each line the process writes on stderr goes to the log as `[name] line`. */
  readonly name: string;
  /** `[program, ...args]` (SPEC 7's `command`), the same on every request of one pipeline. */
  readonly command: readonly string[];
  readonly shape: FrameShape;
  readonly frame: Uint8Array;
  readonly timeoutMs: number;
}

/** Ends the process's input before the command publishes (`close`). */
export interface HostClose {
  readonly close: true;
}

/** The reply's bytes and the wall time from the first byte written to the last byte read. */
export interface HostReply {
  readonly reply: Uint8Array;
  readonly seconds: number;
}

interface Proc {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  chunks: Buffer[];
  bytes: number;
  /** Why the process can no longer answer (set once: exited, failed to start, killed). */
  ended: string | undefined;
  /** Called whenever bytes arrive or the process ends. */
  wake: () => void;
}

let proc: Proc | undefined;
/** Every process group this thread started: SIGKILLed when the thread exits (the supervisor, told of each, ends them too). */
const groups = new Set<number>();
process.on('exit', () => killGroups(groups));

/**
 * One write to the harness's stderr (fd 2), synchronous: a worker thread's process.stderr
 * reaches fd 2 through the main thread, later, and lines still on their way when the
 * CLI exits were lost.
 */
function toLog(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr closed (the reader went away): the log is gone, the run goes on.
  }
}

/** Writes what a process writes on stderr to the log, line by line, each line prefixed `[name] ` and its control characters escaped (`printable`; a last line without a newline when the stream ends). */
function prefixLines(stream: Readable, name: string): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    if (lines.length > 0) toLog(lines.map((l) => `[${name}] ${printable(l)}\n`).join(''));
  });
  stream.on('end', () => {
    if (partial !== '') toLog(`[${name}] ${printable(partial)}\n`);
    partial = '';
  });
}

function start(name: string, command: readonly string[]): Proc {
  const [program, ...args] = command;
  // A group of its own (detached: setsid), so that one signal ends the process and whatever it started.
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  prefixLines(child.stderr, name);
  if (child.pid !== undefined) {
    groups.add(child.pid);
    announceProcessGroup(child.pid);
  }
  const p: Proc = { child, chunks: [], bytes: 0, ended: undefined, wake: () => undefined };
  child.stdout.on('data', (b: Buffer) => {
    p.chunks.push(b);
    p.bytes += b.length;
    p.wake();
  });
  child.on('error', (err: NodeJS.ErrnoException) => {
    p.ended ??= err.code === 'ENOENT' ? `cannot start ${JSON.stringify(program)}: no such program (spawn ENOENT)` : `cannot start ${JSON.stringify(program)} (${err.message})`;
    p.wake();
  });
  // 'close' comes after stdout has ended, so every byte the process wrote has been read by then.
  child.on('close', (code, signal) => {
    p.ended ??= signal !== null ? `the process was killed by ${signal}` : `the process exited with code ${code}`;
    p.wake();
  });
  // A process that exits while a frame is being written: the write fails with EPIPE; the exit says why.
  child.stdin.on('error', () => undefined);
  return p;
}

/** SIGKILLs the process's group (a fault: the run ends). */
function kill(p: Proc): void {
  if (p.child.pid !== undefined) signalGroup(p.child.pid, 'SIGKILL');
}

/** Every byte that has come and not been taken (kept as one chunk). */
function peek(p: Proc): Buffer {
  if (p.chunks.length > 1) p.chunks = [Buffer.concat(p.chunks)];
  return p.chunks[0] ?? Buffer.alloc(0);
}

function take(p: Proc, n: number): Buffer {
  const all = Buffer.concat(p.chunks);
  p.chunks = n < all.length ? [all.subarray(n)] : [];
  p.bytes = all.length - n;
  return all.subarray(0, n);
}

async function frame(req: HostRequest): Promise<HostReply> {
  if (proc === undefined || (proc.ended !== undefined && proc.bytes === 0)) {
    if (proc?.ended !== undefined) throw new Error(proc.ended);
    proc = start(req.name, req.command);
  }
  const p = proc;
  if (p.bytes > 0) throw new Error(`the process wrote ${p.bytes} bytes after its previous reply (starting ${JSON.stringify(peek(p).subarray(0, 16).toString('latin1'))})`);
  if (p.ended !== undefined) throw new Error(p.ended);
  const began = performance.now();
  p.child.stdin.write(req.frame);
  return new Promise<HostReply>((resolve, reject) => {
    const timer = setTimeout(() => {
      p.ended = `no reply within ${req.timeoutMs} ms (timeoutMs): the process was killed`;
      kill(p);
      done();
    }, req.timeoutMs);
    function done(): void {
      let expected: number | undefined;
      try {
        expected = expectedReplyBytes(req.shape, peek(p));
      } catch (err) {
        finish();
        kill(p);
        reject(err as Error);
        return;
      }
      if (expected !== undefined && p.bytes > expected) {
        // Bytes beyond the reply, already here: a reply too long (the next frame must not be blamed for them).
        finish();
        kill(p);
        reject(new Error(`the reply is too long: ${p.bytes} bytes, expected ${expected}`));
        return;
      }
      if (expected !== undefined && p.bytes === expected) {
        finish();
        // A copy of just the reply: posting a view would clone the whole stream buffer under it.
        resolve({ reply: new Uint8Array(take(p, expected)), seconds: (performance.now() - began) / 1000 });
        return;
      }
      if (p.ended !== undefined) {
        finish();
        kill(p);
        reject(new Error(p.bytes === 0 ? `${p.ended}, no reply` : `short reply, ${p.bytes}${expected === undefined ? '' : ` of ${expected}`} bytes: ${p.ended}`));
      }
    }
    function finish(): void {
      clearTimeout(timer);
      p.wake = () => undefined;
    }
    p.wake = done;
    done();
  });
}

/**
 * Closes the process's stdin (its signal to exit), waits up to PROCESS_GRACE_MS for it to
 * exit, and forgets it (a later frame starts it anew). Throws when it wrote bytes after its
 * last reply, before or after its input ended (a reply longer than its frame says): the
 * run's fault. A process that does not exit in time is no fault: its group is SIGKILLed.
 */
async function close(): Promise<void> {
  const p = proc;
  proc = undefined;
  if (p === undefined) return;
  p.child.stdin.end();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(end, PROCESS_GRACE_MS);
    function end(): void {
      clearTimeout(timer);
      p!.wake = () => undefined;
      resolve();
    }
    function done(): void {
      if (p!.ended !== undefined || p!.bytes > 0) end();
    }
    p.wake = done;
    done();
  });
  // One that has not exited by then is ended now (the supervisor would at the end of the run).
  if (p.ended === undefined) kill(p);
  if (p.bytes > 0) {
    kill(p);
    throw new Error(`the process wrote ${p.bytes} bytes after its last reply (starting ${JSON.stringify(peek(p).subarray(0, 16).toString('latin1'))}), seen when its stdin closed: a reply longer than its frame says`);
  }
}

if (workerData !== null && typeof workerData === 'object' && 'flag' in workerData) {
  serveSync<HostRequest | HostClose, HostReply | undefined>(workerData as BridgeData, async (req) => {
    if ('close' in req) {
      await close();
      return undefined;
    }
    return frame(req);
  });
}
