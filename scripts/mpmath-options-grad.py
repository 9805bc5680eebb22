#!/usr/bin/env python3
"""Independent truth for the gradient oracle under options (src/oracle/batch.ts oracleRowGrad).

Writes fixtures/mpmath-options-grad/cases.json: small batches rows under PyTorch's
cross-entropy options (SPEC 6) with the gradient of each row's l_n with respect to
its logits, g_j = A*p_j - a_j (a_c = (1-eps)*w_c*q_c + (eps/C)*w_c, A = sum a_c,
p = softmax(x); a masked class has p_j = 0; ignored rows 0; fully masked rows by
maskedRows), computed with mpmath at 400 and 800 bits on the exact binary inputs
(both precisions must round alike), each component rounded once to the dtype
(nearest-even; every value here is a normal number or 0).

Run by hand: python3 scripts/mpmath-options-grad.py (mpmath 1.3).
"""
import json
import struct
from pathlib import Path

import mpmath
from mpmath import mp, mpf


def f32(x: float) -> float:
    return struct.unpack('f', struct.pack('f', x))[0]


def read(text: str, dtype: str) -> float:
    v = float(text)
    return f32(v) if dtype == 'float32' else v


def rnd(v, dtype):
    if v == 0:
        return 0.0
    bits = 24 if dtype == 'float32' else 53
    with mpmath.workprec(bits):
        r = +v
    out = float(r)
    if dtype == 'float32':
        assert f32(out) == out
    return out


def shortest(v: float, dtype: str) -> str:
    if v != v:
        return 'NaN'
    if dtype == 'float64':
        return repr(v)
    for d in range(1, 12):
        s = f'{v:.{d}g}'
        if f32(float(s)) == v:
            return s
    raise AssertionError(v)


def grad(case, prec):
    mp.prec = prec
    dtype = case['dtype']
    x = [read(s, dtype) for s in case['logits'].split(' ')]
    C = len(x)
    w = [read(s, dtype) for s in case.get('weight', ' '.join(['1'] * C)).split(' ')]
    eps = mpf(float(case.get('labelSmoothing', 0)))
    ign = case.get('ignoreIndex')
    masked_rows = case.get('maskedRows', 'nan')
    if 'soft' in case:
        q = [read(s, dtype) for s in case['soft'].split(' ')]
    else:
        t = case['target']
        if ign is not None and t == ign:
            return [0.0] * C
        q = [1 if c == t else 0 for c in range(C)]
    if all(v == float('-inf') for v in x):
        return [float('nan')] * C if masked_rows == 'nan' else [0.0] * C
    m = max(v for v in x if v != float('-inf'))
    e = [mpf(0) if v == float('-inf') else mpmath.exp(mpf(v) - mpf(m)) for v in x]
    S = mpmath.fsum(e)
    a = [(1 - eps) * mpf(w[c]) * mpf(q[c]) + eps / C * mpf(w[c]) for c in range(C)]
    A = mpmath.fsum(a)
    return [A * e[j] / S - a[j] for j in range(C)]


