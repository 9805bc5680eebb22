/**
 * `score` on the mpmath fixtures with both oracle tiers (issue 17, "score on the shared
 * mpmath cases unchanged byte for byte"): every cases file of fixtures/mpmath and
 * fixtures/mpmath-t2, and every batch of fixtures/mpmath-t2/options.json under its flags,
 * scored for the loss and with `--grad`, once as shipped (SOFTMAX_STABILITY_ORACLE=fast)
 * and once on decimal.js alone (SOFTMAX_STABILITY_ORACLE=decimal, src/oracle/tier.ts),
 * on the same build. Prints one line per file and quantity with the wall time of each
 * run and whether the scored files are the same bytes.
 *
 * What it shows: the loss column's `oracle_loss` and `oracle_exact` come from decimal.js
 * on both tiers (score needs `oracle_exact`, section 8 of SPEC.md), so the loss runs check
 * that the switch changes nothing there; the `--grad` runs take `oracle_grad` from the
 * fast tier (`oracleGradRounded`, `oracleRowGradRounded` under options) where it decides.
 *
 *     npm run build && npx tsx scripts/score-tiers.ts
 *
 * Exit status 1 when any file differs (the differing outputs are kept and their folder
 * named), 2 when a run fails, else 0.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli.js');

const fail = (message: string): never => {
  process.stderr.write(`score-tiers: ${message}\n`);
  process.exit(2);
};
if (process.argv.length > 2) fail(`takes no arguments (got ${process.argv.slice(2).join(' ')}); usage: npm run build && npx tsx scripts/score-tiers.ts`);
if (!existsSync(CLI)) fail(`${CLI} is missing: run npm run build first`);

interface Job {
  readonly name: string;
  readonly args: readonly string[];
}
const jobs: Job[] = [];
for (const file of ['fixtures/mpmath/cases.csv', 'fixtures/mpmath-t2/half-cases.csv', 'fixtures/mpmath-t2/grad-cases.csv']) {
  jobs.push({ name: file, args: [file] });
}
const batches = JSON.parse(readFileSync(join(ROOT, 'fixtures/mpmath-t2/options.json'), 'utf8')) as { name: string; file: string; flags: string[]; maskedRows?: string }[];
for (const b of batches) {
  const masked = b.maskedRows === undefined ? [] : ['--masked-rows', b.maskedRows];
  jobs.push({ name: `fixtures/mpmath-t2/options/${b.file} ${[...b.flags, ...masked].map((f) => (f.includes(' ') ? JSON.stringify(f) : f)).join(' ')}`, args: [`fixtures/mpmath-t2/options/${b.file}`, ...b.flags, ...masked] });
}

const work = mkdtempSync(join(tmpdir(), 'score-tiers-'));
let n = 0;
function score(args: readonly string[], tier: 'fast' | 'decimal'): { out: string; seconds: number } {
  const out = join(work, `${n++}-${tier}.csv`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'score', ...args, '--out', out], { cwd: ROOT, env: { ...process.env, SOFTMAX_STABILITY_ORACLE: tier }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) fail(`score ${args.join(' ')} with ${tier} ended with status ${r.status ?? r.signal}:\n${r.stderr.trim().split('\n').slice(-5).join('\n')}\n(outputs so far in ${work})`);
  return { out, seconds };
}

let differ = 0;
let files = 0;
for (const job of jobs) {
  for (const quantity of ['loss', 'grad'] as const) {
    const args = quantity === 'grad' ? [...job.args, '--grad'] : job.args;
    const fast = score(args, 'fast');
    const slow = score(args, 'decimal');
    const same = readFileSync(fast.out).equals(readFileSync(slow.out));
    files++;
    if (!same) differ++;
    else {
      rmSync(fast.out);
      rmSync(slow.out);
    }
    process.stdout.write(`${same ? 'same bytes' : 'DIFFERENT '}  ${quantity.padEnd(4)}  fast ${fast.seconds.toFixed(1)} s, decimal.js ${slow.seconds.toFixed(1)} s  ${job.name}\n`);
  }
}
if (differ > 0) {
  process.stdout.write(`\n${differ} of ${files} scored files differ: kept in ${work}\n`);
  process.exit(1);
}
process.stdout.write(`\nall ${files} scored files the same bytes with both tiers (${jobs.length} cases files, loss and --grad)\n`);
rmSync(work, { recursive: true });
