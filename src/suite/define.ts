/**
 * Suites: the declarative description of a run (`suites/NAME.suite.ts`).
 *
 *     import { defineSuite } from 'softmax-stability';
 *     export default defineSuite({ name: 'mine', seed: 1, pipelines: ['fused-cross-entropy', myPipeline], ... });
 *
 * A pipeline is a built-in's name or a `Pipeline` object (a user's own
 * implementation): both get every analysis. `defineSuite` only types the object;
 * `load.ts` checks it against the schema (`schema.ts`) and fills the defaults.
 */
import type { z } from 'zod';
import type { benchSchema, fuzzSchema, gateSchema, mapSchema, shrinkSchema, suiteSchema, watchdogSchema } from './schema.js';

/** Generator families of the fuzzer (issue 3; `masked`, issue 14). New families go at the end: a unit seed's low bits hold the index. */
export const FAMILIES = ['ordinal', 'offset', 'dominant', 'underdog', 'spread', 'ties', 'subnormal', 'vocab', 'moderate', 'masked'] as const;
export type Family = (typeof FAMILIES)[number];

/**
 * Families a suite runs only when it asks for them: by listing them in `fuzz.families`, or by
 * giving their count in `fuzz.runs` as an object (`runs: { masked: 100 }`). `masked` is one until
 * the committed ci baseline holds its rows (a suite that names no families keeps its old units).
 */
export const OPT_IN_FAMILIES: readonly Family[] = ['masked'];

/** What a suite file may set: the input types of the schema (`schema.ts`), so the two never drift apart. */
export type SuiteInput = z.input<typeof suiteSchema>;
export type FuzzSettings = z.input<typeof fuzzSchema>;
export type ShrinkSettings = z.input<typeof shrinkSchema>;
export type MapSettings = z.input<typeof mapSchema>;
export type BenchSettings = z.input<typeof benchSchema>;
export type GateSettings = z.input<typeof gateSchema>;
export type WatchdogSettings = z.input<typeof watchdogSchema>;

/** Types a suite file's default export. */
export function defineSuite<const S extends SuiteInput>(suite: S): S {
  return suite;
}
