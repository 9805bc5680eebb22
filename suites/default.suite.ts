/** The default suite: what `npm start` runs. */
import { availablePeers, BUILTIN_PIPELINES, defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'default',
  seed: 42,
  // Every built-in, then the peers that load here: tfjs always, onnxruntime-node when installed.
  pipelines: [...BUILTIN_PIPELINES.map((p) => p.name), ...availablePeers().map((p) => p.name)],
  // Every format; the half formats in both compute modes (pure and widened), the peers in float32/float64 only.
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  // Four formats, six arithmetic modes: runs, vocab rows (their oracle is most of fuzz's time),
  // shrinking (the half formats fail often) and the grid trimmed, not the formats, to bring
  // `npm start` (fuzz + map + 45 s of paired rounds) towards 2 minutes on 2 cores; the research
  // suite measures longer.
  fuzz: {
    runs: { ordinal: 100, offset: 100, dominant: 100, underdog: 100, spread: 100, ties: 50, subnormal: 50, vocab: 1, moderate: 100, masked: 50 },
    // masked: 50 cases and one shrunk failure per unit (shrinking is most of its cost), for npm start's budget.
    failures: { ordinal: 2, offset: 2, dominant: 2, underdog: 2, spread: 2, ties: 2, subnormal: 2, vocab: 2, moderate: 2, masked: 1 },
    shrink: { attempts: 2, steps: 100 },
  },
  map: { offsets: 49, gaps: 33 },
  // 2048x1000 rather than the 4096x1000 of a suite that says nothing: every task gets at least 9
  // paired rounds, and a 4096x1000 round (a whole-batch reference call and the task's, ~160 ms)
  // made the large shapes alone overrun the budget by a minute. The research suite keeps the large batches.
  bench: {
    shapes: [
      [1, 10],
      [128, 1000],
      [2048, 1000],
      [32, 50257],
    ],
    poolShape: [2048, 1000],
    budgetSeconds: 30,
  },
});
