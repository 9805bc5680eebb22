/**
 * Why scripts/adapters/fdlibm.py exists: how often Python's math.exp, math.log and
 * math.log1p (the C library's, glibc here) differ from Node's Math.exp, Math.log and
 * Math.log1p (V8's fdlibm port) in the last bit, and that fdlibm.py differs nowhere.
 *
 *     npx tsx scripts/adapters/measure-libm.ts [--count N]
 *
 * Arguments (seeded, N of each kind, default 500,000): exp of x − m as the pipelines
 * take it (uniform in [−745, 0], in [−30, 0], tiny negatives 2^−k·u, float32 values in
 * [−104, 0]); log and log1p of sums 1 + 10^u·v (u in [−16, 4]), as log Σ exp(x − m)
 * takes them (log1p of the sum minus 1). Prints, per function, the arguments whose
 * double results differ from node's: Python's math module, the same rounded to float32,
 * and fdlibm.py. Exit status 1 if fdlibm.py differs anywhere.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../src/util/random.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '500000' } } });
const count = Number(values.count);
if (!Number.isSafeInteger(count) || count < 1) {
  process.stderr.write(`measure-libm: --count ${values.count} must be a positive integer\n`);
  process.exit(2);
}

const rand = mulberry32(1);
const expArgs = new Float64Array(4 * count);
for (let i = 0; i < count; i++) {
  expArgs[4 * i] = -745 * rand();
  expArgs[4 * i + 1] = -30 * rand();
  expArgs[4 * i + 2] = -(2 ** -Math.floor(61 * rand())) * rand();
  expArgs[4 * i + 3] = Math.fround(-104 * rand());
}
const logArgs = Float64Array.from({ length: 4 * count }, () => 1 + rand() * 10 ** (20 * rand() - 16));
const log1pArgs = logArgs.map((v) => v - 1);

const here = fileURLToPath(new URL('.', import.meta.url));
const script = `
import sys, math, array, struct
sys.path.insert(0, ${JSON.stringify(here)})
import fdlibm
data = sys.stdin.buffer.read()
n = len(data) // 24
a = array.array('d'); a.frombytes(data)
exp_args, log_args, log1p_args = a[:n], a[n:2 * n], a[2 * n:]
out = array.array('d')
for f, g, args in ((math.exp, fdlibm.exp, exp_args), (math.log, fdlibm.log, log_args), (math.log1p, fdlibm.log1p, log1p_args)):
    out.extend(f(v) for v in args)
    out.extend(g(v) for v in args)
sys.stdout.buffer.write(out.tobytes())
`;
const input = Buffer.concat([expArgs, logArgs, log1pArgs].map((a) => Buffer.from(a.buffer)));
const r = spawnSync('python3', ['-c', script], { input, maxBuffer: 1 << 30 });
if (r.status !== 0) {
  process.stderr.write(`measure-libm: python3 failed: ${r.stderr?.toString() ?? r.error?.message}\n`);
  process.exit(2);
}
const got = new Float64Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.length));

const n = expArgs.length;
let fdlibmDiffers = 0;
console.log(`| function | arguments | math module ≠ node | after rounding to float32 | fdlibm.py ≠ node |`);
console.log(`|---|---|---|---|---|`);
[
  ['exp', Math.exp, expArgs],
  ['log', Math.log, logArgs],
  ['log1p', Math.log1p, log1pArgs],
].forEach(([name, f, args], k) => {
  const fn = f as (x: number) => number;
  const xs = args as Float64Array;
  let libm = 0;
  let libm32 = 0;
  let ours = 0;
  for (let i = 0; i < n; i++) {
    const want = fn(xs[i]);
    const m = got[2 * k * n + i];
    const d = got[(2 * k + 1) * n + i];
    if (!Object.is(m, want)) libm++;
    if (!Object.is(Math.fround(m), Math.fround(want))) libm32++;
    if (!Object.is(d, want)) ours++;
  }
  fdlibmDiffers += ours;
  console.log(`| ${name as string} | ${n.toLocaleString('en-US')} | ${libm.toLocaleString('en-US')} | ${libm32} | ${ours} |`);
});
process.exit(fdlibmDiffers === 0 ? 0 : 1);
