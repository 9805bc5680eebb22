/**
 * The oracle's fast tier against its decimal.js tier on many cases (issue 17):
 * every fuzz family and the adversarial sources of `src/oracle/verify.ts`
 * (rounding midpoints of the loss and of gradient components, subnormal losses,
 * ties, masked classes; adversarial first), in all four formats, both quantities
 * (loss, grad). Prints, per source × dtype × quantity, the cases, the share the
 * fast tier left to decimal.js, and the differences (must be 0); the table is the
 * same bytes for the same flags (timing goes to stderr).
 *
 *     npm run build && npx tsx scripts/verify-oracle.ts [--cases N] [--seed S] [--workers W] [--chunk C] [--vocab V]
 *
 * --cases: how many rows in all (default 10,000,000): 40% adversarial, 60% the
 * fuzz families; --vocab: vocabulary rows per format on top (32k–50k classes,
 * seconds each in decimal.js; default max(1, N/10^5)). The decimal.js side is what costs:
 * about 1 to 3 ms a small row on one core, so the full 10^7 is hours on two cores;
 * the size is a flag. Runs on the worker pool (dist/ must be built).
 *
 * Exit status: 0 with no difference, 1 with any, 2 on a bad flag.
 */
import { scriptArgs } from '../src/util/script-args.js';
import { loadavg } from 'node:os';
import { DTYPES } from '../src/float/dtype.js';
import type { Dtype } from '../src/float/dtype.js';
import { compiledModule, WorkerPool } from '../src/pool/pool.js';
import { FAMILIES } from '../src/suite/define.js';
import { startProgress } from '../src/util/progress.js';
import type { VerifyCounts, VerifyTask } from '../src/oracle/verify.js';
import { ADVERSARIAL } from '../src/oracle/verify.js';

const values = scriptArgs(
  'verify-oracle',
  {
    cases: { type: 'string', default: '10000000' },
    seed: { type: 'string', default: '17' },
    workers: { type: 'string', default: '2' },
    chunk: { type: 'string', default: '500' },
    vocab: { type: 'string' },
  },
  'npx tsx scripts/verify-oracle.ts [--cases N] [--seed S] [--workers W] [--chunk C] [--vocab V]\n' +
    'The fast oracle tier against decimal.js on N cases (default 10,000,000); exit 0 with no difference, 1 with any, 2 on a bad flag.',
);
const flag = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  const min = name === 'seed' || name === 'vocab' ? 0 : 1;
  if (!Number.isInteger(v) || v < min) {
    process.stderr.write(`verify-oracle: --${name} ${values[name]} must be a ${min === 0 ? 'non-negative' : 'positive'} integer\n`);
    process.exit(2);
  }
  return v;
};
const total = flag('cases');
const seed = flag('seed');
const workers = flag('workers');
const chunk = flag('chunk');
const vocabRows = values.vocab === undefined ? Math.max(1, Math.round(total / 1e5)) : flag('vocab');

const families = FAMILIES.filter((f) => f !== 'vocab');
const sources: { source: VerifyTask['source']; perDtype: number }[] = [
  ...ADVERSARIAL.map((source) => ({ source, perDtype: Math.max(1, Math.round((total * 0.4) / (ADVERSARIAL.length * DTYPES.length))) })),
  ...families.map((source) => ({ source, perDtype: Math.max(1, Math.round((total * 0.6) / (families.length * DTYPES.length))) })),
  ...(vocabRows > 0 ? [{ source: 'vocab' as const, perDtype: vocabRows }] : []),
];

// Tasks in order: adversarial sources first, then the families, then the vocabulary rows; each
// chunk's seed fixed by (seed, source, dtype, chunk index).
const tasks: (VerifyTask & { key: string })[] = [];
sources.forEach(({ source, perDtype }, si) => {
  DTYPES.forEach((dtype, di) => {
    for (let c = 0, done = 0; done < perDtype; c++) {
      const count = Math.min(source === 'vocab' ? 1 : chunk, perDtype - done);
      tasks.push({ key: `${source}\t${dtype}`, source, dtype, seed: (seed * 1000003 + si * 104729 + di * 1299709 + c * 7919) >>> 0, count });
      done += count;
    }
  });
});

const sum = new Map<string, VerifyCounts>();
const started = performance.now();
const load = loadavg()[0];
const pool = new WorkerPool({ threads: workers });
const bar = startProgress('verify', tasks.reduce((s, t) => s + t.count, 0), 'cases', { prefix: 'verify-oracle' });
const file = compiledModule('oracle/verify.js');
try {
  const results = await Promise.all(
    tasks.map(async (t) => {
      const r = await pool.run<VerifyCounts>(file, 'verifyChunk', { source: t.source, dtype: t.dtype, seed: t.seed, count: t.count });
      bar.tick(t.count);
      return r;
    }),
  );
  // Summed in task order: the same table whatever order the workers finished in.
  results.forEach((r, i) => {
    const key = tasks[i].key;
    const s = sum.get(key);
    sum.set(
      key,
      s === undefined
        ? r
        : {
            cases: s.cases + r.cases,
            lossFallback: s.lossFallback + r.lossFallback,
            lossDifferences: s.lossDifferences + r.lossDifferences,
            gradRowFallback: s.gradRowFallback + r.gradRowFallback,
            gradComponents: s.gradComponents + r.gradComponents,
            gradComponentFallback: s.gradComponentFallback + r.gradComponentFallback,
            gradDifferences: s.gradDifferences + r.gradDifferences,
            examples: [...s.examples, ...r.examples].slice(0, 5),
          },
    );
  });
} finally {
  await pool.destroy();
}
const seconds = bar.done();

const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(3)}%`);
const lines = ['| source | dtype | quantity | cases | left to decimal.js | share | differences |', '|---|---|---|---:|---:|---:|---:|'];
let cases = 0;
let differences = 0;
let lossFell = 0;
let gradFell = 0;
const examples: string[] = [];
for (const [key, s] of sum) {
  const [source, dtype] = key.split('\t') as [string, Dtype];
  lines.push(`| ${source} | ${dtype} | loss | ${s.cases} | ${s.lossFallback} | ${pct(s.lossFallback, s.cases)} | ${s.lossDifferences} |`);
  lines.push(`| ${source} | ${dtype} | grad | ${s.cases} rows, ${s.gradComponents} components | ${s.gradRowFallback} rows, ${s.gradComponentFallback} components | ${pct(s.gradRowFallback, s.cases)} of rows | ${s.gradDifferences} |`);
  cases += s.cases;
  differences += s.lossDifferences + s.gradDifferences;
  lossFell += s.lossFallback;
  gradFell += s.gradRowFallback;
  examples.push(...s.examples);
}
process.stdout.write(`${lines.join('\n')}\n\n`);
process.stdout.write(`${cases} cases (seed ${seed}), each with both tiers for the loss and the gradient: ${differences} differences; left to decimal.js: ${pct(lossFell, cases)} of losses, ${pct(gradFell, cases)} of gradients\n`);
for (const e of examples.slice(0, 10)) process.stdout.write(`DIFFERENCE ${e}\n`);
process.stderr.write(`verify-oracle: ${seconds.toFixed(1)} s on ${workers} workers, load average ${load.toFixed(2)} at the start (the machine is shared)\n`);
process.exit(differences === 0 ? 0 : 1);
