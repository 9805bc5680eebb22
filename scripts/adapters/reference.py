#!/usr/bin/env python3
"""The reference adapter: the built-in pipelines in plain Python (standard library
only), served over the SSX1 frame protocol (SPEC section 7, scripts/adapters/ssx1.py).

What it implements, bit for bit as the harness's own kernels (src/pipelines/):
- the losses of naive-softmax, unshifted-log-softmax, stable-log-softmax,
  fused-cross-entropy, logsumexp-minus-target, log1p-log-softmax and online-softmax
  (the formulas of SPEC section 2, in the order of src/pipelines/generic.ts);
- their gradients, op 2 (SPEC section 2.2, src/pipelines/generic.ts STEPPED_GRAD,
  which src/pipelines/backward.ts computes step for step);
- in float64 (plain doubles), float32 (every arithmetic result rounded to float32,
  exp/log/log1p evaluated in double and then rounded, SPEC 2), float16 and bfloat16
  (--compute pure: every step rounded directly to the format, never through float32;
  --compute float32: the float32 evaluation rounded once to the format, SPEC 2.1);
- the batch options of the frame (SPEC 6), composed as src/pipelines/options.ts
  composes them: weight (rounded to the dtype, as a weight tensor is), ignore_index
  (l_n = 0 and a zero gradient) and label_smoothing. The gradient under options is
  Σ_c a_c·g⁽ᶜ⁾ with a_c = (1 − ε)·w_y·[c = y] + (ε/C)·w_c and g⁽ᶜ⁾ the pipeline's
  gradient for target c, each step rounded to the compute format (the harness does
  not score gradients under options yet; this is O(C²) per row when ε > 0).
exp, log and log1p come from fdlibm.py (V8's Math functions, bit for bit; Python's
math module differs from them in the last bit of a double, see that module).

Run (the harness starts it; by hand it reads frames on stdin, replies on stdout):

    python3 scripts/adapters/reference.py --pipeline stable-log-softmax
    python3 scripts/adapters/reference.py --pipeline naive-softmax --compute float32
    python3 scripts/adapters/reference.py --null      # replies zeros: the frame round trip alone

The suite entry that uses it (a suite's `pipelines`, SPEC 7):

    { name: 'python-stable-log-softmax',
      command: ['python3', 'scripts/adapters/reference.py', '--pipeline', 'stable-log-softmax'],
      grad: true }

Options: --pipeline NAME (default stable-log-softmax), --compute pure|float32 (the
arithmetic of the half formats; default pure), --null. src/external/adapter-programs.test.ts
checks it against the built-in kernels on the mpmath cases and fuzz rows.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fdlibm  # noqa: E402
import ssx1  # noqa: E402

INF = math.inf
NAN = math.nan


def ieee_div(a, b):
    """a / b with IEEE 754 semantics (Python raises on a zero divisor): ±inf, or NaN for 0/0 and NaN/0."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


class Arith:
    """The arithmetic of a format: every result rounded by `r` (exp, log, log1p evaluated in double first)."""

    def __init__(self, r):
        self.r = r

    def exp(self, x):
        return self.r(fdlibm.exp(x))

    def log(self, x):
        return self.r(fdlibm.log(x))

    def log1p(self, x):
        return self.r(fdlibm.log1p(x))

    def add(self, a, b):
        return self.r(a + b)

    def sub(self, a, b):
        return self.r(a - b)

    def mul(self, a, b):
        return self.r(a * b)

    def div(self, a, b):
        return self.r(ieee_div(a, b))


def row_max(row):
    """max(row); −inf entries (masked classes) never win, −inf for a fully masked row."""
    m = -INF
    for v in row:
        if v > m:
            m = v
    return m


def argmax(row):
    """The first index of the maximum (log1p-log-softmax's k)."""
    k = 0
    for j in range(1, len(row)):
        if row[j] > row[k]:
            k = j
    return k


def shifted_sum(row, m, A):
    """s = Σ exp(x_j − m), each difference, term and partial sum rounded."""
    s = 0.0
    for v in row:
        s = A.add(s, A.exp(A.sub(v, m)))
    return s


def sum_but_max(row, A):
    """k = argmax, m = x_k and s = Σ_{j≠k} exp(x_j − m), each step rounded (the log1p form's sum)."""
    k = argmax(row)
    m = row[k]
    s = 0.0
    for j, v in enumerate(row):
        if j != k:
            s = A.add(s, A.exp(A.sub(v, m)))
    return k, m, s


