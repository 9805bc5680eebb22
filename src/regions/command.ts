/** `softmax-stability map [--suite S] [--out DIR] [--shard i/n]` (SPEC sections 1 and 5). */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { OUTPUT_FILES } from '../report/outputs.js';
import type { Command } from 'commander';
import type { Dtype } from '../float/dtype.js';
import { runMeta } from '../report/meta.js';
import { publishSummary } from '../report/summary.js';
import type { Suite } from '../suite/load.js';
import { loadSuite } from '../suite/load.js';
import { startProgress } from '../util/progress.js';
import { noGradNote, skippedNote } from '../pipelines/variant.js';
import { keyLabel } from '../report/key.js';
import { withOutputFolder } from '../util/publish.js';
import { beat } from '../supervise/heartbeat.js';
import type { MapFolder, MapManifest } from './files.js';
import { writeMapFolder } from './files.js';
import { boundaryLines, straightLines, thresholdRows } from './digest.js';
import type { MapGrid, Shard } from './map.js';
import { EvaluatorCache, gridOf, inShard, mapUnits, parseShard, runUnit } from './map.js';
import { mapSettings } from './options.js';

export interface MapCommandOptions {
  suite?: string;
  out?: string;
  shard?: string;
}

export interface MapRun {
  readonly folder: MapFolder;
  readonly seconds: number;
  readonly oracleCalls: number;
  /** Bisection outcomes decided from double bounds, without the oracle. */
  readonly boundedOutcomes: number;
}

/** Computes the map of a suite (the units of one shard if given); logs each unit through `log`. */
export function computeMap(suite: Suite, shard?: Shard, log: (line: string) => void = () => {}): MapRun {
  const started = performance.now();
  beat({ phase: 'map' });
  const units = mapUnits(suite);
  const { settings, notes } = mapSettings(suite);
  for (const note of notes) log(`  ${note}`);
  const evaluators = new EvaluatorCache(suite.map.extraClasses, suite.map.masks);
  const grids = new Map<Dtype, MapGrid>(suite.dtypes.map((d) => [d, gridOf(suite, d)]));
  const regions: string[][] = [];
  const boundaries: string[][] = [];
  const done: number[] = [];
  const mine = units.filter((u) => inShard(u.index, shard));
  // Plain progress lines (cells done, rate, ETA) at least every 10 s, also inside a long unit; the per-unit lines follow each unit.
  const cells = mine.reduce((n, u) => n + grids.get(u.dtype)!.offsets.length * grids.get(u.dtype)!.gaps.length, 0);
  const progress = startProgress('map', cells, 'cells', { bar: false });
  for (const unit of mine) {
    const t = performance.now();
    const r = runUnit(unit, grids.get(unit.dtype)!, suite.budgets[unit.pipeline.name], evaluators, (k) => progress.tick(k));
    regions.push(...r.regions);
    boundaries.push(...r.boundaries);
    done.push(unit.index);
    const c = r.counts;
    log(
      `  ${keyLabel({ pipeline: unit.pipeline.name, dtype: unit.dtype, compute: unit.compute, quantity: unit.quantity }).padEnd(34)} ${unit.panel.padEnd(10)}  ok ${c.ok}  inaccurate ${c.inaccurate}  overflow ${c.overflow}  underflow ${c.underflow}  nan ${c.nan}  boundaries ${r.boundaries.length}  ${((performance.now() - t) / 1000).toFixed(2)} s`,
    );
  }
  progress.done();
  const meta = runMeta(suite.name, suite.seed);
  const manifest: MapManifest = {
    ...meta,
    shard: shard === undefined ? '1/1' : `${shard.index}/${shard.count}`,
    grid: { offsets: suite.map.offsets, gaps: suite.map.gaps, extraClasses: suite.map.extraClasses, ...(suite.map.masks.length > 0 ? { masks: suite.map.masks.map(String) } : {}) },
    pipelines: suite.pipelines.map((p) => p.name),
    dtypes: [...suite.dtypes],
    budgets: { ...suite.budgets },
    units: units.map((u) => ({ pipeline: u.pipeline.name, dtype: u.dtype, compute: u.compute, quantity: u.quantity, panel: u.panel })),
    done,
    ...(settings.length > 0 ? { options: settings.map((s) => ({ index: s.index, label: s.label })) } : {}),
  };
  return { folder: { manifest, regions, boundaries }, seconds: (performance.now() - started) / 1000, oracleCalls: evaluators.oracleCalls, boundedOutcomes: evaluators.boundedOutcomes };
}

