/** The default suite: what `npm start` runs. */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'default',
  seed: 42,
  fuzz: { runs: { ordinal: 200, offset: 200, dominant: 200, underdog: 200, spread: 200, ties: 100, subnormal: 100, vocab: 6, moderate: 200 } },
  map: { offsets: 97, gaps: 65 },
});