CASES = [
    # The small inputs under weights and smoothing, and hand-checkable tied rows.
    {'id': 'weights-t0', 'dtype': 'float64', 'logits': '1 2 3', 'target': 0, 'weight': '2 1 1'},
    {'id': 'weights-t2', 'dtype': 'float32', 'logits': '1 2 3', 'target': 2, 'weight': '2 1 1'},
    {'id': 'smooth-0.1', 'dtype': 'float64', 'logits': '1 2 3', 'target': 0, 'labelSmoothing': 0.1},
    {'id': 'smooth-0.1-f32', 'dtype': 'float32', 'logits': '1 2 3', 'target': 0, 'labelSmoothing': 0.1},
    {'id': 'smooth-1e-4', 'dtype': 'float64', 'logits': '-3.5 0.25 7 7.125 -40', 'target': 3, 'labelSmoothing': 1e-4},
    {'id': 'smooth-0.5-weights', 'dtype': 'float64', 'logits': '0.5 -1.25 3 2.75', 'target': 1, 'weight': '0.5 3 0 1.5', 'labelSmoothing': 0.5},
    {'id': 'zero-weight-target', 'dtype': 'float64', 'logits': '0 1 2', 'target': 1, 'weight': '1 0 1', 'labelSmoothing': 0.2},
    {'id': 'masked-smooth', 'dtype': 'float64', 'logits': '-Infinity 0', 'target': 1, 'labelSmoothing': 0.1},
    {'id': 'masked-target-weight', 'dtype': 'float64', 'logits': '-Infinity 0 1', 'target': 0, 'weight': '3 1 1'},
    {'id': 'masked-zero-weight-smooth', 'dtype': 'float32', 'logits': '2 -Infinity 1 0', 'target': 0, 'weight': '1 0 2 1', 'labelSmoothing': 0.25},
    {'id': 'tied-weights', 'dtype': 'float64', 'logits': '0 0', 'target': 0, 'weight': '2 1'},
    {'id': 'tied-three-smooth', 'dtype': 'float64', 'logits': '5 5 5', 'target': 2, 'labelSmoothing': 0.3},
    {'id': 'tied-masked-soft', 'dtype': 'float32', 'logits': '1 -Infinity 1 1', 'soft': '0.5 0 0.25 0.25'},
    {'id': 'soft-one-hot', 'dtype': 'float64', 'logits': '0.1 0.2 0.3 0.4', 'soft': '0 0 1 0'},
    {'id': 'soft-near-one-hot', 'dtype': 'float64', 'logits': '10 -3 2.5 0', 'soft': '0.999 0.0005 0.0005 0'},
    {'id': 'soft-uniform', 'dtype': 'float32', 'logits': '3 -1 0.5 2 -7', 'soft': '0.2 0.2 0.2 0.2 0.2'},
    {'id': 'soft-sparse-smooth-weights', 'dtype': 'float64', 'logits': '30 -2 31 0.5 -60 12', 'soft': '0 0.75 0 0 0.25 0', 'weight': '1 2 0.5 1 4 1', 'labelSmoothing': 0.05},
    {'id': 'soft-unnormalised', 'dtype': 'float64', 'logits': '1 0 -1', 'soft': '2 0.5 0.5'},
    {'id': 'large-offset-smooth', 'dtype': 'float64', 'logits': '1000 1001 998.5', 'target': 0, 'labelSmoothing': 0.01},
    {'id': 'big-weight-small-p', 'dtype': 'float64', 'logits': '0 -700 -30', 'target': 0, 'weight': '1 1e300 1e10', 'labelSmoothing': 0.001},
    {'id': 'confident-weighted', 'dtype': 'float32', 'logits': '20 0 -5', 'target': 0, 'weight': '0.25 1 1'},
    {'id': 'ignored', 'dtype': 'float64', 'logits': '1 2 3', 'target': 1, 'ignoreIndex': 1, 'weight': '1 5 1', 'labelSmoothing': 0.2},
    {'id': 'fully-masked-nan', 'dtype': 'float64', 'logits': '-Infinity -Infinity', 'target': 0, 'labelSmoothing': 0.1},
    {'id': 'fully-masked-zero', 'dtype': 'float64', 'logits': '-Infinity -Infinity', 'target': 0, 'labelSmoothing': 0.1, 'maskedRows': 'zero'},
    {'id': 'fully-masked-ignore', 'dtype': 'float32', 'logits': '-Infinity -Infinity -Infinity', 'target': 1, 'weight': '1 2 3', 'maskedRows': 'ignore'},
    {'id': 'all-zero-weights', 'dtype': 'float64', 'logits': '1 2 3', 'target': 1, 'weight': '0 0 0', 'labelSmoothing': 0.2},
]


def main():
    out = []
    for case in CASES:
        dtype = case['dtype']
        lo = [rnd(v, dtype) if isinstance(v, mpf) else v for v in grad(case, 400)]
        hi = [rnd(v, dtype) if isinstance(v, mpf) else v for v in grad(case, 800)]
        assert [repr(v) for v in lo] == [repr(v) for v in hi], case['id']
        out.append({**case, 'grad': [shortest(v, dtype) for v in lo]})
    path = Path(__file__).resolve().parent.parent / 'fixtures' / 'mpmath-options-grad' / 'cases.json'
    path.write_text(json.dumps(out, indent=1) + '\n')
    print(f'wrote {len(out)} rows to {path}')


if __name__ == '__main__':
    main()
