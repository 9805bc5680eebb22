/**
 * The adapters of scripts/adapters/ (the process side of SPEC 7), spawned and fed
 * frames with the harness's own codec (frame.ts):
 *
 * - fdlibm.py is V8's Math.exp, Math.log and Math.log1p bit for bit, and ssx1.py
 *   rounds to float32, float16 and bfloat16 as src/float does (midpoints included);
 * - the plain-Python reference adapter gives the built-in kernels' losses and
 *   gradients bit for bit (same bits, hence the same outcomes and ulps) on the
 *   mpmath cases and on fuzz rows of every family, in the four formats, and under
 *   the batch options as src/pipelines/options.ts composes them;
 * - NumPy's and the C example's results are within a few ulps of the oracle on
 *   moderate rows, and they refuse what they do not do with a status-1 reply;
 * - PyTorch and JAX run where installed, and are skipped with a visible name
 *   ("torch not installed: skipped") where not; their missing-library reply is checked.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dtype, NativeDtype } from '../float/dtype.js';
import { formatOf, isHalf } from '../float/dtype.js';
import { roundBfloat16, roundFloat16 } from '../float/half.js';
import { nextDown, nextUp, ulpDistance } from '../float/ordinal.js';
import { generateCases } from '../fuzz/cases.js';
import { oracleGrad } from '../oracle/grad.js';
import { oracleLossRounded } from '../oracle/loss.js';
import { DEFAULT_OPTIONS } from '../cases/options.js';
import type { BatchOptions } from '../cases/options.js';
import { GENERIC_GRAD, GENERIC_LOSS } from '../pipelines/generic.js';
import { pipelineBatch } from '../pipelines/options.js';
import { BUILTIN_PIPELINES, findPipeline } from '../pipelines/registry.js';
import { runKernel } from '../pipelines/types.js';
import { FAMILIES } from '../suite/define.js';
import type { Family } from '../suite/define.js';
import { readFixtureCases } from '../testing/fixtures.js';
import { mulberry32 } from '../util/random.js';
import type { Op, Reply, Request } from './frame.js';
import { decodeReply, encodeRequest, expectedReplyBytes, OP_GRAD, OP_LOSS } from './frame.js';

const ADAPTERS = fileURLToPath(new URL('../../scripts/adapters/', import.meta.url));
const PY = 'python3';
const has = (args: string[]) => spawnSync(PY, args, { encoding: 'utf8' }).status === 0;
const hasPython = has(['--version']);
const hasNumpy = hasPython && has(['-c', 'import numpy']);
const hasTorch = hasPython && has(['-c', 'import torch']);
const hasJax = hasPython && has(['-c', 'import jax, optax']);
const hasCc = spawnSync('cc', ['--version']).status === 0;

interface Row {
  readonly logits: ArrayLike<number>;
  readonly target: number;
}

/** Writes every request to the command's stdin at once, then splits its stdout into replies (an Error for a status ≠ 0). */
function exchange(command: readonly string[], requests: readonly Request[]): (Reply | Error)[] {
  const input = Buffer.concat(requests.map((q) => encodeRequest(q)));
  const r = spawnSync(command[0], command.slice(1), { input, maxBuffer: 1 << 30, timeout: 300_000 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`${command.join(' ')} exited with ${r.status}: ${r.stderr.toString()}`);
  const out: (Reply | Error)[] = [];
  let at = 0;
  for (const q of requests) {
    const n = expectedReplyBytes(q, r.stdout.subarray(at, at + 12));
    if (n === undefined) throw new Error(`reply ${out.length + 1} is short: ${r.stdout.length - at} bytes left`);
    try {
      out.push(decodeReply(q, r.stdout.subarray(at, at + n)));
    } catch (err) {
      out.push(err as Error);
    }
    at += n;
  }
  expect(at, 'bytes after the last reply').toBe(r.stdout.length);
  return out;
}

/** The reply of a request that must succeed. */
function ok(reply: Reply | Error): Reply {
  if (reply instanceof Error) throw reply;
  return reply;
}

/** Whether every value of a row is a value of the dtype that stays finite there (−Infinity, a masked class, kept). */
function fits(row: Row, dtype: Dtype): boolean {
  const round = formatOf(dtype).round;
  for (let j = 0; j < row.logits.length; j++) {
    const v = row.logits[j];
    if (v !== -Infinity && (round(v) !== v || !Number.isFinite(v))) return false;
  }
  return true;
}

/** Rows as values of a dtype: each logit rounded to it; rows where a finite logit overflows are dropped. */
function inDtype(rows: readonly Row[], dtype: Dtype): Row[] {
  const round = formatOf(dtype).round;
  return rows
    .map((r) => ({ logits: Array.from(r.logits, (v) => (v === -Infinity ? v : round(v))), target: r.target }))
    .filter((r) => fits(r, dtype));
}

/** One request per row length (a frame has one `classes`), rows in their given order. */
function framesOf(rows: readonly Row[], dtype: Dtype, op: Op, options: Record<string, unknown> = {}): { requests: Request[]; rows: Row[][] } {
  const byLength = new Map<number, Row[]>();
  for (const r of rows) byLength.set(r.logits.length, [...(byLength.get(r.logits.length) ?? []), r]);
  const requests: Request[] = [];
  const groups: Row[][] = [];
  for (const [classes, group] of byLength) {
    requests.push({ op, dtype, rows: group.length, classes, options, logits: group.flatMap((r) => Array.from(r.logits)), targets: group.map((r) => r.target) });
    groups.push(group);
  }
  return { requests, rows: groups };
}

/** The built-in's loss and gradient of one row: its own float32/float64 kernels, or its generic kernel in a half format (pure mode). */
function builtin(name: string, dtype: Dtype, row: Row): { loss: number; grad: Float64Array } {
  const p = findPipeline(name)!;
  const n = row.logits.length;
  const grad = new Float64Array(n);
  if (isHalf(dtype)) {
    const round = formatOf(dtype).round;
    GENERIC_GRAD[name](row.logits, row.target, round, grad);
    return { loss: GENERIC_LOSS[name](row.logits, row.target, round), grad };
  }
  const fmt = formatOf(dtype as NativeDtype);
  const x = fmt.array(n);
  x.set(Array.from(row.logits));
  const t = Int32Array.of(row.target);
  const out = fmt.array(1);
  const g = fmt.array(n);
  runKernel(p, dtype as NativeDtype, x, 1, n, t, out);
  runKernel(p.grad!, dtype as NativeDtype, x, 1, n, t, g);
  grad.set(g);
  return { loss: out[0], grad };
}

/** "row 3 (target 1, 4 classes): loss 0.5 vs 0.50000001" for the first few rows whose bits differ. */
function sameBits(what: string, got: ArrayLike<number>, want: ArrayLike<number>, mismatches: string[]): void {
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && mismatches.length < 5) mismatches.push(`${what}[${i}]: adapter ${got[i]}, built-in ${want[i]}`);
  }
}

