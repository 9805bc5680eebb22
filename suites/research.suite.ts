/** The research suite: large campaigns and a fine map, for write-ups. */
import { availablePeers, BUILTIN_PIPELINES, defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'research',
  seed: 1,
  // Every built-in, then the peers that load here: tfjs always, onnxruntime-node when installed.
  pipelines: [...BUILTIN_PIPELINES.map((p) => p.name), ...availablePeers().map((p) => p.name)],
  // Every format; the half formats in both compute modes (pure and widened), the peers in float32/float64 only.
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  fuzz: { runs: { ordinal: 5000, offset: 5000, dominant: 5000, underdog: 5000, spread: 5000, ties: 2000, subnormal: 2000, vocab: 50, moderate: 5000, masked: 5000 } },
  map: { offsets: 257, gaps: 129 },
  bench: { poolShape: [65536, 1000], budgetSeconds: 600 },
});
