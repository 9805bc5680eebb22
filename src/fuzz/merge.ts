/**
 * Merging the fuzz.csv and failures.csv of sharded runs (`fuzz --shard i/n`)
 * into the files one unsharded run writes, byte for byte, and their fuzz.json
 * into one that names the same suite and seed (refused if the shards differ).
 *
 * A shard holds every pipeline for its units, so the pipeline order is the
 * order in which pipelines first appear in the shards' fuzz.csv; dtypes and
 * compute modes and families sort in their fixed order (src/report/key.ts, FAMILIES; the option rows of
 * src/fuzz/options.ts after them, all in shard 1), as campaign.ts writes
 * them. Rows of one unit keep their order (failures in run order).
 */
import { join } from 'node:path';
import { compareKeys, readKey } from '../report/key.js';
import { toCsv } from '../report/csv.js';
import { readManifestFile, readReportTable } from '../report/read.js';
import { FAMILIES } from '../suite/define.js';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/write.js';
import { FAILURE_COLUMNS, FUZZ_COLUMNS } from './campaign.js';
import type { FuzzManifest } from './manifest.js';
import { familyRank, isOptionFamily } from './options.js';
import { checkFuzzShards, FUZZ_MANIFEST_FILE, fuzzManifestText } from './manifest.js';

export const FUZZ_FILE = 'fuzz.csv';
export const FAILURES_FILE = 'failures.csv';
function readTable(file: string, columns: readonly string[]): string[][] {
  return readReportTable(file, columns, 'give the output folders of fuzz runs made with --shard');
}

/** Where each file holds its `compute` column (then `quantity`). */
const COMPUTE_AT = { fuzz: FUZZ_COLUMNS.indexOf('compute'), failures: FAILURE_COLUMNS.indexOf('compute') };

/** pipeline/dtype/compute/quantity/family of a fuzz.csv or failures.csv row. */
function unitOf(r: string[], computeAt: number): string {
  return `${r[0]}/${r[1]}/${r[computeAt]}/${r[computeAt + 1]}/${r[2]}`;
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
      readKey(file, i + 2, Object.fromEntries(FUZZ_COLUMNS.map((c, j) => [c, r[j]])));
      if (!(FAMILIES as readonly string[]).includes(family) && !isOptionFamily(family)) throw new InputError(`unknown family ${JSON.stringify(family)}`, file, i + 2, 'family');
      const unit = unitOf(r, COMPUTE_AT.fuzz);
      const before = owner.get(unit);
      if (before !== undefined) throw new InputError(`${unit} is also in ${before}; merge the outputs of different shards of one run`, file, i + 2);
      owner.set(unit, file);
      if (!pipelines.includes(pipeline)) pipelines.push(pipeline);
      fuzzRows.push(r);
    });
    failureRows.push(...readTable(join(dir, FAILURES_FILE), FAILURE_COLUMNS));
  }
  // Report order (src/report/key.ts: pipeline, dtype, compute), then family.
  const byKey = (at: number) => (a: string[], b: string[]) =>
    compareKeys(pipelines, { pipeline: a[0], dtype: a[1], compute: a[at], quantity: a[at + 1] }, { pipeline: b[0], dtype: b[1], compute: b[at], quantity: b[at + 1] }) ||
    familyRank(a[2]) - familyRank(b[2]);
  for (const r of failureRows) {
    const unit = unitOf(r, COMPUTE_AT.failures);
    if (!owner.has(unit)) throw new InputError(`failure of ${unit}, which no fuzz.csv holds; merge whole output folders`, undefined, undefined, 'failures.csv');
  }
  // Array.prototype.sort is stable (ES2019): rows of one unit keep their order.
  return { fuzz: toCsv(FUZZ_COLUMNS, [...fuzzRows].sort(byKey(COMPUTE_AT.fuzz))), failures: toCsv(FAILURE_COLUMNS, [...failureRows].sort(byKey(COMPUTE_AT.failures))) };
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