const fixtureRows: Row[] = readFixtureCases().map((c) => ({ logits: Array.from(c.logits), target: c.target }));

/** The first `runs` fuzz cases of each family (vocab: `vocab` rows) in a dtype, the fuzzer's own generators. */
function fuzzRows(dtype: Dtype, runs: number, vocab: number, seed = 20261201): Row[] {
  return FAMILIES.flatMap((f: Family) => (f === 'vocab' && vocab === 0 ? [] : generateCases(f, dtype, seed, f === 'vocab' ? vocab : runs)));
}

describe.skipIf(!hasPython)('fdlibm.py: V8\'s exp, log and log1p bit for bit', () => {
  it('on 60,000 fuzz-like arguments and the special values', () => {
    const rand = mulberry32(7);
    const specials = [0, -0, Infinity, -Infinity, NaN, 1, -1, 0.5, 2, 5e-324, -5e-324, 2.2250738585072014e-308, 709.782712893384, 709.7827128933841, -745.1332191019411, -745.1332191019412, 1e-300, 1e300, 1.7976931348623157e308, 2 ** -28, 2 ** -29, 2 ** -54, -0.9999999999999999, 0.41421356237309503, -0.2928932188134524];
    const args: number[] = [...specials];
    for (let i = 0; i < 60_000; i++) {
      const k = i % 5;
      if (k === 0) args.push(-745 * rand());
      else if (k === 1) args.push(-30 * rand());
      else if (k === 2) args.push(-(2 ** -Math.floor(60 * rand())) * rand());
      else if (k === 3) args.push(Math.fround(-104 * rand()));
      else args.push(1 + rand() * 10 ** (20 * rand() - 16));
    }
    const x = Float64Array.from(args);
    const script = `import sys, array\nsys.path.insert(0, ${JSON.stringify(ADAPTERS)})\nimport fdlibm\na = array.array('d'); a.frombytes(sys.stdin.buffer.read())\nout = array.array('d', [f(v) for f in (fdlibm.exp, fdlibm.log, fdlibm.log1p) for v in a])\nsys.stdout.buffer.write(out.tobytes())`;
    const r = spawnSync(PY, ['-c', script], { input: Buffer.from(x.buffer), maxBuffer: 1 << 28 });
    expect(r.status, r.stderr?.toString()).toBe(0);
    const got = new Float64Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.length));
    const n = x.length;
    const bad: string[] = [];
    [Math.exp, Math.log, Math.log1p].forEach((f, which) => {
      for (let i = 0; i < n; i++) if (!Object.is(got[which * n + i], f(x[i])) && bad.length < 5) bad.push(`${f.name}(${x[i]}): python ${got[which * n + i]}, node ${f(x[i])}`);
    });
    expect(bad).toEqual([]);
  });
});

