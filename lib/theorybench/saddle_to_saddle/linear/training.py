"""The torch experiment for linear networks: batched gradient descent from small random starts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ... import _checks
from ..._memo import reused
from ...training import TrainConfig
from .._shared.gd import plain_gd
from .._shared.inputs import Array, spectrum
from ..plateaus import detect_plateaus
from ..scales import CI, sizes
from .closed_forms import (
    effective_initial_strength,
    teacher,
    width_transition_times,
)

__all__ = [
    "LinearRun",
    "LINEAR_TRAIN",
    "train_linear_network",
    "WidthSweep",
    "WIDTH_TRAIN",
    "width_sweep",
    "width_median",
]

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
    train: TrainConfig | None = None,
) -> LinearRun:
    """Gradient descent on L = 1/2 ||M - W_L...W_1||_F^2 (whitened inputs), batched over the
    initialisation scales ``sigmas`` as one tensor program (§3).

    ``init="aligned"``: the balanced aligned start of the theory (u_k(0) = sigma^depth for every
    mode, hidden rotations random); ``init="random"``: i.i.d. N(0, sigma^2) entries, scaled so that
    each layer's typical gain is sigma. Records the loss and the singular values of the
    end-to-end map every ``record_every`` steps. ``train``: ``steps`` of plain GD with step ``lr``
    (the gradient written out by hand); ``seed`` draws the teacher and the start.
    """
    return _train_linear(s, sigmas, depth=depth, hidden=hidden, d_in=d_in, d_out=d_out,
                         init=init, record_every=record_every, train=train)  # fmt: skip


def _train_linear(s, sigmas, *, depth, hidden, d_in, d_out, init, record_every, train,  # noqa: ANN001
                  singular_values=True) -> LinearRun:  # fmt: skip
    """:func:`train_linear_network`; ``singular_values=False`` skips recording them (an empty
    last axis): what a caller that reads only the loss needs."""
    import torch

    s = spectrum(s)
    sig = _checks.positive_array(sigmas, "sigmas", ndim=1)
    depth = _checks.integer_at_least(depth, "depth", 2)
    hidden = _checks.integer_at_least(hidden, "hidden", 1)
    d_in = _checks.integer_at_least(d_in, "d_in", s.size)
    d_out = _checks.integer_at_least(d_out, "d_out", s.size)
    train = TrainConfig.resolve(train, lambda: sizes().linear.train)
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
    Ws = [torch.tensor(w, dtype=dtype, device=dev) for w in layers]
    Mt = torch.tensor(M, dtype=dtype, device=dev)

    def loss():  # with its gradient by hand: with R = W_L...W_1 - M,
        # dL/dW_i = (W_L...W_{i+1})' R (W_{i-1}...W_1)'
        products = [Ws[0]]  # W_i...W_1
        for w in Ws[1:]:
            products.append(w @ products[-1])
        R = products[-1] - Mt

        def grads():  # noqa: ANN202
            out, G = [], R
            for i in range(len(Ws) - 1, -1, -1):
                out.append(G @ products[i - 1].transpose(1, 2) if i else G)
                G = Ws[i].transpose(1, 2) @ G
            return out[::-1]

        def observed():  # noqa: ANN202
            W = products[-1]
            return [torch.linalg.svdvals(W)[:, :n] if singular_values else W[:, :0, 0]]

        return 0.5 * (R**2).sum(dim=(1, 2)), observed, grads

    record, loss, (svals,) = plain_gd(Ws, loss, steps=steps, lr=lr, record_every=record_every)
    return LinearRun(sigmas=sig, steps=record, loss=loss, singular_values=svals, lr=lr, u0=u0)


#: plain GD, step 0.01, 1,600 steps (the ci sizes' config)
WIDTH_TRAIN = CI.width.train


@dataclass(frozen=True)
class WidthSweep:
    """Result of :func:`width_sweep`: arrays indexed (width, seed, mode)."""

    s: Array
    widths: Array
    sigma: float
    d_in: int
    lr: float
    transition_times: Array  # (W, seeds, n) read off each loss curve by detect_plateaus
    u0: Array  # (W, seeds, n) effective initial strength of each start
    predicted_median: Array  # (W, n) width_transition_times at the median start


@reused
def width_sweep(
    s: ArrayLike,
    widths: ArrayLike,
    *,
    seeds: int = 10,
    sigma: float = 1e-3,
    d_in: int = 12,
    d_out: int = 10,
    train: TrainConfig | None = None,
) -> WidthSweep:
    """Two-layer linear networks of each hidden width, trained by GD from ``seeds`` random starts
    (layer gain ``sigma``, :func:`train_linear_network` with ``init="random"``; one teacher per
    sweep, drawn from ``train.seed``). The transitions are read off each loss curve by
    :func:`~theorybench.saddle_to_saddle.plateaus.detect_plateaus` and set beside the median
    prediction :func:`~theorybench.saddle_to_saddle.linear.closed_forms.width_transition_times` (§3.1). A curve
    with a transition count other than len(s) raises RuntimeError."""
    s = spectrum(s, strictly_decreasing=True)
    widths = np.asarray(widths)
    if widths.ndim != 1 or widths.size < 2:
        raise ValueError("widths must be a 1-D list of at least two hidden widths")
    widths = np.array([_checks.integer_at_least(w, "widths", s.size) for w in widths.tolist()])
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    sigma = _checks.positive(sigma, "sigma")
    train = TrainConfig.resolve(train, lambda: sizes().width.train)
    found = np.empty((widths.size, seeds, s.size))
    u0 = np.empty_like(found)
    for i, h in enumerate(widths.tolist()):
        run = _train_linear(
            s, [sigma] * seeds, depth=2, hidden=h, d_in=d_in, d_out=d_out, init="random",
            record_every=2, train=train, singular_values=False,
        )  # fmt: skip
        for j in range(seeds):
            times = detect_plateaus(run.steps * run.lr, run.loss[j]).transition_times
            if times.size != s.size:
                raise RuntimeError(
                    f"width {h}, seed {j}: {times.size} transitions found, expected {s.size}; "
                    "train longer or lower sigma"
                )
            found[i, j] = times
        u0[i] = run.u0
    predicted = np.array(
        [width_transition_times(s, sigma, h, d_in) for h in widths]  # time in steps x lr
    )
    return WidthSweep(s, widths, sigma, d_in, train.lr, found, u0, predicted)


def width_median(sweep: WidthSweep) -> Array:
    """(W, n): the median over seeds of a width sweep's measured transition times."""
    return np.median(sweep.transition_times, axis=1)
