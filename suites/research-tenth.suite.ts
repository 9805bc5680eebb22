/**
 * The research suite's fuzz campaign at a tenth of its runs (its seed, pipelines,
 * formats and families; 500 cases a family, 1 vocab row per format): the size at
 * which the oracle's fast tier was timed against the decimal.js-only oracle
 * (README, "The oracle's fast tier"), since the full research fuzz runs for hours
 * on the decimal.js tier.
 *
 *     softmax-stability fuzz --suite research-tenth
 */
import { availablePeers, BUILTIN_PIPELINES, defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'research-tenth',
  seed: 1,
  pipelines: [...BUILTIN_PIPELINES.map((p) => p.name), ...availablePeers().map((p) => p.name)],
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  // A decimal.js gradient of a vocab row takes minutes on a loaded machine: the default 120 s stopped
  // the decimal.js-only run (the time before the fast tier) at its first vocab row.
  watchdog: { stallSeconds: 1800 },
  fuzz: { runs: { ordinal: 500, offset: 500, dominant: 500, underdog: 500, spread: 500, ties: 200, subnormal: 200, vocab: 1, moderate: 500, masked: 500 } },
});
