/**
 * External pipelines (SPEC 7) at the CLI: a suite entry `{ name, command, ... }` checked
 * field by field, and every fault of a process (a crash on the third frame, a hang, a short
 * reply, a wrong magic, garbage, a status ≠ 0, a program that does not exist) ending the run
 * with exit 2 and one line naming the pipeline and the frame, with nothing written; inline
 * and in the fuzzer's pool workers; bytes after the last reply, found when the input closes.
 * A NaN is a result, not a fault. The process's stderr in the log, line by line, prefixed
 * with the pipeline's name; a format outside the entry's `dtypes` named as such.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DTYPES } from '../float/dtype.js';
import { runsIn } from '../pipelines/variant.js';
import { checkSuite } from '../suite/load.js';
import { benchedAt, inlineVariants, smallShapesNote } from '../bench/run.js';
import { renderBenchSection } from '../bench/section.js';
import { runCli, tempDir } from '../testing/cli.js';
import { InputError } from '../util/errors.js';

const SUITE = 'src/external/fixtures/fault.suite.ts';

/** The lines the harness printed about the failure. */
function verdicts(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('softmax-stability:'));
}

/** A cases file with one row each of float32, float64 and bfloat16: three frames (bfloat16's pure mode is the third). */
function casesFile(dir: string): string {
  const file = join(dir, 'cases.csv');
  writeFileSync(file, 'id,dtype,target,logits\na,float32,0,1 2 3\nb,float64,1,1 2 3\nc,bfloat16,2,1 2 3\n');
  return file;
}

function scoreWith(env: Record<string, string>) {
  const dir = tempDir();
  const out = join(dir, 'scored.csv');
  const started = performance.now();
  const r = runCli(['score', casesFile(dir), '--suite', SUITE, '--pipelines', 'ext', '--out', out], { env, timeoutMs: 60_000 });
  return { ...r, seconds: (performance.now() - started) / 1000, wrote: existsSync(out) };
}

