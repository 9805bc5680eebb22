/**
 * Failing option rows (issue 15): failures.csv rows with their setting, shrinking with
 * the batch's options fixed and within the family's domain, and `fuzz --replay` giving
 * the recorded outcome and ulps back (src/fuzz/option-failures.ts).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, isFullyMasked } from '../cases/options.js';
import { FAILURES_COLUMNS } from '../report/columns.js';
import type { UnitStats } from './campaign.js';
import { checkSuite } from '../suite/load.js';
import { InputError } from '../util/errors.js';
import { followSteps, optionCandidates, optionUnitOfSeed } from './option-failures.js';
import { OPTION_FAMILIES, optionBatches, optionStats } from './options.js';
import { replayText } from './replay.js';
import { unitSeed } from './seed.js';

const suite = checkSuite(
  {
    name: 'option-failures',
    seed: 15,
    pipelines: ['naive-softmax', 'stable-log-softmax', 'logsumexp-minus-target'],
    dtypes: ['float32'],
    fuzz: { families: ['moderate'], runs: { moderate: 5 }, failures: 1, shrink: { attempts: 2, steps: 30 }, quantities: ['loss', 'grad'] },
    options: [{ reduction: 'mean' }, { reduction: 'sum', labelSmoothing: 0.1, maskedRows: 'zero' }],
  },
  '/virtual/option-failures.suite.ts',
);
const failures = new Map<UnitStats, string[][]>();
optionStats(suite, failures);
const rows = [...failures.values()].flat();
const col = (r: string[], c: (typeof FAILURES_COLUMNS)[number]) => r[FAILURES_COLUMNS.indexOf(c)];

/** The replay's `name: value` lines as a record. */
function replayed(r: string[]): Record<string, string> {
  const text = replayText(suite, { token: `${col(r, 'seed')}:${col(r, 'path')}`, pipeline: col(r, 'pipeline'), dtype: col(r, 'dtype'), compute: col(r, 'compute'), quantity: col(r, 'quantity') });
  return Object.fromEntries(text.trimEnd().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

describe('failing option rows', () => {
  it('appear in failures.csv with the setting in the family, the worst as drawn and shrunk ones, loss and grad', () => {
    expect(rows.length).toBeGreaterThan(20);
    for (const r of rows) expect(r).toHaveLength(FAILURES_COLUMNS.length);
    const families = new Set(rows.map((r) => col(r, 'family')));
    for (const f of OPTION_FAMILIES) for (const s of [0, 1]) expect(families.has(`${f}#${s}`), `${f}#${s}`).toBe(true);
    expect(rows.some((r) => col(r, 'kind') === 'worst' && /^\d+:\d+$/.test(col(r, 'path')))).toBe(true);
    expect(rows.some((r) => col(r, 'kind') === 'shrunk' && /^\d+:\d+(:\d+)+$/.test(col(r, 'path')))).toBe(true);
    expect(new Set(rows.map((r) => col(r, 'quantity')))).toEqual(new Set(['loss', 'grad']));
    // A soft target is written as its probabilities (SPEC 3), one per class.
    const soft = rows.filter((r) => col(r, 'family').startsWith('opt-soft'));
    expect(soft.length).toBeGreaterThan(0);
    for (const r of soft) expect(col(r, 'target').split(' ')).toHaveLength(col(r, 'logits').split(' ').length);
    // Every outcome is a failure, and its cause is named for the loss.
    expect(rows.every((r) => col(r, 'outcome') !== 'ok')).toBe(true);
    expect(rows.filter((r) => col(r, 'quantity') === 'loss').every((r) => col(r, 'cause') !== '')).toBe(true);
  });

  it('--replay of every recorded row gives its outcome, values and ulps back', () => {
    for (const r of rows) {
      const v = replayed(r);
      const what = `${col(r, 'pipeline')} ${col(r, 'family')} ${col(r, 'path')} ${col(r, 'quantity')}`;
      expect(v.family, what).toBe(col(r, 'family'));
      expect(v.outcome, what).toBe(col(r, 'outcome'));
      expect(v.logits, what).toBe(col(r, 'logits'));
      expect(v.target, what).toBe(col(r, 'target'));
      expect(v.cause, what).toBe(col(r, 'quantity') === 'loss' ? col(r, 'cause') : '');
      if (col(r, 'quantity') === 'loss') {
        expect([v.loss, v.oracle_loss, v.ulp_error], what).toEqual([col(r, 'loss'), col(r, 'oracle_loss'), col(r, 'ulp_error')]);
      } else {
        expect(v.norm_ulp, what).toBe(col(r, 'ulp_error'));
        expect(v.worst_class, what).toBe(col(r, 'class'));
      }
    }
  });

  it('shrinking keeps the batch options and stays in the family: class counts, weights, soft mass, masked classes', () => {
    for (const r of rows.filter((x) => col(x, 'kind') === 'shrunk')) {
      const unit = optionUnitOfSeed(suite, Number(col(r, 'seed')))!;
      expect(`${unit.family}#${unit.setting}`).toBe(col(r, 'family'));
      const [b, n, ...steps] = col(r, 'path').split(':').map(Number);
      const batch = optionBatches(unit.family, 'float32', suite.options[unit.setting], Number(col(r, 'seed')))[b];
      const from = batch.rows[n];
      const to = followSteps(from, batch.options, 'float32', steps)!;
      expect(to.logits.length).toBeGreaterThanOrEqual(2);
      if (batch.options.weight !== undefined) expect(to.logits.length).toBe(batch.options.weight.length);
      if (from.soft !== undefined) expect(Array.from(to.soft!).filter((q) => q > 0)).toEqual(Array.from(from.soft).filter((q) => q > 0));
      else expect(to.logits[to.target]).not.toBeUndefined();
      const masked = (x: ArrayLike<number>) => Array.from(x).filter((v) => v === -Infinity).length;
      expect(masked(to.logits) <= masked(from.logits)).toBe(true);
      expect(isFullyMasked(to.logits)).toBe(isFullyMasked(from.logits));
    }
  });

  it('candidates never drop the target, a class with soft mass, or a class under weights; never go below 2 classes', () => {
    const row = { logits: Float64Array.of(3.5, -Infinity, 1.25, 7), target: 2 };
    const cands = optionCandidates(row, DEFAULT_OPTIONS, 'float64');
    const dropped = cands.filter((c) => c.logits.length === 3);
    expect(dropped.map((c) => [Array.from(c.logits), c.target])).toEqual([
      [[-Infinity, 1.25, 7], 1],
      [[3.5, 1.25, 7], 1],
      [[3.5, -Infinity, 1.25], 2],
    ]);
    expect(cands.every((c) => c.logits[1] === -Infinity || c.logits.length === 3)).toBe(true);
    expect(optionCandidates(row, { ...DEFAULT_OPTIONS, weight: [1, 2, 3, 4] }, 'float64').every((c) => c.logits.length === 4)).toBe(true);
    const soft = { logits: Float64Array.of(1, 2, 3), target: 0, soft: Float64Array.of(0.5, 0, 0.5) };
    expect(optionCandidates(soft, DEFAULT_OPTIONS, 'float64').filter((c) => c.logits.length === 2).map((c) => Array.from(c.soft!))).toEqual([[0.5, 0.5]]);
    expect(optionCandidates({ logits: Float64Array.of(1.5, 2), target: 0 }, DEFAULT_OPTIONS, 'float64').every((c) => c.logits.length === 2)).toBe(true);
  });

  it('--replay refuses a path that leads to no row, and another dtype, naming the flag', () => {
    const r = rows[0];
    const run = (path: string, dtype = 'float32') => () => replayText(suite, { token: `${col(r, 'seed')}:${path}`, pipeline: col(r, 'pipeline'), dtype, compute: dtype });
    expect(run('99:0')).toThrow(InputError);
    expect(run('0:0:999')).toThrow(/leads to no option row/);
    expect(run('0:0', 'float64')).toThrow(/pass --dtype float32/);
  });

  it('--replay of an option seed with a suite that did not record it: says so and names --suite, never an unrelated bare case (found in review)', () => {
    // Another suite seed: every suite has option rows of its own (one default setting here), under other seeds.
    const bare = checkSuite({ name: 'bare', seed: 16, pipelines: ['naive-softmax'], dtypes: ['float32'] }, '/virtual/bare.suite.ts');
    const r = rows.find((x) => col(x, 'quantity') === 'loss')!;
    const seed = Number(col(r, 'seed'));
    const req = (dtype: string, family?: string) => ({ token: `${seed}:${col(r, 'path')}`, pipeline: col(r, 'pipeline'), dtype, compute: dtype, ...(family === undefined ? {} : { family }) });
    // Whatever dtype the seed's low bits seem to name (it is no bare seed), the message names the suite, not a dtype to follow.
    for (const dtype of ['float32', 'float64', 'float16', 'bfloat16']) {
      let text: string | Error;
      try {
        text = replayText(bare, req(dtype));
      } catch (e) {
        text = e as Error;
      }
      if (text instanceof Error) {
        expect(text).toBeInstanceOf(InputError);
        expect(text.message).toMatch(/is not one of suite bare's (fuzz )?seeds.*replays only with the --suite that recorded it/);
        expect(text.message).not.toMatch(/pass --dtype/);
      } else expect(text).toMatch(/^note: seed \d+ is not one of suite bare's seeds: replayed as the bare \S+ case .* --suite that recorded it/);
    }
    // --family opt-X#i: the option family of the suite's setting #i (the row's family column), the same row as by its seed.
    const family = col(r, 'family');
    expect(replayText(suite, req('float32', family))).toBe(replayText(suite, req('float32')));
    expect(() => replayText(bare, req('float32', family))).toThrow(/(has no options setting #1 \(it has 1\)|is not suite bare's seed of opt-\S+ in float32 \(\d+\)); .*--suite that recorded it/);
    expect(() => replayText(suite, req('float32', 'opt-weights#7'))).toThrow(/suite option-failures has no options setting #7 \(it has 2\)/);
    expect(() => replayText(suite, req('float32', family.replace(/#\d+$/, '')))).toThrow(/has 2 options settings; give the row's family as failures.csv writes it/);
    // A bare seed of the suite itself keeps the dtype hint.
    expect(() => replayText(bare, { token: `${unitSeed(16, 'float32', 'offset')}:0`, pipeline: 'naive-softmax', dtype: 'float64' })).toThrow(/was made for float32 cases; pass --dtype float32/);
  });
});
