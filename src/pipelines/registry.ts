/** The built-in pipelines: SPEC section 2's seven in the SPEC's order, then accurate-cross-entropy (issue 7). */
import { accurateCrossEntropy } from './accurate.js';
import { log1pLogSoftmax } from './log1p.js';
import { naiveSoftmax, unshiftedLogSoftmax } from './naive.js';
import { onlineSoftmax } from './online.js';
import { fusedCrossEntropy, logsumexpMinusTarget, stableLogSoftmax } from './stable.js';
import type { Pipeline } from './types.js';

export const BUILTIN_PIPELINES: readonly Pipeline[] = [
  naiveSoftmax,
  unshiftedLogSoftmax,
  stableLogSoftmax,
  fusedCrossEntropy,
  logsumexpMinusTarget,
  log1pLogSoftmax,
  onlineSoftmax,
  accurateCrossEntropy,
];

export function findPipeline(name: string, among: readonly Pipeline[] = BUILTIN_PIPELINES): Pipeline | undefined {
  return among.find((p) => p.name === name);
}
