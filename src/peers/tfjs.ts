/**
 * tfjs-cpu-log-softmax: TensorFlow.js's logSoftmax on its 'cpu' backend (pure
 * JS), loss = −logSoftmax(x)[t]. tfjs has no float64 dtype: the float64 kernel
 * rounds the logits to float32 as tf.tensor does and reports the float32 result
 * as its float64 loss, so float64 scoring shows what a user passing doubles gets.
 *
 * tfjs is loaded on the first call (require, synchronous: the kernels are). The
 * 'cpu' backend initialises synchronously, so setBackend takes effect at once.
 * The PROD flag silences tfjs's console advice to install tfjs-node.
 */
import { createRequire } from 'node:module';
import type { Pipeline } from '../pipelines/types.js';

export const TFJS_PIPELINE_NAME = 'tfjs-cpu-log-softmax';

type Tf = typeof import('@tensorflow/tfjs');

const require = createRequire(import.meta.url);
let tf: Tf | undefined;

export function loadTfjs(): Tf {
  if (tf === undefined) {
    const t = require('@tensorflow/tfjs') as Tf;
    t.env().set('PROD', true);
    void t.setBackend('cpu');
    if (t.getBackend() !== 'cpu') throw new Error(`TensorFlow.js did not switch to its cpu backend (it is on ${t.getBackend()})`);
    tf = t;
  }
  return tf;
}

/** The log-softmax of a rows × classes batch, by tfjs, as float32 values. */
export function tfjsLogSoftmax(x: Float32Array | Float64Array, rows: number, classes: number): Float32Array {
  const t = loadTfjs();
  const values = x instanceof Float32Array ? x.subarray(0, rows * classes) : Float32Array.from(x.subarray(0, rows * classes));
  return t.tidy(() => t.logSoftmax(t.tensor2d(values, [rows, classes], 'float32')).dataSync() as Float32Array);
}

function kernel(logits: Float32Array | Float64Array, rows: number, classes: number, targets: Int32Array, out: Float32Array | Float64Array): void {
  const y = tfjsLogSoftmax(logits, rows, classes);
  for (let r = 0; r < rows; r++) out[r] = -y[r * classes + targets[r]];
}

export const tfjsCpuLogSoftmax: Pipeline = {
  name: TFJS_PIPELINE_NAME,
  formula: 'loss = −tf.logSoftmax(x)[t], TensorFlow.js cpu backend; float32 only (float64 logits are rounded to float32)',
  float32: kernel,
  float64: kernel,
  // A black box: a failure cannot be traced to a step inside it.
  diagnose: () => 'peer',
};
