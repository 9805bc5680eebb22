/** The CI suite: small, fixed seed, fast; `gate` compares it against reports/baseline/ci/. */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'ci',
  seed: 20261127,
  fuzz: { runs: { ordinal: 40, offset: 40, dominant: 40, underdog: 40, spread: 40, ties: 30, subnormal: 30, vocab: 3, moderate: 40 } },
  map: { offsets: 49, gaps: 33 },
  bench: {
    // No 1x10 here: a call of ten elements times mostly the call, too noisy for a 15% gate.
    shapes: [
      [128, 1000],
      [4096, 1000],
    ],
    poolShape: [4096, 1000],
    workers: [2],
    // Seconds for the bench phase (paired rounds), which keeps `gate` within 90 s on 2 cores.
    budgetSeconds: 30,
  },
});
