/** The default suite: what `npm start` runs. */
import { availablePeers, BUILTIN_PIPELINES, defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'default',
  seed: 42,
  // Every built-in, then the peers that load here: tfjs always, onnxruntime-node when installed.
  pipelines: [...BUILTIN_PIPELINES.map((p) => p.name), ...availablePeers().map((p) => p.name)],
  // Every format; the half formats in both compute modes (pure and widened), the peers in float32/float64 only.
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  // Four formats, six arithmetic modes, loss and gradient: runs, shrinking and the grids are trimmed,
  // not the formats, to keep `npm start` within 2 minutes on 2 cores (measured: README, "Measured so
  // far"); the research suite measures longer. Shrinking is short (one failure per unit, 40 oracle
  // calls): a gradient's shrink step runs the decimal.js gradient oracle.
  fuzz: {
    runs: { ordinal: 40, offset: 40, dominant: 40, underdog: 40, spread: 40, ties: 30, subnormal: 30, vocab: 1, moderate: 40, masked: 30 },
    failures: 1,
    shrink: { attempts: 1, steps: 40 },
  },
  // Both quantities' panels, on a coarser grid than the research suite's (boundaries are still found to the last bit).
  map: { offsets: 33, gaps: 17 },
  // Every task gets at least 9 paired rounds (3 for one whose calls take over 250 ms, like tfjs at
  // 1024x1000, ~2 s a call), so the shapes, not the budget, set most of the bench's time: 1024x1000
  // inline and a 2048x1000 pool batch here; the research suite keeps 4096x1000, 32x50257 and larger pools.
  bench: {
    shapes: [
      [1, 10],
      [128, 1000],
      [1024, 1000],
    ],
    poolShape: [2048, 1000],
    budgetSeconds: 12,
  },
});
