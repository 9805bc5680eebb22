/**
 * Merging the fuzz.csv and failures.csv of sharded runs (`fuzz --shard i/n`)
 * into the files one unsharded run writes, byte for byte.
 *
 * A shard holds every pipeline for its units, so the pipeline order is the
 * order in which pipelines first appear in the shards' fuzz.csv; dtypes and
 * families sort in their fixed order (DTYPES, FAMILIES), as campaign.ts writes
 * them. Rows of one unit keep their order (failures in run order).
 */
import { join } from 'node:path';
import { DTYPES } from '../float/dtype.js';
import { toCsv } from '../report/csv.js';
import { readManifestFile, readReportTable } from '../report/read.js';
import { FAMILIES } from '../suite/define.js';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/write.js';
import type { Suite } from '../suite/load.js';
import type { Shard } from '../util/shard.js';
import { inShard } from '../util/shard.js';
import { FAILURE_COLUMNS, FUZZ_COLUMNS, campaignUnits } from './campaign.js';

export const FUZZ_FILE = 'fuzz.csv';
export const FAILURES_FILE = 'failures.csv';
/** What a fuzz folder holds: which run (suite, seed, settings) and which of its units. */
export const FUZZ_MANIFEST_FILE = 'fuzz.json';

export interface FuzzManifest {
  readonly suite: string;
  readonly seed: number;
  /** "i/n" of the run that wrote the folder; "1/1" unsharded or merged. */
  readonly shard: string;
  readonly pipelines: readonly string[];
  readonly budgets: Readonly<Record<string, number>>;
  /** Every unit of the run, "dtype/family", in the canonical order (campaign.ts). */
  readonly units: readonly string[];
  /** Cases per unit, in the order of `units`. */
  readonly runs: readonly number[];
  /** Indices (into units) of the units whose rows this folder holds. */
  readonly done: readonly number[];
}

/** The manifest of a campaign of `suite` (one shard of it if given). Nothing in it depends on the machine or the time. */
export function fuzzManifest(suite: Suite, shard?: Shard): FuzzManifest {
  const units = campaignUnits(suite);
  return {
    suite: suite.name,
    seed: suite.seed,
    shard: shard === undefined ? '1/1' : `${shard.index}/${shard.count}`,
    pipelines: suite.pipelines.map((p) => p.name),
    budgets: { ...suite.budgets },
    units: units.map((u) => `${u.dtype}/${u.family}`),
    runs: units.map((u) => u.runs),
    done: units.map((_, i) => i).filter((i) => inShard(i, shard)),
  };
}

export function fuzzManifestText(m: FuzzManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

export function readFuzzManifest(dir: string): FuzzManifest {
  const required = ['suite', 'seed', 'shard', 'pipelines', 'units', 'runs', 'done'];
  return readManifestFile<FuzzManifest>(join(dir, FUZZ_MANIFEST_FILE), required, 'give the output folder of a `fuzz` or `run` (made by this version; rerun it if it is older)', 'fuzz');
}

/** The run's identity: shards of one run agree on all of it. */
function fuzzRunIdentity(m: FuzzManifest): string {
  return JSON.stringify({ suite: m.suite, seed: m.seed, pipelines: m.pipelines, budgets: m.budgets, units: m.units, runs: m.runs, shards: m.shard.split('/')[1] });
}

/**
 * Checks that the folders are the shards of one campaign, each unit in exactly
 * one of them, and returns the merged manifest. InputError names the folder.
 */
export function checkFuzzShards(dirs: readonly string[]): FuzzManifest {
  if (dirs.length === 0) throw new InputError('no fuzz folders to merge; give the output folders of `fuzz --shard i/n` runs');
  const manifests = dirs.map((d) => ({ dir: d, m: readFuzzManifest(d) }));
  const first = manifests[0];
  const owner = new Map<number, string>();
  for (const { dir, m } of manifests) {
    const file = join(dir, FUZZ_MANIFEST_FILE);
    if (fuzzRunIdentity(m) !== fuzzRunIdentity(first.m)) {
      const what = m.suite !== first.m.suite ? `suite ${m.suite}, not ${first.m.suite}` : m.seed !== first.m.seed ? `seed ${m.seed}, not ${first.m.seed}` : 'pipelines, budgets, runs or shard count differ';
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

function readTable(file: string, columns: readonly string[]): string[][] {
  return readReportTable(file, columns, 'give the output folders of fuzz runs made with --shard');
}

export interface MergedFuzz {
  readonly fuzz: string;
  readonly failures: string;
}

/** The merged files' contents. Refuses a unit that two folders both hold. */
export function mergeFuzzOutputs(dirs: readonly string[]): MergedFuzz {
  const pipelines: string[] = [];
  const fuzzRows: string[][] = [];
  const failureRows: string[][] = [];
  const owner = new Map<string, string>();
  for (const dir of dirs) {
    const file = join(dir, FUZZ_FILE);
    readTable(file, FUZZ_COLUMNS).forEach((r, i) => {
      const [pipeline, dtype, family] = r;
      if (!(DTYPES as readonly string[]).includes(dtype)) throw new InputError(`unknown dtype ${JSON.stringify(dtype)}`, file, i + 2, 'dtype');
      if (!(FAMILIES as readonly string[]).includes(family)) throw new InputError(`unknown family ${JSON.stringify(family)}`, file, i + 2, 'family');
      const unit = `${pipeline}/${dtype}/${family}`;
      const before = owner.get(unit);
      if (before !== undefined) throw new InputError(`${unit} is also in ${before}; merge the outputs of different shards of one run`, file, i + 2);
      owner.set(unit, file);
      if (!pipelines.includes(pipeline)) pipelines.push(pipeline);
      fuzzRows.push(r);
    });
    failureRows.push(...readTable(join(dir, FAILURES_FILE), FAILURE_COLUMNS));
  }
  const rank = (r: string[]): [number, number, number] => [pipelines.indexOf(r[0]), DTYPES.indexOf(r[1] as (typeof DTYPES)[number]), FAMILIES.indexOf(r[2] as (typeof FAMILIES)[number])];
  const byKey = (a: string[], b: string[]) => {
    const ka = rank(a);
    const kb = rank(b);
    return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
  };
  for (const r of failureRows) {
    if (!owner.has(`${r[0]}/${r[1]}/${r[2]}`)) throw new InputError(`failure of ${r[0]}/${r[1]}/${r[2]}, which no fuzz.csv holds; merge whole output folders`, undefined, undefined, 'failures.csv');
  }
  // Array.prototype.sort is stable (ES2019): rows of one unit keep their order.
  return { fuzz: toCsv(FUZZ_COLUMNS, [...fuzzRows].sort(byKey)), failures: toCsv(FAILURE_COLUMNS, [...failureRows].sort(byKey)) };
}

/** Checks the shards, then writes the merged fuzz.csv, failures.csv and fuzz.json into `outDir`. Returns the manifest. */
export function mergeFuzzDirs(dirs: readonly string[], outDir: string): FuzzManifest {
  const manifest = checkFuzzShards(dirs);
  const merged = mergeFuzzOutputs(dirs);
  writeFileAtomic(join(outDir, FUZZ_FILE), merged.fuzz);
  writeFileAtomic(join(outDir, FAILURES_FILE), merged.failures);
  writeFileAtomic(join(outDir, FUZZ_MANIFEST_FILE), fuzzManifestText(manifest));
  return manifest;
}
