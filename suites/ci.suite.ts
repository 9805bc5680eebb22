/** The CI suite: small, fixed seed, fast; `gate` compares it against reports/baseline/ci/. */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'ci',
  seed: 20261127,
  // Loss and gradient rows for every pipeline x dtype x family (the gate checks both). Shrinking is
  // kept short (one failure per unit, 40 oracle calls): a gradient's shrink step runs the decimal.js
  // gradient oracle, and full shrinking tripled the fuzz phase; the gate compares fuzz.csv, not the
  // shrunk counterexamples.
  fuzz: {
    runs: { ordinal: 40, offset: 40, dominant: 40, underdog: 40, spread: 40, ties: 30, subnormal: 30, vocab: 1, moderate: 40 },
    failures: 1,
    shrink: { attempts: 1, steps: 40 },
  },
  // The loss's map only: the gradient's panels (map.quantities) cost three times the loss's on this
  // grid; the default and research suites map both.
  map: { offsets: 49, gaps: 33, quantities: ['loss'] },
  bench: {
    // No 1x10 here: a call of ten elements times mostly the call, too noisy for a 15% gate.
    // 2048x1000 rather than 4096x1000: every task gets at least 9 paired rounds (the fewest with a
    // 95% interval of the median), and a round at 4096x1000 costs ~160 ms (an 80 ms whole-batch
    // reference call and the task's), which alone took the bench phase to ~50 s.
    shapes: [
      [128, 1000],
      [2048, 1000],
    ],
    poolShape: [2048, 1000],
    workers: [2],
    // Seconds for the bench phase (paired rounds); with the 9-round floor it keeps `gate` within 90 s on 2 cores.
    budgetSeconds: 20,
  },
});
