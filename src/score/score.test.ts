import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseCases } from '../cases/read.js';
import { formatOf } from '../float/dtype.js';
import { BUILTIN_PIPELINES } from '../pipelines/registry.js';
import { runCli, tempDir } from '../testing/cli.js';
import { PEERS_CSV, readFixtureCases } from '../testing/fixtures.js';
import { readExternal } from './external.js';
import { classify } from './outcome.js';
import { SCORE_COLUMNS, scoreCases } from './score.js';

describe('outcome classification (SPEC section 4, first match wins)', () => {
  it('orders nan, ok-infinite, overflow, underflow, ok, inaccurate', () => {
    expect(classify(NaN, 1, 'float32').outcome).toBe('nan');
    expect(classify(Infinity, Infinity, 'float32').outcome).toBe('ok');
    expect(classify(Infinity, 1, 'float64').outcome).toBe('overflow');
    expect(classify(0, 1e-30, 'float64').outcome).toBe('underflow');
    expect(classify(-0, 1e-30, 'float64').outcome).toBe('underflow');
    expect(classify(1 + 4 * 2 ** -52, 1, 'float64')).toEqual({ ulps: 4, bits: Math.log2(5), outcome: 'ok' });
    expect(classify(1 + 5 * 2 ** -52, 1, 'float64').outcome).toBe('inaccurate');
    expect(classify(1, Infinity, 'float32')).toEqual({ ulps: undefined, bits: 32, outcome: 'inaccurate' });
  });
});

describe('score', () => {
  it('writes the SPEC columns, one row per case and pipeline, in order', () => {
    const dir = tempDir();
    const cases = join(dir, 'cases.csv');
    writeFileSync(cases, 'id,dtype,target,logits\na,float32,1,1e10 1e10\nb,float64,0,0 -Infinity 2\n');
    const out = join(dir, 'scored.csv');
    const r = runCli(['score', cases, '--out', out, '--pipelines', 'logsumexp-minus-target,fused-cross-entropy']);
    expect(r.stderr).toContain('scored 2 cases');
    expect(r.status).toBe(0);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual([...SCORE_COLUMNS]);
    expect(rows.map((x) => `${x.id}/${x.pipeline}/${x.outcome}`)).toEqual([
      'a/logsumexp-minus-target/underflow',
      'a/fused-cross-entropy/ok',
      'b/logsumexp-minus-target/ok',
      'b/fused-cross-entropy/ok',
    ]);
    expect(rows[0]).toMatchObject({ loss: '0', oracle_loss: '0.6931472', ulp_error: '1060205080', bits_error: String(Math.log2(1 + 1060205080)) });
    expect(rows[0].oracle_exact.startsWith('0.69314718055994530941723212145817')).toBe(true);
  });

  it('scores a 50,257-class row (a GPT-2 vocabulary)', () => {
    const n = 50257;
    const logits = Array.from({ length: n }, (_, j) => Math.fround(Math.sin(j * 12.9898) * 8).toString()).join(' ');
    const cases = parseCases(`id,dtype,target,logits\nvocab,float32,777,${logits}\nvocab64,float64,50000,${logits}\n`, 'vocab.csv');
    const rows = scoreCases(cases, { pipelines: BUILTIN_PIPELINES });
    expect(rows).toHaveLength(2 * BUILTIN_PIPELINES.length);
    for (const r of rows) {
      expect(Number.isFinite(r.oracle.rounded)).toBe(true);
      expect(r.oracle.exact.replace(/^0\.0*|\./g, '').length).toBeGreaterThanOrEqual(30);
      // Every pipeline returns a finite loss, so every row has an ulp error: the row is scored, not skipped.
      expect(r.ulps).toBeDefined();
    }
  });

  it('scores the peers with --external, each impl a pipeline', () => {
    const cases = readFixtureCases().slice(0, 40);
    const ids = new Set(cases.map((c) => c.id));
    const external = readExternal(PEERS_CSV, readFixtureCases()).filter((e) => ids.has(e.id));
    const rows = scoreCases(cases, { pipelines: [], external });
    expect(rows).toHaveLength(external.length);
    expect(new Set(rows.map((r) => r.pipeline))).toContain('torch-cpu-cross_entropy');
    const f32 = rows.filter((r) => r.dtype === 'float32');
    for (const r of f32) expect(formatOf('float32').round(r.loss)).toBe(r.loss);
  });

  it('the stderr summary never shows "max ulps 0" beside a NaN or an infinite loss', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.csv'), 'id,dtype,target,logits\na,float32,0,1 2\nb,float32,0,1 2\n');
    writeFileSync(join(dir, 'e.csv'), 'id,impl,dtype,loss\na,t,float32,nan\nb,t,float32,1.3132616\na,u,float32,Infinity\n');
    const r = runCli(['score', join(dir, 'c.csv'), '--external', join(dir, 'e.csv'), '--pipelines', 'none', '--out', join(dir, 's.csv')]);
    expect(r.status, r.stderr).toBe(0);
    const line = (impl: string) => r.stderr.split('\n').find((l) => l.trimStart().startsWith(`${impl} `)) ?? '';
    expect(line('t')).toMatch(/nan 1 {2}max ulps — \(1 row with no ulp count: NaN or not finite\)/);
    expect(line('u')).toMatch(/overflow 1 .*max ulps — \(1 row with no ulp count/);
  });
});

