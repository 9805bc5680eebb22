/**
 * `run`: fuzz, map and bench of one suite into one folder, then summary.md.
 *
 * Everything is written into a staging folder and published only when every
 * phase has finished (util/publish.ts): an interrupted run (Ctrl-C, a crash, a
 * refused input) leaves the previous reports as they were, and the folder and
 * the user's other files in it are never touched. A worker that dies ends its
 * phase with an error, not a hang (the pools report crashes).
 */
import { benchSuite } from '../bench/command.js';
import type { Shard } from '../util/shard.js';
import { fuzzSuite } from '../fuzz/command.js';
import { computeMap } from '../regions/command.js';
import { writeMapFolder } from '../regions/files.js';
import { runMeta } from '../report/meta.js';
import type { OutputPart } from '../report/outputs.js';
import { RUN_PARTS } from '../report/outputs.js';
import { writeSummary } from '../report/summary.js';
import type { Suite } from '../suite/load.js';
import { withOutputFolder } from '../util/publish.js';

export type Phase = 'fuzz' | 'map' | 'bench';
export const PHASES: readonly Phase[] = ['fuzz', 'map', 'bench'];

export interface RunSuiteOptions {
  readonly shard?: Shard;
  readonly log?: (line: string) => void;
  /** The command, for the lock (default "run"). */
  readonly command?: string;
  /** Further parts published with the run's (gate.csv, baseline.json), written by `finish`. */
  readonly extraParts?: readonly OutputPart[];
  /** Called with the staging folder once the run's reports are in it, before publication. */
  readonly finish?: (stage: string) => Promise<void> | void;
}

/** Runs every phase of `suite` and publishes its reports into `outDir` together. Returns the seconds per phase. */
export async function runSuite(suite: Suite, outDir: string, options: RunSuiteOptions = {}): Promise<Record<Phase, number>> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { shard } = options;
  const parts = [...RUN_PARTS, ...(options.extraParts ?? [])];
  const seconds: Record<Phase, number> = { fuzz: 0, map: 0, bench: 0 };
  const phaseLog = (i: number, phase: Phase) => (line: string) => log(`[${i + 1}/${PHASES.length} ${phase}] ${line}`);
  await withOutputFolder(outDir, { command: options.command ?? 'run', parts }, async (stage) => {
    let t = performance.now();
    await fuzzSuite(suite, stage, phaseLog(0, 'fuzz'), { shard });
    seconds.fuzz = (performance.now() - t) / 1000;

    t = performance.now();
    const map = computeMap(suite, shard, phaseLog(1, 'map'));
    await writeMapFolder(stage, map.folder);
    seconds.map = (performance.now() - t) / 1000;
    phaseLog(1, 'map')(`${map.folder.regions.length} cells, ${map.folder.boundaries.length} boundaries in ${seconds.map.toFixed(1)} s`);

    t = performance.now();
    if (shard === undefined || shard.index === 1) {
      await benchSuite(suite, stage, phaseLog(2, 'bench'));
    } else {
      phaseLog(2, 'bench')(`skipped in shard ${shard.index}/${shard.count}: throughput is measured once, by shard 1`);
    }
    seconds.bench = (performance.now() - t) / 1000;

    await writeSummary(stage, runMeta(suite.name, suite.seed));
    await options.finish?.(stage);
  });
  log(`run: fuzz ${seconds.fuzz.toFixed(1)} s, map ${seconds.map.toFixed(1)} s, bench ${seconds.bench.toFixed(1)} s; wrote ${outDir}/ (summary.md)`);
  return seconds;
}
