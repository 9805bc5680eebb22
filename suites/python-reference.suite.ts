/**
 * The plain-Python reference adapter (scripts/adapters/reference.py, standard library
 * only) next to the built-in it reimplements: an external pipeline that needs no framework,
 * to try SPEC 7 on any machine with python3, and the check that a process boundary changes
 * nothing: both rows of every fuzz unit come out the same (outcomes, max ulps, bits), since
 * the adapter gives the built-in's bits (README, "Test your framework's cross-entropy").
 *
 *     npx softmax-stability fuzz --suite python-reference --out reports/python-reference
 *     cd reports/python-reference && diff <(grep '^stable-log-softmax,' fuzz.csv | cut -d, -f2-) \
 *       <(grep '^python-stable-log-softmax,' fuzz.csv | cut -d, -f2-) && echo identical
 *
 * Run from the repository root (the command is relative to it).
 */
import { defineSuite } from 'softmax-stability';

export default defineSuite({
  name: 'python-reference',
  seed: 5,
  pipelines: [
    'stable-log-softmax',
    { name: 'python-stable-log-softmax', command: ['python3', 'scripts/adapters/reference.py', '--pipeline', 'stable-log-softmax'], grad: true },
  ],
  dtypes: ['float32', 'float64'],
  fuzz: { runs: { ordinal: 30, offset: 30, dominant: 30, underdog: 30, spread: 30, ties: 20, subnormal: 20, vocab: 1, moderate: 30 } },
});
