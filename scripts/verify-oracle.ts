/**
 * The oracle's fast tier against its decimal.js tier on many cases (issue 17):
 * every fuzz family and the adversarial sources of `src/oracle/verify.ts`
 * (rounding midpoints of the loss and of gradient components, subnormal losses,
 * ties, masked classes; adversarial first), in all four formats, both quantities
 * (loss, grad). Prints, per source × dtype × quantity, the cases, the share the
 * fast tier left to decimal.js, and the differences (must be 0); the table is the
 * same bytes for the same flags (timing goes to stderr).
 *
 *     npm run build && npx tsx scripts/verify-oracle.ts [--cases N] [--seed S] [--workers W] [--chunk C] [--vocab V] [--shard I/N] [--out DIR]
 *     npx tsx scripts/verify-oracle.ts --merge DIR
 *
 * --cases: how many rows in all (default 10,000,000), split by `MIX` (verify.ts):
 * 44% adversarial, 56% the fuzz families; --vocab: vocabulary rows per format on
 * top (32k–50k classes, seconds each in decimal.js; default max(1, N/10^6)). The
 * decimal.js side is what costs (about 1 ms a case on one loaded core), so the full
 * 10^7 is hours: it runs in shards.
 *
 * --shard I/N runs shard I of N of the task list (every N-th chunk from I − 1: the
 * same cases whatever the worker count or order) and writes its counts to
 * DIR/shard-I-of-N.json (DIR default reports/verify-oracle/MIX/seed-S, MIX the case mix's version; temporary file
 * and rename), with the flags, the mix, the git commit of the oracle code and the
 * runtime (a hash of the built oracle code, the versions of decimal.js, fast-check,
 * @petamoriken/float16 and Node); a shard refuses to start when dist/ is older than
 * an oracle source. --merge DIR sums the shard files there and prints the table a
 * whole run prints (byte for byte when every shard is there; otherwise stderr says
 * which are missing and stdout ends with a PARTIAL line). Shard files of other
 * flags, mix, shard count, oracle code or runtime are refused (exit 2).
 * Runs on the worker pool (dist/ must be built).
 *
 * Exit status: 0 with no difference, 1 with any, 2 on a bad flag or shard file.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from '../src/util/script-args.js';
import { compiledModule, WorkerPool } from '../src/pool/pool.js';
import { startProgress } from '../src/util/progress.js';
import { writeFileAtomic } from '../src/util/write.js';
import type { RowCounts, Summed, VerifyCounts } from '../src/oracle/verify.js';
import { addCounts, MIX_VERSION, shardOf, verifyReport, verifyTasks } from '../src/oracle/verify.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const USAGE =
  'npx tsx scripts/verify-oracle.ts [--cases N] [--seed S] [--workers W] [--chunk C] [--vocab V] [--shard I/N] [--out DIR]\n' +
  'npx tsx scripts/verify-oracle.ts --merge DIR\n' +
  'The fast oracle tier against decimal.js on N cases (default 10,000,000), or shard I of N of them (written to DIR/shard-I-of-N.json);\n' +
  '--merge sums the shard files of DIR. Exit 0 with no difference, 1 with any, 2 on a bad flag or shard file.';
const values = scriptArgs(
  'verify-oracle',
  {
    cases: { type: 'string', default: '10000000' },
    seed: { type: 'string', default: '17' },
    workers: { type: 'string', default: '2' },
    chunk: { type: 'string', default: '500' },
    vocab: { type: 'string' },
    shard: { type: 'string' },
    out: { type: 'string' },
    merge: { type: 'string' },
  },
  USAGE,
);
const fail = (message: string): never => {
  process.stderr.write(`verify-oracle: ${message}\n`);
  process.exit(2);
};
const flag = (name: 'cases' | 'seed' | 'workers' | 'chunk' | 'vocab'): number => {
  const v = Number(values[name]);
  const min = name === 'seed' || name === 'vocab' ? 0 : 1;
  if (!Number.isInteger(v) || v < min) fail(`--${name} ${values[name]} must be a ${min === 0 ? 'non-negative' : 'positive'} integer`);
  return v;
};

/** What fixes the task list: two shards merge only when these are equal. */
interface RunFlags {
  readonly cases: number;
  readonly seed: number;
  readonly chunk: number;
  readonly vocab: number;
  readonly mix: string;
}

