import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeDtype as Dtype } from '../float/dtype.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import { runKernel } from '../pipelines/types.js';
import { resolveSuitePath } from '../suite/load.js';
import { runCli, tempDir } from '../testing/cli.js';
import { makeBatch } from './data.js';
import { BenchPool } from './pool.js';
import type { BenchRow } from './run.js';
import { MIN_ROUNDS, pairedRounds, reference, REFERENCE_NAME, referenceLoop } from './run.js';
import { medianInterval, medianIntervalRanks } from './stats.js';
import { mulberry32 } from '../util/random.js';
import { readHistory } from '../history/record.js';
import { BENCH_COLUMNS, benchHighlights, readBenchCsv, renderBenchSection } from './section.js';

/** A user's pipeline (plain object, no imports): fused cross-entropy written out, float64 only arithmetic. */
const USER_PIPELINE = `{
  name: 'my-cross-entropy',
  formula: 'log Σ exp(x − m) − (x[t] − m)',
  float32(x, rows, classes, targets, out) { this.float64(x, rows, classes, targets, out); },
  float64(x, rows, classes, targets, out) {
    for (let r = 0, b = 0; r < rows; r++, b += classes) {
      let m = -Infinity;
      for (let j = 0; j < classes; j++) if (x[b + j] > m) m = x[b + j];
      let s = 0;
      for (let j = 0; j < classes; j++) s += Math.exp(x[b + j] - m);
      out[r] = Math.log(s) - (x[b + targets[r]] - m);
    }
  },
}`;

const BROKEN_PIPELINE = `{
  name: 'broken',
  formula: 'NaN',
  float32(x, rows, classes, targets, out) { for (let r = 0; r < rows; r++) out[r] = r === rows - 1 ? NaN : 1; },
  float64(x, rows, classes, targets, out) { for (let r = 0; r < rows; r++) out[r] = r === rows - 1 ? NaN : 1; },
}`;

function tinySuite(dir: string, name: string, pipelines: string): string {
  const file = join(dir, `${name}.suite.ts`);
  writeFileSync(
    file,
    `export default {
  name: '${name}',
  seed: 3,
  pipelines: ${pipelines},
  bench: { shapes: [[1, 10], [8, 50]], poolShape: [67, 50], workers: [2], budgetSeconds: 1 },
};
`,
  );
  return file;
}

