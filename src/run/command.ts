/**
 * `softmax-stability run [--suite S] [--out DIR] [--shard i/n]` and
 * `softmax-stability merge DIR... --out DIR`.
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { mergeFuzzDirs } from '../fuzz/merge.js';
import { parseShard } from '../util/shard.js';
import { mergeMapDirs } from '../regions/merge.js';
import { writeSummary } from '../report/summary.js';
import { loadSuite } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import { publish, runSuite, stagingDir } from './run.js';

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
 * summary.md. Written into a staging folder and published whole.
 */
export async function runMergeCommand(dirs: string[], opts: { out?: string }): Promise<void> {
  if (opts.out === undefined) throw new InputError('merge needs --out DIR: the folder to write the combined reports to', undefined, undefined, '--out');
  if (dirs.length === 0) throw new InputError('give the shard folders to merge: merge DIR... --out DIR');
  const out = resolve(opts.out);
  const folders = dirs.map((d) => resolve(d));
  for (const d of folders) if (!existsSync(d)) throw new InputError('no such folder; give the output folders of the shards', d);
  const stage = stagingDir(out);
  try {
    const has = (file: string) => folders.filter((d) => existsSync(join(d, file)));
    if (has('fuzz.csv').length > 0) mergeFuzzDirs(has('fuzz.csv'), stage);
    if (has('map.json').length > 0) await mergeMapDirs(has('map.json'), stage);
    const benches = has('bench.csv');
    if (benches.length > 1) throw new InputError(`bench.csv is in ${benches.length} folders (${benches.join(', ')}); throughput is measured by one shard, keep one`);
    for (const d of benches) for (const f of ['bench.csv', 'bench.json', 'bench.svg']) if (existsSync(join(d, f))) copyFileSync(join(d, f), join(stage, f));
    // The shards' own suite, seed, commit and machine (fuzz.json, map.json), not this process's.
    await writeSummary(stage);
    publish(stage, out);
    process.stderr.write(`merge: combined ${folders.length} folders into ${out}/\n`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
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