/** A shard file (`--shard`), as written and read. */
interface ShardFile {
  readonly format: 'verify-oracle shard 1';
  readonly flags: RunFlags;
  /** Last commit of the oracle and case code (with +dirty-HASH when the work tree differs there). */
  readonly oracle: string;
  readonly shard: { readonly index: number; readonly of: number };
  readonly tasks: number;
  /** Rows of the table: [key, counts], in task order. */
  readonly counts: [string, RowCounts][];
  /** The shard's first differences: [task index, text]. */
  readonly examples: [number, string][];
  readonly seconds: number;
  readonly workers: number;
  readonly loadAverage: number;
  /** What ran besides the committed code (absent in shards written before it was recorded). */
  readonly runtime?: Runtime;
}

/**
 * The runtime of a shard: the built code the workers ran (a hash of the dist/ files of ORACLE_PATHS),
 * the versions of the libraries that decide cases and slow answers, and Node's (its Math.exp and
 * Math.log1p are fdlibm's, which the fast tier's bound assumes). Two shards that both record it merge
 * only when it is equal.
 */
interface Runtime {
  readonly dist: string;
  readonly node: string;
  readonly libraries: Record<string, string>;
}

/**
 * The code the answers depend on: the oracle (both tiers) and the mix (src/oracle), formats (src/float), the
 * case generators (src/fuzz, with the family list of src/suite/define.ts and the generators' PRNG in
 * src/util/random.ts) and the resolution of batch options (src/cases/options.ts: class weights, defaults).
 * The last two were found missing by an import walk of src/oracle/verify.ts (esbuild --metafile); the rest
 * of that walk (pipelines, pool, report) does not reach the values compared.
 */
const ORACLE_PATHS = ['src/oracle', 'src/float', 'src/fuzz', 'src/suite/define.ts', 'src/util/random.ts', 'src/cases/options.ts'];

/** The .ts files (tests left out) under ORACLE_PATHS, as paths relative to src/. */
function oracleSources(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = join(ROOT, 'src', rel);
    if (statSync(abs).isDirectory()) for (const f of readdirSync(abs).sort()) walk(join(rel, f));
    else if (rel.endsWith('.ts') && !rel.endsWith('.test.ts')) out.push(rel);
  };
  for (const p of ORACLE_PATHS) walk(p.slice('src/'.length));
  return out;
}

/**
 * The runtime of this shard; fails when dist/ is older than a source under ORACLE_PATHS (the workers
 * would run other code than the commit the shard names): the fix is `npm run build`.
 */
function runtimeOf(): Runtime {
  const hash = createHash('sha256');
  for (const rel of oracleSources()) {
    const src = join(ROOT, 'src', rel);
    const built = join(ROOT, 'dist', 'src', rel.replace(/\.ts$/, '.js'));
    if (!existsSync(built)) fail(`${built} is missing: run npm run build first`);
    if (statSync(built).mtimeMs < statSync(src).mtimeMs) fail(`${built} is older than ${src}: the workers would run stale code; run npm run build first`);
    hash.update(rel).update('\0').update(readFileSync(built)).update('\0');
  }
  const libraries: Record<string, string> = {};
  for (const lib of ['decimal.js', 'fast-check', '@petamoriken/float16']) {
    libraries[lib] = (JSON.parse(readFileSync(join(ROOT, 'node_modules', lib, 'package.json'), 'utf8')) as { version: string }).version;
  }
  return { dist: hash.digest('hex').slice(0, 16), node: process.version, libraries };
}

