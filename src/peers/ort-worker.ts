/** The worker behind onnxruntime-log-softmax's synchronous kernels (see sync-bridge.ts). */
import { workerData } from 'node:worker_threads';
import type { NativeDtype as Dtype } from '../float/dtype.js';
import type { OrtRequest } from './onnxruntime.js';
import { OrtLogSoftmax } from './onnxruntime.js';
import type { BridgeData } from './sync-bridge.js';
import { serveSync } from './sync-bridge.js';

const sessions = new Map<Dtype, Promise<OrtLogSoftmax>>();

serveSync<OrtRequest, Float32Array | Float64Array>(workerData as BridgeData, async (q) => {
  let s = sessions.get(q.dtype);
  if (s === undefined) {
    s = OrtLogSoftmax.create(q.dtype);
    sessions.set(q.dtype, s);
  }
  const out = q.dtype === 'float32' ? new Float32Array(q.rows) : new Float64Array(q.rows);
  await (await s).losses(q.logits, q.rows, q.classes, q.targets, out);
  return out;
});
