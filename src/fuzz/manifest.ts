/**
 * fuzz.json: the manifest beside fuzz.csv and failures.csv. It says which suite
 * (its name and file), seed, commit and machine the campaign ran with, so that
 * summary.md, written later from the folder alone (by `fuzz`, `run` or `merge`),
 * names the real suite and seed and prints replay commands that find the suite.
 * `merge` writes one for the combined folder after checking that the shards agree.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunMeta } from '../report/meta.js';
import { runMeta } from '../report/meta.js';
import type { Suite } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import type { Shard } from '../util/shard.js';
import { writeFileAtomic } from '../util/write.js';

export const FUZZ_MANIFEST_FILE = 'fuzz.json';

export interface FuzzManifest extends RunMeta {
  /** Absolute path of the suite file the campaign loaded. */
  readonly suiteFile: string;
  /** "i/n" of the run that wrote the folder; "1/1" unsharded or merged. */
  readonly shard: string;
  /** Cases per family and dtype. */
  readonly runs: Readonly<Record<string, number>>;
}

export function fuzzManifest(suite: Suite, shard?: Shard): FuzzManifest {
  return { ...runMeta(suite.name, suite.seed), suiteFile: suite.file, shard: shard === undefined ? '1/1' : `${shard.index}/${shard.count}`, runs: { ...suite.fuzz.runs } };
}

export function writeFuzzManifest(dir: string, m: FuzzManifest): void {
  writeFileAtomic(join(dir, FUZZ_MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
}

/** The folder's fuzz.json, or undefined when there is none (a folder written before it existed). */
export function readFuzzManifest(dir: string): FuzzManifest | undefined {
  const file = join(dir, FUZZ_MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  let m: FuzzManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as FuzzManifest;
  } catch (err) {
    throw new InputError(`not JSON (${(err as Error).message})`, file);
  }
  for (const k of ['suite', 'suiteFile', 'seed', 'commit', 'machine', 'shard'] as const) {
    if (m?.[k] === undefined) throw new InputError(`no "${k}"; give a fuzz.json written by \`fuzz\``, file, undefined, k);
  }
  return m;
}

/** One manifest for merged shards: every shard's must name the same suite, seed and commit. */
export function mergeFuzzManifests(dirs: readonly string[]): FuzzManifest | undefined {
  const found = dirs.map((d) => [d, readFuzzManifest(d)] as const).filter((x): x is readonly [string, FuzzManifest] => x[1] !== undefined);
  if (found.length === 0) return undefined;
  const [, first] = found[0];
  for (const [d, m] of found.slice(1)) {
    for (const k of ['suite', 'seed', 'commit'] as const) {
      if (m[k] !== first[k]) {
        throw new InputError(`${k} ${JSON.stringify(m[k])}, but ${join(found[0][0], FUZZ_MANIFEST_FILE)} has ${JSON.stringify(first[k])}; merge the shards of one run`, join(d, FUZZ_MANIFEST_FILE), undefined, k);
      }
    }
  }
  return { ...first, shard: '1/1' };
}
