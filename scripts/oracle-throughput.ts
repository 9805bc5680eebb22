/**
 * Throughput of the loss oracle alone, on one core: the fast tier (`src/oracle/fast.ts`,
 * `fast64.ts`, with the decimal.js tier behind it where the rounding test cannot
 * decide) against the decimal.js tier alone, in logits per second, measured in one run.
 *
 *     npx tsx scripts/oracle-throughput.ts [--seconds S]
 *
 * Batches (the bench's inputs, `src/bench/data.ts`: logits uniform in [−8, 8) as
 * float32 values, seed 1): 4096x1000 and 32x50257, in each of the four formats
 * (values rounded to the format). The fast tier runs every row; the decimal.js
 * tier runs rows until S seconds (default 10) have passed per batch, and its rate
 * is taken over the rows it finished. Every row the decimal.js tier ran is also
 * compared with the fast tier's answer: a difference is printed and makes the
 * exit status 1. Prints one line per batch and a markdown table.
 */
import { scriptArgs } from '../src/util/script-args.js';
import { formatOf, type Dtype } from '../src/float/dtype.js';
import { makeBatch } from '../src/bench/data.js';
import { fastLossRounded } from '../src/oracle/fast.js';
import { oracleLoss } from '../src/oracle/loss.js';

const values = scriptArgs(
  'oracle-throughput',
  { seconds: { type: 'string', default: '10' } },
  'npx tsx scripts/oracle-throughput.ts [--seconds S]\nThe loss oracle\'s fast tier against decimal.js, logits/s on one core; exit 1 on a difference, 2 on a bad flag.',
);
const seconds = Number(values.seconds);
if (!(seconds > 0)) {
  process.stderr.write(`oracle-throughput: --seconds ${values.seconds} must be a positive number\n`);
  process.exit(2);
}

const SHAPES: [number, number][] = [
  [4096, 1000],
  [32, 50257],
];
const DTYPES: Dtype[] = ['float32', 'float64', 'float16', 'bfloat16'];

let differences = 0;
const table: string[] = ['| batch | dtype | fast tier, logits/s | decimal.js, logits/s | ratio | rows left to decimal.js by the fast tier |', '|---|---|---:|---:|---:|---:|'];
for (const [rows, classes] of SHAPES) {
  const b = makeBatch(rows, classes, 1);
  for (const dtype of DTYPES) {
    const round = formatOf(dtype).round;
    const x = Float64Array.from(b.x64, round);
    const row = (r: number) => x.subarray(r * classes, (r + 1) * classes);
    // Fast tier (with its fallback), every row.
    let fallbacks = 0;
    const fast = new Float64Array(rows);
    let t0 = performance.now();
    // The fast tier once per row, decimal.js where it declines: what oracleLossRounded does, called
    // directly so that SOFTMAX_STABILITY_ORACLE does not change what is timed (found in review: this
    // used to run the fast tier twice per row, once to count the fallbacks, halving the quoted rates).
    for (let r = 0; r < rows; r++) {
      const f = fastLossRounded(row(r), b.targets[r], dtype);
      if (f === undefined) fallbacks++;
      fast[r] = f ?? oracleLoss(row(r), b.targets[r], dtype).rounded;
    }
    const fastS = (performance.now() - t0) / 1000;
    // decimal.js tier alone, as many rows as fit in the time.
    let done = 0;
    t0 = performance.now();
    while (done < rows && performance.now() - t0 < seconds * 1000) {
      const slow = oracleLoss(row(done), b.targets[done], dtype).rounded;
      if (!Object.is(slow, fast[done])) {
        differences++;
        process.stdout.write(`DIFFERENCE ${rows}x${classes} ${dtype} row ${done}: fast ${fast[done]}, decimal.js ${slow}\n`);
      }
      done++;
    }
    const slowS = (performance.now() - t0) / 1000;
    const fastRate = (rows * classes) / fastS;
    const slowRate = (done * classes) / slowS;
    process.stdout.write(`${rows}x${classes} ${dtype}: fast ${fastRate.toPrecision(3)} logits/s (${rows} rows), decimal.js ${slowRate.toPrecision(3)} logits/s (${done} rows), ${(fastRate / slowRate).toPrecision(3)}x; ${fallbacks} of ${rows} rows fell back\n`);
    table.push(`| ${rows}x${classes} | ${dtype} | ${fastRate.toPrecision(3)} | ${slowRate.toPrecision(3)} | ${(fastRate / slowRate).toPrecision(3)} | ${fallbacks} of ${rows} |`);
  }
}
process.stdout.write(`\n${table.join('\n')}\n\n${differences} differences between the tiers on the rows both ran\n`);
process.exit(differences === 0 ? 0 : 1);
