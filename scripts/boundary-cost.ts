/**
 * What the process boundary of an external pipeline costs (SPEC 7, issue 16): frames per
 * second and bytes per second (request and reply, both ways) through an adapter's `--null`
 * mode, which reads each request whole and replies zeros of the right size without
 * computing, so what is timed is the frame's round trip alone: encoding, the hand-over to
 * the helper thread that owns the process (src/external/host-worker.ts), the pipes, the
 * adapter's reading and writing, decoding. Next to it, the built-in stable-log-softmax on
 * the same batch in this process, for scale.
 *
 *     npm run build && npx tsx scripts/boundary-cost.ts [--dtype float32|float64] [--seconds S]
 *
 * Adapters: scripts/adapters/reference.py --null (plain Python) and, where `cc` exists,
 * scripts/adapters/c/naive_softmax.c --null (built into a temporary folder). Batches 1x10,
 * 128x1000 and 4096x1000 (the bench's default shapes). Each cell: frames for about
 * `--seconds` (default 2) of wall time after 3 warm-up frames; times are means over them,
 * split (src/external/pipeline.ts FrameStats) into the round trip seen by the helper thread
 * (first byte written to last byte read: the pipes and the adapter) and the harness's side
 * (encoding, the hand-over between threads, decoding). Prints a Markdown table and the load average (the machine may be shared: say so
 * when quoting the figures).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatch } from '../src/bench/data.js';
import { externalPipeline, frameStats } from '../src/external/pipeline.js';
import { checkExternalSpec } from '../src/external/spec.js';
import { findPipeline } from '../src/pipelines/registry.js';
import type { Pipeline } from '../src/pipelines/types.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const dtype = arg('--dtype', 'float32');
if (dtype !== 'float32' && dtype !== 'float64') {
  process.stderr.write(`boundary-cost: --dtype ${dtype}: float32 or float64\n`);
  process.exit(2);
}
const seconds = Number(arg('--seconds', '2'));
if (!(seconds > 0)) {
  process.stderr.write(`boundary-cost: --seconds ${arg('--seconds', '')}: a number of seconds > 0\n`);
  process.exit(2);
}
const SHAPES: [number, number][] = [
  [1, 10],
  [128, 1000],
  [4096, 1000],
];

const adapters: { name: string; command: string[] }[] = [{ name: 'python reference.py --null', command: ['python3', 'scripts/adapters/reference.py', '--null'] }];
const dir = mkdtempSync(join(tmpdir(), 'boundary-cost-'));
const cc = spawnSync('cc', ['-std=c99', '-O2', '-o', join(dir, 'naive_softmax'), 'scripts/adapters/c/naive_softmax.c', '-lm'], { encoding: 'utf8' });
if (cc.status === 0) adapters.push({ name: 'C naive_softmax --null', command: [join(dir, 'naive_softmax'), '--null'] });
else process.stderr.write(`boundary-cost: no C adapter (cc: ${cc.error?.message ?? cc.stderr.trim()})\n`);

/** Calls the kernel for about `seconds` (at least 5 calls) after 3 warm-up calls, then `warmed()`; the per-call wall times in ms. */
function time(p: Pipeline, rows: number, classes: number, warmed: () => void = () => undefined): number[] {
  const b = makeBatch(rows, classes, 1);
  const x = dtype === 'float32' ? b.x32 : b.x64;
  const out = dtype === 'float32' ? new Float32Array(rows) : new Float64Array(rows);
  const call = () => (dtype === 'float32' ? p.float32(x as Float32Array, rows, classes, b.targets, out as Float32Array) : p.float64(x as Float64Array, rows, classes, b.targets, out as Float64Array));
  for (let i = 0; i < 3; i++) call();
  warmed();
  const ms: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until || ms.length < 5) {
    const t0 = performance.now();
    call();
    ms.push(performance.now() - t0);
  }
  return ms;
}

const load = loadavg()[0];
const lines = [
  `| batch (${dtype}) | implementation | frames/s | MB/s (both ways) | bytes a frame (request + reply) | ms a frame | of which the pipes and the process, ms | of which the harness's side, ms |`,
  '|---|---|--:|--:|--:|--:|--:|--:|',
];
const builtin = findPipeline('stable-log-softmax')!;
for (const [rows, classes] of SHAPES) {
  for (const a of adapters) {
    const p = externalPipeline(checkExternalSpec({ name: 'boundary', command: a.command }, 'boundary-cost.ts', 0));
    const s = frameStats(p)!;
    time(p, rows, classes, () => Object.assign(s, { frames: 0, bytesOut: 0, bytesIn: 0, seconds: 0, callSeconds: 0 }));
    const ms = (s.callSeconds * 1000) / s.frames;
    const bytes = (s.bytesOut + s.bytesIn) / s.frames;
    lines.push(`| ${rows}x${classes} | ${a.name} | ${(1000 / ms).toFixed(0)} | ${((bytes * 1000) / ms / 1e6).toFixed(1)} | ${bytes.toFixed(0)} | ${ms.toFixed(3)} | ${((s.seconds * 1000) / s.frames).toFixed(3)} | ${(((s.callSeconds - s.seconds) * 1000) / s.frames).toFixed(3)} |`);
  }
  const ms = time(builtin, rows, classes);
  const mean = ms.reduce((x, y) => x + y, 0) / ms.length;
  lines.push(`| ${rows}x${classes} | built-in stable-log-softmax, in process (no frame) | ${(1000 / mean).toFixed(0)} | | | ${mean.toFixed(3)} | | |`);
}
console.log(lines.join('\n'));
console.log(`\nload average ${load.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (node ${process.version})`);
