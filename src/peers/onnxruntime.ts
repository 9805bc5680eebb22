/**
 * onnxruntime-log-softmax: onnxruntime-node's LogSoftmax operator (CPU
 * execution provider) on a one-node model built in code (`onnx-model.ts`),
 * loss = −y[t]. float32 and float64 are both native ONNX element types, so each
 * dtype runs its own model. Sessions use one intra-op and one inter-op thread,
 * so that its rows compare with the other single-thread inline rows.
 *
 * onnxruntime-node is an optional dependency: when it cannot be loaded the
 * pipeline is not available (`ortUnavailableReason`). Its public `session.run`
 * is async: the benchmark times that native async path (`OrtLogSoftmax`); the
 * synchronous kernels that fuzz, map and score call go through a worker thread
 * (`sync-bridge.ts`, `ort-worker.ts`).
 */
import { createRequire } from 'node:module';
import type { NativeDtype as Dtype } from '../float/dtype.js';
import type { Pipeline } from '../pipelines/types.js';
import { compiledModule } from '../util/compiled.js';
import { logSoftmaxModel } from './onnx-model.js';
import { syncCaller } from './sync-bridge.js';

export const ORT_PIPELINE_NAME = 'onnxruntime-log-softmax';

/**
 * The part of onnxruntime-node's API used here, declared structurally: the
 * package is optional, so the build must not need its types (a fresh install
 * where its install script failed has no onnxruntime-node at all).
 */
interface OrtTensor {
  readonly data: unknown;
  dispose(): void;
}
interface Session {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  readonly Tensor: new (type: Dtype, data: Float32Array | Float64Array, dims: readonly number[]) => OrtTensor;
  readonly InferenceSession: {
    create(model: Uint8Array, options: { intraOpNumThreads: number; interOpNumThreads: number; executionProviders: string[] }): Promise<Session>;
  };
}

const require = createRequire(import.meta.url);
let ort: Ort | undefined;
let ortError: string | undefined;

/** onnxruntime-node, loaded once; undefined (and the reason in `ortUnavailableReason()`) when it cannot be. */
export function loadOrt(): Ort | undefined {
  if (ort === undefined && ortError === undefined) {
    try {
      ort = require('onnxruntime-node') as Ort;
    } catch (err) {
      ortError = (err as Error).message.split('\n')[0];
    }
  }
  return ort;
}

export function ortUnavailableReason(): string | undefined {
  loadOrt();
  return ortError;
}

/** One LogSoftmax session per dtype. */
export class OrtLogSoftmax {
  private constructor(
    private readonly o: Ort,
    private readonly session: Session,
    readonly dtype: Dtype,
  ) {}

  static async create(dtype: Dtype): Promise<OrtLogSoftmax> {
    const o = loadOrt();
    if (o === undefined) throw new Error(`onnxruntime-node cannot be loaded: ${ortError}`);
    const session = await o.InferenceSession.create(logSoftmaxModel(dtype), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionProviders: ['cpu'],
    });
    return new OrtLogSoftmax(o, session, dtype);
  }

  /** Per-row losses −logSoftmax(x)[r, t_r] into `out`. */
  async losses(x: Float32Array | Float64Array, rows: number, classes: number, targets: Int32Array, out: Float32Array | Float64Array): Promise<void> {
    // onnxruntime-node refuses SharedArrayBuffer memory ("Invalid argument"): such input is copied.
    const data = x.buffer instanceof SharedArrayBuffer ? x.slice(0, rows * classes) : x.subarray(0, rows * classes);
    const input = new this.o.Tensor(this.dtype, data, [rows, classes]);
    const result = await this.session.run({ x: input });
    const y = result.y.data as Float32Array | Float64Array;
    for (let r = 0; r < rows; r++) out[r] = -y[r * classes + targets[r]];
    result.y.dispose();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export interface OrtRequest {
  readonly dtype: Dtype;
  readonly rows: number;
  readonly classes: number;
  readonly logits: Float32Array | Float64Array;
  readonly targets: Int32Array;
}

let call: ((q: OrtRequest) => Float32Array | Float64Array) | undefined;

function kernel(dtype: Dtype) {
  return (logits: Float32Array | Float64Array, rows: number, classes: number, targets: Int32Array, out: Float32Array | Float64Array): void => {
    call ??= syncCaller<OrtRequest, Float32Array | Float64Array>(compiledModule('peers/ort-worker.js'));
    // slice: a copy of just this batch (postMessage of a view would clone its whole buffer, or share a SharedArrayBuffer).
    const losses = call({ dtype, rows, classes, logits: logits.slice(0, rows * classes), targets: targets.slice(0, rows) });
    out.set(losses.subarray(0, rows));
  };
}

export const onnxruntimeLogSoftmax: Pipeline = {
  name: ORT_PIPELINE_NAME,
  formula: "loss = −LogSoftmax(x)[t], onnxruntime-node's LogSoftmax operator (CPU, opset 13), in the dtype",
  float32: kernel('float32'),
  float64: kernel('float64'),
  // A black box: a failure cannot be traced to a step inside it.
  diagnose: () => 'peer',
};
