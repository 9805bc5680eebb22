/**
 * Suites: the declarative description of a run (`suites/NAME.suite.ts`).
 *
 *     import { defineSuite } from 'softmax-stability';
 *     export default defineSuite({ name: 'mine', seed: 1, pipelines: ['fused-cross-entropy', myPipeline], ... });
 *
 * A pipeline is a built-in's name or a `Pipeline` object (a user's own
 * implementation): both get every analysis. `defineSuite` only types the object;
 * `load.ts` checks it and fills the defaults.
 */
import type { Dtype } from '../float/dtype.js';
import type { Pipeline } from '../pipelines/types.js';

/** Generator families of the fuzzer (issue 3). */
export const FAMILIES = ['ordinal', 'offset', 'dominant', 'underdog', 'spread', 'ties', 'subnormal', 'vocab', 'moderate'] as const;
export type Family = (typeof FAMILIES)[number];

export interface FuzzSettings {
  /** Families to run (default: all). */
  readonly families?: readonly Family[];
  /** Cases per family and dtype: one number, or per family. */
  readonly runs?: number | Partial<Record<Family, number>>;
  /** Distinct shrunk failures recorded per pipeline × dtype × family in failures.csv: one number, or per family (default 3; vocab 1). */
  readonly failures?: number | Partial<Record<Family, number>>;
  /** Bounds on shrinking, whose every step runs the oracle. */
  readonly shrink?: ShrinkSettings;
}

export interface ShrinkSettings {
  /** Oracle calls per shrunk failure (default 200). */
  readonly steps?: number;
  /** Oracle logits per shrunk failure (default 20,000: a vocab row is kept as generated). */
  readonly logits?: number;
  /** Failures tried per pipeline × dtype × family while looking for distinct shrunk ones (default 6). */
  readonly attempts?: number;
}

export interface MapSettings {
  /** Grid points along the offset axis (signed, log-spaced, denser around the exp thresholds; odd, ≥ 15; default 97). */
  readonly offsets?: number;
  /** Grid points along the gap axis (0, then log-spaced; ≥ 8; default 65). */
  readonly gaps?: number;
  /** Further classes below a − g (SPEC section 5); 0 for rows [a, a − g]. */
  readonly extraClasses?: number;
}

export interface BenchSettings {
  /** Inline shapes, [rows, classes]. */
  readonly shapes?: readonly (readonly [number, number])[];
  /** The worker-pool batch: [rows, classes]. */
  readonly poolShape?: readonly [number, number];
  /** Worker counts to run the pool path with. */
  readonly workers?: readonly number[];
  /**
   * Seconds the bench phase spends on timed rounds (> 0, at most 3600; default 60).
   * Spread over the tasks as they run; every task still gets its minimum rounds,
   * so a suite with many large tasks may take longer (bench/run.ts, BenchBudget).
   */
  readonly budgetSeconds?: number;
}

export interface GateSettings {
  /** Allowed rise in max ulps before it is a regression (absolute ulps). */
  readonly ulpTolerance?: number;
  /** Allowed rise in max bits of error. */
  readonly bitsTolerance?: number;
  /** Allowed fall in relative_to_reference throughput, as a fraction (default 0.15). */
  readonly throughputTolerance?: number;
}

export interface SuiteInput {
  readonly name?: string;
  /** Fixes every random choice of the run. */
  readonly seed?: number;
  /** Built-in names or Pipeline objects (default: every built-in). */
  readonly pipelines?: readonly (string | Pipeline)[];
  readonly dtypes?: readonly Dtype[];
  /** Ulp budget of an `ok` outcome, per pipeline name (default 4 for each). */
  readonly budgets?: Readonly<Record<string, number>>;
  readonly fuzz?: FuzzSettings;
  readonly map?: MapSettings;
  readonly bench?: BenchSettings;
  readonly gate?: GateSettings;
}

/** Types a suite file's default export. */
export function defineSuite<const S extends SuiteInput>(suite: S): S {
  return suite;
}
