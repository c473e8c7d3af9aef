"""The torch experiment for linear networks: batched gradient descent from small random starts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import _checks
from ..training import TrainConfig
from .linear import Array, _spectrum, effective_initial_strength, teacher
from .scales import CI

__all__ = ["LinearRun", "LINEAR_TRAIN", "train_linear_network"]

#: plain GD, step 0.01, 1,200 steps (the ci sizes' config)
LINEAR_TRAIN = CI.linear.train


@dataclass(frozen=True)
class LinearRun:
    """Result of :func:`train_linear_network`: one row per initialisation scale."""

    sigmas: Array
    steps: Array  # recorded step indices
    loss: Array  # (len(sigmas), len(steps)) population loss
    singular_values: Array  # (len(sigmas), len(steps), n) of the end-to-end map
    lr: float
    u0: Array  # (len(sigmas), n): effective initial strength of each mode (two layers; else NaN)


def train_linear_network(
    s: ArrayLike,
    sigmas: ArrayLike,
    *,
    depth: int = 2,
    hidden: int = 16,
    d_in: int = 12,
    d_out: int = 10,
    init: str = "aligned",
    record_every: int = 5,
    train: TrainConfig = LINEAR_TRAIN,
) -> LinearRun:
    """Gradient descent on L = 1/2 ||M - W_L...W_1||_F^2 (whitened inputs), batched over the
    initialisation scales ``sigmas`` as one tensor program (§3).

    ``init="aligned"``: the balanced aligned start of the theory (u_k(0) = sigma^depth for every
    mode, hidden rotations random); ``init="random"``: i.i.d. N(0, sigma^2) entries, scaled so that
    each layer's typical gain is sigma. Records the loss and the singular values of the
    end-to-end map every ``record_every`` steps. ``train``: ``steps`` of plain GD with step ``lr``;
    ``seed`` draws the teacher and the start.
    """
    import torch

    s = _spectrum(s)
    sig = _checks.positive_array(sigmas, "sigmas", ndim=1)
    depth = _checks.integer_at_least(depth, "depth", 2)
    hidden = _checks.integer_at_least(hidden, "hidden", 1)
    d_in = _checks.integer_at_least(d_in, "d_in", s.size)
    d_out = _checks.integer_at_least(d_out, "d_out", s.size)
    if not isinstance(train, TrainConfig):
        raise ValueError(f"train must be a TrainConfig, got {train!r}")
    steps, lr, seed = train.require_steps(), train.lr, train.seed
    record_every = _checks.integer_at_least(record_every, "record_every", 1)
    if hidden < s.size:
        raise ValueError(f"hidden must be >= len(s) = {s.size}, got {hidden}")
    if init not in ("aligned", "random"):
        raise ValueError(f"init must be 'aligned' or 'random', got {init!r}")
    M, U, V = teacher(s, d_in, d_out, seed)
    rng = np.random.default_rng(seed + 1)
    B, n = sig.size, s.size
    dims = [d_in] + [hidden] * (depth - 1) + [d_out]
    layers = []
    if init == "aligned":
        Qs = [np.linalg.qr(rng.standard_normal((hidden, hidden)))[0] for _ in range(depth - 1)]
        # first layer maps V's columns to Q_1's first n columns, last maps Q_{L-1} back onto U
        first = Qs[0][:, :n] @ V.T
        mats = [first] + [Qs[i][:, :n] @ Qs[i - 1][:, :n].T for i in range(1, depth - 1)]
        mats.append(U @ Qs[-1][:, :n].T)
        for m in mats:
            layers.append(np.stack([g * m for g in sig]))
    else:
        for i in range(depth):
            w = rng.standard_normal((B, dims[i + 1], dims[i])) / np.sqrt(dims[i])
            layers.append(w * sig[:, None, None])
    u0 = (
        effective_initial_strength(layers[0], layers[1], U, V)
        if depth == 2
        else np.full((B, n), np.nan)
    )
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    Ws = [torch.tensor(w, dtype=dtype, device=dev, requires_grad=True) for w in layers]
    Mt = torch.tensor(M, dtype=dtype, device=dev)
    record = np.arange(0, steps + 1, record_every)
    loss = np.empty((B, record.size))
    svals = np.empty((B, record.size, n))
    j = 0
    for t in range(steps + 1):
        W = Ws[0]
        for w in Ws[1:]:
            W = w @ W
        L = 0.5 * ((Mt - W) ** 2).sum(dim=(1, 2))
        if t == record[j]:
            with torch.no_grad():
                if not bool(torch.isfinite(L).all()):
                    raise ValueError(
                        f"gradient descent diverged by step {t} (loss not finite): "
                        f"lower lr (got {lr}) or sigmas (largest {sig.max():g})"
                    )
                loss[:, j] = L.cpu().numpy()
                svals[:, j] = torch.linalg.svdvals(W)[:, :n].cpu().numpy()
            j += 1
            if j == record.size:
                break
        grads = torch.autograd.grad(L.sum(), Ws)
        with torch.no_grad():
            for w, g in zip(Ws, grads, strict=True):
                w -= lr * g
    return LinearRun(sigmas=sig, steps=record, loss=loss, singular_values=svals, lr=lr, u0=u0)
