/**
 * `softmax-stability run [--suite S] [--out DIR] [--shard i/n]` and
 * `softmax-stability merge DIR... --out DIR`.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { mergeFuzzDirs } from '../fuzz/merge.js';
import { readFuzzManifest } from '../fuzz/manifest.js';
import { parseShard } from '../util/shard.js';
import { mergeMapDirs } from '../regions/merge.js';
import { MANIFEST_FILE, readManifest } from '../regions/files.js';
import type { OutputPart } from '../report/outputs.js';
import { OUTPUT_FILES } from '../report/outputs.js';
import { writeSummary } from '../report/summary.js';
import { loadSuite } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import { realPath, withOutputFolder } from '../util/publish.js';
import { runSuite } from './run.js';

export async function runRunCommand(opts: { suite?: string; out?: string; shard?: string }): Promise<void> {
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const suite = await loadSuite(opts.suite ?? 'default');
  const out = resolve(opts.out ?? join('reports', shard ? `${suite.name}-shard-${shard.index}-of-${shard.count}` : suite.name));
  await runSuite(suite, out, { shard });
}

/**
 * Combines the folders of `run --shard i/n` (or of `fuzz`/`map --shard`) into the
 * files one unsharded run writes: fuzz.csv and failures.csv, regions.csv and
 * boundaries.csv byte for byte, bench from the shard that measured it, and a new
 * summary.md. The shards are checked first (one run: same suite, seed and
 * settings; every shard once), then everything is staged and published together.
 */
export async function runMergeCommand(dirs: string[], opts: { out?: string }): Promise<void> {
  if (opts.out === undefined) throw new InputError('merge needs --out DIR: the folder to write the combined reports to', undefined, undefined, '--out');
  if (dirs.length === 0) throw new InputError('give the shard folders to merge: merge DIR... --out DIR');
  const out = resolve(opts.out);
  const folders = dirs.map((d) => resolve(d));
  for (const d of folders) if (!existsSync(d)) throw new InputError('no such folder; give the output folders of the shards', d);
  for (const d of folders) if (realPath(d) === realPath(out)) throw new InputError(`is also --out: merging into a shard's own folder would replace what is being merged; give another --out`, d, undefined, '--out');
  const has = (file: string) => folders.filter((d) => existsSync(join(d, file)));
  for (const d of folders) {
    if (!['fuzz.csv', MANIFEST_FILE, 'bench.csv'].some((f) => existsSync(join(d, f)))) {
      throw new InputError('holds no reports (no fuzz.csv, map.json or bench.csv); give the output folders of `run`, `fuzz` or `map` made with --shard', d);
    }
  }
  for (const d of has('fuzz.csv')) if (!existsSync(join(d, 'fuzz.json'))) readFuzzManifest(d);
  const benches = has('bench.csv');
  if (benches.length > 1) throw new InputError(`bench.csv is in ${benches.length} folders (${benches.join(', ')}); throughput is measured by one shard, keep one`);
  const parts: OutputPart[] = ['summary'];
  if (has('fuzz.csv').length > 0) parts.push('fuzz');
  if (has(MANIFEST_FILE).length > 0) parts.push('map');
  if (benches.length > 0) parts.push('bench');
  await withOutputFolder(out, { command: 'merge', parts }, async (stage) => {
    const fuzz = has('fuzz.csv').length > 0 ? mergeFuzzDirs(has('fuzz.csv'), stage) : undefined;
    if (has(MANIFEST_FILE).length > 0) await mergeMapDirs(has(MANIFEST_FILE), stage);
    for (const d of benches) for (const f of OUTPUT_FILES.bench) if (existsSync(join(d, f))) copyFileSync(join(d, f), join(stage, f));
    const manifest = existsSync(join(stage, MANIFEST_FILE)) ? readManifest(stage) : undefined;
    if (manifest !== undefined && fuzz !== undefined && (manifest.suite !== fuzz.suite || manifest.seed !== fuzz.seed)) {
      throw new InputError(`the map shards are of suite ${manifest.suite}, seed ${manifest.seed}, the fuzz shards of suite ${fuzz.suite}, seed ${fuzz.seed}; merge the shards of one run`);
    }
    // The shards' own suite, seed, commit and machine (fuzz.json, map.json), not this process's.
    await writeSummary(stage);
  });
  process.stderr.write(`merge: combined ${folders.length} folders into ${out}/\n`);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('fuzz + map + bench + summary.md for a suite (default: default), published whole when done')
    .option('--suite <suite>', 'suite name or path (default: default)')
    .option('--out <dir>', 'output folder (default: reports/<suite>/)')
    .option('--shard <i/n>', 'run the i-th of n shares of fuzz and map (bench in shard 1); combine with merge')
    .action((opts: { suite?: string; out?: string; shard?: string }) => runRunCommand(opts));
  program
    .command('merge')
    .description('combine the folders of sharded runs into the files one run writes')
    .argument('<dirs...>', 'shard output folders')
    .option('--out <dir>', 'output folder')
    .action((dirs: string[], opts: { out?: string }) => runMergeCommand(dirs, opts));
}
