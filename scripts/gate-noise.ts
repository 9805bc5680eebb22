/**
 * How often does the gate cry wolf, and does it catch a real slowdown?
 *
 * Runs `softmax-stability gate` N times on this checkout against the committed
 * baseline (reports/baseline/ci/), each into its own temporary folder, and prints
 * how many runs reported a regression and how many an inconclusive check, and
 * which pipelines. Build first (`npm run build`: the gate runs from dist/).
 *
 *     npx tsx scripts/gate-noise.ts [--runs N] [--suite S] [--busy] [--baseline DIR]
 *
 *   --runs N      gate runs (default 10)
 *   --suite S     suite name or path (default ci); e.g. the candidate whose
 *                 fused-cross-entropy does a quarter of its rows twice:
 *                 --suite src/gate/fixtures/ci-slower.suite.ts
 *   --busy        keep one core busy with a spinning process during the runs
 *   --baseline D  baseline folder (default reports/baseline/ci)
 *
 * The figures quoted in the README come from:
 *   npx tsx scripts/gate-noise.ts --runs 10                 (idle: 0 regressions expected)
 *   npx tsx scripts/gate-noise.ts --runs 5 --busy           (inconclusive allowed, regression not)
 *   npx tsx scripts/gate-noise.ts --runs 10 --suite src/gate/fixtures/ci-slower.suite.ts
 *                                                           (a regression naming fused-cross-entropy each run)
 * Exit status: 0 when it ran (whatever it found), 2 on bad usage.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli.js');

let args;
try {
  args = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      suite: { type: 'string', default: 'ci' },
      busy: { type: 'boolean', default: false },
      baseline: { type: 'string', default: join(ROOT, 'reports/baseline/ci') },
    },
  }).values;
} catch (err) {
  process.stderr.write(`gate-noise: ${(err as Error).message}\n`);
  process.exit(2);
}
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`gate-noise: --runs ${args.runs} must be a whole number ≥ 1\n`);
  process.exit(2);
}

// One core kept busy by a child that spins until it is killed (by its pid, below).
const spinner = args.busy ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : undefined;
const stopSpinner = () => {
  if (spinner?.pid !== undefined && spinner.exitCode === null) spinner.kill('SIGKILL');
};
process.on('exit', stopSpinner);
process.on('SIGINT', () => process.exit(130));

interface RunResult {
  status: number | null;
  seconds: number;
  /** The passing or inconclusive throughput check (with an interval) nearest to failing: the smallest (interval's upper end) / limit, and its name. */
  closest: { margin: number; name: string } | undefined;
  regressions: string[];
  inconclusive: string[];
}

const results: RunResult[] = [];
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || 'unknown';
const loadStart = loadavg();
const scratch = mkdtempSync(join(tmpdir(), 'gate-noise-'));
try {
  for (let i = 1; i <= runs; i++) {
    const out = join(scratch, `run-${i}`);
    const t0 = performance.now();
    const suiteArg = /[\\/]|\.[mc]?[jt]s$/.test(args.suite) ? resolve(args.suite) : args.suite;
    const r = spawnSync(process.execPath, [CLI, 'gate', '--suite', suiteArg, '--baseline', resolve(args.baseline), '--out', out], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0 && r.status !== 1) {
      process.stderr.write(`gate-noise: run ${i} failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').at(-1)}\n`);
      process.exit(2);
    }
    const rows = parse(readFileSync(join(out, 'gate.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const name = (x: Record<string, string>) => `${x.check} ${x.pipeline} ${x.dtype} ${x.metric}`;
    // current is "median [low, high]" (or a bare median without an interval, which can never be a regression):
    // a regression needs high < limit, so among the checks that passed or were inconclusive with an interval,
    // the smallest high / limit says how near the run came to crying wolf.
    let closest: RunResult['closest'];
    for (const x of rows.filter((y) => y.check === 'throughput' && (y.status === 'pass' || y.status === 'inconclusive'))) {
      const nums = x.current.match(/-?[\d.]+(?:e[-+]?\d+)?/gi)?.map(Number) ?? [];
      if (nums.length < 3) continue;
      const margin = nums[2] / Number(x.limit);
      if (Number.isFinite(margin) && (closest === undefined || margin < closest.margin)) closest = { margin, name: `${x.pipeline} ${x.dtype} ${x.metric}` };
    }
    const result = {
      status: r.status,
      seconds,
      closest,
      regressions: rows.filter((x) => x.status === 'regression' || x.status === 'missing').map(name),
      inconclusive: rows.filter((x) => x.status === 'inconclusive').map(name),
    };
    results.push(result);
    process.stdout.write(`run ${i}/${runs}: exit ${r.status}, ${seconds.toFixed(0)} s, ${result.regressions.length} regressions, ${result.inconclusive.length} inconclusive${result.regressions.length ? `: ${result.regressions.join('; ')}` : ''}; closest throughput check: upper end at ${closest ? `${closest.margin.toFixed(3)} x its limit (${closest.name})` : 'none'}\n`);
    rmSync(out, { recursive: true, force: true });
  }
} finally {
  stopSpinner();
  rmSync(scratch, { recursive: true, force: true });
}

const count = (f: (r: RunResult) => boolean) => results.filter(f).length;
const pipelines = (pick: (r: RunResult) => string[]) => {
  const m = new Map<string, number>();
  for (const r of results) for (const p of new Set(pick(r).map((s) => s.split(' ')[1]))) m.set(p, (m.get(p) ?? 0) + 1);
  return [...m].map(([p, n]) => `${p} (${n} runs)`).join(', ') || 'none';
};
process.stdout.write(
  [
    `commit ${commit}, load average ${loadStart.map((x) => x.toFixed(2)).join(' ')} at the start and ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`,
    `suite ${args.suite}, ${runs} runs${args.busy ? ', one core kept busy' : ''}, median ${[...results.map((r) => r.seconds)].sort((a, b) => a - b)[Math.floor(results.length / 2)].toFixed(0)} s a run`,
    `runs with a regression: ${count((r) => r.regressions.length > 0)} of ${runs}; pipelines: ${pipelines((r) => r.regressions)}`,
    `runs with an inconclusive check: ${count((r) => r.inconclusive.length > 0)} of ${runs}; pipelines: ${pipelines((r) => r.inconclusive)}`,
  ].join('\n') + '\n',
);
