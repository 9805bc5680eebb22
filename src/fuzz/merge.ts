/**
 * Merging the fuzz.csv and failures.csv of sharded runs (`fuzz --shard i/n`)
 * into the files one unsharded run writes, byte for byte, and their fuzz.json
 * into one that names the same suite and seed (refused if the shards differ).
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
import { FAILURE_COLUMNS, FUZZ_COLUMNS } from './campaign.js';
import type { FuzzManifest } from './manifest.js';
import { checkFuzzShards, FUZZ_MANIFEST_FILE, fuzzManifestText } from './manifest.js';

export const FUZZ_FILE = 'fuzz.csv';
export const FAILURES_FILE = 'failures.csv';
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