function oracleCommit(): string {
  const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const head = git(['log', '-1', '--format=%H', '--', ...ORACLE_PATHS]).trim();
    const diff = git(['diff', 'HEAD', '--', ...ORACLE_PATHS]);
    return diff === '' ? head : `${head}+dirty-${createHash('sha256').update(diff).digest('hex').slice(0, 12)}`;
  } catch {
    return fail('the git commit of the oracle code is unknown (not a git checkout?); a shard file needs it');
  }
}

const keyOrderOf = (flags: RunFlags) => [...new Set(verifyTasks(flags.cases, flags.seed, flags.chunk, flags.vocab).map((t) => t.key))];

if (values.merge !== undefined) {
  merge(values.merge);
} else {
  await run();
}

function merge(dir: string): never {
  if (!existsSync(dir)) fail(`--merge ${dir}: no such folder`);
  const names = readdirSync(dir)
    .filter((f) => /^shard-\d+-of-\d+\.json$/.test(f))
    .sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]));
  if (names.length === 0) fail(`--merge ${dir}: no shard-I-of-N.json file`);
  let first: ShardFile | undefined;
  let withRuntime: [string, Runtime] | undefined;
  const seen = new Set<number>();
  const sum: Summed = { rows: new Map(), examples: [] };
  let tasks = 0;
  for (const name of names) {
    const path = join(dir, name);
    let f: ShardFile;
    try {
      f = JSON.parse(readFileSync(path, 'utf8')) as ShardFile;
    } catch (err) {
      return fail(`${path}: not JSON (${(err as Error).message.split('\n')[0]})`);
    }
    if (f.format !== 'verify-oracle shard 1') fail(`${path}: field format is ${JSON.stringify(f.format)}, not "verify-oracle shard 1"`);
    if (!Array.isArray(f.counts) || !Array.isArray(f.examples) || typeof f.shard?.index !== 'number' || typeof f.shard?.of !== 'number') fail(`${path}: field counts, examples or shard is missing`);
    if (name !== `shard-${f.shard.index}-of-${f.shard.of}.json`) fail(`${path}: field shard says ${f.shard.index} of ${f.shard.of}, the file name another`);
    if (f.flags?.mix !== MIX_VERSION) fail(`${path}: field flags.mix is ${JSON.stringify(f.flags?.mix)}, this code's case mix is ${MIX_VERSION}; merge it with the code that wrote it (git worktree add DIR ${typeof f.oracle === 'string' ? f.oracle.slice(0, 40) : 'COMMIT'})`);
    if (first === undefined) first = f;
    else {
      if (JSON.stringify(f.flags) !== JSON.stringify(first.flags)) fail(`${path}: field flags ${JSON.stringify(f.flags)} differ from ${names[0]}'s ${JSON.stringify(first.flags)}; shards of different runs are not merged`);
      if (f.oracle !== first.oracle) fail(`${path}: field oracle ${f.oracle} differs from ${names[0]}'s ${first.oracle}; shards of different oracle code are not merged`);
      if (f.shard.of !== first.shard.of) fail(`${path}: field shard is of ${f.shard.of}, ${names[0]} of ${first.shard.of}; shards of different splits overlap`);
    }
    if (f.runtime !== undefined) {
      if (withRuntime === undefined) withRuntime = [name, f.runtime];
      else if (JSON.stringify(f.runtime) !== JSON.stringify(withRuntime[1])) fail(`${path}: field runtime ${JSON.stringify(f.runtime)} differs from ${withRuntime[0]}'s ${JSON.stringify(withRuntime[1])}; shards of different built code, libraries or Node are not merged`);
    }
    if (seen.has(f.shard.index)) fail(`${path}: shard ${f.shard.index} twice`);
    seen.add(f.shard.index);
    for (const [key, c] of f.counts) addCounts(sum, key, 0, c);
    sum.examples.push(...f.examples);
    tasks += f.tasks;
  }
  const flags = first!.flags;
  const { text, differences } = verifyReport(sum, flags.seed, keyOrderOf(flags));
  process.stdout.write(text);
  const n = first!.shard.of;
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !seen.has(i));
  const all = verifyTasks(flags.cases, flags.seed, flags.chunk, flags.vocab);
  const remaining = missing.reduce((s, i) => s + shardOf(all.length, i, n).reduce((c, t) => c + all[t].count, 0), 0);
  // A partial merge says so on stdout too, so a quoted table cannot pass for the whole run's.
  if (missing.length > 0) process.stdout.write(`PARTIAL: ${seen.size} of ${n} shards merged; ${missing.length} shards (up to ${remaining} cases) not yet run\n`);
  process.stderr.write(
    `verify-oracle: ${seen.size} of ${n} shards (${tasks} of ${all.length} tasks), oracle ${first!.oracle}` +
      (missing.length === 0 ? '\n' : `; missing ${missing.length} shards, up to ${remaining} cases: ${missing.length <= 20 ? missing.join(' ') : `${missing.slice(0, 20).join(' ')} …`}\n`),
  );
  process.exit(differences === 0 ? 0 : 1);
}

