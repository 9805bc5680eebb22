/** `map` through the built CLI: files, shards merged byte for byte, bad usage, the summary section. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../testing/cli.js';
import { CLI, ROOT, tempDir } from '../testing/cli.js';
import { InputError } from '../util/errors.js';
import { BOUNDARY_COLUMNS, REGION_COLUMNS } from './map.js';
import { mergeMapDirs } from './merge.js';
import { renderMapSection } from './section.js';

function runCli(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

/** A suite file with no imports, so it loads from any folder. */
function suiteFile(dir: string, name: string, body: object): string {
  const file = join(dir, `${name}.suite.ts`);
  writeFileSync(file, `export default ${JSON.stringify(body)};\n`);
  return file;
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

describe('softmax-stability map on a small suite', () => {
  const dir = tempDir();
  const suite = suiteFile(dir, 'small', { name: 'small', seed: 5, pipelines: ['naive-softmax', 'stable-log-softmax', 'logsumexp-minus-target'], map: { offsets: 21, gaps: 11 } });
  const whole = join(dir, 'whole');
  const shards = [1, 2, 3].map((i) => join(dir, `shard${i}`));
  const merged = join(dir, 'merged');
  let run: CliResult;

  beforeAll(async () => {
    const runs = await Promise.all([
      runCli(['map', '--suite', suite, '--out', whole]),
      ...shards.map((out, i) => runCli(['map', '--suite', suite, '--out', out, '--shard', `${i + 1}/3`])),
    ]);
    run = runs[0];
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    await mergeMapDirs(shards, merged);
  });

  it('writes regions.csv and boundaries.csv with the SPEC columns, an SVG per dtype and map.json', () => {
    const regions = parse(read(whole, 'regions.csv'), { columns: true }) as Record<string, string>[];
    const boundaries = parse(read(whole, 'boundaries.csv'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(regions[0])).toEqual([...REGION_COLUMNS]);
    expect(Object.keys(boundaries[0])).toEqual([...BOUNDARY_COLUMNS]);
    // pipelines × dtypes × quantities (loss, grad) × panels × cells
    expect(regions).toHaveLength(3 * 2 * 2 * 2 * 21 * 11);
    expect(regions.filter((r) => r.quantity === 'grad')).toHaveLength(3 * 2 * 2 * 21 * 11);
    expect(new Set(regions.map((r) => r.outcome))).toEqual(new Set(['ok', 'inaccurate', 'overflow', 'underflow', 'nan']));
    for (const dtype of ['float32', 'float64']) {
      const svg = read(whole, `map-${dtype}.svg`);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.includes(`Region map, ${dtype}`)).toBe(true);
      expect(svg.includes('suite small, seed 5, commit')).toBe(true);
      const causes = read(whole, `map-causes-${dtype}.svg`);
      expect(causes.includes(`Region map, ${dtype}: cause of each failing cell`)).toBe(true);
      for (const cause of ['exp-overflow', 'log-of-zero', 'absorption']) expect(causes.includes(`cause: ${cause}"`), `${dtype} ${cause}`).toBe(true);
      // The gradient's panels: their own pictures, with the grad diagnosis's causes.
      expect(read(whole, `map-grad-${dtype}.svg`)).toContain(`Region map, ${dtype}: outcome of each pipeline's gradient`);
      const gradCauses = read(whole, `map-grad-causes-${dtype}.svg`);
      for (const cause of ['exp-overflow', 'cancellation']) expect(gradCauses.includes(`cause: ${cause}"`), `${dtype} grad ${cause}`).toBe(true);
    }
    expect(JSON.parse(read(whole, 'map.json'))).toMatchObject({ suite: 'small', seed: 5, shard: '1/1', grid: { offsets: 21, gaps: 11, extraClasses: 0 } });
    // stdout: the thresholds and the boundary lines beside them.
    expect(run.stdout).toContain('float32  ln(max)             88.722839052068353054    last 88.72283             first 88.72284');
    expect(run.stdout).toMatch(/naive-softmax +float32 target-max offset ok → nan +88\.72283 \| 88\.72284 +×\d+ += ln\(max\)/);
    expect(run.stderr).toMatch(/map: 5544 cells, \d+ boundaries/);
  });

  it('three shards merge into the unsharded files byte for byte (CSVs, pictures, manifest)', () => {
    const shardRows = shards.map((s) => parse(read(s, 'regions.csv'), { columns: true }).length as number);
    expect(shardRows.every((n) => n > 0 && n < 5544)).toBe(true);
    expect(shardRows.reduce((a, b) => a + b, 0)).toBe(5544);
    for (const s of shards) expect(readdirSync(s).some((f) => f.endsWith('.svg'))).toBe(false);
    for (const file of ['regions.csv', 'boundaries.csv', 'map-float32.svg', 'map-float64.svg', 'map-causes-float32.svg', 'map-causes-float64.svg', 'map-grad-float32.svg', 'map-grad-causes-float64.svg', 'map.json']) {
      expect(read(merged, file), file).toBe(read(whole, file));
    }
  });

  it('refuses to merge an incomplete or doubled set of shards', async () => {
    await expect(mergeMapDirs(shards.slice(0, 2), join(dir, 'x'))).rejects.toThrow(/units are in none of the folders .*shard 3\/3/);
    await expect(mergeMapDirs([...shards, shards[0]], join(dir, 'y'))).rejects.toThrow(InputError);
    await expect(mergeMapDirs([whole, shards[0]], join(dir, 'z'))).rejects.toThrow(/is also in/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('renders the summary section: provenance, thresholds, pictures by relative link, boundary lines, causes', () => {
    const md = renderMapSection(whole);
    expect(md.startsWith('## Region maps\n')).toBe(true);
    expect(md).toMatch(/\*suite small, seed 5, commit \S+, machine .+; grid 21 offsets × 11 gaps\.\*/);
    expect(md).toContain('| float32 | ln(max) | ln(max): exp overflows to Infinity above | 88.722839052068353054 | 88.72283 | 88.72284 |');
    expect(md).toContain('![Region map, float64: outcome per pipeline, panel, offset and gap](map-float64.svg)');
    expect(md).toContain('![Region map, float32: cause of each failing cell](map-causes-float32.svg)');
    expect(md).toMatch(/\| naive-softmax \| target-max \| offset \| ok → nan \| 88\.72283 \| 88\.72284 \| \d+ gaps, .* \| = ln\(max\) \|/);
    expect(md).toMatch(/\| naive-softmax \| target-min \| gap \| \w+ → overflow \| 103\.97208 \| 103\.972084 \| .* \| = −ln\(minSubnormal\/2\) \|/);
    expect(md).toMatch(/\| logsumexp-minus-target \| target-max \| (\d+ \| ){5}absorption \d+/);
    // A shard's folder renders too, and says it is partial.
    expect(md).toContain('![Region map, float32: outcome of each pipeline\'s gradient per panel, offset and gap](map-grad-float32.svg)');
    expect(renderMapSection(shards[0])).toMatch(/shard 1\/3 only \(\d+ of 24 units\)/);
  });
});

describe('map: bad usage exits 2 with one line and writes nothing', () => {
  const dir = tempDir();
  const cases: [string, string[], RegExp][] = [
    ['a shard out of range', ['--shard', '4/3'], /field --shard: shard "4\/3" must be i\/n with 1 ≤ i ≤ n/],
    ['a shard that is not i/n', ['--shard', 'half'], /field --shard: shard "half" must be i\/n/],
    ['an even offset count', ['--suite', suiteFile(dir, 'even', { map: { offsets: 20 } })], /even\.suite\.ts, field map\.offsets: got 20; expected grid points along the offset axis: an odd number/],
    ['too few gaps', ['--suite', suiteFile(dir, 'few', { map: { gaps: 3 } })], /few\.suite\.ts, field map\.gaps: got 3; expected grid points along the gap axis: a whole number from 8 to/],
    ['an unknown suite', ['--suite', 'no-such-suite'], /field --suite: no suite "no-such-suite"/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const out = join(dir, what.replace(/\W+/g, '-'));
      const r = await runCli(['map', ...args, '--out', out]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