describe.skipIf(!hasPython)('ssx1.py rounds directly to each format, as src/float does', () => {
  it('float32, float16 and bfloat16 on random doubles, every midpoint region and the overflow thresholds', () => {
    const rand = mulberry32(11);
    const xs: number[] = [0, -0, Infinity, -Infinity, 65504, 65519.99999999999, 65520, 3.3895313892515355e38, 3.3961775292304957e38, 3.4028235677973366e38, 3.402823669209385e38, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0000001, 2 ** -133, 2 ** -134, 2 ** -149, 2 ** -150, 1 + 2 ** -11 + 2 ** -40];
    const formats: [Dtype, (x: number) => number][] = [
      ['float16', roundFloat16],
      ['bfloat16', roundBfloat16],
      ['float32', Math.fround],
    ];
    for (let i = 0; i < 3000; i++) {
      const v = (rand() < 0.5 ? -1 : 1) * 2 ** (Math.floor(rand() * 300) - 160) * (1 + rand());
      xs.push(v);
      for (const [dtype, round] of formats) {
        // The midpoint between a value of the format and its neighbour, and the doubles either side of it.
        const a = round(v);
        if (!Number.isFinite(a)) continue;
        const b = nextUp(a, dtype);
        if (!Number.isFinite(b)) continue;
        const mid = a / 2 + b / 2;
        xs.push(mid, nextUp(mid, 'float64'), nextDown(mid, 'float64'));
      }
    }
    const x = Float64Array.from(xs);
    const script = `import sys, array\nsys.path.insert(0, ${JSON.stringify(ADAPTERS)})\nimport ssx1\na = array.array('d'); a.frombytes(sys.stdin.buffer.read())\nout = array.array('d', [f(v) for f in (ssx1.round_float16, ssx1.round_bfloat16, ssx1.round_float32) for v in a])\nsys.stdout.buffer.write(out.tobytes())`;
    const r = spawnSync(PY, ['-c', script], { input: Buffer.from(x.buffer), maxBuffer: 1 << 28 });
    expect(r.status, r.stderr?.toString()).toBe(0);
    const got = new Float64Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.length));
    const bad: string[] = [];
    formats.forEach(([dtype, round], which) => {
      for (let i = 0; i < x.length; i++) if (!Object.is(got[which * x.length + i], round(x[i])) && bad.length < 5) bad.push(`${dtype}(${x[i]}): python ${got[which * x.length + i]}, node ${round(x[i])}`);
    });
    expect(bad).toEqual([]);
  });
});

