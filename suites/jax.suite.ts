/**
 * JAX's cross-entropy, live (SPEC 7): scripts/adapters/jax_adapter.py runs
 * optax.softmax_cross_entropy_with_integer_labels and jax.nn.log_softmax, jit-compiled by
 * XLA, gradients by jax.grad, in one process per form and worker, next to the built-ins
 * of the same formulas. Needs jax and optax in the `python3` on PATH
 * (`pip install jax optax`); without them the first frame ends the run with exit 2 and the
 * adapter's message. Run from the repository root:
 *
 *     npx softmax-stability fuzz --suite suites/jax.suite.ts
 *     npx softmax-stability gate --suite suites/jax.suite.ts --baseline reports/baseline/jax
 *
 * XLA compiles each new batch shape once, so the first frame of a shape is slow: the
 * entries allow 120 s a frame. Set PLATFORM to 'gpu' or 'tpu' to run there.
 */
import { defineSuite } from 'softmax-stability';

const PLATFORM = 'cpu';
/** The command of one form of the loss (scripts/adapters/jax_adapter.py --pipeline ...). */
const jax = (pipeline: string): string[] => ['python3', 'scripts/adapters/jax_adapter.py', '--pipeline', pipeline, '--platform', PLATFORM];

export default defineSuite({
  name: 'jax',
  seed: 20261201,
  pipelines: [
    'stable-log-softmax',
    'fused-cross-entropy',
    { name: `jax-optax-cross-entropy-${PLATFORM}`, command: jax('optax'), grad: true, timeoutMs: 120_000 },
    { name: `jax-log-softmax-${PLATFORM}`, command: jax('log-softmax'), grad: true, timeoutMs: 120_000 },
  ],
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  fuzz: {
    runs: { ordinal: 200, offset: 200, dominant: 200, underdog: 200, spread: 200, ties: 100, subnormal: 100, vocab: 2, moderate: 200 },
    failures: 3,
  },
  map: { offsets: 33, gaps: 17 },
  bench: { shapes: [[1, 10], [128, 1000], [4096, 1000]], budgetSeconds: 20 },
});
