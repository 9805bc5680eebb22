/**
 * The one table of the files each part of a run writes into its output folder
 * (SPEC section 5). Publication (util/publish.ts) replaces exactly these names:
 * a staged file is renamed over the old one, and a name of a published part that
 * this run did not write (a map-float32.svg after a float64-only run) is removed,
 * so a folder never mixes reports of two runs. Every other file in the folder is
 * the user's and is left alone.
 */
import { DTYPES } from '../float/dtype.js';
import { chartFileName } from '../regions/chart.js';
import { QUANTITIES } from './key.js';

export type OutputPart = 'fuzz' | 'map' | 'bench' | 'summary' | 'gate' | 'baseline' | 'history';

export const OUTPUT_FILES: Readonly<Record<OutputPart, readonly string[]>> = {
  fuzz: ['fuzz.csv', 'failures.csv', 'fuzz.json'],
  map: ['regions.csv', 'boundaries.csv', 'map.json', ...QUANTITIES.flatMap((q) => DTYPES.flatMap((d) => [chartFileName(d, 'outcome', q), chartFileName(d, 'cause', q)]))],
  bench: ['bench.csv', 'bench.json', 'bench.svg'],
  summary: ['summary.md', 'accuracy-vs-speed.svg', 'options.svg'],
  gate: ['gate.csv'],
  baseline: ['baseline.json'],
  history: ['history.csv', 'trend.svg', 'bencher.json', 'github-benchmark.json'],
};

/** The parts `run` publishes (fuzz, map, bench, summary); `baseline` and `gate` add their own file. */
export const RUN_PARTS: readonly OutputPart[] = ['fuzz', 'map', 'bench', 'summary'];

/** The files of `parts`, in table order. */
export function outputFiles(parts: readonly OutputPart[]): string[] {
  return parts.flatMap((p) => OUTPUT_FILES[p]);
}