describe('faults of an external process end the run: exit 2, one line naming the pipeline and the frame, nothing written', () => {
  const faults: [string, Record<string, string>, string][] = [
    ['a crash on the third frame', { EXT_SCRIPT: 'crash-third.py' }, 'external pipeline ext (python3), frame 3 (op 1 (losses), 1 × 3 bfloat16): the process exited with code 3, no reply'],
    ['a hang (timeoutMs)', { EXT_SCRIPT: 'hang.py', EXT_TIMEOUT_MS: '1500' }, 'external pipeline ext (python3), frame 1 (op 1 (losses), 1 × 3 float32): no reply within 1500 ms (timeoutMs): the process was killed, no reply'],
    ['a short reply', { EXT_SCRIPT: 'short.py' }, 'external pipeline ext (python3), frame 1 (op 1 (losses), 1 × 3 float32): short reply, 6 bytes: the process exited with code 0'],
    ['a wrong magic', { EXT_SCRIPT: 'wrong-magic.py' }, 'external pipeline ext (python3), frame 1 (op 1 (losses), 1 × 3 float32): wrong magic in the reply: "SSX2" (hex 53535832), expected "SSX1"'],
    ['garbage on stdout', { EXT_SCRIPT: 'garbage.py' }, 'external pipeline ext (python3), frame 1 (op 1 (losses), 1 × 3 float32): wrong magic in the reply: "loss" (hex 6c6f7373), expected "SSX1"'],
    ['a reply too long (extra bytes in the same write)', { EXT_SCRIPT: 'long.py' }, 'external pipeline ext (python3), frame 1 (op 1 (losses), 1 × 3 float32): the reply is too long: 16 bytes, expected 12'],
    ['a status ≠ 0', { EXT_SCRIPT: 'status.py' }, 'external pipeline ext (python3), frame 1 (op 1 (losses), 1 × 3 float32): status 7: no CUDA device'],
    ['a status message with a newline and an ESC sequence: one line, ESC escaped', { EXT_SCRIPT: 'status.py', EXT_ARG: 'escape' }, 'external pipeline ext (python3), frame 1 (op 1 (losses), 1 × 3 float32): status 7: line one line two\\x1b[31mred'],
    ['a status message length of 0xFFFFFFF0: refused at once, not after timeoutMs', { EXT_SCRIPT: 'status.py', EXT_ARG: 'huge', EXT_TIMEOUT_MS: '60000' }, 'external pipeline ext (python3), frame 1 (op 1 (losses), 1 × 3 float32): status 7 with a message of 4294967280 bytes, over the 1048576 (1 MiB) a status message may have'],
    ['a program that does not exist', { EXT_PROGRAM: 'softmax-stability-no-such-program' }, 'external pipeline ext (softmax-stability-no-such-program), frame 1 (op 1 (losses), 1 × 3 float32): cannot start "softmax-stability-no-such-program": no such program (spawn ENOENT), no reply'],
  ];
  for (const [what, env, message] of faults) {
    it(what, () => {
      const r = scoreWith(env);
      expect(r.status, r.stderr).toBe(2);
      expect(verdicts(r.stderr)).toEqual([`softmax-stability: ${message}`]);
      expect(r.wrote).toBe(false);
      if (env.EXT_TIMEOUT_MS !== undefined) expect(r.seconds).toBeLessThan(30);
      if (env.EXT_ARG === 'escape') expect(r.stderr).not.toContain('\x1b');
    });
  }

  it('a reply too long found only when the input closes (extra bytes after the last reply, then exit 0): a fault on the last frame, nothing written', () => {
    // score (the compute thread's process) and fuzz (a published folder) alike.
    const r = scoreWith({ EXT_SCRIPT: 'long-after.py' });
    expect(r.status, r.stderr).toBe(2);
    expect(verdicts(r.stderr)).toEqual([
      'softmax-stability: external pipeline ext (python3), frame 4 (op 1 (losses), 1 × 3 float32): the process wrote 4 bytes after its last reply (starting "\\u0000\\u0000\\u0000\\u0000"), seen when its stdin closed: a reply longer than its frame says',
    ]);
    expect(r.wrote).toBe(false);
    const out = join(tempDir(), 'out');
    const f = runCli(['fuzz', '--suite', SUITE, '--out', out], { env: { EXT_SCRIPT: 'long-after.py' }, timeoutMs: 120_000 });
    expect(f.status, f.stderr).toBe(2);
    expect(verdicts(f.stderr)).toHaveLength(1);
    expect(verdicts(f.stderr)[0]).toMatch(/^softmax-stability: external pipeline ext \(python3\), frame \d+ \(op 1 \(losses\), 1 × \d+ float32\): the process wrote 4 bytes after its last reply/);
    expect(existsSync(out)).toBe(false);
    // Nothing said to be written: the files are named only once published.
    expect(f.stderr).not.toMatch(/wrote fuzz\.csv|published into/);
    // The control: the same process without the extra bytes publishes.
    expect(scoreWith({ EXT_SCRIPT: 'constant.py' }).wrote).toBe(true);
  });

  it("each line the process writes on stderr goes to the log prefixed with the pipeline's name", () => {
    const r = scoreWith({ EXT_SCRIPT: 'stderr.py' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines).toContain('[ext] first frame: 1 x 3');
    // Control characters escaped (printable): an ESC sequence cannot recolour the terminal.
    expect(lines).toContain('[ext] second line \\x1b[31mred');
    expect(r.stderr).not.toContain('\x1b');
    // The last line, written without a newline as the process exits.
    expect(lines).toContain('[ext] stdin closed, bye');
    expect(lines.filter((l) => /first frame|second line|bye/.test(l) && !l.startsWith('[ext] '))).toEqual([]);
  });

  it('a NaN in a reply is a result (outcome nan), not a fault', () => {
    const dir = tempDir();
    const r = runCli(['score', casesFile(dir), '--suite', SUITE, '--pipelines', 'ext'], { env: { EXT_ARG: 'nan' }, timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1);
    // float32, float64, bfloat16 pure and widened.
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row.split(',')[10]).toBe('nan');
  });

  it('in the fuzzer, a process of a pool worker that crashes while shrinking: exit 2 naming its frame, no report written', () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const counter = join(dir, 'frames');
    // The compute thread's process answers 24 frames (2 families x 12 runs, all failing: every loss 0); the
    // pool workers' processes then shrink, and the first of them to send its second frame crashes.
    const r = runCli(['fuzz', '--suite', SUITE, '--out', out], { env: { EXT_SCRIPT: 'crash-after.py', EXT_COUNTER: counter, EXT_CRASH_AT: '25' }, timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(2);
    // The row is whichever shrink candidate that process was sent second (the two shrink jobs race).
    const lines = verdicts(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^softmax-stability: external pipeline ext \(python3\), frame 2 \(op 1 \(losses\), 1 × \d+ float32\): the process exited with code 3, no reply$/);
    expect(existsSync(out) ? readdirSync(out).filter((f) => !f.startsWith('.softmax-stability')) : []).toEqual([]);
  });
});

describe('bench', () => {
  it('leaves an external pipeline out of shapes below 100,000 logits, with a note; a built-in runs there', () => {
    const suite = checkSuite({ pipelines: ['stable-log-softmax', { name: 'ext', command: ['python3'] }], bench: { shapes: [[16, 100], [128, 1000]], poolShape: [4, 10] } }, 'x.suite.ts');
    const [builtin, ext] = suite.pipelines;
    expect(inlineVariants(ext, suite, [16, 100])).toEqual([]);
    expect(inlineVariants(ext, suite, [128, 1000]).map((v) => v.dtype)).toEqual(['float32', 'float64']);
    expect(inlineVariants(builtin, suite, [16, 100]).map((v) => v.dtype)).toEqual(['float32', 'float64']);
    expect([benchedAt(ext, [4, 10]), benchedAt(builtin, [4, 10])]).toEqual([false, true]);
    expect(smallShapesNote(suite)).toBe(
      'ext not benchmarked at 16x100, 4x10: an external pipeline is benchmarked at 100,000 logits a frame or more, where its compute outweighs the process\'s waking, which varies by several times between stretches of a run (the frames\' round trip at small shapes: npx tsx scripts/boundary-cost.ts)',
    );
    expect(smallShapesNote(checkSuite({ pipelines: ['stable-log-softmax'], bench: { shapes: [[16, 100]] } }, 'x.suite.ts'))).toBeUndefined();
  });

  it('times an external pipeline inline and in the pool (its processes\' CPU time), and logs its frames apart from the harness side', () => {
    const out = join(tempDir(), 'out');
    const r = runCli(['bench', '--suite', SUITE, '--out', out], { env: { EXT_ARG: '1' }, timeoutMs: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const rows = readFileSync(join(out, 'bench.csv'), 'utf8').trim().split('\n').filter((l) => l.startsWith('ext,'));
    expect(rows.map((l) => l.split(',')[2])).toEqual(['inline', 'pool']);
    expect(r.stderr).toMatch(/bench: ext: \d+ frames in this thread, [\d.]+ MB sent, [\d.]+ MB received; per frame [\d.]+ ms round trip \(the pipes and the process's compute\), [\d.]+ ms on the harness's side/);
    // On Linux, its rows time its processes' CPU time (process-cpu.ts), and bench.json and the summary's Throughput section say so.
    const info = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as { external?: { pipelines: string[]; clocks: string[] } };
    expect(info.external).toEqual({ pipelines: ['ext'], clocks: [process.platform === 'linux' ? 'descendants' : 'wall'] });
    if (process.platform === 'linux') expect(renderBenchSection(out)).toContain('External pipelines (`ext`; SPEC 7): their rows, inline and pool, time the CPU time of their processes');
  });
});

describe.skipIf(process.platform !== 'linux')('the clock of an external pipeline\'s bench rows', () => {
  // burn.py spends BURN ms of CPU time, then sleeps SLEEP ms, per frame; one frame per call (inline) and per pool batch (1 worker).
  const BURN = 40;
  const SLEEP = 300;
  const meanMs = (clock: string | undefined) => {
    const out = join(tempDir(), 'out');
    const r = runCli(['bench', '--suite', SUITE, '--out', out], { env: { EXT_SCRIPT: 'burn.py', EXT_ARG: `${BURN}:${SLEEP}`, EXT_DTYPES: 'float32', ...(clock ? { EXT_CLOCK: clock } : {}) }, timeoutMs: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(join(out, 'bench.csv'), 'utf8').trim().split('\n');
    const col = lines[0].split(',').indexOf('mean_ms');
    const info = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as { external?: { clocks: string[] } };
    return { info, ms: lines.filter((l) => l.startsWith('ext,')).map((l) => Number(l.split(',')[col])) };
  };

  it("default clock 'cpu': mean_ms is the process's CPU time, the burn and not the sleep (the harness's own CPU time would miss the burn)", () => {
    const { info, ms } = meanMs(undefined);
    expect(info.external?.clocks).toEqual(['descendants']);
    expect(ms.length).toBe(2);
    for (const m of ms) {
      expect(m).toBeGreaterThanOrEqual(BURN * 0.9); // /proc's 10 ms ticks, summed over blocks of calls
      expect(m).toBeLessThan(BURN + SLEEP / 2);
    }
  });

  it("clock 'wall': mean_ms includes the sleep", () => {
    const { info, ms } = meanMs('wall');
    expect(info.external?.clocks).toEqual(['wall']);
    expect(ms.length).toBe(2);
    for (const m of ms) expect(m).toBeGreaterThanOrEqual(BURN + SLEEP);
  });
});

describe('a suite entry { name, command, dtypes?, grad?, timeoutMs?, clock? } is checked field by field', () => {
  const bad: [string, unknown, string][] = [
    ["command: 'python3 x.py'", { name: 'ext', command: 'python3 x.py' }, 'field pipelines[0].command: got "python3 x.py"; expected a command: an array of strings, [program, ...args] (no shell: split the arguments yourself)'],
    ['command: []', { name: 'ext', command: [] }, 'field pipelines[0].command: got []; expected a command: [program, ...args], at least the program'],
    ['a misspelt key', { name: 'ext', command: ['python3'], timeout: 5 }, 'field pipelines[0].timeout: unknown key "timeout"; did you mean "timeoutMs"? Known keys of an external pipeline: name, command, dtypes, grad, timeoutMs, clock'],
    ["clock: 'gpu'", { name: 'ext', command: ['python3'], clock: 'gpu' }, "field pipelines[0].clock: got \"gpu\"; expected a bench clock: 'cpu' (its processes' CPU time, the default) or 'wall' (elapsed time: GPU or multi-process implementations)"],
    ['timeoutMs: 0', { name: 'ext', command: ['python3'], timeoutMs: 0 }, 'field pipelines[0].timeoutMs: got 0; expected a time in milliseconds: a whole number from 1 to 86,400,000'],
    ['an unknown dtype', { name: 'ext', command: ['python3'], dtypes: ['float8'] }, 'field pipelines[0].dtypes[0]: got "float8"; expected a dtype: one of float32, float64, float16, bfloat16'],
    ['a name with a space', { name: 'my ext', command: ['python3'] }, 'field pipelines[0].name: got "my ext"; expected a pipeline name of lower-case letters, digits, ".", "_" and "-" (e.g. "torch-cross-entropy")'],
    ["a built-in's name", { name: 'stable-log-softmax', command: ['python3'] }, 'field pipelines[0].name: got "stable-log-softmax", the name of a built-in pipeline; expected a name of its own (e.g. "python-stable-log-softmax")'],
    [
      'no command',
      { name: 'ext', dtypes: ['float32'] },
      'field pipelines[0]: got {"name":"ext","dtypes":["float32"]}; expected an external process: command: [program, ...args], the program and its arguments as an array of strings (SPEC 7; this entry has no command), besides its name; or a Pipeline object with float32 and float64 kernel functions',
    ],
    [
      'cmd for command',
      { name: 'ext', cmd: ['python3'] },
      'field pipelines[0]: got {"name":"ext","cmd":["python3"]}; expected an external process: command: [program, ...args], the program and its arguments as an array of strings (SPEC 7; this entry has no command), besides its name; or a Pipeline object with float32 and float64 kernel functions',
    ],
    ['command: 5', { name: 'ext', command: 5 }, 'field pipelines[0].command: got 5; expected a command: an array of strings, [program, ...args] (no shell: split the arguments yourself)'],
    [
      'a Pipeline object whose kernels are not functions',
      { name: 'mine', float32: 1 },
      'field pipelines[0]: got {"name":"mine","float32":1}; expected a Pipeline object: name (a string), float32(x, rows, classes, targets, out) and float64(...) functions (here float32: number, float64: missing); or an external process with command: [program, ...args]',
    ],
  ];
  for (const [what, entry, message] of bad) {
    it(what, () => {
      let thrown: unknown;
      try {
        checkSuite({ pipelines: [entry] }, 'x.suite.ts');
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(InputError);
      expect((thrown as Error).message).toBe(`x.suite.ts, ${message}`);
    });
  }

  it('a good entry becomes a pipeline in every dtype it lists, with a backward pass when grad is true', () => {
    const s = checkSuite({ pipelines: [{ name: 'ext', command: ['python3', 'a.py'], dtypes: ['float32', 'float16'], grad: true }] }, 'x.suite.ts');
    const p = s.pipelines[0];
    expect(p.name).toBe('ext');
    expect(DTYPES.filter((d) => runsIn(p, d))).toEqual(['float32', 'float16']);
    expect(p.grad).toBeDefined();
    expect(checkSuite({ pipelines: [{ name: 'ext', command: ['c'] }] }, 'x.suite.ts').pipelines[0].grad).toBeUndefined();
  });

  it('at the CLI: exit 2 naming the suite file and the field, nothing written', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.suite.ts');
    writeFileSync(file, "import { defineSuite } from 'softmax-stability';\nexport default defineSuite({ pipelines: [{ name: 'ext', command: 'python3 x.py' }] } as never);\n");
    const r = runCli(['fuzz', '--suite', file, '--out', join(dir, 'out')], { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(verdicts(r.stderr)).toEqual([`softmax-stability: ${file}, field pipelines[0].command: got "python3 x.py"; expected a command: an array of strings, [program, ...args] (no shell: split the arguments yourself)`]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe("a format outside an entry's dtypes says so, not 'no generic kernel'", () => {
  const declared = 'pipeline ext declares dtypes [float32]; add float64 to its dtypes (if its implementation computes in it) or choose float32';

  it('fuzz --replay with --dtype outside them: exit 2 naming --dtype and the reason', () => {
    const r = runCli(['fuzz', '--replay', '17:0', '--pipeline', 'ext', '--dtype', 'float64', '--suite', SUITE], { env: { EXT_DTYPES: 'float32' }, timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(verdicts(r.stderr)).toEqual([`softmax-stability: field --dtype: ext does not run in float64: ${declared}`]);
  });

  it('score: a note for the cases left out; --pipelines naming it alone with no case in its dtypes: exit 2, nothing written', () => {
    const dir = tempDir();
    const cases = join(dir, 'cases.csv');
    writeFileSync(cases, 'id,dtype,target,logits\na,float32,0,1 2 3\nb,float64,1,1 2 3\n');
    const some = runCli(['score', cases, '--suite', SUITE, '--pipelines', 'ext,stable-log-softmax'], { env: { EXT_DTYPES: 'float32' }, timeoutMs: 60_000 });
    expect(some.status, some.stderr).toBe(0);
    expect(some.stderr).toContain(`score: ext not run in float64: ${declared}`);
    // No "+ 0 external rows" next to external pipelines: the count of --external rows only when there are some.
    expect(some.stderr).toMatch(/^scored 2 cases x 2 pipelines in [\d.]+ s/m);
    writeFileSync(cases, 'id,dtype,target,logits\nb,float64,1,1 2 3\n');
    const out = join(dir, 'scored.csv');
    const none = runCli(['score', cases, '--suite', SUITE, '--pipelines', 'ext', '--out', out], { env: { EXT_DTYPES: 'float32' }, timeoutMs: 60_000 });
    expect(none.status, none.stderr).toBe(2);
    // Of a cases file, the way out is cases in its dtypes, not a dtype to choose.
    expect(verdicts(none.stderr)).toEqual([`softmax-stability: field --pipelines: ext runs in none of the dtypes of ${cases} (float64): pipeline ext declares dtypes [float32]; add float64 to its dtypes (if its implementation computes in it) or score cases in float32 (these are float64)`]);
    expect(existsSync(out)).toBe(false);
  });
});

describe('gradients under label smoothing in the half formats, pure mode, of an external pipeline', () => {
  it('are scored (no internal error), each equal to the built-in it re-implements and within the budget of the oracle', () => {
    const dir = tempDir();
    const cases = join(dir, 'cases.csv');
    writeFileSync(cases, 'id,dtype,target,logits\na,float16,0,1 2 3\nb,bfloat16,1,1 2 3\n');
    const out = join(dir, 'grad.csv');
    const r = runCli(['score', cases, '--suite', 'src/external/fixtures/reference.suite.ts', '--pipelines', 'stable-log-softmax,python-stable-log-softmax', '--label-smoothing', '0.1', '--grad', '--out', out], { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    for (const [id, dtype] of [['a', 'float16'], ['b', 'bfloat16']]) {
      for (const compute of [dtype, 'float32']) {
        const of = (p: string) => rows.find((c) => c[0] === id && c[2] === compute && c[3] === p);
        const ext = of('python-stable-log-softmax');
        expect(ext, `${id} ${compute}`).toBeDefined();
        // outcome, max_ulp, norm_ulp, worst_class, grad, oracle_grad: the process's arithmetic is the built-in's.
        expect(ext!.slice(5, 11)).toEqual(of('stable-log-softmax')!.slice(5, 11));
        expect(ext![5]).toBe('ok');
      }
    }
  });
});

describe('fuzz of an external pipeline under a suite with options', () => {
  it('says nothing of opt-soft where the suite fuzzes no options (found following the README from a fresh clone)', () => {
    const out = join(tempDir(), 'out');
    const r = runCli(['fuzz', '--suite', SUITE, '--out', out], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('opt-soft');
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).not.toContain('opt-soft');
  });

  it('leaves it out of opt-soft (a frame cannot carry soft targets) with a note; its other option rows run', () => {
    const out = join(tempDir(), 'out');
    const r = runCli(['fuzz', '--suite', SUITE, '--out', out], { env: { EXT_OPTIONS: '1' }, timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('fuzz: ext not run in opt-soft: a frame carries class-index targets only (SPEC 7); their other option rows run');
    const families = readFileSync(join(out, 'fuzz.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[2]);
    expect(families).not.toContain('opt-soft');
    for (const f of ['opt-weights', 'opt-ignore', 'opt-smoothing', 'opt-masked-rows']) expect(families).toContain(f);
    // summary.md says so in its Options section, in the same words.
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    const options = summary.slice(summary.indexOf('## Options'));
    expect(options.split('\n## ')[0]).toContain('Left out: ext not run in opt-soft: a frame carries class-index targets only (SPEC 7); their other option rows run.');
  });
});
