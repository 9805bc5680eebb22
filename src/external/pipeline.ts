/**
 * An external implementation as a live pipeline (SPEC 7): a process, in any language,
 * that answers request frames on stdin with reply frames on stdout (frame.ts).
 *
 * Every kernel of the Pipeline (float32, float64, the half formats' own kernels,
 * the gradient kernels of op 2, the per-row losses under batch options) encodes one
 * frame of its batch, hands it to the helper thread that owns the process
 * (host-worker.ts, through the synchronous bridge of src/peers/sync-bridge.ts), waits
 * for the reply and decodes it: the bits of the dtype both ways, so a result is
 * exactly what the process computed. The process is started on the first frame, once
 * per thread that runs the pipeline (the CLI's compute thread and each pool worker);
 * its stdin closes, and so it should exit, when that thread ends.
 *
 * Formats (SPEC 2.1): float32 and float64 frames carry the format; float16 and
 * bfloat16 frames carry 2 bytes of the format, and the process computes in whatever
 * its framework does for that dtype. That is the half format's pure mode:
 * `compute` = the format itself in the reports (the arithmetic is the process's own;
 * PyTorch's CPU half kernels, for one, accumulate in float32 inside). The widened
 * mode (`compute = float32`) sends the float32 frame and rounds each loss once to the
 * half format, as for any pipeline.
 *
 * Faults: a process that cannot be started, exits, does not answer within
 * `timeoutMs`, answers short, long, with a wrong magic or with status ≠ 0 throws an
 * {@link ExternalFault} (an InputError: exit status 2) naming the pipeline and the
 * frame. Before a command publishes its files, the process's stdin is closed and the
 * process awaited: bytes it writes after its last reply are a fault on that frame, and
 * nothing is written (util/before-publish.ts). A NaN in a reply is a result, not a fault.
 */
import type { BatchOptions } from '../cases/options.js';
import type { Dtype, HalfDtype } from '../float/dtype.js';
import { syncCaller } from '../peers/sync-bridge.js';
import type { Kernel, Pipeline, PipelineGrad } from '../pipelines/types.js';
import { compiledModule } from '../util/compiled.js';
import { InputError } from '../util/errors.js';
import type { FrameShape, Op, Reply } from './frame.js';
import { decodeReply, describe, encodeRequest, OP_GRAD, OP_LOSS, optionsJson } from './frame.js';
import type { HostClose, HostReply, HostRequest } from './host-worker.js';
import { onBeforePublish } from '../util/before-publish.js';
import type { ExternalSpec } from './spec.js';

/** A fault of an external process (SPEC 7): exit status 2, one line naming the pipeline and the frame. */
export class ExternalFault extends InputError {
  override readonly name = 'InputError';
}

/** The message of a fault: `external pipeline NAME (program), frame N (op 1 (losses), 1 × 10 float32): reason`. */
export function faultMessage(spec: Pick<ExternalSpec, 'name' | 'command'>, frame: number, shape: FrameShape, reason: string): string {
  return `external pipeline ${spec.name} (${spec.command[0]}), frame ${frame} (${describe(shape)}): ${reason.replace(/\s+/g, ' ').trim()}`;
}

/** The frames an external pipeline has exchanged in this thread: counts, bytes both ways and the wall time of their round trips. */
export interface FrameStats {
  frames: number;
  bytesOut: number;
  bytesIn: number;
  /** Seconds from the first byte written to the last byte read, summed over the frames (the process's compute included). */
  seconds: number;
  /** Seconds of the whole kernel calls, summed: the round trip plus the harness's side (encoding, the hand-over to the helper thread and back, decoding). */
  callSeconds: number;
}

/** One line on an external pipeline's frames in this thread (bench's log): the round trip apart from the harness's side. */
export function frameStatsLine(name: string, s: FrameStats): string {
  const ms = (x: number) => (s.frames === 0 ? '-' : ((x * 1000) / s.frames).toFixed(3));
  return `${name}: ${s.frames} frames in this thread, ${(s.bytesOut / 1e6).toFixed(1)} MB sent, ${(s.bytesIn / 1e6).toFixed(1)} MB received; per frame ${ms(s.seconds)} ms round trip (the pipes and the process's compute), ${ms(s.callSeconds - s.seconds)} ms on the harness's side (encoding, the hand-over to the helper thread, decoding); the boundary alone: npx tsx scripts/boundary-cost.ts`;
}

const STATS = Symbol('frameStats');

/** The frame statistics of an external pipeline (undefined for any other pipeline). */
export function frameStats(p: Pipeline): FrameStats | undefined {
  return (p as unknown as Record<symbol, FrameStats | undefined>)[STATS];
}

const CLOCK = Symbol('benchClock');

