/**
 * The peers: other libraries' implementations, as pipelines usable by name in
 * suites (`pipelines: ['tfjs-cpu-log-softmax']`) so that fuzz, map, score and
 * bench treat them like the built-ins. tfjs is a dependency, always there;
 * onnxruntime-node is optional and listed only when it loads.
 */
import type { Pipeline } from '../pipelines/types.js';
import { ORT_PIPELINE_NAME, onnxruntimeLogSoftmax, ortUnavailableReason } from './onnxruntime.js';
import { tfjsCpuLogSoftmax } from './tfjs.js';

export const PEER_NAMES: readonly string[] = [tfjsCpuLogSoftmax.name, ORT_PIPELINE_NAME];

/** The peers that can run here, in PEER_NAMES order. */
export function availablePeers(): Pipeline[] {
  return ortUnavailableReason() === undefined ? [tfjsCpuLogSoftmax, onnxruntimeLogSoftmax] : [tfjsCpuLogSoftmax];
}

export function isPeer(p: Pipeline): boolean {
  return PEER_NAMES.includes(p.name);
}

/**
 * The line a run starts with when an optional peer cannot run here (npm drops an
 * optional package whose install script fails, without a word): which peers are
 * missing, why, and how to get them. Undefined when every peer loads.
 */
export function missingPeersLine(reason: string | undefined = ortUnavailableReason()): string | undefined {
  if (reason === undefined) return undefined;
  return `peers: ${ORT_PIPELINE_NAME} is not available here: the optional package onnxruntime-node does not load (${reason}); get it with \`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node\`. Suites that list it are refused; the others run without it`;
}

/** Why a peer named in a suite cannot run here, or undefined when it can (or is no peer). */
export function peerUnavailable(name: string): string | undefined {
  if (name !== ORT_PIPELINE_NAME) return undefined;
  const reason = ortUnavailableReason();
  return reason === undefined
    ? undefined
    : `pipeline ${JSON.stringify(name)} needs the optional package onnxruntime-node, which does not load here (${reason}); install it with \`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node\` or remove the pipeline from the suite`;
}