def unshifted_sum(row, A):
    """Σ exp(x_j), no shift, each term and partial sum rounded (naive and unshifted forms)."""
    s = 0.0
    for v in row:
        s = A.add(s, A.exp(v))
    return s


def online_max_sum(row, A):
    """online-softmax's one pass: running max m and the sum d rescaled whenever m grows (Milakov & Gimelshein 2018)."""
    m, d = -INF, 0.0
    for v in row:
        if v > m:
            d = A.add(A.mul(d, A.exp(A.sub(m, v))), 1.0)
            m = v
        elif v != -INF:
            d = A.add(d, A.exp(A.sub(v, m)))
    return m, d


# --- losses: one row, target t, arithmetic A; the result a value of A's format ---

def loss_naive(row, t, A):
    return -A.log(A.div(A.exp(row[t]), unshifted_sum(row, A)))


def loss_unshifted(row, t, A):
    return -A.sub(row[t], A.log(unshifted_sum(row, A)))


def loss_stable(row, t, A):
    m = row_max(row)
    ls = A.log(shifted_sum(row, m, A))
    return -A.sub(A.sub(row[t], m), ls)


def loss_fused(row, t, A):
    m = row_max(row)
    return A.sub(A.log(shifted_sum(row, m, A)), A.sub(row[t], m))


def loss_lse(row, t, A):
    m = row_max(row)
    return A.sub(A.add(m, A.log(shifted_sum(row, m, A))), row[t])


def loss_log1p(row, t, A):
    _, m, s = sum_but_max(row, A)
    return A.sub(A.log1p(s), A.sub(row[t], m))


def loss_online(row, t, A):
    m, d = online_max_sum(row, A)
    return A.sub(A.log(d), A.sub(row[t], m))


# --- gradients (SPEC 2.2): writes g_j of one row ---------------------------------

def grad_naive(row, t, A):
    """Reverse mode through e = exp(x), s = Σ e, p = e/s, −log p[t], with PyTorch's backward formulas."""
    e = [A.exp(v) for v in row]
    s = 0.0
    for v in e:
        s = A.add(s, v)
    grad_p = A.div(-1.0, A.div(e[t], s))
    grad_s = 0.0
    for j in range(len(row)):
        grad_s = A.add(grad_s, A.mul(-(grad_p if j == t else 0.0), A.div(A.div(e[j], s), s)))
    return [A.mul(A.add(A.div(grad_p if j == t else 0.0, s), grad_s), e[j]) for j in range(len(row))]


def log_softmax_backward(z, t, A):
    """nll_loss backward then log_softmax backward: g_j = (−[j = t]) − exp(z_j)·(−1)."""
    return [A.sub(-1.0 if j == t else 0.0, A.mul(A.exp(zj), -1.0)) for j, zj in enumerate(z)]


def grad_unshifted(row, t, A):
    lse = A.log(unshifted_sum(row, A))
    return log_softmax_backward([A.sub(v, lse) for v in row], t, A)


def grad_stable(row, t, A):
    m = row_max(row)
    ls = A.log(shifted_sum(row, m, A))
    return log_softmax_backward([A.sub(A.sub(v, m), ls) for v in row], t, A)


def fused_backward(row, t, m, s, A):
    """g_j = exp(x_j − m)/s − [j = t] with the forward's m and s."""
    out = []
    for j, v in enumerate(row):
        p = A.div(A.exp(A.sub(v, m)), s)
        out.append(A.sub(p, 1.0) if j == t else p)
    return out


def grad_fused(row, t, A):
    m = row_max(row)
    return fused_backward(row, t, m, shifted_sum(row, m, A), A)


def grad_online(row, t, A):
    m, d = online_max_sum(row, A)
    return fused_backward(row, t, m, d, A)


def grad_lse(row, t, A):
    """logsumexp backward: g_j = exp(x_j − lse) − [j = t], lse = m + log s as the forward rounded it."""
    m = row_max(row)
    lse = A.add(m, A.log(shifted_sum(row, m, A)))
    out = []
    for j, v in enumerate(row):
        p = A.exp(A.sub(v, lse))
        out.append(A.sub(p, 1.0) if j == t else p)
    return out


