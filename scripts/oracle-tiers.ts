/**
 * The oracle's two tiers on whole fuzz campaigns (issue 17): each suite's `fuzz` run
 * twice on the same code, once as shipped (SOFTMAX_STABILITY_ORACLE=fast: the fast
 * tier, decimal.js where its rounding test cannot decide) and once on decimal.js
 * alone (SOFTMAX_STABILITY_ORACLE=decimal, src/oracle/tier.ts), one after the other.
 * Prints per suite the wall time of each run, the oracle phase of each (from the
 * fuzz's own `oracle:` line: the bare rows' losses and gradients, not the option rows'
 * oracle nor shrinking's), and whether `fuzz.csv` and `failures.csv` are the same
 * bytes. A run that fails (a watchdog stop, say) is a FAILED row and the next suite
 * runs. Exit status 1 when any file differs, else 2 when a run failed, else 0; the
 * outputs of such suites are kept and their folder named. `fuzz.json` and
 * `summary.md` are not compared: they carry the run's time.
 *
 *     bash scripts/fuzz-tiers.sh [--runs N] [--workers W] [SUITE ...]   (builds dist/, then runs this)
 *
 * SUITE: names under suites/ (default: every committed suite that runs on any machine,
 * cheapest first; torch and jax need their frameworks). Timings are wall clock on this
 * machine with whatever else runs on it: the load average at the start and end of each
 * run is printed beside it, and only ratios from one invocation compare.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli.js');
const DEFAULT_SUITES = ['ci', 'options', 'masked', 'half', 'default', 'example-user', 'python-reference', 'accurate-grad', 'research-tenth', 'accurate', 'research'];

const fail = (message: string): never => {
  process.stderr.write(`oracle-tiers: ${message}\n`);
  process.exit(2);
};

const { values, positionals } = (() => {
  try {
    return parseArgs({ options: { runs: { type: 'string' }, workers: { type: 'string' } }, allowPositionals: true });
  } catch (err) {
    return fail(`${(err as Error).message}; usage: npx tsx scripts/oracle-tiers.ts [--runs N] [--workers W] [SUITE ...]`);
  }
})();
for (const [flag, v] of [['--runs', values.runs], ['--workers', values.workers]] as const) {
  if (v !== undefined && !/^[1-9]\d*$/.test(v)) fail(`${flag} ${JSON.stringify(v)}: give a positive integer`);
}
if (!existsSync(CLI)) fail(`${CLI} is missing: run npm run build first`);
const suites = positionals.length > 0 ? positionals : DEFAULT_SUITES;
for (const s of suites) if (!existsSync(join(ROOT, 'suites', `${s}.suite.ts`))) fail(`no suite ${s} (suites/${s}.suite.ts)`);

interface Run {
  readonly failed?: string;
  readonly seconds: number;
  readonly oracleSeconds: string;
  readonly load: string;
  readonly dir: string;
}

const work = mkdtempSync(join(tmpdir(), 'oracle-tiers-'));
function fuzz(suite: string, tier: 'fast' | 'decimal'): Run {
  const dir = join(work, `${suite}-${tier}`);
  const args = ['fuzz', '--suite', suite, '--out', dir];
  if (values.runs !== undefined) args.push('--runs', values.runs);
  if (values.workers !== undefined) args.push('--workers', values.workers);
  const before = loadavg()[0];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, SOFTMAX_STABILITY_ORACLE: tier }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    process.stderr.write(`oracle-tiers: fuzz --suite ${suite} with ${tier} ended with status ${r.status ?? r.signal} after ${seconds.toFixed(1)} s; its last lines:\n${r.stderr.trim().split('\n').slice(-5).join('\n')}\n`);
    return { failed: `FAILED (${tier}: status ${r.status ?? r.signal})`, seconds, oracleSeconds: '?', load: '', dir };
  }
  const oracle = /^fuzz: oracle: \d+ logits in ([\d.]+) s/m.exec(r.stderr);
  return { seconds, oracleSeconds: oracle?.[1] ?? '?', load: `${before.toFixed(2)} → ${loadavg()[0].toFixed(2)}`, dir };
}

const same = (a: string, b: string, file: string) => readFileSync(join(a, file)).equals(readFileSync(join(b, file)));

process.stdout.write('| suite | fast tier | decimal.js alone | ratio | oracle phase, bare rows (fast → decimal.js) | load (fast; decimal.js) | fuzz.csv | failures.csv |\n|---|---:|---:|---:|---:|---|---|---|\n');
let differ = 0;
let failed = 0;
for (const suite of suites) {
  const fast = fuzz(suite, 'fast');
  const slow = fast.failed === undefined ? fuzz(suite, 'decimal') : undefined;
  if (slow === undefined || slow.failed !== undefined) {
    failed++;
    process.stdout.write(`| ${suite} | ${fast.failed ?? `${fast.seconds.toFixed(1)} s`} | ${slow?.failed ?? 'not run'} | | | | | |\n`);
    continue;
  }
  const files = ['fuzz.csv', 'failures.csv'].map((f) => (same(fast.dir, slow.dir, f) ? 'same bytes' : (differ++, 'DIFFERENT')));
  process.stdout.write(`| ${suite} | ${fast.seconds.toFixed(1)} s | ${slow.seconds.toFixed(1)} s | ${(slow.seconds / fast.seconds).toFixed(2)}x | ${fast.oracleSeconds} s → ${slow.oracleSeconds} s | ${fast.load}; ${slow.load} | ${files.join(' | ')} |\n`);
  if (files.every((f) => f === 'same bytes')) {
    rmSync(fast.dir, { recursive: true });
    rmSync(slow.dir, { recursive: true });
  }
}
const ran = suites.length - failed;
if (differ > 0 || failed > 0) process.stdout.write(`\n${differ} files differ, ${failed} suites failed to run: their outputs are kept in ${work}\n`);
else {
  process.stdout.write(`\nevery file the same bytes with both tiers (${ran} suites${values.runs !== undefined ? `, --runs ${values.runs}` : ''})\n`);
  rmSync(work, { recursive: true });
}
process.exit(differ > 0 ? 1 : failed > 0 ? 2 : 0);
