/**
 * Suites load from anywhere (issue 12 item 1): the harness packed as npm
 * publishes it, installed in a user's project (its dependencies linked from this
 * repository's node_modules, so no network is needed), a suite of the user's
 * that imports `softmax-stability` with a pipeline of their own, run from the
 * project, through npx, from another working directory with the suite given by
 * path, and a lone suite file outside any project. The user's pipeline runs in
 * the compute worker and in every pool (oracle, shrinking, bench).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../testing/cli.js';

const SUITE = `import { defineSuite, fusedCrossEntropy } from 'softmax-stability';
import type { Pipeline } from 'softmax-stability';

/** A user's pipeline: fused cross-entropy, plus an error of 1e-6 relative, so the fuzzer has failures to shrink (in the pool). */
const nudged: Pipeline = {
  name: 'nudged',
  formula: 'fused cross-entropy × (1 + 1e-6)',
  float32(x, rows, classes, targets, out) {
    fusedCrossEntropy.float32(x, rows, classes, targets, out);
    for (let r = 0; r < rows; r++) out[r] = Math.fround(out[r] * (1 + 1e-6));
  },
  float64(x, rows, classes, targets, out) {
    fusedCrossEntropy.float64(x, rows, classes, targets, out);
    for (let r = 0; r < rows; r++) out[r] *= 1 + 1e-6;
  },
};

export default defineSuite({
  name: 'mine',
  seed: 3,
  pipelines: ['fused-cross-entropy', nudged],
  dtypes: ['float64'],
  fuzz: { families: ['moderate'], runs: 6 },
  map: { offsets: 15, gaps: 8 },
  bench: { shapes: [[4, 10]], poolShape: [64, 10], workers: [1], budgetSeconds: 1 },
});
`;

let project = '';
let bin = '';
const node = process.execPath;

function run(args: readonly string[], cwd: string, command = node) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_yes: 'false' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const root = tempDir('softmax-stability-user-');
  // The tarball npm would publish (dist/ is built by `npm test`'s pretest).
  const tgz = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', root], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
  project = join(root, 'project');
  const installed = join(project, 'node_modules', 'softmax-stability');
  mkdirSync(installed, { recursive: true });
  mkdirSync(join(project, 'suites'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, devDependencies: { 'softmax-stability': `file:../${tgz}` } }, null, 2));
  execFileSync('tar', ['-xzf', join(root, tgz), '-C', installed, '--strip-components=1']);
  // Its dependencies, linked from this repository, except the optional onnxruntime-node: npm drops an
  // optional package whose install script fails, and the run must say so.
  mkdirSync(join(installed, 'node_modules'));
  for (const dep of readdirSync(join(ROOT, 'node_modules'))) {
    if (!dep.startsWith('.') && dep !== 'onnxruntime-node') symlinkSync(join(ROOT, 'node_modules', dep), join(installed, 'node_modules', dep), 'dir');
  }
  // What npm install puts in .bin, for npx.
  mkdirSync(join(project, 'node_modules', '.bin'));
  bin = join(project, 'node_modules', '.bin', 'softmax-stability');
  symlinkSync('../softmax-stability/dist/src/cli.js', bin);
  chmodSync(join(installed, 'dist', 'src', 'cli.js'), 0o755);
  writeFileSync(join(project, 'suites', 'mine.suite.ts'), SUITE);
}, 120_000);

describe('a suite in the user\'s own project', () => {
  it('runs by name from the project (fuzz with shrinking, map, bench pool): every phase, in every thread', () => {
    const r = run([bin, 'run', '--suite', 'mine', '--out', 'reports/mine'], project);
    expect(r.status, r.stderr).toBe(0);
    // onnxruntime-node is missing here: the run says so first, in one line, with the way to get it.
    expect(r.stderr.split('\n')[0]).toMatch(/^peers: onnxruntime-log-softmax is not available here: the optional package onnxruntime-node does not load \(.+\); get it with `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`/);
    const fuzz = readFileSync(join(project, 'reports/mine/fuzz.csv'), 'utf8');
    expect(fuzz).toMatch(/^nudged,float64,moderate,6,/m);
    // Shrinking ran the user's pipeline in a pool thread: failures were recorded.
    expect(readFileSync(join(project, 'reports/mine/failures.csv'), 'utf8')).toMatch(/^nudged,float64,moderate,inaccurate,/m);
    expect(readFileSync(join(project, 'reports/mine/bench.csv'), 'utf8')).toMatch(/^nudged,float64,pool,1,64,10,/m);
  });

  it('--version prints the installed package\'s version; a misspelt suite name suggests the closest one', () => {
    const version = run([bin, '--version'], project);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const typo = run([bin, 'fuzz', '--suite', 'mien'], project);
    expect(typo.status).toBe(2);
    const lines = typo.stderr.trim().split('\n').filter((l) => !l.startsWith('peers: '));
    expect(lines).toHaveLength(1);
    // Each folder once (the project's, then the package's), the closest name, and every name on offer.
    expect(lines[0]).toBe(
      `softmax-stability: field --suite: no suite "mien": looked for ${join(project, 'suites', 'mien.suite.ts')} and ${join(project, 'node_modules', 'softmax-stability', 'suites', 'mien.suite.ts')}; did you mean "mine"? Suites here: accurate, accurate-grad, ci, default, example-user, half, jax, masked, mine, options, python-reference, research, research-tenth, torch; give a suite name or the path of a .suite.ts file`,
    );
  });

  it('runs through npx, and from another working directory with the suite given by path', () => {
    const viaNpx = run(['--offline', '--no-install', 'softmax-stability', 'fuzz', '--suite', 'mine', '--out', 'npx-out'], project, 'npx');
    expect(viaNpx.status, viaNpx.stderr).toBe(0);
    expect(existsSync(join(project, 'npx-out', 'fuzz.csv'))).toBe(true);
    const elsewhere = tempDir();
    const byPath = run([bin, 'fuzz', '--suite', join(project, 'suites', 'mine.suite.ts'), '--out', 'out'], elsewhere);
    expect(byPath.status, byPath.stderr).toBe(0);
    expect(readFileSync(join(elsewhere, 'out', 'fuzz.csv'), 'utf8')).toBe(readFileSync(join(project, 'npx-out', 'fuzz.csv'), 'utf8'));
  });

  it('a lone suite file outside any project loads too (softmax-stability is the running package)', () => {
    const lone = tempDir();
    writeFileSync(join(lone, 'alone.suite.ts'), SUITE.replace("name: 'mine'", "name: 'alone'"));
    const r = run([bin, 'fuzz', '--suite', join(lone, 'alone.suite.ts'), '--out', join(lone, 'out')], tempDir());
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(lone, 'out', 'fuzz.csv'), 'utf8')).toMatch(/^nudged,float64,moderate,6,/m);
  });
});
