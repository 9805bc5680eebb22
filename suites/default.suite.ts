/** The default suite: what `npm start` runs. */
import { availablePeers, BUILTIN_PIPELINES, defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'default',
  seed: 42,
  // Every built-in, then the peers that load here: tfjs always, onnxruntime-node when installed.
  pipelines: [...BUILTIN_PIPELINES.map((p) => p.name), ...availablePeers().map((p) => p.name)],
  // Every format; the half formats in both compute modes (pure and widened), the peers in float32/float64 only.
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  fuzz: { runs: { ordinal: 200, offset: 200, dominant: 200, underdog: 200, spread: 200, ties: 100, subnormal: 100, vocab: 4, moderate: 200 } },
  map: { offsets: 97, gaps: 65 },
  // 45 s of paired rounds (and 4 vocab rows per dtype above) keep `npm start` (fuzz + map +
  // bench) within 2 minutes on 2 cores; the research suite measures longer.
  bench: { budgetSeconds: 45 },
});
