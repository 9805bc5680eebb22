/**
 * Calls an async function in a worker thread and waits for it synchronously:
 * the caller posts the request, blocks in Atomics.wait on a shared flag, and
 * reads the answer with receiveMessageOnPort (Node's worker_threads documents
 * this pair for synchronous hand-offs). Pipeline kernels are synchronous; this
 * lets a peer whose public API is async (onnxruntime-node's session.run) serve
 * as one for scoring. The worker is started on the first call and unref'd, so it
 * never keeps the process alive.
 */
import type { MessagePort } from 'node:worker_threads';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

export interface BridgeReply<R> {
  readonly ok: boolean;
  readonly value?: R;
  readonly error?: string;
}

export interface BridgeData {
  readonly port: MessagePort;
  readonly flag: Int32Array;
}

/** Time a single call may take before the caller gives up (a hung worker must not hang the command). */
const TIMEOUT_MS = 120_000;

/** `timeoutMs`: how long one call may take before the caller gives up (default TIMEOUT_MS). */
export function syncCaller<Q, R>(workerFile: string, timeoutMs: number = TIMEOUT_MS): (request: Q) => R {
  let state: { worker: Worker; port: MessagePort; flag: Int32Array; exited: string | undefined } | undefined;
  return (request: Q): R => {
    if (state === undefined || state.exited !== undefined) {
      const { port1, port2 } = new MessageChannel();
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(workerFile, { workerData: { port: port2, flag } satisfies BridgeData, transferList: [port2] });
      const s = { worker, port: port1, flag, exited: undefined as string | undefined };
      worker.on('error', (err) => (s.exited = err.message));
      worker.on('exit', (code) => (s.exited ??= `exit code ${code}`));
      worker.unref();
      port1.unref();
      state = s;
    }
    const { port, flag } = state;
    Atomics.store(flag, 0, 0);
    port.postMessage(request);
    // Wake up now and then: a worker that died before answering never sets the flag.
    const deadline = Date.now() + timeoutMs;
    while (Atomics.wait(flag, 0, 0, 1000) === 'timed-out') {
      if (!isAlive(state.worker) || Date.now() > deadline) {
        state.worker.terminate().catch(() => undefined);
        state.exited = 'no answer';
        throw new Error(`the worker ${workerFile} did not answer (it stopped, or took over ${timeoutMs / 1000} s)`);
      }
    }
    // The flag is set after the reply is posted, but on a loaded machine the message can reach the port
    // a moment after the flag (seen over a second late with 2 cores and a dozen busy processes): look
    // again, every millisecond, until the call's deadline (and at least a second) before calling it lost.
    let reply = receiveMessageOnPort(port)?.message as BridgeReply<R> | undefined;
    const lookUntil = Math.max(deadline, Date.now() + 1000);
    while (reply === undefined && Date.now() < lookUntil) {
      Atomics.wait(flag, 0, 1, 1);
      reply = receiveMessageOnPort(port)?.message as BridgeReply<R> | undefined;
    }
    if (reply === undefined) throw new Error(`the worker ${workerFile} set its flag without an answer`);
    if (!reply.ok) throw new Error(reply.error);
    return reply.value as R;
  };
}

function isAlive(w: Worker): boolean {
  // threadId becomes −1 once the thread has stopped.
  return w.threadId >= 0;
}

/** The worker side: answers each request with `handler`'s result or its error. */
export function serveSync<Q, R>(data: BridgeData, handler: (request: Q) => Promise<R> | R): void {
  const { port, flag } = data;
  port.on('message', (request: Q) => {
    Promise.resolve()
      .then(() => handler(request))
      .then(
        (value) => port.postMessage({ ok: true, value } satisfies BridgeReply<R>),
        (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies BridgeReply<R>),
      )
      // An answer that cannot be posted (postMessage throws) is answered with why, so the flag never comes alone.
      .catch((err: unknown) => port.postMessage({ ok: false, error: `the answer could not be sent: ${err instanceof Error ? err.message : String(err)}` } satisfies BridgeReply<R>))
      .finally(() => {
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      });
  });
}
