#!/usr/bin/env python3
"""JAX's cross-entropy as an external pipeline (SPEC section 7, SSX1 frames on stdin,
replies on stdout), jit-compiled by XLA, in all four dtypes (float64 with
jax_enable_x64, float32, float16, bfloat16).

Pipelines (--pipeline), each the per-row loss l_n:
- optax (default): optax.softmax_cross_entropy_with_integer_labels(x, t); class
  weights and ignore_index scale the row (w_y, or 0 for an ignored row);
  label_smoothing goes through optax.smooth_labels and
  optax.softmax_cross_entropy (optax has no class weights there: weight together
  with label_smoothing is refused with a status-1 reply);
- log-softmax: z = jax.nn.log_softmax(x), l_n = (1 − ε)·w_y·(−z_y) + (ε/C)·Σ_c w_c·(−z_c)
  (SPEC 6, as PyTorch composes the options), every option supported.
Gradients (op 2) with jax.grad of Σ_n l_n (rows are independent, so the sum's
gradient holds each ∂l_n/∂x_n), the row losses returned alongside (has_aux).

Run:
    python3 scripts/adapters/jax_adapter.py --pipeline optax
    python3 scripts/adapters/jax_adapter.py --pipeline log-softmax --platform gpu
    python3 scripts/adapters/jax_adapter.py --null     # replies zeros: the round trip alone
Suite entry (suites/jax.suite.ts):
    { name: 'jax-optax-cross-entropy',
      command: ['python3', 'scripts/adapters/jax_adapter.py', '--pipeline', 'optax'],
      grad: true, timeoutMs: 120000 }
Needs jax and optax (`pip install jax optax`); without them every frame gets a
status-1 reply naming the missing module, and the harness ends the run with it.
--platform cpu|gpu|tpu sets JAX_PLATFORMS before jax is imported (default: jax's choice).
Each new (rows, classes, dtype, op) shape compiles once (XLA), so the first frame of
a shape is slow: give the suite entry a timeoutMs that covers a compilation.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssx1  # noqa: E402

PIPELINES = ('optax', 'log-softmax')
MISSING = None
jax = jnp = optax = None


def load(platform):
    """Imports jax and optax (after JAX_PLATFORMS is set), float64 enabled."""
    global jax, jnp, optax, MISSING
    if platform:
        os.environ['JAX_PLATFORMS'] = platform
    try:
        import jax as _jax
        _jax.config.update('jax_enable_x64', True)
        import jax.numpy as _jnp
        import optax as _optax
    except ImportError as e:
        MISSING = 'jax or optax is not installed (%s); pip install jax optax, or drop this pipeline from the suite' % e
        return
    jax, jnp, optax = _jax, _jnp, _optax


def row_losses(pipeline, x, t, w, ignore_index, eps):
    """l_n (rows) of logits x (rows × classes), targets t, class weights w (None: all 1)."""
    C = x.shape[1]
    keep = jnp.ones(t.shape, dtype=bool) if ignore_index is None else t != ignore_index
    tk = jnp.where(keep, t, 0)
    zero = jnp.zeros((), dtype=x.dtype)
    if pipeline == 'optax':
        if eps > 0:
            labels = optax.smooth_labels(jax.nn.one_hot(tk, C, dtype=x.dtype), eps)
            loss = optax.softmax_cross_entropy(x, labels)
        else:
            loss = optax.softmax_cross_entropy_with_integer_labels(x, tk)
        if w is not None:
            loss = w[tk] * loss
        return jnp.where(keep, loss, zero)
    z = jax.nn.log_softmax(x, axis=1)
    nz = -z
    nll = jnp.take_along_axis(nz, tk[:, None], axis=1)[:, 0]
    if w is not None:
        nll = w[tk] * nll
        nz = nz * w
    loss = nll if eps == 0 else (1 - eps) * nll + (eps / C) * nz.sum(axis=1)
    return jnp.where(keep, loss, zero)


_compiled = {}


def compiled(pipeline, grad, has_weight, ignore_index, eps):
    """The jitted function (x, t, w) -> losses or (grad, losses) for one setting of the options."""
    key = (pipeline, grad, has_weight, ignore_index, eps)
    if key not in _compiled:
        def losses(x, t, w):
            return row_losses(pipeline, x, t, w if has_weight else None, ignore_index, eps)
        if grad:
            def total(x, t, w):
                l = losses(x, t, w)
                return l.sum(), l
            fn = jax.grad(total, argnums=0, has_aux=True)
        else:
            fn = losses
        _compiled[key] = jax.jit(fn)
    return _compiled[key]


def compute_for(pipeline):
    def compute(req):
        if MISSING is not None:
            raise ssx1.Refusal(MISSING)
        dt = getattr(jnp, req.dtype)
        weight, ignore, eps = ssx1.batch_options(req)
        if pipeline == 'optax' and weight is not None and eps > 0:
            raise ssx1.Refusal('optax: weight with label_smoothing is not supported (optax.softmax_cross_entropy has no class weights); use --pipeline log-softmax')
        # float64 first, then the dtype: exact, the logits are values of the dtype.
        x = jnp.asarray(jnp.array(req.logits, dtype=jnp.float64), dtype=dt).reshape(req.rows, req.classes)
        t = jnp.array(req.targets, dtype=jnp.int32)
        w = jnp.asarray(jnp.array(weight if weight is not None else [1.0] * req.classes, dtype=jnp.float64), dtype=dt)
        fn = compiled(pipeline, req.grad, weight is not None, None if ignore is None else int(ignore), eps)
        if req.grad:
            g, loss = fn(x, t, w)
            return jnp.asarray(loss, jnp.float64).tolist(), jnp.asarray(g, jnp.float64).reshape(-1).tolist()
        return jnp.asarray(fn(x, t, w), jnp.float64).tolist(), None

    return compute


def main():
    ap = argparse.ArgumentParser(description='JAX/optax cross-entropy over the SSX1 frame protocol')
    ap.add_argument('--pipeline', default='optax', choices=PIPELINES)
    ap.add_argument('--platform', default=None, help='cpu, gpu or tpu (JAX_PLATFORMS); default: jax chooses')
    ap.add_argument('--null', action='store_true', help='reply zeros without computing (the frame round trip alone)')
    a = ap.parse_args()
    if not a.null:
        load(a.platform)
    ssx1.serve(compute_for(a.pipeline), null=a.null, name='jax_adapter.py %s' % a.pipeline)


if __name__ == '__main__':
    main()
