/**
 * fuzz.json: the manifest beside fuzz.csv and failures.csv. It says which run
 * the folder holds (suite name and file, seed, commit, machine, the settings
 * that decide the rows) and which of the run's units: `summary.md`, written
 * later from the folder alone (by `fuzz`, `run` or `merge`), names the real
 * suite and seed and prints replay commands that find the suite; `merge`
 * checks that its folders are the shards of one run, each unit in exactly one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunMeta } from '../report/meta.js';
import { runMeta } from '../report/meta.js';
import { readManifestFile } from '../report/read.js';
import type { Suite } from '../suite/load.js';
import { halfCompute } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import type { Shard } from '../util/shard.js';
import { inShard } from '../util/shard.js';
import { settingLabel } from '../cases/options.js';
import { campaignUnits } from './campaign.js';
import { fuzzesOptions } from './options.js';

export const FUZZ_MANIFEST_FILE = 'fuzz.json';

export interface FuzzManifest extends RunMeta {
  /** Absolute path of the suite file the campaign loaded. */
  readonly suiteFile: string;
  /** "i/n" of the run that wrote the folder; "1/1" unsharded or merged. */
  readonly shard: string;
  readonly pipelines: readonly string[];
  readonly budgets: Readonly<Record<string, number>>;
  /** The arithmetic modes of each dtype of the run (SPEC 2.1); absent in folders written before issue 13. */
  readonly compute?: Readonly<Record<string, readonly string[]>>;
  /** Every unit of the run, "dtype/family", in the canonical order (campaign.ts). */
  readonly units: readonly string[];
  /** Cases per unit, in the order of `units`. */
  readonly runs: readonly number[];
  /** Indices (into units) of the units whose rows this folder holds. */
  readonly done: readonly number[];
  /** Each setting of the suite's `options` in words (`settingLabel`), in order (`#i` of the option rows); absent when the suite fuzzes no options. */
  readonly options?: readonly string[];
}

/** The manifest of a campaign of `suite` (one shard of it if given). */
export function fuzzManifest(suite: Suite, shard?: Shard): FuzzManifest {
  const units = campaignUnits(suite);
  return {
    ...runMeta(suite.name, suite.seed),
    suiteFile: suite.file,
    shard: shard === undefined ? '1/1' : `${shard.index}/${shard.count}`,
    pipelines: suite.pipelines.map((p) => p.name),
    budgets: { ...suite.budgets },
    ...halfCompute(suite),
    units: units.map((u) => `${u.dtype}/${u.family}`),
    runs: units.map((u) => u.runs),
    done: units.map((_, i) => i).filter((i) => inShard(i, shard)),
    ...(fuzzesOptions(suite) ? { options: suite.options.map(settingLabel) } : {}),
  };
}

export function fuzzManifestText(m: FuzzManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

export function readFuzzManifest(dir: string): FuzzManifest {
  const required = ['suite', 'suiteFile', 'seed', 'commit', 'machine', 'shard', 'pipelines', 'units', 'runs', 'done'];
  return readManifestFile<FuzzManifest>(join(dir, FUZZ_MANIFEST_FILE), required, 'give the output folder of a `fuzz` or `run` (made by this version; rerun it if it is older)', 'fuzz');
}

/** The folder's fuzz.json, or undefined where it has none (no fuzz run, or one written before fuzz.json existed). */
export function readFuzzManifestIfAny(dir: string): FuzzManifest | undefined {
  return existsSync(join(dir, FUZZ_MANIFEST_FILE)) ? readFuzzManifest(dir) : undefined;
}

/** The run's identity: shards of one run agree on all of it. */
function fuzzRunIdentity(m: FuzzManifest): string {
  return JSON.stringify({ suite: m.suite, seed: m.seed, commit: m.commit, pipelines: m.pipelines, budgets: m.budgets, compute: m.compute, units: m.units, runs: m.runs, shards: m.shard.split('/')[1] });
}

/**
 * Checks that the folders are the shards of one campaign (same suite, seed,
 * commit and settings), each unit in exactly one of them, and returns the
 * merged manifest. InputError names the folder.
 */
export function checkFuzzShards(dirs: readonly string[]): FuzzManifest {
  if (dirs.length === 0) throw new InputError('no fuzz folders to merge; give the output folders of `fuzz --shard i/n` runs');
  const manifests = dirs.map((d) => ({ dir: d, m: readFuzzManifest(d) }));
  const first = manifests[0];
  const owner = new Map<number, string>();
  for (const { dir, m } of manifests) {
    const file = join(dir, FUZZ_MANIFEST_FILE);
    if (fuzzRunIdentity(m) !== fuzzRunIdentity(first.m)) {
      const what =
        m.suite !== first.m.suite ? `suite ${m.suite}, not ${first.m.suite}` : m.seed !== first.m.seed ? `seed ${m.seed}, not ${first.m.seed}` : m.commit !== first.m.commit ? `commit ${m.commit}, not ${first.m.commit}` : 'pipelines, budgets, runs or shard count differ';
      throw new InputError(`another run than ${join(first.dir, FUZZ_MANIFEST_FILE)} (${what}); merge the shards of one run`, file);
    }
    for (const u of m.done) {
      const before = owner.get(u);
      if (before !== undefined) throw new InputError(`unit ${m.units[u]} is also in ${before} (shard ${m.shard} given twice?); merge each shard once`, file, undefined, 'done');
      owner.set(u, dir);
    }
  }
  const missing = first.m.units.map((_, i) => i).filter((i) => !owner.has(i));
  if (missing.length > 0) {
    const count = Number(first.m.shard.split('/')[1]);
    const shards = [...new Set(missing.map((i) => (i % count) + 1))].map((i) => `${i}/${count}`);
    throw new InputError(`${missing.length} of ${first.m.units.length} fuzz units are in none of the folders (shard ${shards.join(', ')} missing); give every shard's folder`, dirs.join(', '));
  }
  return { ...first.m, shard: '1/1', done: first.m.units.map((_, i) => i) };
}
