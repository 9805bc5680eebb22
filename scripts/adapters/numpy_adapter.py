#!/usr/bin/env python3
"""NumPy's cross-entropy as an external pipeline (SPEC section 7): the loss and its
gradient written the way NumPy code writes them, vectorised over the batch, in the
frame's dtype (float64, float32, float16; NumPy has no bfloat16, so a bfloat16
frame gets a status-1 reply saying so and the harness ends the run with it).

Pipelines (--pipeline):
- stable-log-softmax (default): z = (x − m) − log Σ exp(x − m), loss = −z[t];
  gradient exp(z) − onehot(t) (log_softmax backward after nll_loss backward);
- naive-softmax: p = exp(x) / Σ exp(x), loss = −log p[t]; gradient p − onehot(t)
  (the textbook formula, not autograd through the steps);
- fused-cross-entropy: loss = log Σ exp(x − m) − (x[t] − m); gradient
  exp(x − m) / Σ − onehot(t).
Every array operation's result is of the dtype (float16 is NumPy's own float16
arithmetic, whatever its loops evaluate in); `np.sum` adds pairwise, not left to right, so results may differ from
the harness's built-ins by an ulp or so, which is the point of testing it.

Options (the frame's JSON, SPEC 6): weight (rounded to the dtype), ignore_index
(l_n = 0, zero gradient) and label_smoothing, as PyTorch composes them:
l_n = (1 − ε)·w_y·(−z_y) + (ε/C)·Σ_c w_c·(−z_c); the gradient
∂l_n/∂x_j = −a_j + softmax_j·Σ_c a_c with a_c = (1 − ε)·w_y·[c = y] + (ε/C)·w_c
(log_softmax backward of the upstream gradient −a).

Run:   python3 scripts/adapters/numpy_adapter.py [--pipeline NAME] [--null]
Suite: { name: 'numpy-stable-log-softmax', command: ['python3', 'scripts/adapters/numpy_adapter.py'],
         dtypes: ['float64', 'float32', 'float16'], grad: true }
Needs numpy (`pip install numpy`); without it every frame gets a status-1 reply
naming the missing module. Tested in src/external/adapter-programs.test.ts where numpy exists.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssx1  # noqa: E402

try:
    import numpy as np
except ImportError as e:  # the harness shows this message and ends the run at the first frame
    np = None
    MISSING = 'numpy is not installed (%s); pip install numpy, or drop this pipeline from the suite' % e

NP_DTYPE = {'float64': 'float64', 'float32': 'float32', 'float16': 'float16'}
PIPELINES = ('stable-log-softmax', 'naive-softmax', 'fused-cross-entropy')


def log_probabilities(x, pipeline):
    """z (rows × classes), log-probabilities in x's dtype, and p = softmax(x) as the pipeline computes them."""
    with np.errstate(all='ignore'):  # overflow, 0/0, log 0: IEEE results, which the harness scores
        if pipeline == 'naive-softmax':
            e = np.exp(x)
            p = e / e.sum(axis=1, keepdims=True)
            return np.log(p), p
        m = x.max(axis=1, keepdims=True)
        e = np.exp(x - m)
        s = e.sum(axis=1, keepdims=True)
        if pipeline == 'fused-cross-entropy':
            return (x - m) - np.log(s), e / s
        z = (x - m) - np.log(s)
        return z, np.exp(z)


def compute_for(pipeline):
    def compute(req):
        if np is None:
            raise ssx1.Refusal(MISSING)
        if req.dtype not in NP_DTYPE:
            raise ssx1.Refusal('%s frames: NumPy has no bfloat16 dtype; list dtypes: [%s] for this pipeline'
                               % (req.dtype, ', '.join("'%s'" % d for d in NP_DTYPE)))
        dt = np.dtype(NP_DTYPE[req.dtype])
        weight, ignore, eps = ssx1.batch_options(req)
        x = np.asarray(req.logits, dtype=dt).reshape(req.rows, req.classes)
        t = np.asarray(req.targets, dtype=np.int64)
        keep = np.ones(req.rows, dtype=bool) if ignore is None else t != ignore
        if np.any((t[keep] < 0) | (t[keep] >= req.classes)):
            raise ssx1.Refusal('a target outside 0 to %d that is not ignore_index' % (req.classes - 1))
        tk = np.where(keep, t, 0)
        C = req.classes
        w = np.ones(C, dtype=dt) if weight is None else np.asarray(weight, dtype=dt)
        rows = np.arange(req.rows)
        z, p = log_probabilities(x, pipeline)
        with np.errstate(all='ignore'):
            if weight is None and eps == 0:
                loss = -z[rows, tk]
            else:
                nll = w[tk] * -z[rows, tk]
                loss = nll if eps == 0 else dt.type(1 - eps) * nll + dt.type(eps / C) * (w * -z).sum(axis=1)
            loss = np.where(keep, loss, dt.type(0))
            grads = None
            if req.grad:
                a = np.zeros((req.rows, C), dtype=dt)
                a[rows, tk] = dt.type(1 - eps) * w[tk]
                if eps > 0:
                    a += dt.type(eps / C) * w
                g = p * a.sum(axis=1, keepdims=True) - a
                g[~keep] = 0
                grads = g.astype(dt).ravel().tolist()
        return loss.astype(dt).tolist(), grads

    return compute


def main():
    ap = argparse.ArgumentParser(description='NumPy cross-entropy over the SSX1 frame protocol')
    ap.add_argument('--pipeline', default='stable-log-softmax', choices=PIPELINES)
    ap.add_argument('--null', action='store_true', help='reply zeros without computing (the frame round trip alone)')
    a = ap.parse_args()
    ssx1.serve(compute_for(a.pipeline), null=a.null, name='numpy_adapter.py %s' % a.pipeline)


if __name__ == '__main__':
    main()
