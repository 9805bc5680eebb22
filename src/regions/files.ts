/**
 * The map's output folder: regions.csv, boundaries.csv (SPEC section 5), two
 * SVGs per dtype (map-DTYPE.svg by outcome, map-causes-DTYPE.svg by cause), and map.json, the manifest that says which suite, grid and
 * units the CSVs hold, so that shards can be merged and the summary section
 * written from the folder alone.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Dtype } from '../float/dtype.js';
import { toCsv } from '../report/csv.js';
import { QUANTITIES } from '../report/key.js';
import { readKeyedReport, readManifestFile } from '../report/read.js';
import { metaLine } from '../report/meta.js';
import { writeFileAtomic } from '../util/write.js';
import { chartFileName, renderMapChart } from './chart.js';
import { BOUNDARY_COLUMNS, REGION_COLUMNS } from './map.js';

export const REGIONS_FILE = 'regions.csv';
export const BOUNDARIES_FILE = 'boundaries.csv';
export const MANIFEST_FILE = 'map.json';

export interface MapManifest {
  readonly suite: string;
  readonly seed: number;
  readonly commit: string;
  readonly machine: string;
  /** "i/n" of the run that wrote the folder; "1/1" unsharded or merged. */
  readonly shard: string;
  /** `masks`: the suite's `map.masks` as written ("-Infinity", "-1000000000", "lowest"); absent when none. */
  readonly grid: { readonly offsets: number; readonly gaps: number; readonly extraClasses: number; readonly masks?: readonly string[] };
  readonly pipelines: readonly string[];
  readonly dtypes: readonly Dtype[];
  readonly budgets: Readonly<Record<string, number>>;
  /** Every unit of the run, in the canonical order. */
  /** (`quantity` absent in a map.json written before gradients were mapped: `loss`.) */
  /** (`panel`: `target-max`, `target-min`, or an options setting's `target-max#i`, `target-min#i`.) */
  readonly units: readonly { readonly pipeline: string; readonly dtype: Dtype; readonly compute: string; readonly quantity?: string; readonly panel: string }[];
  /** The options settings mapped (SPEC 6; regions/options.ts), each its index in the suite's `options` and its label; absent when none. */
  readonly options?: readonly { readonly index: number; readonly label: string }[];
  /** Indices (into units) of the units whose rows this folder holds. */
  readonly done: readonly number[];
}

export interface MapFolder {
  readonly manifest: MapManifest;
  readonly regions: string[][];
  readonly boundaries: string[][];
}

/** Whether the folder has all units (an unsharded or merged run): only then it gets pictures. */
export function isComplete(m: MapManifest): boolean {
  return m.done.length === m.units.length;
}

/** Renders everything first, then writes each file whole. */
export async function writeMapFolder(dir: string, folder: MapFolder): Promise<string[]> {
  const { manifest } = folder;
  const files: [string, string][] = [
    [REGIONS_FILE, toCsv(REGION_COLUMNS, folder.regions)],
    [BOUNDARIES_FILE, toCsv(BOUNDARY_COLUMNS, folder.boundaries)],
  ];
  if (isComplete(manifest)) {
    const meta = metaLine(manifest);
    const quantityAt = REGION_COLUMNS.indexOf('quantity');
    for (const quantity of QUANTITIES) {
      // A chart per quantity that has rows (a suite whose pipelines have no backward pass has no gradient charts).
      if (!folder.regions.some((r) => r[quantityAt] === quantity)) continue;
      for (const kind of ['outcome', 'cause'] as const) {
        for (const dtype of manifest.dtypes) {
          files.push([chartFileName(dtype, kind, quantity), await renderMapChart({ dtype, rows: folder.regions, pipelines: manifest.pipelines, meta, kind, quantity, options: manifest.options })]);
        }
      }
    }
  }
  files.push([MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`]);
  for (const [name, text] of files) writeFileAtomic(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}

/** A file of an earlier version (SPEC's columns alone, before the half formats) reads with compute = dtype, quantity = loss (report/read.ts). */
function readCsvRows(file: string, columns: readonly string[]): string[][] {
  return readKeyedReport(file, columns, 'give the output folder of a `map` run').map((r) => columns.map((c) => r.values[c]));
}

export function readManifest(dir: string): MapManifest {
  const required = ['suite', 'shard', 'units', 'done', 'dtypes', 'pipelines', 'grid'];
  return readManifestFile<MapManifest>(join(dir, MANIFEST_FILE), required, 'give the output folder of a `map` run', 'map');
}

export function readMapFolder(dir: string): MapFolder {
  return {
    manifest: readManifest(dir),
    regions: readCsvRows(join(dir, REGIONS_FILE), REGION_COLUMNS),
    boundaries: readCsvRows(join(dir, BOUNDARIES_FILE), BOUNDARY_COLUMNS),
  };
}

/** Whether a folder holds a map run (for `merge`, which combines several kinds of output). */
export function hasMapOutput(dir: string): boolean {
  return existsSync(join(dir, MANIFEST_FILE));
}
