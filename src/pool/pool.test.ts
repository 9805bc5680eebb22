import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { oracleLoss } from '../oracle/loss.js';
import { tempDir } from '../testing/cli.js';
import type { OracleRow } from './oracle-task.js';
import { oracleRows } from './oracle-task.js';
import { compiledModule, WorkerCrashError, WorkerPool } from './pool.js';

const pools: WorkerPool[] = [];
function pool(threads = 2): WorkerPool {
  const p = new WorkerPool({ threads });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

/** A worker module outside dist/: plain ESM, so the test needs no build of its own. */
function taskModule(): string {
  const file = join(tempDir(), 'tasks.mjs');
  writeFileSync(
    file,
    [
      'export function double(x) { return 2 * x; }',
      "export function fail() { throw new Error('task failed on purpose'); }",
      'export function exit() { process.exit(7); }',
      'export function slow(ms) { const end = Date.now() + ms; while (Date.now() < end); return ms; }',
    ].join('\n'),
  );
  return file;
}

describe('worker pool', () => {
  it('runs the oracle on the pool: the same values as in this thread, in the order given (seeded rows, seed 5)', async () => {
    let s = 5;
    const random = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 40 - 20;
    const rows: OracleRow[] = [];
    for (let i = 0; i < 150; i++) {
      const dtype = i % 3 === 0 ? 'float64' : 'float32';
      const n = i === 7 ? 5000 : 2 + (i % 9);
      const logits = Array.from({ length: n }, () => (dtype === 'float32' ? Math.fround(random()) : random()));
      rows.push({ dtype, logits, target: i % n });
    }
    const ticks: number[] = [];
    const got = await oracleRows(pool(), rows, (k) => ticks.push(k));
    const want = rows.map((r) => oracleLoss(r.logits, r.target, r.dtype).rounded);
    expect(Array.from(got)).toEqual(want);
    expect(ticks.reduce((a, b) => a + b, 0)).toBe(rows.length);
  });

  it('a task that throws rejects with its error, and the pool goes on', async () => {
    const file = taskModule();
    const p = pool();
    await expect(p.run(file, 'fail', 0)).rejects.toThrow('task failed on purpose');
    await expect(p.run(file, 'double', 21)).resolves.toBe(42);
  });

  it('a worker thread that exits ends every pending and later task with WorkerCrashError instead of hanging', async () => {
    const file = taskModule();
    const p = pool(2);
    const pending = p.run(file, 'slow', 300);
    const crashed = p.run(file, 'exit', 0);
    await expect(crashed).rejects.toBeInstanceOf(WorkerCrashError);
    await expect(crashed).rejects.toThrow(/exited unexpectedly \(exit code 7\)/);
    await expect(pending).rejects.toBeInstanceOf(WorkerCrashError);
    await expect(p.run(file, 'double', 1)).rejects.toBeInstanceOf(WorkerCrashError);
  });

  it('compiledModule points into dist/ and says to build when a module is missing', () => {
    expect(compiledModule('pool/oracle-task.js')).toMatch(/dist[\\/]src[\\/]pool[\\/]oracle-task\.js$/);
    expect(() => compiledModule('pool/no-such-module.js')).toThrow(/npm run build/);
  });
});