/** The clock an external pipeline's bench rows are timed on (its entry's `clock`; undefined for any other pipeline). */
export function externalClock(p: Pipeline): ExternalSpec['clock'] | undefined {
  return (p as unknown as Record<symbol, ExternalSpec['clock'] | undefined>)[CLOCK];
}

/** Where a frame waits longer than `timeoutMs` in the bridge itself (the helper thread died): a margin over the process's own limit. */
const BRIDGE_MARGIN_MS = 10_000;

/** The Pipeline of an external entry (kernels described above; `formula` names the command). */
export function externalPipeline(spec: ExternalSpec): Pipeline {
  let call: ((q: HostRequest | HostClose) => HostReply | undefined) | undefined;
  const stats: FrameStats = { frames: 0, bytesOut: 0, bytesIn: 0, seconds: 0, callSeconds: 0 };
  /** The last frame sent: a fault found when the process's input closes is named by it. */
  let last: { n: number; shape: FrameShape } | undefined;

  /** Before the command publishes (util/before-publish.ts): the process's stdin closed, the process gone, no byte after its last reply. */
  function closeProcess(): void {
    if (call === undefined || last === undefined) return;
    try {
      call({ close: true });
    } catch (err) {
      throw new ExternalFault(faultMessage(spec, last.n, last.shape, err instanceof Error ? err.message : String(err)));
    }
  }

  function send(op: Op, dtype: Dtype, logits: ArrayLike<number>, rows: number, classes: number, targets: ArrayLike<number>, options: Record<string, unknown>): Reply {
    const began = performance.now();
    const n = ++stats.frames;
    const shape: FrameShape = { op, dtype, rows, classes };
    const fault = (err: unknown) => new ExternalFault(faultMessage(spec, n, shape, err instanceof Error ? err.message : String(err)));
    if (!spec.dtypes.includes(dtype)) throw fault(`a ${dtype} frame, and the suite lists the process's dtypes as ${spec.dtypes.join(', ')}`);
    let frame: Buffer;
    try {
      frame = encodeRequest({ ...shape, options, logits, targets });
    } catch (err) {
      throw fault(err);
    }
    if (call === undefined) {
      call = syncCaller<HostRequest | HostClose, HostReply | undefined>(compiledModule('external/host-worker.js'), spec.timeoutMs + BRIDGE_MARGIN_MS);
      onBeforePublish(closeProcess);
    }
    last = { n, shape };
    let got: HostReply;
    try {
      got = call({ name: spec.name, command: spec.command, shape, frame, timeoutMs: spec.timeoutMs })!;
    } catch (err) {
      throw fault(err);
    }
    stats.bytesOut += frame.length;
    stats.bytesIn += got.reply.length;
    stats.seconds += got.seconds;
    let reply: Reply;
    try {
      reply = decodeReply(shape, got.reply);
    } catch (err) {
      throw fault(err);
    }
    stats.callSeconds += (performance.now() - began) / 1000;
    return reply;
  }

  const kernel =
    <A extends Float32Array | Float64Array>(op: Op, dtype: Dtype): Kernel<A> =>
    (logits, rows, classes, targets, out) => {
      const r = send(op, dtype, logits.subarray(0, rows * classes), rows, classes, targets.subarray(0, rows), {});
      out.set(op === OP_GRAD ? (r.grad as Float64Array) : r.losses);
    };
  const halves = (op: Op): Partial<Record<HalfDtype, Kernel<Float32Array>>> => ({ float16: kernel(op, 'float16'), bfloat16: kernel(op, 'bfloat16') });

  const grad: PipelineGrad | undefined = spec.grad ? { float32: kernel(OP_GRAD, 'float32'), float64: kernel(OP_GRAD, 'float64'), half: halves(OP_GRAD) } : undefined;
  const pipeline: Pipeline = {
    name: spec.name,
    formula: `external process: ${spec.command.join(' ')} (SPEC 7 frames)`,
    float32: kernel(OP_LOSS, 'float32'),
    float64: kernel(OP_LOSS, 'float64'),
    half: halves(OP_LOSS),
    dtypes: spec.dtypes,
    ...(grad !== undefined ? { grad } : {}),
    optionLosses: (dtype: Dtype, logits: ArrayLike<number>, rows: number, classes: number, targets: Int32Array, o: BatchOptions, weight: ArrayLike<number> | undefined) =>
      send(OP_LOSS, dtype, logits, rows, classes, targets, optionsJson({ weight, ignoreIndex: o.ignoreIndex, labelSmoothing: o.labelSmoothing })).losses,
  };
  Object.defineProperty(pipeline, STATS, { value: stats });
  Object.defineProperty(pipeline, CLOCK, { value: spec.clock });
  return pipeline;
}

