#!/usr/bin/env python3
"""PyTorch's cross-entropy as an external pipeline (SPEC section 7, SSX1 frames on
stdin, replies on stdout): what a PyTorch model actually runs, on CPU or CUDA, in
all four dtypes (torch.float64, float32, float16, bfloat16).

Pipelines (--pipeline), each the per-row loss l_n with reduction='none':
- cross-entropy (default): F.cross_entropy(x, t, weight, ignore_index, label_smoothing)
  (the fused kernel, SPEC's fused-cross-entropy family);
- log-softmax-nll: z = F.log_softmax(x, dim=1), then F.nll_loss(z, t, weight,
  ignore_index) (SPEC's stable-log-softmax), plus the smoothing term
  (ε/C)·Σ_c w_c·(−z_c) when label_smoothing > 0, as F.cross_entropy composes it
  (aten/src/ATen/native/LossNLL.cpp, cross_entropy_loss_label_smoothing);
- log-softmax-of-softmax: z = torch.log(F.softmax(x, dim=1)), then as above (the
  naive form: log of an underflowed probability is −inf).
Gradients (op 2) through autograd: the row losses are summed and backward()
gives ∂l_n/∂x_n (rows are independent, the sum passes 1 to each).
Options from the frame (SPEC 6): weight (a tensor of the frame's dtype),
ignore_index (PyTorch's −100 when absent) and label_smoothing, passed through.

Run:
    python3 scripts/adapters/torch_adapter.py --pipeline cross-entropy --device cpu
    python3 scripts/adapters/torch_adapter.py --pipeline log-softmax-nll --device cuda
    python3 scripts/adapters/torch_adapter.py --null     # replies zeros: the round trip alone
Suite entry (suites/torch.suite.ts):
    { name: 'torch-cross-entropy-cpu',
      command: ['python3', 'scripts/adapters/torch_adapter.py', '--pipeline', 'cross-entropy', '--device', 'cpu'],
      grad: true, timeoutMs: 120000 }
Needs torch (`pip install torch`); without it every frame gets a status-1 reply naming
the missing module and the harness ends the run with that message at the first frame.
--threads N sets torch.set_num_threads (default 1: one process per harness worker).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssx1  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:
    torch = None
    MISSING = 'torch is not installed (%s); pip install torch, or drop this pipeline from the suite' % e

PIPELINES = ('cross-entropy', 'log-softmax-nll', 'log-softmax-of-softmax')
TORCH_DTYPE = {'float64': 'float64', 'float32': 'float32', 'float16': 'float16', 'bfloat16': 'bfloat16'}
PYTORCH_IGNORE_DEFAULT = -100


def row_losses(x, t, pipeline, weight, ignore_index, eps):
    """l_n (rows) of logits x (rows × classes) and targets t, reduction 'none'."""
    if pipeline == 'cross-entropy':
        return F.cross_entropy(x, t, weight=weight, ignore_index=ignore_index, reduction='none', label_smoothing=eps)
    z = F.log_softmax(x, dim=1) if pipeline == 'log-softmax-nll' else torch.log(F.softmax(x, dim=1))
    loss = F.nll_loss(z, t, weight=weight, ignore_index=ignore_index, reduction='none')
    if eps > 0:
        C = x.shape[1]
        nz = -z if weight is None else -z * weight
        smooth = nz.sum(dim=1)
        smooth = torch.where(t == ignore_index, torch.zeros_like(smooth), smooth)
        loss = (1 - eps) * loss + (eps / C) * smooth
    return loss


def compute_for(pipeline, device):
    def compute(req):
        if torch is None:
            raise ssx1.Refusal(MISSING)
        dt = getattr(torch, TORCH_DTYPE[req.dtype])
        weight, ignore, eps = ssx1.batch_options(req)
        ignore_index = PYTORCH_IGNORE_DEFAULT if ignore is None else int(ignore)
        # The logits are values of the dtype already: building the tensor in float64 and
        # converting is exact.
        x = torch.tensor(req.logits, dtype=torch.float64).to(dt).reshape(req.rows, req.classes).to(device)
        t = torch.tensor(req.targets, dtype=torch.int64, device=device)
        w = None if weight is None else torch.tensor(weight, dtype=torch.float64).to(dt).to(device)
        if req.grad:
            x.requires_grad_(True)
            loss = row_losses(x, t, pipeline, w, ignore_index, eps)
            loss.sum().backward()
            grads = x.grad.detach().to('cpu').to(torch.float64).reshape(-1).tolist()
        else:
            with torch.no_grad():
                loss = row_losses(x, t, pipeline, w, ignore_index, eps)
            grads = None
        return loss.detach().to('cpu').to(torch.float64).tolist(), grads

    return compute


def main():
    ap = argparse.ArgumentParser(description='PyTorch cross-entropy over the SSX1 frame protocol')
    ap.add_argument('--pipeline', default='cross-entropy', choices=PIPELINES)
    ap.add_argument('--device', default='cpu', help='cpu, cuda or cuda:N (a torch device string)')
    ap.add_argument('--threads', type=int, default=1, help='torch.set_num_threads (default 1)')
    ap.add_argument('--null', action='store_true', help='reply zeros without computing (the frame round trip alone)')
    a = ap.parse_args()
    if torch is not None:
        torch.set_num_threads(a.threads)
        if a.device.startswith('cuda') and not torch.cuda.is_available():
            sys.stderr.write('torch_adapter.py: --device %s, and torch.cuda.is_available() is False\n' % a.device)
            sys.exit(2)
    ssx1.serve(compute_for(a.pipeline, a.device), null=a.null, name='torch_adapter.py %s on %s' % (a.pipeline, a.device))


if __name__ == '__main__':
    main()
