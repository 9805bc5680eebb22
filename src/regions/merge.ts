/**
 * Merging the folders of a sharded map (`map --shard i/n`) into the folder one
 * unsharded run writes: regions.csv and boundaries.csv byte for byte (a unit's
 * rows depend on the unit only, and the units go back into the canonical order
 * of map.json), and the pictures and manifest drawn from them.
 */
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import type { MapFolder, MapManifest } from './files.js';
import { MANIFEST_FILE, readMapFolder, writeMapFolder } from './files.js';
import { BOUNDARY_COLUMNS, REGION_COLUMNS, unitKey } from './map.js';

/** The run's identity: shards of one run agree on all of it. */
function runIdentity(m: MapManifest): string {
  return JSON.stringify({ suite: m.suite, seed: m.seed, grid: m.grid, pipelines: m.pipelines, dtypes: m.dtypes, budgets: m.budgets, units: m.units });
}

export function mergeMapFolders(folders: readonly { dir: string; folder: MapFolder }[]): MapFolder {
  if (folders.length === 0) throw new InputError('no folders to merge; give the output folders of `map --shard i/n` runs');
  const first = folders[0].folder.manifest;
  const owner = new Map<number, string>();
  const indexOf = new Map(first.units.map((u, i) => [unitKey(u.pipeline, u.dtype, u.panel, u.compute, u.quantity ?? 'loss'), i]));
  const regions: string[][][] = first.units.map(() => []);
  const boundaries: string[][][] = first.units.map(() => []);
  for (const { dir, folder } of folders) {
    const file = join(dir, MANIFEST_FILE);
    if (runIdentity(folder.manifest) !== runIdentity(first)) {
      throw new InputError(`another run than ${join(folders[0].dir, MANIFEST_FILE)} (suite, seed, grid, pipelines or budgets differ); merge the shards of one run`, file);
    }
    for (const u of folder.manifest.done) {
      const before = owner.get(u);
      if (before !== undefined) throw new InputError(`unit ${u} is also in ${before}; merge the outputs of different shards of one run`, file, undefined, 'done');
      owner.set(u, dir);
    }
    const place = (rows: string[][], into: string[][][], name: string, computeAt: number) => {
      rows.forEach((r, i) => {
        const u = indexOf.get(unitKey(r[0], r[1], r[2], r[computeAt], r[computeAt + 1]));
        if (u === undefined || owner.get(u) !== dir) throw new InputError(`row of ${r[0]} ${r[1]} ${r[2]}, a unit this folder's map.json does not list as done`, join(dir, name), i + 2);
        into[u].push(r);
      });
    };
    place(folder.regions, regions, 'regions.csv', REGION_COLUMNS.indexOf('compute'));
    place(folder.boundaries, boundaries, 'boundaries.csv', BOUNDARY_COLUMNS.indexOf('compute'));
  }
  const missing = first.units.map((_, i) => i).filter((i) => !owner.has(i));
  if (missing.length > 0) {
    const u = first.units[missing[0]];
    throw new InputError(`${missing.length} of ${first.units.length} units are in none of the folders (first: ${u.pipeline} ${u.dtype} ${u.panel}, shard ${(missing[0] % Number(first.shard.split('/')[1])) + 1}/${first.shard.split('/')[1]}); give every shard's folder`);
  }
  const manifest: MapManifest = { ...first, shard: '1/1', done: first.units.map((_, i) => i) };
  return { manifest, regions: regions.flat(), boundaries: boundaries.flat() };
}

/** Reads the shard folders, merges them and writes the result to `out`. Returns the files written. */
export async function mergeMapDirs(dirs: readonly string[], out: string): Promise<string[]> {
  const merged = mergeMapFolders(dirs.map((dir) => ({ dir, folder: readMapFolder(dir) })));
  return writeMapFolder(out, merged);
}
