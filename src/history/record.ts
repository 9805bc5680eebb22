/**
 * The performance history file (SPEC section 9): JSON Lines, one record per
 * `bench --history FILE` run, appended and never rewritten.
 *
 *     {"schema":1,"date":ISO-8601,"commit":SHA,"suite":S,
 *      "machine":{"fingerprint":F,"cpu":…,"cores":…,"memory_gib":…,"node":…,"os":…},
 *      "results":[{"pipeline","dtype","compute","quantity","path","workers","batch","classes",
 *                  "elements_per_s","relative_to_reference","ci_low","ci_high"}]}
 *
 * `ci_low`/`ci_high` are null where the run had too few rounds for a 95% interval.
 * The machine fingerprint is the first 16 hex digits of SHA-256 over
 * "cpu|cores|memory_gib|node major|os": series of different fingerprints are
 * never compared (a history may mix machines).
 */
import { prepareOutputFile } from '../util/publish.js';
import { makeFolders } from '../util/write.js';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { BenchRun } from '../bench/run.js';
import { InputError } from '../util/errors.js';

export const HISTORY_SCHEMA = 1;

const machineSchema = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 hex digits'),
  cpu: z.string(),
  cores: z.number().int().positive(),
  memory_gib: z.number().positive(),
  node: z.string(),
  os: z.string(),
});

const resultSchema = z.object({
  pipeline: z.string().min(1),
  dtype: z.string().min(1),
  compute: z.string().min(1),
  quantity: z.enum(['loss', 'grad']),
  path: z.enum(['inline', 'pool']),
  workers: z.number().int().positive(),
  batch: z.number().int().positive(),
  classes: z.number().int().positive(),
  elements_per_s: z.number().positive(),
  relative_to_reference: z.number().positive(),
  ci_low: z.number().positive().nullable(),
  ci_high: z.number().positive().nullable(),
});

export const historyRecordSchema = z.object({
  schema: z.literal(HISTORY_SCHEMA),
  date: z.iso.datetime(),
  commit: z.string().min(1),
  suite: z.string().min(1),
  machine: machineSchema,
  results: z.array(resultSchema),
});

export type HistoryRecord = z.infer<typeof historyRecordSchema>;
export type HistoryResult = z.infer<typeof resultSchema>;
export type MachineInfo = z.infer<typeof machineSchema>;

/** This machine, as a history record describes it. */
export function machineInfo(): MachineInfo {
  const cpu = (cpus()[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  const cores = cpus().length;
  const memory_gib = Math.round(totalmem() / 2 ** 30);
  const node = process.version;
  const os = `${process.platform} ${process.arch}`;
  const major = node.replace(/^v/, '').split('.')[0];
  const fingerprint = createHash('sha256').update(`${cpu}|${cores}|${memory_gib}|${major}|${os}`).digest('hex').slice(0, 16);
  return { fingerprint, cpu, cores, memory_gib, node, os };
}

/** The record of a bench run (every row, the reference rows included). */
export function historyRecord(run: BenchRun): HistoryRecord {
  return {
    schema: HISTORY_SCHEMA,
    date: run.startedAt,
    commit: run.meta.commit,
    suite: run.meta.suite,
    machine: machineInfo(),
    results: run.rows.map((r) => ({
      pipeline: r.pipeline,
      dtype: r.dtype,
      compute: r.compute,
      quantity: r.quantity,
      path: r.path,
      workers: r.workers,
      batch: r.batch,
      classes: r.classes,
      elements_per_s: r.elementsPerS,
      relative_to_reference: r.relative,
      ci_low: r.ciLow ?? null,
      ci_high: r.ciHigh ?? null,
    })),
  };
}

/**
 * Appends one record as one line: a single write(2) of the whole line to a file
 * opened for appending, then fsync. Earlier lines are never touched. A file whose
 * last line is unterminated (an earlier write cut short) is refused (exit 2),
 * since appending would glue two records together.
 */
export function appendHistory(file: string, record: HistoryRecord): void {
  makeFolders(dirname(file));
  const fd = openSync(file, 'a+');
  try {
    refuseUnterminated(file, fd);
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    let written = 0;
    while (written < line.length) written += writeSync(fd, line, written, line.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function refuseUnterminated(file: string, fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] !== 0x0a) {
    const lines = readFileSync(file, 'utf8').split('\n').length;
    throw new InputError('the last line is unterminated (an interrupted write?); remove it or end it with a newline before appending', file, lines);
  }
}

/** Checks, before a run, that a record can be appended to `file` (absent, or ending with a newline); InputError otherwise. */
export function checkHistoryAppendable(file: string): void {
  let fd: number;
  if (existsSync(file) && statSync(file).isDirectory()) throw new InputError('is a folder; give the history file (JSON Lines) for --history', file, undefined, '--history');
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    // A new history file: its place must take a file (checked now, before the bench runs).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return prepareOutputFile(file, '--history');
    throw new InputError(`cannot read (${(err as Error).message})`, file, undefined, '--history');
  }
  try {
    refuseUnterminated(file, fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads a history file; a line that is not a valid record is exit 2 naming the file, the line and the field. Blank lines are skipped. */
export function readHistory(file: string): HistoryRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'missing; make it with `softmax-stability bench --history FILE`' : `cannot read (${(err as Error).message})`, file);
  }
  const records: HistoryRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InputError(`not JSON (${(err as Error).message})`, file, i + 1);
    }
    const parsed = historyRecordSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.length > 0 ? issue.path.map((p, k) => (typeof p === 'number' ? `[${p}]` : k === 0 ? String(p) : `.${String(p)}`)).join('') : 'record';
      throw new InputError(issue.message, file, i + 1, field);
    }
    records.push(parsed.data);
  });
  if (records.length === 0) throw new InputError('no records; append runs with `softmax-stability bench --history FILE`', file);
  return records;
}