def grad_log1p(row, t, A):
    """p_j = exp(x_j − m)/(1 + s), and for the target −Σ_{j≠t} p_j (no component cancels)."""
    k, m, s = sum_but_max(row, A)
    denom = A.add(1.0, s)
    out = []
    rest = 0.0
    for j, v in enumerate(row):
        p = A.div(1.0 if j == k else A.exp(A.sub(v, m)), denom)
        out.append(p)
        if j != t:
            rest = A.add(rest, p)
    out[t] = -rest
    return out


PIPELINES = {
    'naive-softmax': (loss_naive, grad_naive),
    'unshifted-log-softmax': (loss_unshifted, grad_unshifted),
    'stable-log-softmax': (loss_stable, grad_stable),
    'fused-cross-entropy': (loss_fused, grad_fused),
    'logsumexp-minus-target': (loss_lse, grad_lse),
    'log1p-log-softmax': (loss_log1p, grad_log1p),
    'online-softmax': (loss_online, grad_online),
}


def make_compute(pipeline, half_compute):
    """compute(request) -> (losses, grads) for one pipeline; half_compute 'pure' or 'float32'."""
    loss_fn, grad_fn = PIPELINES[pipeline]

    def compute(req):
        store = ssx1.round_to(req.dtype)
        widened = req.dtype in ('float16', 'bfloat16') and half_compute == 'float32'
        A = Arith(ssx1.round_float32 if widened else store)
        weight, ignore, eps = ssx1.batch_options(req)
        if weight is not None:
            weight = [store(float(w)) for w in weight]
        C = req.classes
        losses, grads = [], []
        for r in range(req.rows):
            row, t = req.row(r), req.targets[r]
            if ignore is not None and t == ignore:
                losses.append(0.0)
                if req.grad:
                    grads.extend([0.0] * C)
                continue
            if not 0 <= t < C:
                raise ssx1.Refusal('frame %d row %d: target %d is not a class (0 to %d) nor ignore_index' % (req.index, r, t, C - 1))
            losses.append(store(composed_loss(loss_fn, row, t, A, weight, eps)))
            if req.grad:
                grads.extend(store(g) for g in composed_grad(grad_fn, row, t, A, weight, eps))
        return losses, (grads if req.grad else None)

    return compute


def composed_loss(loss_fn, row, t, A, weight, eps):
    """l_n of SPEC 6 as src/pipelines/options.ts composes it: w_y·(−z_y), plus (ε/C)·Σ_c w_c·(−z_c) when ε > 0."""
    C = len(row)
    nl = (lambda c: loss_fn(row, c, A)) if weight is None else (lambda c: A.mul(weight[c], loss_fn(row, c, A)))
    nll = nl(t)
    if eps == 0:
        return nll
    smooth = 0.0
    for c in range(C):
        smooth = A.add(smooth, nl(c))
    return A.add(A.mul(1 - eps, nll), A.mul(eps / C, smooth))


def composed_grad(grad_fn, row, t, A, weight, eps):
    """∂l_n/∂x_j = Σ_c a_c·g⁽ᶜ⁾_j, a_c = (1 − ε)·w_y·[c = y] + (ε/C)·w_c; without options the pipeline's own gradient."""
    C = len(row)
    g = grad_fn(row, t, A)
    if weight is not None:
        g = [A.mul(weight[t], v) for v in g]
    if eps == 0:
        return g
    smooth = [0.0] * C
    for c in range(C):
        gc = grad_fn(row, c, A)
        for j in range(C):
            smooth[j] = A.add(smooth[j], gc[j] if weight is None else A.mul(weight[c], gc[j]))
    return [A.add(A.mul(1 - eps, g[j]), A.mul(eps / C, smooth[j])) for j in range(C)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pipeline', default='stable-log-softmax', choices=sorted(PIPELINES))
    ap.add_argument('--compute', default='pure', choices=['pure', 'float32'],
                    help='arithmetic of float16/bfloat16: pure (every step in the format) or float32 (widened)')
    ap.add_argument('--null', action='store_true', help='reply zeros without computing (the frame round trip alone)')
    a = ap.parse_args()
    ssx1.serve(make_compute(a.pipeline, a.compute), null=a.null, name='reference.py %s' % a.pipeline)


if __name__ == '__main__':
    main()
