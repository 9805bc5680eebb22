/**
 * `run`: fuzz, map and bench of one suite into one folder, then summary.md.
 *
 * Everything is written into a staging folder beside the output folder, and the
 * output folder is replaced by it only when every phase has finished: an
 * interrupted run (Ctrl-C, a crash, a refused input) leaves the previous reports
 * as they were. A worker that dies ends its phase with an error, not a hang
 * (the pools report crashes).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { benchSuite } from '../bench/command.js';
import type { Shard } from '../util/shard.js';
import { fuzzSuite } from '../fuzz/command.js';
import { computeMap } from '../regions/command.js';
import { writeMapFolder } from '../regions/files.js';
import { runMeta } from '../report/meta.js';
import { writeSummary } from '../report/summary.js';
import type { Suite } from '../suite/load.js';
import { announceStaging } from '../supervise/heartbeat.js';

export type Phase = 'fuzz' | 'map' | 'bench';
export const PHASES: readonly Phase[] = ['fuzz', 'map', 'bench'];

export interface RunSuiteOptions {
  readonly shard?: Shard;
  readonly log?: (line: string) => void;
}

/** Runs every phase of `suite` and publishes the folder `outDir` whole. Returns the seconds per phase. */
export async function runSuite(suite: Suite, outDir: string, options: RunSuiteOptions = {}): Promise<Record<Phase, number>> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { shard } = options;
  mkdirSync(dirname(outDir), { recursive: true });
  const stage = stagingDir(outDir);
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(stage, { recursive: true, force: true });
    process.stderr.write(`softmax-stability: interrupted (${signal}); ${outDir} keeps the previous reports\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const seconds: Record<Phase, number> = { fuzz: 0, map: 0, bench: 0 };
  const phaseLog = (i: number, phase: Phase) => (line: string) => log(`[${i + 1}/${PHASES.length} ${phase}] ${line}`);
  try {
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
    publish(stage, outDir);
    log(`run: fuzz ${seconds.fuzz.toFixed(1)} s, map ${seconds.map.toFixed(1)} s, bench ${seconds.bench.toFixed(1)} s; wrote ${outDir}/ (summary.md)`);
    return seconds;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    rmSync(stage, { recursive: true, force: true });
  }
}

/** A new empty folder beside `outDir`, with the permissions of an ordinary folder (mkdtemp gives 0700). */
export function stagingDir(outDir: string): string {
  const stage = mkdtempSync(join(dirname(outDir), `.${basename(outDir)}.partial-`));
  chmodSync(stage, 0o777 & ~process.umask());
  announceStaging(stage, true); // a run the supervisor stops (Ctrl-C, watchdog) has it removed
  return stage;
}

/**
 * Replaces `outDir` by `stage`: the old folder is renamed aside, the new one
 * renamed in, the old one removed. Each rename is atomic; files in the old folder
 * that are not reports of a run (anything else a user keeps there) move over.
 */
export function publish(stage: string, outDir: string): void {
  if (!existsSync(outDir)) {
    renameSync(stage, outDir);
    return;
  }
  const fresh = new Set(readdirSync(stage));
  for (const name of readdirSync(outDir)) {
    if (!fresh.has(name) && !REPORT_FILE.test(name)) renameSync(join(outDir, name), join(stage, name));
  }
  const old = `${stage}.old`;
  renameSync(outDir, old);
  renameSync(stage, outDir);
  rmSync(old, { recursive: true, force: true });
}

/** What a run writes: a stale one of these from an earlier run is not carried over. */
const REPORT_FILE = /^(fuzz|failures|regions|boundaries|bench|gate)\.csv$|^(bench|map)\.json$|^summary\.md$|\.svg$/;