describe.skipIf(!hasPython)('reference.py: the built-in pipelines bit for bit', () => {
  const command = (name: string) => [PY, join(ADAPTERS, 'reference.py'), '--pipeline', name];

  /** Sends the rows (op 2) in one process and compares losses and gradients with the built-in, bit for bit; returns the rows compared. */
  function compare(name: string, dtype: Dtype, rows: readonly Row[]): number {
    const frames = framesOf(inDtype(rows, dtype), dtype, OP_GRAD);
    const replies = exchange(command(name), frames.requests);
    const mismatches: string[] = [];
    let compared = 0;
    frames.rows.forEach((group, f) => {
      const reply = ok(replies[f]);
      group.forEach((row, r) => {
        const want = builtin(name, dtype, row);
        const n = row.logits.length;
        sameBits(`frame ${f} row ${r} loss`, [reply.losses[r]], [want.loss], mismatches);
        sameBits(`frame ${f} row ${r} grad`, reply.grad!.subarray(r * n, (r + 1) * n), want.grad, mismatches);
        compared++;
      });
    });
    expect(mismatches, `${name} ${dtype}`).toEqual([]);
    return compared;
  }

  it.each<NativeDtype>(['float32', 'float64'])('stable-log-softmax, %s: the mpmath cases and a fuzz run of every family (vocab included)', (dtype) => {
    const rows = [...fixtureRows, ...fuzzRows(dtype, 40, 1)];
    expect(compare('stable-log-softmax', dtype, rows)).toBeGreaterThan(900);
  });

  it.each<Dtype>(['float16', 'bfloat16'])('stable-log-softmax, %s (pure): the mpmath cases and a fuzz run', (dtype) => {
    expect(compare('stable-log-softmax', dtype, [...fixtureRows, ...fuzzRows(dtype, 20, 0)])).toBeGreaterThan(300);
  });

  const others = BUILTIN_PIPELINES.map((p) => p.name).filter((n) => n !== 'stable-log-softmax' && n !== 'accurate-cross-entropy');
  it.each(others)('%s in the four formats: the mpmath cases and a short fuzz run', (name) => {
    for (const dtype of ['float32', 'float64', 'float16', 'bfloat16'] as const) {
      expect(compare(name, dtype, [...fixtureRows.slice(0, 200), ...fuzzRows(dtype, 8, 0)])).toBeGreaterThan(100);
    }
  });

  it('op 1 replies the losses alone, the same bits', () => {
    const rows = inDtype(fuzzRows('float32', 10, 0), 'float32');
    const frames = framesOf(rows, 'float32', OP_LOSS);
    const replies = exchange(command('fused-cross-entropy'), frames.requests);
    const mismatches: string[] = [];
    frames.rows.forEach((group, f) => {
      const reply = ok(replies[f]);
      expect(reply.grad).toBeUndefined();
      sameBits(`frame ${f}`, reply.losses, group.map((row) => builtin('fused-cross-entropy', 'float32', row).loss), mismatches);
    });
    expect(mismatches).toEqual([]);
  });

  const settings: [string, Partial<BatchOptions>][] = [
    ['weight', { weight: [0.5, 2, 1, 0.25, 3, 1.5, 1, 0.75] }],
    ['ignore_index', { ignoreIndex: 2 }],
    ['label_smoothing', { labelSmoothing: 0.1 }],
    ['all three', { weight: [0.5, 2, 1, 0.25, 3, 1.5, 1, 0.75], ignoreIndex: 5, labelSmoothing: 0.3 }],
  ];
  it.each(settings)('under %s: the losses of src/pipelines/options.ts bit for bit', (_, setting) => {
    const o: BatchOptions = { ...DEFAULT_OPTIONS, ...setting };
    for (const name of ['stable-log-softmax', 'naive-softmax', 'fused-cross-entropy']) {
      for (const dtype of ['float32', 'float64', 'float16'] as const) {
        const rand = mulberry32(3);
        const rows = Array.from({ length: 40 }, () => ({ logits: Array.from({ length: 8 }, () => (rand() - 0.5) * (rand() < 0.2 ? 200 : 12)), target: Math.floor(rand() * 8) }));
        const typed = inDtype(rows, dtype);
        const round = formatOf(dtype).round;
        const weight = o.weight === undefined ? undefined : Float64Array.from(o.weight, round);
        const json: Record<string, unknown> = {};
        if (weight !== undefined) json.weight = Array.from(weight);
        if (o.ignoreIndex !== undefined) json.ignore_index = o.ignoreIndex;
        if (o.labelSmoothing > 0) json.label_smoothing = o.labelSmoothing;
        const frames = framesOf(typed, dtype, OP_GRAD, json);
        const reply = ok(exchange(command(name), frames.requests)[0]);
        const want = pipelineBatch(findPipeline(name)!, { dtype, compute: dtype }, frames.rows[0], o, weight).rows;
        const mismatches: string[] = [];
        sameBits(`${name} ${dtype} loss`, reply.losses, want, mismatches);
        expect(mismatches).toEqual([]);
        // An ignored row has a zero gradient; without smoothing, a weighted row's gradient is w_y times the bare one.
        frames.rows[0].forEach((row, r) => {
          const g = reply.grad!.subarray(r * 8, (r + 1) * 8);
          if (row.target === o.ignoreIndex) expect(Array.from(g)).toEqual(new Array(8).fill(0));
          else if (o.labelSmoothing === 0 && weight !== undefined && dtype === 'float64') {
            const bare = builtin(name, dtype, row).grad;
            expect(Array.from(g)).toEqual(Array.from(bare, (v) => weight[row.target] * v));
          }
        });
      }
    }
  });

  it('--null replies zeros of the right size without computing', () => {
    const frames = framesOf(inDtype(fuzzRows('float64', 3, 0), 'float64'), 'float64', OP_GRAD);
    const replies = exchange([PY, join(ADAPTERS, 'reference.py'), '--null'], frames.requests);
    replies.forEach((r, f) => {
      expect(Array.from(ok(r).losses)).toEqual(new Array(frames.rows[f].length).fill(0));
      expect(ok(r).grad!.every((v) => Object.is(v, 0))).toBe(true);
    });
  });

  it('a target out of range is a status-1 reply naming the frame and row; the process goes on to the next frame', () => {
    const bad: Request = { op: OP_LOSS, dtype: 'float64', rows: 2, classes: 3, options: {}, logits: [1, 2, 3, 4, 5, 6], targets: [0, 7] };
    const good: Request = { ...bad, targets: [0, 1] };
    const [a, b] = exchange(command('stable-log-softmax'), [bad, good]);
    expect(a).toBeInstanceOf(Error);
    expect((a as Error).message).toMatch(/status 1: .*frame 0 row 1: target 7 is not a class \(0 to 2\)/);
    expect(ok(b).losses.length).toBe(2);
  });

  it('a wrong magic ends the process with status 2 and a line on stderr', () => {
    const frame = encodeRequest({ op: OP_LOSS, dtype: 'float32', rows: 1, classes: 2, options: {}, logits: [1, 2], targets: [0] });
    frame.write('XXXX', 0, 'latin1');
    const r = spawnSync(PY, command('stable-log-softmax').slice(1), { input: frame });
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toMatch(/frame 0: magic b'XXXX', expected b'SSX1'/);
  });
});