describe('softmax-stability bench on a tiny suite with a user pipeline', () => {
  let dir: string;
  let rows: BenchRow[];
  let status: number | null;
  let stderr: string;

  let history: string;
  let earlier: string;

  beforeAll(() => {
    dir = tempDir();
    const suite = tinySuite(dir, 'tiny', `['fused-cross-entropy', ${USER_PIPELINE}]`);
    // A history file with an earlier run in it: bench --history must append after it, byte for byte.
    history = join(dir, 'perf', 'history.jsonl');
    mkdirSync(join(dir, 'perf'));
    earlier = `${readFileSync('src/history/fixtures/history.jsonl', 'utf8').split('\n')[0]}\n`;
    writeFileSync(history, earlier);
    const r = runCli(['bench', '--suite', suite, '--out', join(dir, 'out'), '--history', history]);
    status = r.status;
    stderr = r.stderr;
    rows = status === 0 ? readBenchCsv(join(dir, 'out', 'bench.csv')) : [];
  });

  it('exits 0 and writes bench.csv with the SPEC columns in order, bench.svg and bench.json', () => {
    expect(stderr).toContain('bench: ');
    expect(status).toBe(0);
    const header = readFileSync(join(dir, 'out', 'bench.csv'), 'utf8').split('\n')[0];
    expect(header).toBe(BENCH_COLUMNS.join(','));
    expect(readFileSync(join(dir, 'out', 'bench.svg'), 'utf8')).toMatch(/^<svg/);
    expect(JSON.parse(readFileSync(join(dir, 'out', 'bench.json'), 'utf8')).meta.suite).toBe('tiny');
  });

  it('has a reference row per shape and dtype, then every pipeline x dtype inline; pool rows with 2 workers after the pool\'s own reference rows', () => {
    const shapes = ['1x10', '8x50', '67x50'];
    for (const shape of shapes) {
      const here = rows.filter((r) => `${r.batch}x${r.classes}` === shape);
      // The reference reads the very array its dtype's tasks read, so each dtype has its own (relative 1 by definition).
      expect(here.slice(0, 2)).toMatchObject([
        { pipeline: REFERENCE_NAME, dtype: 'float32', compute: 'float32', path: 'inline', workers: 1, relative: 1 },
        { pipeline: REFERENCE_NAME, dtype: 'float64', compute: 'float64', path: 'inline', workers: 1, relative: 1 },
      ]);
      for (const p of ['fused-cross-entropy', 'my-cross-entropy']) {
        for (const dtype of ['float32', 'float64']) {
          expect(here.filter((r) => r.pipeline === p && r.dtype === dtype && r.path === 'inline' && r.workers === 1)).toHaveLength(1);
          const pool = here.filter((r) => r.pipeline === p && r.dtype === dtype && r.path === 'pool');
          expect(pool.map((r) => r.workers)).toEqual(shape === '67x50' ? [2] : []);
        }
      }
    }
    // The pool shape's rows: its inline references, then the pool's references, then the tasks.
    const poolShape = rows.filter((r) => `${r.batch}x${r.classes}` === '67x50');
    const poolRefs = poolShape.filter((r) => r.pipeline === REFERENCE_NAME && r.path === 'pool');
    expect(poolRefs).toMatchObject([
      { dtype: 'float32', workers: 2, relative: 1 },
      { dtype: 'float64', workers: 2, relative: 1 },
    ]);
    expect(poolRefs.every((r) => r.samples > 0)).toBe(true);
    const firstPoolTask = poolShape.findIndex((r) => r.path === 'pool' && r.pipeline !== REFERENCE_NAME);
    expect(poolShape.indexOf(poolRefs[1])).toBeLessThan(firstPoolTask);
    expect(rows).toHaveLength(3 * (2 + 4) + 2 + 4);
  });

  it('every task ran its minimum of paired rounds; relative_to_reference lies in its 95% interval; compute and quantity filled', () => {
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      // Native rows: compute is the dtype, the reference's rows too (its key names the dtype it reads).
      expect(r.compute).toBe(r.dtype);
      expect(r.quantity).toBe('loss');
      expect(r.elementsPerS).toBeCloseTo((r.batch * r.classes * 1000) / r.meanMs, -Math.floor(Math.log10(r.elementsPerS)) + 3);
      expect(r.meanMs).toBeGreaterThan(0);
      expect(r.p99Ms).toBeGreaterThanOrEqual(r.meanMs * 0.5);
      if (r.pipeline === REFERENCE_NAME) {
        expect([r.relative, r.ciLow, r.ciHigh]).toEqual([1, 1, 1]);
        continue;
      }
      expect(r.samples, `${r.pipeline} ${r.dtype} ${r.path} ${r.batch}x${r.classes}`).toBeGreaterThanOrEqual(MIN_ROUNDS);
      expect(r.ciLow).toBeDefined();
      expect(r.ciHigh).toBeDefined();
      expect(r.ciLow as number).toBeLessThanOrEqual(r.relative);
      expect(r.relative).toBeLessThanOrEqual(r.ciHigh as number);
      expect(r.rmePct).toBeGreaterThanOrEqual(0);
    }
  });

  it('--history appended one SPEC section 9 record after the earlier line, which is untouched', () => {
    const text = readFileSync(history, 'utf8');
    expect(text.startsWith(earlier)).toBe(true);
    const records = readHistory(history);
    expect(records).toHaveLength(2);
    const rec = records[1];
    expect(rec.suite).toBe('tiny');
    expect(rec.machine.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(rec.results).toHaveLength(rows.length);
    const user = rec.results.find((x) => x.pipeline === 'my-cross-entropy' && x.path === 'pool' && x.dtype === 'float64');
    const row = rows.find((x) => x.pipeline === 'my-cross-entropy' && x.path === 'pool' && x.dtype === 'float64');
    // bench.csv spells ratios to 4 significant digits; the history keeps the full double.
    const sig4 = (v: number | null | undefined) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v);
    expect(sig4(user?.relative_to_reference)).toBe(row?.relative);
    expect(sig4(user?.ci_low)).toBe(row?.ciLow);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('--history refuses a file whose last line is unterminated, before any work: exit 2, nothing written', () => {
    const bad = join(dir, 'torn.jsonl');
    writeFileSync(bad, `${earlier}{"schema":1,"da`);
    const out = join(dir, 'out-torn');
    const r = runCli(['bench', '--suite', join(dir, 'tiny.suite.ts'), '--out', out, '--history', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`softmax-stability: ${bad}, row 2: the last line is unterminated (an interrupted write?); remove it or end it with a newline before appending`);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(bad, 'utf8')).toBe(`${earlier}{"schema":1,"da`);
  });

  it('renderBenchSection: provenance, the chart beside bench.csv, every row in a table', () => {
    const md = renderBenchSection(join(dir, 'out'));
    expect(md).toContain('## Throughput');
    expect(md).toContain('suite tiny, seed 3, commit');
    expect(md).toContain('](bench.svg)');
    expect(md).toContain('my-cross-entropy float64 67x50: pool of 2 at');
    expect(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| pipeline'))).toHaveLength(rows.length);
  });
});

describe('the NaN check', () => {
  it('stops the run on a user pipeline that returns NaN: exit 2, one line naming the suite and the pipeline, nothing written', () => {
    const dir = tempDir();
    const suite = tinySuite(dir, 'broken', `['fused-cross-entropy', ${BROKEN_PIPELINE}]`);
    const r = runCli(['bench', '--suite', suite, '--out', join(dir, 'out')]);
    expect(r.status).toBe(2);
    const last = r.stderr.trim().split('\n').at(-1) as string;
    expect(last).toContain(suite);
    expect(last).toContain('field pipelines[1]');
    expect(last).toContain('broken (float32) returned NaN for row 0 of the 1x10 benchmark batch');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
  it('a pool worker that dies ends the run with a message, not a hang', () => {
    const dir = tempDir();
    const file = join(dir, 'crash.suite.ts');
    writeFileSync(
      file,
      // Pool threads have thread id > 1 (the CLI's compute worker is thread 1).
      `import { threadId } from 'node:worker_threads';
const fine = (x, rows, classes, targets, out) => { for (let r = 0; r < rows; r++) out[r] = 1; };
export default {
  name: 'crash',
  seed: 3,
  pipelines: [{ name: 'dies-in-workers', formula: '1, or exit in a worker', float32(...a) { if (threadId > 1) process.exit(7); fine(...a); }, float64(...a) { if (threadId > 1) process.exit(7); fine(...a); } }],
  bench: { shapes: [[8, 50]], poolShape: [67, 50], workers: [2], budgetSeconds: 1 },
};
`,
    );
    const r = runCli(['bench', '--suite', file, '--out', join(dir, 'out')], { timeoutMs: 60_000 });
    // A failure of user code: exit 2 (null would be a kill by the timeout, i.e. a hang), naming the pipeline.
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/pipeline "dies-in-workers" \(float\d\d\) ended its worker thread \(process\.exit\(7\)/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('the pool path', () => {
  const suiteFile = resolveSuitePath('ci');
  let pool: BenchPool;
  beforeAll(async () => {
    pool = new BenchPool(2, suiteFile);
    await pool.start(BUILTIN_PIPELINES[0].name);
  });
  afterAll(async () => {
    await pool.close();
  });

  // 37 rows: an odd split (18 + 19) across the two workers.
  const ROWS = 37;
  const CLASSES = 29;
  for (const p of BUILTIN_PIPELINES) {
    for (const dtype of ['float32', 'float64'] as Dtype[]) {
      it(`${p.name} ${dtype}: the pool's losses are the inline losses, bit for bit`, async () => {
        const b = makeBatch(ROWS, CLASSES, 11, true);
        const x = dtype === 'float32' ? b.x32 : b.x64;
        const inline = dtype === 'float32' ? new Float32Array(ROWS) : new Float64Array(ROWS);
        runKernel(p, dtype, x, ROWS, CLASSES, b.targets, inline);
        const shared = dtype === 'float32' ? new Float32Array(new SharedArrayBuffer(ROWS * 4)) : new Float64Array(new SharedArrayBuffer(ROWS * 8));
        shared.fill(NaN);
        await pool.batch(p.name, dtype, ROWS, CLASSES, x, b.targets, shared);
        expect(Array.from(shared, (v, i) => Object.is(v, inline[i]))).toEqual(new Array(ROWS).fill(true));
      });
    }
  }
});

describe('paired rounds', () => {
  it('a task that runs the reference loop twice per call measures at half the reference, inside its interval', async () => {
    const b = makeBatch(64, 1000, 5);
    const ref = await reference(b.x64, () => new Error('NaN'));
    let s = 0;
    const twice = { sync: () => void (s += referenceLoop(b.x64) + referenceLoop(b.x64)) };
    const r = await pairedRounds(ref, twice, b.x64.length, 300);
    const iv = medianInterval(r.ratios);
    expect(s).toBeGreaterThan(0);
    expect(r.ratios.length).toBeGreaterThanOrEqual(MIN_ROUNDS);
    expect(ref.perElementMs).toHaveLength(r.ratios.length);
    expect(iv.median).toBeGreaterThan(0.4);
    expect(iv.median).toBeLessThan(0.6);
    expect(iv.low as number).toBeLessThanOrEqual(iv.median);
    expect(iv.high as number).toBeGreaterThanOrEqual(iv.median);
  });
});

describe('the order-statistic interval of the median', () => {
  it('takes the ranks of Conover (1999) Table A3 / Le Boudec (2010) Table A.1 at 95%', () => {
    // n: k such that [X(k), X(n−k+1)] covers the median with probability ≥ 0.95.
    expect(medianIntervalRanks(5)).toBeUndefined();
    expect(medianIntervalRanks(6)?.k).toBe(1);
    expect(medianIntervalRanks(9)?.k).toBe(2);
    expect(medianIntervalRanks(12)?.k).toBe(3);
    expect(medianIntervalRanks(20)?.k).toBe(6);
    expect(medianIntervalRanks(50)?.k).toBe(18);
    expect(medianIntervalRanks(100)?.k).toBe(40);
    expect(medianIntervalRanks(6)?.coverage).toBeCloseTo(1 - 2 / 64, 12);
  });
  it('covers the true median of a skewed distribution in about 95% of samples (seeded)', () => {
    const next = mulberry32(20261130);
    // Exponential(1): median ln 2.
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 15 }, () => -Math.log(1 - next()));
      const iv = medianInterval(xs);
      if ((iv.low as number) <= Math.LN2 && Math.LN2 <= (iv.high as number)) covered++;
    }
    // Coverage at n = 15 is 1 − 2·P(B ≤ 3) = 0.9648; 2000 trials give a standard error of 0.004.
    expect(covered / trials).toBeGreaterThan(0.95);
    expect(covered / trials).toBeLessThan(0.98);
  });
});

describe('benchHighlights', () => {
  const row = (pipeline: string, path: 'inline' | 'pool', workers: number, batch: number, elementsPerS: number): BenchRow => ({
    pipeline,
    dtype: 'float32',
    path,
    workers,
    batch,
    classes: 1000,
    meanMs: (batch * 1000 * 1000) / elementsPerS,
    p99Ms: 1,
    rmePct: 1,
    samples: 10,
    elementsPerS,
    relative: 1,
    compute: 'float32',
    quantity: 'loss',
    ciLow: 1,
    ciHigh: 1,
  });
  it('divides by tfjs at the same shape and dtype, and the pool by the same pipeline inline', () => {
    const lines = benchHighlights([
      row(REFERENCE_NAME, 'inline', 1, 4096, 100),
      row('fused-cross-entropy', 'inline', 1, 4096, 90),
      row('tfjs-cpu-log-softmax', 'inline', 1, 4096, 1.5),
      row('fused-cross-entropy', 'inline', 1, 65536, 80),
      row('fused-cross-entropy', 'pool', 2, 65536, 150),
    ]);
    expect(lines).toEqual([
      "4096x1000 float32, elements/s over tfjs-cpu-log-softmax's: fused-cross-entropy 60x",
      'fused-cross-entropy float32 65536x1000: pool of 2 at 1.875x the inline elements/s',
    ]);
  });
});
