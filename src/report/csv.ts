/** CSV output: csv-stringify over rows of already-formatted strings, written whole. */
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../util/write.js';

export type CsvRow = readonly (string | number | undefined)[];

/** Numbers are spelled by the caller (see float/shortest.ts): here they are only strings, so −0 survives. */
export function toCsv(columns: readonly string[], rows: readonly CsvRow[]): string {
  return stringify([columns as string[], ...rows.map((r) => r.map((v) => (v === undefined ? '' : String(v))))]);
}

export function writeCsv(path: string, columns: readonly string[], rows: readonly CsvRow[]): void {
  writeFileAtomic(path, toCsv(columns, rows));
}