interface Ulps {
  loss: number;
  grad: number;
}

/** Max ulps between losses (and gradient components) and the oracle, over rows of a dtype; `value(row index)` gives them. */
function maxUlps(rows: readonly Row[], dtype: Dtype, value: (i: number) => { loss: number; grad: ArrayLike<number> }): Ulps {
  const u: Ulps = { loss: 0, grad: 0 };
  rows.forEach((row, i) => {
    const v = value(i);
    u.loss = Math.max(u.loss, ulpDistance(v.loss, oracleLossRounded(row.logits, row.target, dtype), dtype) ?? Infinity);
    const g = oracleGrad(row.logits, row.target, dtype).rounded;
    for (let j = 0; j < g.length; j++) u.grad = Math.max(u.grad, ulpDistance(v.grad[j], g[j], dtype) ?? Infinity);
  });
  return u;
}

/** The adapter's max ulps from the oracle on rows of one length (one frame, op 2). */
function adapterUlps(command: readonly string[], dtype: Dtype, rows: readonly Row[]): Ulps {
  const frames = framesOf(rows, dtype, OP_GRAD);
  const replies = exchange(command, frames.requests).map(ok);
  const flat = frames.rows.flatMap((group, f) => group.map((_, r) => ({ f, r, n: group[0].logits.length })));
  return maxUlps(frames.rows.flat(), dtype, (i) => {
    const { f, r, n } = flat[i];
    return { loss: replies[f].losses[r], grad: replies[f].grad!.subarray(r * n, (r + 1) * n) };
  });
}

