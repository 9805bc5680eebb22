/**
 * PyTorch's cross-entropy, live (SPEC 7): scripts/adapters/torch_adapter.py runs each
 * form in its own process (one per worker), fed SSX1 frames, next to the built-ins of the
 * same formulas. Needs torch in the `python3` on PATH (`pip install torch`); without it
 * the first frame ends the run with exit 2 and the adapter's message ("torch is not
 * installed ..."). Run from the repository root (the commands are relative to it):
 *
 *     npx softmax-stability fuzz --suite suites/torch.suite.ts
 *     npx softmax-stability baseline --suite suites/torch.suite.ts --out reports/baseline/torch
 *     npx softmax-stability gate --suite suites/torch.suite.ts --baseline reports/baseline/torch
 *
 * On a GPU machine change `DEVICE` to 'cuda' (or add entries with both): its entries are then
 * benchmarked on the wall clock (`clock: 'wall'`), since the processes' CPU time does not see
 * the GPU's work. Each entry answers
 * op 2, so fuzz scores autograd's gradients too. The README's "Test your framework's
 * cross-entropy" walks through it up to a CI gate.
 */
import { defineSuite } from 'softmax-stability';

const DEVICE = 'cpu';
/** The command of one form of the loss (scripts/adapters/torch_adapter.py --pipeline ...). */
const torch = (pipeline: string): string[] => ['python3', 'scripts/adapters/torch_adapter.py', '--pipeline', pipeline, '--device', DEVICE];
/** The bench clock of a device: the processes' CPU time on the CPU, elapsed time on a GPU (the CPU time does not see it). */
const clockOf = (device: string): 'cpu' | 'wall' => (device === 'cuda' ? 'wall' : 'cpu');

export default defineSuite({
  name: 'torch',
  seed: 20261201,
  pipelines: [
    // The harness's own kernels of the same formulas, for comparison in every report.
    'stable-log-softmax',
    'fused-cross-entropy',
    // F.cross_entropy (the fused kernel), F.log_softmax + F.nll_loss, torch.log(F.softmax(x)).
    { name: `torch-cross-entropy-${DEVICE}`, command: torch('cross-entropy'), grad: true, timeoutMs: 120_000, clock: clockOf(DEVICE) },
    { name: `torch-log-softmax-nll-${DEVICE}`, command: torch('log-softmax-nll'), grad: true, timeoutMs: 120_000, clock: clockOf(DEVICE) },
    { name: `torch-log-of-softmax-${DEVICE}`, command: torch('log-softmax-of-softmax'), grad: true, timeoutMs: 120_000, clock: clockOf(DEVICE) },
  ],
  // PyTorch has all four formats; its CPU half kernels accumulate in float32 inside.
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  fuzz: {
    runs: { ordinal: 200, offset: 200, dominant: 200, underdog: 200, spread: 200, ties: 100, subnormal: 100, vocab: 2, moderate: 200 },
    failures: 3,
  },
  map: { offsets: 33, gaps: 17 },
  bench: { shapes: [[1, 10], [128, 1000], [4096, 1000]], budgetSeconds: 20 },
});