/** The console digest: thresholds, then the boundary lines beside them. */
export function mapDigest(folder: MapFolder): string {
  const out: string[] = ['thresholds: analytic value; the dtype\'s own arithmetic (Math.exp, rounded) crosses it between last and first'];
  for (const dtype of folder.manifest.dtypes) {
    for (const [name, , analytic, last, first] of thresholdRows(dtype)) {
      out.push(`  ${dtype}  ${name.padEnd(19)} ${analytic.padEnd(24)} ${last ? `last ${last.padEnd(20)} first ${first}` : '(exp does not cross it)'}`);
    }
  }
  const lines = straightLines(boundaryLines(folder.boundaries));
  out.push(`boundary lines (pairs on an exp threshold; edges of overflow/underflow/nan at ≥ 2 fixed values, others at ≥ 5): ${lines.length}; every boundary is in boundaries.csv`);
  for (const l of lines) {
    out.push(
      `  ${l.pipeline.padEnd(26)} ${l.dtype} ${l.panel.padEnd(10)} ${l.axis.padEnd(6)} ${`${l.from} → ${l.to}`.padEnd(24)} ${l.last} | ${l.first}  ×${l.count}${l.analytic ? `  ${l.analytic}` : ''}`,
    );
  }
  return `${out.join('\n')}\n`;
}

export async function runMapCommand(opts: MapCommandOptions): Promise<void> {
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const suite = await loadSuite(opts.suite ?? 'default');
  const out = resolve(opts.out ?? `reports/${suite.name}`);
  const run = await withOutputFolder(out, { command: 'map', parts: ['map'] }, async (stage) => {
    const note = skippedNote(suite.pipelines, suite.dtypes);
    if (note !== undefined) process.stderr.write(`map: ${note}\n`);
    const noGrad = noGradNote(suite.pipelines, suite.map.quantities);
    if (noGrad !== undefined) process.stderr.write(`map: ${noGrad}\n`);
    process.stderr.write(
      `map: suite ${suite.name} (${suite.file}), ${suite.pipelines.length} pipelines x ${suite.dtypes.length} dtypes (and compute modes) x 2 panels${mapSettings(suite).settings.map((x) => ` + 2 panels #${x.index} (${x.label})`).join('')}${shard ? `, shard ${shard.index}/${shard.count}` : ''}, grid ${suite.map.offsets} offsets x ${suite.map.gaps} gaps\n`,
    );
    const computed = computeMap(suite, shard, (line) => process.stderr.write(`${line}\n`));
    await writeMapFolder(stage, computed.folder);
    return computed;
  });
  const files = readdirSync(out).filter((f) => OUTPUT_FILES.map.includes(f));
  process.stdout.write(mapDigest(run.folder));
  process.stderr.write(`map: ${run.folder.regions.length} cells, ${run.folder.boundaries.length} boundaries, ${run.oracleCalls} oracle calls (${run.boundedOutcomes} outcomes bounded without it) in ${run.seconds.toFixed(1)} s; wrote ${out}/: ${files.join(', ')}\n`);
  const summary = await publishSummary(out, 'map');
  process.stderr.write(`map: wrote ${summary} (of everything ${out} holds)\n`);
}

export function registerMap(program: Command): void {
  program
    .command('map')
    .description('overflow/underflow region map and exact boundaries (docs/reference.md section 5: regions.csv, boundaries.csv, SVGs per dtype, summary.md)')
    .option('--suite <suite>', 'suite name (suites/NAME.suite.ts) or path', 'default')
    .option('--out <dir>', 'output folder (default: reports/<suite>/)')
    .option('--shard <i/n>', 'compute only the i-th of n shares of the pipeline x dtype x panel units (combine the folders with `merge`)')
    .action((opts: MapCommandOptions) => runMapCommand(opts));
}