/**
 * An adapter against the built-in of the same formula, on the same rows: its max ulps
 * from the oracle, loss and gradient, at most the built-in's plus `margin` (the
 * frameworks sum in another order, pairwise in NumPy, and C uses its own libm).
 */
function noWorseThanBuiltin(command: readonly string[], dtype: Dtype, rows: readonly Row[], loss: string, grad: string, margin: number): void {
  const got = adapterUlps(command, dtype, rows);
  const want = { loss: maxUlps(rows, dtype, (i) => builtin(loss, dtype, rows[i])).loss, grad: maxUlps(rows, dtype, (i) => builtin(grad, dtype, rows[i])).grad };
  expect(got.loss, `loss: ${got.loss} ulps; built-in ${loss}: ${want.loss}`).toBeLessThanOrEqual(want.loss + margin);
  expect(got.grad, `gradient: ${got.grad} ulps; built-in ${grad}: ${want.grad}`).toBeLessThanOrEqual(want.grad + margin);
}

/** Moderate rows (the fuzzer's family of unremarkable logits), where every formula is accurate. */
const moderate = (dtype: Dtype, runs = 40) => generateCases('moderate', dtype, 20261201, runs);

describe.skipIf(!hasNumpy)(hasNumpy ? 'numpy_adapter.py' : 'numpy_adapter.py: numpy not installed: skipped', () => {
  const command = (name: string) => [PY, join(ADAPTERS, 'numpy_adapter.py'), '--pipeline', name];

  it.each<Dtype>(['float64', 'float32', 'float16'])('stable-log-softmax, %s: within 2 ulps of the built-in stable-log-softmax\'s error on moderate rows, loss and gradient', (dtype) => {
    noWorseThanBuiltin(command('stable-log-softmax'), dtype, moderate(dtype), 'stable-log-softmax', 'stable-log-softmax', 2);
  });

  it('refuses bfloat16 frames with a status-1 reply and says why', () => {
    const [r] = exchange(command('stable-log-softmax'), [{ op: OP_LOSS, dtype: 'bfloat16', rows: 1, classes: 2, options: {}, logits: [1, 2], targets: [0] }]);
    expect((r as Error).message).toMatch(/status 1: .*NumPy has no bfloat16/);
  });

  it('options: an ignored row has loss 0 and a zero gradient; a weight w_y scales the loss', () => {
    const q = (options: Record<string, unknown>): Request => ({ op: OP_GRAD, dtype: 'float64', rows: 2, classes: 3, options, logits: [1, 2, 3, 0.5, -1, 2], targets: [0, 2] });
    const [bare, ignored, weighted] = exchange(command('stable-log-softmax'), [q({}), q({ ignore_index: 2 }), q({ weight: [4, 1, 1] })]).map(ok);
    expect(ignored.losses[1]).toBe(0);
    expect(Array.from(ignored.grad!.subarray(3))).toEqual([0, 0, 0]);
    expect(weighted.losses[0]).toBe(4 * bare.losses[0]);
    expect(weighted.losses[1]).toBe(bare.losses[1]);
  });
});

