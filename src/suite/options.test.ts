import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../cases/options.js';
import { InputError } from '../util/errors.js';
import { checkSuite } from './load.js';

const FILE = '/x/my.suite.ts';

function complaint(input: unknown): string {
  try {
    checkSuite(input, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('a suite\'s batch options (SPEC 6)', () => {
  it('defaults to one bare setting', () => {
    expect(checkSuite({}, FILE).options).toEqual([DEFAULT_OPTIONS]);
  });

  it('takes one setting or a list to sweep, filling the defaults', () => {
    expect(checkSuite({ options: { weight: [1, 0, 2], reduction: 'mean' } }, FILE).options).toEqual([{ ...DEFAULT_OPTIONS, weight: [1, 0, 2], reduction: 'mean' }]);
    const sweep = checkSuite({ options: [{ labelSmoothing: 1e-4 }, { labelSmoothing: 0.5, maskedRows: 'zero' }, { ignoreIndex: -100 }] }, FILE).options;
    expect(sweep.map((o) => [o.labelSmoothing, o.maskedRows, o.ignoreIndex])).toEqual([
      [1e-4, 'nan', undefined],
      [0.5, 'zero', undefined],
      [0, 'nan', -100],
    ]);
  });

  it('refuses a bad setting, naming the field', () => {
    expect(complaint({ options: { weight: [1, -1] } })).toBe(`${FILE}, field options.weight[1]: got -1; expected class weights: finite numbers ≥ 0, one per class`);
    expect(complaint({ options: [{}, { labelSmoothing: 2 }] })).toBe(`${FILE}, field options[1].labelSmoothing: got 2; expected label smoothing: a number from 0 to 1`);
    expect(complaint({ options: { ignoreIndex: 0.5 } })).toMatch(/field options\.ignoreIndex: got 0\.5; expected ignore_index: an integer/);
    expect(complaint({ options: { ignoreIndex: '0' } })).toMatch(/field options\.ignoreIndex: got "0"; expected ignore_index: an integer/);
    expect(complaint({ options: { reduction: 'avg' } })).toMatch(/field options\.reduction: got "avg"; expected a reduction: one of none, mean, sum/);
    expect(complaint({ options: { label_smoothing: 0.1 } })).toMatch(/field options\.label_smoothing: unknown option "label_smoothing"; options are weight, ignoreIndex, reduction, labelSmoothing, maskedRows/);
    expect(complaint({ options: [] })).toMatch(/field options: got \[\]; expected at least one setting/);
    expect(complaint({ options: 'mean' })).toMatch(/field options: got "mean"; expected batch options: an object/);
  });
});
