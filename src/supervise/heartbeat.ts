/**
 * Heartbeats: what each thread of a supervised run is doing, posted to the
 * supervisor (`supervisor.ts`) on a BroadcastChannel, which reaches the main
 * thread from the compute worker and from every pool thread nested in it alike.
 *
 * A thread posts when what it does changes (phase, pipeline entered or left,
 * step) and, while it keeps doing the same, at most every PULSE_MS when it calls
 * `pulse()` (the oracle, progress ticks). A thread stuck in a user's busy loop
 * posts nothing, so the supervisor's watchdog sees the silence, and the last
 * message of that thread names the pipeline it entered and never left.
 *
 * Outside a supervised run (tests importing the commands, the library) every
 * function here is a no-op costing one boolean test.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads';
import type { Dtype } from '../float/dtype.js';
import { DTYPES, formatOf } from '../float/dtype.js';
import type { Kernel, Pipeline } from '../pipelines/types.js';

/** Environment variable naming the channel; set by the supervisor, inherited by every thread it starts. */
export const CHANNEL_ENV = 'SOFTMAX_STABILITY_HEARTBEAT';
/** A thread repeats an unchanged activity at most this often (ms). */
export const PULSE_MS = 250;

/** What a thread is doing. */
export interface Activity {
  /** fuzz, map, bench, score, … (the command's, or run's current, phase). */
  readonly phase?: string;
  /** The pipeline whose code the thread runs or last ran. */
  readonly pipeline?: string;
  readonly dtype?: Dtype;
  /** True between entering a pipeline's kernel and its return. */
  readonly inPipeline?: boolean;
  /** A harness step, e.g. "oracle", "shrink", "idle". */
  readonly step?: string;
}

export type Message =
  | ({ readonly kind: 'beat'; readonly thread: number } & Activity)
  | { readonly kind: 'staging'; readonly thread: number; readonly path: string; readonly active: boolean }
  | { readonly kind: 'process-group'; readonly thread: number; readonly pgid: number }
  | { readonly kind: 'settings'; readonly thread: number; readonly stallSeconds: number; readonly suite: string; readonly file: string };

const channelName = process.env[CHANNEL_ENV];
let channel: BroadcastChannel | undefined;

function post(message: Message): void {
  if (channelName === undefined) return;
  if (channel === undefined) {
    channel = new BroadcastChannel(channelName);
    // Posting must not keep a thread alive that has nothing else to do.
    channel.unref();
  }
  channel.postMessage(message);
}

/** True in a supervised run (the CLI); false when the commands are imported by tests or a library user. */
export const supervised = channelName !== undefined;

/** This thread's activity (mutated in place: entering a kernel allocates nothing). */
const current: { phase?: string; pipeline?: string; dtype?: Dtype; inPipeline: boolean; step?: string } = { inPipeline: false };
/** What the supervisor was last told about the pipeline, to post only on a change. */
let postedPipeline: string | undefined;
let postedDtype: Dtype | undefined;
let postedIn = false;
let postedAt = 0;

function send(): void {
  postedPipeline = current.pipeline;
  postedDtype = current.dtype;
  postedIn = current.inPipeline;
  postedAt = performance.now();
  post({ kind: 'beat', thread: threadId, ...current });
}

/** Records a change of activity (fields not given keep their value) and posts it. */
export function beat(change: Activity): void {
  if (!supervised) return;
  Object.assign(current, change);
  send();
}

/** Still alive, same activity: posts at most every PULSE_MS. Cheap enough for every oracle call. */
export function pulse(): void {
  if (!supervised) return;
  if (performance.now() - postedAt >= PULSE_MS) send();
}

/**
 * About to run `pipeline`'s kernel. Posts only when the supervisor does not
 * already believe this thread is inside this pipeline and dtype: a loop of
 * calls (the benchmark) posts once, costing a few comparisons per call.
 */
export function enterPipeline(pipeline: string, dtype: Dtype): void {
  if (!supervised) return;
  current.pipeline = pipeline;
  current.dtype = dtype;
  current.inPipeline = true;
  if (!postedIn || postedPipeline !== pipeline || postedDtype !== dtype) send();
}

/** The kernel returned (not posted: the next change or pulse tells the supervisor). */
export function leavePipeline(): void {
  current.inPipeline = false;
}

/** A staging folder this thread made (active) or removed; the supervisor removes the active ones of a run it stops. */
export function announceStaging(path: string, active: boolean): void {
  post({ kind: 'staging', thread: threadId, path, active });
}

/** An external pipeline's process group this thread started (SPEC 7); the supervisor ends every such group on every way out of the run. */
export function announceProcessGroup(pgid: number): void {
  post({ kind: 'process-group', thread: threadId, pgid });
}

/** The loaded suite's watchdog limit, for the supervisor. */
export function announceSettings(stallSeconds: number, suite: string, file: string): void {
  post({ kind: 'settings', thread: threadId, stallSeconds, suite, file });
}

const WATCHED = Symbol('softmax-stability.watched');

/**
 * The same pipeline, its kernels bracketed by enterPipeline/leavePipeline so
 * that a kernel that never returns is named by the watchdog. The kernels are
 * called as methods of the original object (`this` is the user's), and errors
 * pass through unchanged. Costs a few nanoseconds a call.
 */
export function watchedPipeline(p: Pipeline): Pipeline {
  if ((p as unknown as Record<symbol, unknown>)[WATCHED] === true) return p;
  const wrapped = Object.create(p) as Pipeline;
  const kernel = <A extends Float32Array | Float64Array>(dtype: Dtype, f: Kernel<A>): Kernel<A> =>
    function watchedKernel(x: A, rows: number, classes: number, targets: Int32Array, out: A): void {
      enterPipeline(p.name, dtype);
      try {
        f.call(p, x, rows, classes, targets, out);
      } finally {
        leavePipeline();
      }
    };
  Object.defineProperties(wrapped, {
    float32: { value: kernel('float32', p.float32), enumerable: true },
    float64: { value: kernel('float64', p.float64), enumerable: true },
    [WATCHED]: { value: true },
  });
  const generic = p.generic;
  if (generic !== undefined) {
    Object.defineProperty(wrapped, 'generic', {
      enumerable: true,
      value: (row: ArrayLike<number>, target: number, round: (x: number) => number) => {
        enterPipeline(p.name, DTYPES.find((d) => formatOf(d).round === round) ?? 'float16');
        try {
          return generic.call(p, row, target, round);
        } finally {
          leavePipeline();
        }
      },
    });
  }
  const diagnose = p.diagnose;
  if (diagnose !== undefined) {
    Object.defineProperty(wrapped, 'diagnose', {
      enumerable: true,
      value: (row: ArrayLike<number>, target: number, dtype: Dtype) => {
        enterPipeline(p.name, dtype);
        try {
          return diagnose.call(p, row, target, dtype);
        } finally {
          leavePipeline();
        }
      },
    });
  }
  return wrapped;
}
