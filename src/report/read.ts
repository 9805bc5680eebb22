/**
 * Reading the harness's own report files back (gate, merge, summary): the
 * header must hold the SPEC columns in order; every complaint names the file,
 * the line and the column.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { InputError } from '../util/errors.js';

export interface ReportRow {
  /** Line of the file (the header is line 1). */
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
}

/**
 * A report file's rows as arrays of its first `columns.length` fields.
 * `missing` says how to make the file when it does not exist.
 */
export function readReportTable(file: string, columns: readonly string[], missing = 'write it first'): string[][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `missing; ${missing}` : `cannot read (${(err as Error).message})`, file);
  }
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true }) as string[][];
  } catch (err) {
    const e = err as { lines?: number; message: string };
    throw new InputError(`not a valid CSV file (${e.message.split('\n')[0]})`, file, e.lines);
  }
  const header = records[0] ?? [];
  for (let i = 0; i < columns.length; i++) {
    if (header[i] !== columns[i]) {
      throw new InputError(`the header must begin ${columns.join(',')}; column ${i + 1} is ${JSON.stringify(header[i] ?? '')}`, file, 1, columns[i]);
    }
  }
  return records.slice(1).map((rec, i) => {
    if (rec.length < columns.length) {
      throw new InputError(`${rec.length} fields, expected ${columns.length} (${columns.join(',')})`, file, i + 2, columns[rec.length]);
    }
    return rec.length === columns.length ? rec : rec.slice(0, columns.length);
  });
}

export function readReport(file: string, columns: readonly string[], missing = 'write it first (e.g. `softmax-stability baseline`)'): ReportRow[] {
  return readReportTable(file, columns, missing).map((rec, i) => {
    const values: Record<string, string> = {};
    columns.forEach((c, j) => (values[c] = rec[j]));
    return { line: i + 2, values };
  });
}

/**
 * Rows of a report keyed by (pipeline, dtype, compute, quantity) (src/report/key.ts). A file of an
 * earlier version, with SPEC's columns alone (no trailing `compute,quantity`: written before the
 * half formats), is still read: its rows get compute = dtype and quantity = `loss`, which is what
 * they were. `extra` fills further columns such a file lacks (failures.csv's `kind`).
 */
export function readKeyedReport(file: string, columns: readonly string[], missing?: string, extra: Readonly<Record<string, string>> = {}): ReportRow[] {
  const spec = columns.slice(0, columns.indexOf('compute'));
  const header = existsSync(file) ? readFileSync(file, 'utf8').split('\n', 1)[0].trim().split(',') : [];
  if (header.join(',') === spec.join(',')) {
    return readReport(file, spec, missing).map((r) => ({ ...r, values: { ...r.values, compute: r.values.dtype, quantity: 'loss', ...extra } }));
  }
  return readReport(file, columns, missing);
}

/** A numeric field: a finite number, or ±Infinity / NaN where `allow` says so. */
export function numberField(file: string, row: ReportRow, column: string, opts: { empty?: boolean; special?: boolean } = {}): number | undefined {
  const text = row.values[column];
  if (text === '' && opts.empty) return undefined;
  const v = text === 'Infinity' ? Infinity : text === '-Infinity' ? -Infinity : text === 'NaN' ? NaN : Number(text);
  if (text === '' || (Number.isNaN(v) && text !== 'NaN') || (!Number.isFinite(v) && !opts.special)) {
    throw new InputError(`${JSON.stringify(text)} is not a number`, file, row.line, column);
  }
  return v;
}

/**
 * A JSON manifest the harness wrote (map.json, fuzz.json): InputError naming the
 * file when it is missing (`missing` says what to give instead), not JSON, or
 * lacks one of the `required` keys (`writer` names the command that writes it).
 */
export function readManifestFile<T>(file: string, required: readonly string[], missing: string, writer: string): T {
  if (!existsSync(file)) throw new InputError(`missing; ${missing}`, file);
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`not JSON (${(err as Error).message})`, file);
  }
  for (const k of required) {
    if (m === null || typeof m !== 'object' || m[k] === undefined) throw new InputError(`no "${k}"; give a ${file.replace(/^.*[\\/]/, '')} written by \`${writer}\``, file, undefined, k);
  }
  return m as T;
}