async function run(): Promise<never> {
  const total = flag('cases');
  const seed = flag('seed');
  const workers = flag('workers');
  const chunk = flag('chunk');
  const vocabRows = values.vocab === undefined ? Math.max(1, Math.round(total / 1e6)) : flag('vocab');
  const flags: RunFlags = { cases: total, seed, chunk, vocab: vocabRows, mix: MIX_VERSION };
  let shard: { index: number; of: number } | undefined;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    if (m === null || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) fail(`--shard ${values.shard} must be I/N with 1 ≤ I ≤ N`);
    shard = { index: Number(m![1]), of: Number(m![2]) };
  }
  const oracle = shard === undefined ? '' : oracleCommit();
  const runtime = shard === undefined ? undefined : runtimeOf();
  const all = verifyTasks(total, seed, chunk, vocabRows);
  const indices = shard === undefined ? all.map((_, i) => i) : shardOf(all.length, shard.index, shard.of);

  const sum: Summed = { rows: new Map(), examples: [] };
  const load = loadavg()[0];
  const pool = new WorkerPool({ threads: workers });
  const bar = startProgress('verify', indices.reduce((s, t) => s + all[t].count, 0), 'cases', { prefix: 'verify-oracle' });
  const file = compiledModule('oracle/verify.js');
  try {
    const results = await Promise.all(
      indices.map(async (t) => {
        const { source, dtype, seed: taskSeed, count } = all[t];
        const r = await pool.run<VerifyCounts>(file, 'verifyChunk', { source, dtype, seed: taskSeed, count });
        bar.tick(count);
        return r;
      }),
    );
    // Summed in task order: the same table whatever order the workers finished in.
    results.forEach((r, i) => addCounts(sum, all[indices[i]].key, indices[i], r, r.examples));
  } finally {
    await pool.destroy();
  }
  const seconds = bar.done();
  const { text, differences } = verifyReport(sum, seed, keyOrderOf(flags));
  if (shard !== undefined) {
    const out = values.out ?? join(ROOT, 'reports', 'verify-oracle', MIX_VERSION, `seed-${seed}`);
    const record: ShardFile = {
      format: 'verify-oracle shard 1',
      flags,
      oracle,
      shard,
      tasks: indices.length,
      counts: [...sum.rows],
      examples: [...sum.examples].sort((a, b) => a[0] - b[0]).slice(0, 10),
      seconds: Math.round(seconds * 10) / 10,
      workers,
      loadAverage: Math.round(load * 100) / 100,
      runtime,
    };
    writeFileAtomic(join(out, `shard-${shard.index}-of-${shard.of}.json`), `${JSON.stringify(record, null, 1)}\n`);
  }
  process.stdout.write(text);
  process.stderr.write(`verify-oracle: ${seconds.toFixed(1)} s on ${workers} workers, load average ${load.toFixed(2)} at the start (the machine is shared)${shard === undefined ? '' : `; shard ${shard.index} of ${shard.of}, ${indices.length} of ${all.length} tasks`}\n`);
  process.exit(differences === 0 ? 0 : 1);
}
