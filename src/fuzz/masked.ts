/**
 * The `masked` fuzz family (issue 14 item 5): rows with some classes masked the
 * ways real code masks them (attention padding, vocabulary restriction,
 * constrained decoding): at −Infinity, or at the large finite values used
 * instead of it, −1e9 and −1e4 (Hugging Face's and fairseq's habits) and the
 * format's lowest value (−max, PyTorch's `torch.finfo(dtype).min`); in a third
 * of the rows the target itself is masked (its loss is +Infinity at −Infinity,
 * SPEC section 3, and huge at a finite mask).
 *
 * Every row has at least one masked class and at least one unmasked class
 * (fully masked rows are the batch options' `maskedRows`, SPEC section 6). The
 * unmasked classes are Gaussian with σ ∈ [0.5, 8] around an offset in [−30, 30].
 * A mask value that is not finite in the format (−1e9 in float16) is replaced by
 * the format's lowest value (−65504), as code written for that format does: SPEC
 * section 3 refuses a finite logit that rounds to infinity.
 *
 * A pure function of the dtype, like the other families (src/fuzz/families.ts):
 * a seed and a fast-check path name one case for good. Shrinking keeps the
 * structure: each class's draw shrinks towards a −Infinity mask, the mask kind
 * towards −Infinity, the offset towards −30, σ towards 0.5, the row towards
 * fewer classes and the target towards an unmasked one; a shrunk case therefore
 * still has a mask and an unmasked class, and a mask survives where the failure
 * needs it (shrink.ts keeps a candidate only when its outcome is the same).
 */
import fc from 'fast-check';
import type { AnyDtype, FormatInfo } from '../float/dtype.js';
import { formatOf } from '../float/dtype.js';
import { maskValue } from '../float/mask.js';
import type { FuzzCase } from './row.js';
import { finished } from './row.js';

/** The masks, in the order of the draw: −Infinity, −1e9, −1e4, the format's lowest value. */
export function maskValues(dtype: AnyDtype): readonly number[] {
  return [-Infinity, -1e9, -1e4, 'lowest' as const].map((v) => maskValue(v, dtype));
}

/** Draws 0 … masks − 1 pick a mask (0: −Infinity, the shrink target), the next UNMASKED leave the class unmasked: about half the classes masked. */
const UNMASKED = 4;
const TWO30 = 2 ** 30;
const TWO31 = 2 ** 31;
const unit = fc.integer({ min: 0, max: TWO30 }).map((k) => k / TWO30);
/** Standard normal by Box–Muller (a = 0 gives 0, the shrink target). */
const gaussian = fc
  .tuple(fc.integer({ min: 0, max: TWO31 - 1 }), fc.integer({ min: 0, max: TWO31 - 1 }))
  .map(([a, b]) => Math.sqrt(-2 * Math.log(1 - a / TWO31)) * Math.cos((2 * Math.PI * b) / TWO31));

/** The `masked` family's arbitrary in `dtype`: 2 to 16 classes, values of the dtype, −Infinity allowed. */
export function maskedFamily(dtype: AnyDtype, fmt: FormatInfo = formatOf(dtype)): fc.Arbitrary<FuzzCase> {
  const masks = maskValues(dtype);
  return fc
    .record({
      classes: fc.array(fc.tuple(gaussian, fc.integer({ min: 0, max: masks.length + UNMASKED - 1 })), { minLength: 2, maxLength: 16, size: 'max' }),
      sigma: unit.map((u) => 0.5 + 7.5 * u),
      offset: unit.map((u) => -30 + 60 * u),
      maskTarget: fc.integer({ min: 0, max: 2 }).map((k) => k === 2), // a third of the rows
      target: fc.nat(),
    })
    .map(({ classes, sigma, offset, maskTarget, target }) => {
      const n = classes.length;
      const kinds = classes.map(([, draw]) => draw);
      // At least one class of each: all masked → class 0 unmasked; none masked → the last class takes the mask its draw names.
      if (kinds.every((k) => k < masks.length)) kinds[0] = masks.length;
      else if (kinds.every((k) => k >= masks.length)) kinds[n - 1] = (kinds[n - 1] - masks.length) % masks.length;
      const values = classes.map(([z], j) => (kinds[j] < masks.length ? masks[kinds[j]] : offset + sigma * z));
      const masked = kinds.flatMap((k, j) => (k < masks.length ? [j] : []));
      const unmasked = kinds.flatMap((k, j) => (k < masks.length ? [] : [j]));
      const pick = maskTarget ? masked : unmasked;
      return finished(values, pick[target % pick.length], fmt);
    });
}
