/**
 * What the joint oracle saves: the loss and the gradient of every row of a
 * cases file computed (a) by `oracleLoss` then `oracleGrad`, each evaluating
 * every exp(x_j − m) itself, and (b) by `oracleLossAndGrad`, which evaluates
 * them once per precision for both. Checks that (b) gives the same values bit
 * for bit, and prints both times and the load average (the machine is shared).
 *
 *     npx tsx scripts/oracle-grad-cost.ts [CASES.csv]     (default fixtures/mpmath/cases.csv)
 *
 * Exit status: 0 when the answers agree, 1 when they do not, 2 on bad input.
 */
import { loadavg } from 'node:os';
import { readCases } from '../src/cases/read.js';
import { oracleGrad, oracleLossAndGrad } from '../src/oracle/grad.js';
import { oracleLoss } from '../src/oracle/loss.js';

const file = process.argv[2] ?? 'fixtures/mpmath/cases.csv';
const cases = readCases(file);
const logits = cases.reduce((s, c) => s + c.logits.length, 0);
const load = loadavg()[0];

let t0 = performance.now();
const separate = cases.map((c) => ({ loss: oracleLoss(c.logits, c.target, c.dtype), grad: oracleGrad(c.logits, c.target, c.dtype) }));
const separateSeconds = (performance.now() - t0) / 1000;
t0 = performance.now();
const joint = cases.map((c) => oracleLossAndGrad(c.logits, c.target, c.dtype));
const jointSeconds = (performance.now() - t0) / 1000;

let mismatches = 0;
separate.forEach((s, i) => {
  const j = joint[i];
  if (!Object.is(s.loss.rounded, j.loss.rounded) || s.loss.exact !== j.loss.exact) mismatches++;
  else if (s.grad.rounded.some((v, k) => !Object.is(v, j.grad.rounded[k]))) mismatches++;
});
console.log(`${file}: ${cases.length} rows, ${logits} logits, load average ${load.toFixed(2)} at the start`);
console.log(`  oracleLoss + oracleGrad: ${separateSeconds.toFixed(1)} s`);
console.log(`  oracleLossAndGrad:       ${jointSeconds.toFixed(1)} s (${((1 - jointSeconds / separateSeconds) * 100).toFixed(0)}% less)`);
console.log(`  rows whose answers differ: ${mismatches}`);
process.exitCode = mismatches === 0 ? 0 : 1;
