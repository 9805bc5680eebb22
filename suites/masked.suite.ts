/**
 * Masked classes alone (issue 14 item 5): the `masked` fuzz family in every format
 * (−Infinity, −1e9, −1e4 and the format's lowest value; a third of the targets
 * masked), and the region map with a masked class at −Infinity and one at the
 * format's lowest value after [a, a − g]. The README's masked figures come from it:
 *
 *     npx softmax-stability fuzz --suite masked && npx softmax-stability map --suite masked
 */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'masked',
  seed: 14,
  dtypes: ['float32', 'float64', 'float16', 'bfloat16'],
  fuzz: { families: ['masked'], runs: { masked: 500 } },
  map: { offsets: 65, gaps: 49, masks: [-Infinity, 'lowest'] },
});