describe('--external: an extra field or a repeated (id, impl) is refused like a bad cases row', () => {
  for (const [what, external, message] of [
    ['an extra field', 'id,impl,dtype,loss\na,t,float32,1.3,9\n', /e\.csv, row 2, field loss: 5 fields, the header has 4/],
    ['the same id and impl twice', 'id,impl,dtype,loss\na,t,float32,1.3\na,u,float32,1.3\na,t,float32,1.4\n', /e\.csv, row 4, field id: id "a" of impl "t" is given twice \(line 2 too\)/],
  ] as const) {
    it(what, () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'c.csv'), 'id,dtype,target,logits\na,float32,0,1 2\n');
      writeFileSync(join(dir, 'e.csv'), external);
      const r = runCli(['score', join(dir, 'c.csv'), '--external', join(dir, 'e.csv'), '--out', join(dir, 's.csv')]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(dir, 's.csv'))).toBe(false);
    });
  }
});

describe('bad input is refused: exit 2, one line naming the row and field, nothing written', () => {
  const bad: [string, string, RegExp][] = [
    ['non-number', 'x,float32,0,1 abc\n', /row 2, field logits: logit 2 is "abc"/],
    ['target out of range', 'x,float32,3,1 2\n', /row 2, field target: target 3 is out of range/],
    ['no logits', 'x,float64,0,\n', /row 2, field logits: no logits/],
    ['unknown dtype', 'x,float8,0,1 2\n', /row 2, field dtype: unknown dtype "float8"; use one of float32, float64, float16, bfloat16/],
    ['float16 overflow on reading', 'x,float16,0,1 70000\n', /row 2, field logits: logit 2 is 70000, which is \+Infinity in float16/],
    ['missing column', 'x,float32,0\n', /row 2, field logits: missing column/],
    ['NaN', 'x,float32,0,1 NaN\n', /row 2, field logits: logit 2 is NaN/],
    ['Infinity', 'x,float32,0,Infinity 1\n', /row 2, field logits: logit 1 is Infinity/],
    ['float32 overflow on reading', 'x,float32,0,1e39 1\n', /row 2, field logits: logit 1 is 1e39, which is \+Infinity in float32/],
    ['an id beginning with @', '@batch,float64,0,1 2\n', /row 2, field id: id "@batch" begins with "@"/],
    ['a soft target with a negative entry', 'x,float64,0.5 -0.5,1 2\n', /row 2, field target: soft target entry 1 is -0.5, a negative probability/],
    ['a soft target of the wrong length', 'x,float64,0.5 0.25 0.25,1 2\n', /row 2, field target: the soft target has 3 entries but the row has 2 logits/],
    ['negative target', 'x,float32,-1,1 2\n', /row 2, field target/],
    ['extra field (a comma between logits)', 'x,float64,0,1.5,2.5\n', /row 2, field logits: 5 fields, the header has 4/],
    ['duplicate id', 'ok,float64,0,1 2\n', /row 2, field id: id "ok" is also on line 2; give each case its own id/],
    ['float64 logit rounding to -Infinity', 'x,float64,0,-1e400 1\n', /row 2, field logits: logit 1 is -1e400, which rounds to -Infinity in float64; write -Infinity/],
    ['float32 logit rounding to -Infinity', 'x,float32,0,1 -1e39\n', /row 2, field logits: logit 2 is -1e39, which rounds to -Infinity in float32/],
  ];
  for (const [name, row, message] of bad) {
    it(name, () => {
      const dir = tempDir();
      const cases = join(dir, 'cases.csv');
      writeFileSync(cases, `id,dtype,target,logits\nok,float32,0,1 2\n${row}`);
      const out = join(dir, 'out', 'scored.csv');
      const r = runCli(['score', cases, '--out', out]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(cases);
      expect(r.stderr.replace(/row 3/, 'row 2')).toMatch(message);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir)).toEqual(['cases.csv']);
    });
  }

  it('an unknown pipeline and a bad budget name the option', () => {
    const r = runCli(['score', 'fixtures/mpmath/cases.csv', '--pipelines', 'softmax-ish']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/field --pipelines: unknown pipeline "softmax-ish"; choose from naive-softmax/);
    expect(runCli(['score', 'fixtures/mpmath/cases.csv', '--budget', 'four']).status).toBe(2);
  });

  it('names the line a bad row begins on: after blank lines and quoted fields that span lines', () => {
    const head = 'id,dtype,target,logits\n\n\na,float64,0,1 2\n"b\nmulti",float64,0,1\n\n';
    expect(() => parseCases(`${head}c,float64,0,abc\n`, 'f.csv')).toThrow(/^f\.csv, row 8, field logits: logit 1 is "abc"/);
    expect(() => parseCases(`${head}"d\ne",float64,3,1\n`, 'f.csv')).toThrow(/^f\.csv, row 8, field target/);
    expect(parseCases(`${head}c,float64,0,-Infinity 1\n`, 'f.csv').map((c) => c.line)).toEqual([4, 5, 8]);
  });

  it('--out is checked before any work: a folder, a path under a file, or the cases file itself (by any name) is exit 2 with one line', () => {
    const dir = tempDir();
    const cases = join(dir, 'cases.csv');
    const text = 'id,dtype,target,logits\na,float64,0,1 2\n';
    writeFileSync(cases, text);
    symlinkSync(cases, join(dir, 'link.csv'));
    for (const [out, message] of [
      [dir, `${dir}, field --out: is a folder`],
      [join(cases, 'scored.csv'), 'field --out: cannot write here: a part of the path is a file'],
      [cases, 'is also the input'],
      [join(dir, 'link.csv'), 'is also the input'],
      ['/proc/softmax-stability-test/scored.csv', 'field --out: cannot write here'],
    ]) {
      const r = runCli(['score', cases, '--out', out]);
      expect(r.status, out).toBe(2);
      expect(r.stderr.trim().split('\n'), out).toHaveLength(1);
      expect(r.stderr, out).toContain(message);
    }
    expect(readFileSync(cases, 'utf8')).toBe(text);
    expect(readdirSync(dir).sort()).toEqual(['cases.csv', 'link.csv']);
  });
});

describe('a header column the cases format does not have is refused, not dropped', () => {
  it('id,dtype,target,logits,extra: exit 2 naming line 1 and the column, nothing written', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.csv'), 'id,dtype,target,logits,extra\na,float64,0,1.5 2,x\n');
    const r = runCli(['score', join(dir, 'c.csv'), '--out', join(dir, 's.csv')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/c\.csv, row 1, field extra: the header has a column "extra" the cases format does not have; it must be id,dtype,target,logits$/);
    expect(existsSync(join(dir, 's.csv'))).toBe(false);
  });
});