describe.skipIf(!hasCc)(hasCc ? 'the C example (scripts/adapters/c/naive_softmax.c), built with cc' : 'the C example: no cc on this machine: skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssx1-c-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, 'naive_softmax');
  const build = () => {
    const r = spawnSync('cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-pedantic', '-Werror', '-o', exe, join(ADAPTERS, 'c', 'naive_softmax.c'), '-lm'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };

  it.each<NativeDtype>(['float64', 'float32'])('builds warning-free; %s: within 2 ulps of the built-in naive-softmax\'s loss error and fused-cross-entropy\'s gradient error (p − onehot) on moderate rows', (dtype) => {
    build();
    noWorseThanBuiltin([exe], dtype, moderate(dtype).filter((c) => Math.max(...c.logits) < 80), 'naive-softmax', 'fused-cross-entropy', 2);
  });

  it('fails where naive softmax fails: exp overflow past 88.72 in float32 gives a non-finite loss', () => {
    build();
    const [r] = exchange([exe], [{ op: OP_LOSS, dtype: 'float32', rows: 1, classes: 2, options: {}, logits: [100, 0], targets: [1] }]);
    expect(Number.isFinite(ok(r).losses[0])).toBe(false);
  });

  it('refuses half-format frames and options with status-1 replies, and answers --null with zeros', () => {
    build();
    const q: Request = { op: OP_GRAD, dtype: 'float16', rows: 1, classes: 2, options: {}, logits: [1, 2], targets: [0] };
    const [half, opts] = exchange([exe], [q, { ...q, dtype: 'float32', options: { ignore_index: 1 } }]);
    expect((half as Error).message).toMatch(/status 1: .*float16 and bfloat16 frames are not supported/);
    expect((opts as Error).message).toMatch(/status 1: .*batch options .* are not supported/);
    const [z] = exchange([exe, '--null'], [q]);
    expect(Array.from(ok(z).losses)).toEqual([0]);
  });
});

describe.skipIf(!hasTorch)(hasTorch ? 'torch_adapter.py' : 'torch_adapter.py against the oracle: torch not installed: skipped', () => {
  const command = (name: string) => [PY, join(ADAPTERS, 'torch_adapter.py'), '--pipeline', name, '--device', 'cpu'];
  it.each(['cross-entropy', 'log-softmax-nll'])('%s, float64: within 2 ulps of the built-in stable-log-softmax\'s loss error and fused-cross-entropy\'s gradient error on moderate rows', (name) => {
    noWorseThanBuiltin(command(name), 'float64', moderate('float64'), 'stable-log-softmax', 'fused-cross-entropy', 2);
  });
});
describe.skipIf(hasTorch || !hasPython)('torch_adapter.py', () => {
  it('torch not installed: skipped; the adapter answers the first frame with a status-1 reply saying so', () => {
    const [r] = exchange([PY, join(ADAPTERS, 'torch_adapter.py')], [{ op: OP_LOSS, dtype: 'float32', rows: 1, classes: 2, options: {}, logits: [1, 2], targets: [0] }]);
    expect((r as Error).message).toMatch(/status 1: .*torch is not installed/);
  });
});

describe.skipIf(!hasJax)(hasJax ? 'jax_adapter.py' : 'jax_adapter.py against the oracle: jax not installed: skipped', () => {
  const command = (name: string) => [PY, join(ADAPTERS, 'jax_adapter.py'), '--pipeline', name, '--platform', 'cpu'];
  it.each(['optax', 'log-softmax'])('%s, float64: within 2 ulps of the built-in stable-log-softmax\'s loss error and fused-cross-entropy\'s gradient error on moderate rows', (name) => {
    noWorseThanBuiltin(command(name), 'float64', moderate('float64'), 'stable-log-softmax', 'fused-cross-entropy', 2);
  });
});
describe.skipIf(hasJax || !hasPython)('jax_adapter.py', () => {
  it('jax not installed: skipped; the adapter answers the first frame with a status-1 reply saying so', () => {
    const [r] = exchange([PY, join(ADAPTERS, 'jax_adapter.py')], [{ op: OP_LOSS, dtype: 'float32', rows: 1, classes: 2, options: {}, logits: [1, 2], targets: [0] }]);
    expect((r as Error).message).toMatch(/status 1: .*jax or optax is not installed/);
  });
});
