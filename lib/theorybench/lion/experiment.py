"""The torch experiment: logistic regression trained by ``LionK`` over a sweep of weight decays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .. import _checks
from .._blas import single_blas_thread
from .._memo import reused
from ..training import TrainConfig
from .constrained import constrained_optimum
from .discrete import Array
from .optimizer import LionK
from .scales import CI, sizes

#: sign Lion, step 0.05 decaying linearly to 0 over 3,000 steps (the ci sizes' config)
LOGISTIC_TRAIN = CI.logistic.train

__all__ = [
    "LogRegSweep",
    "LOGISTIC_TRAIN",
    "make_logistic_data",
    "logistic_loss_np",
    "logistic_regression_lam_sweep",
]


@dataclass(frozen=True)
class LogRegSweep:
    """Result of :func:`logistic_regression_lam_sweep` (one row per lam)."""

    lams: Array
    steps: Array  # the recorded step indices
    norms: Array  # ||w_t||_inf at those steps, shape (len(lams), len(steps))
    lion_objective: Array  # f(w_T) of Lion
    optimum: Array  # min f on the box, from scipy (independent)
    optimum_norm: Array  # ||w*||_inf of scipy's constrained optimum
    seconds: float


def make_logistic_data(n: int, d: int, *, flip: float = 0.1, seed: int = 0) -> tuple[Array, Array]:
    """Synthetic binary classification: x ~ N(0, I_d), y = sign(w0.x) with a fraction ``flip`` of
    labels flipped (so the unconstrained optimum is finite). Returns X (n, d) and y in {-1, +1}."""
    n = _checks.integer_at_least(n, "n", 2)
    d = _checks.integer_at_least(d, "d", 1)
    _checks.in_range(flip, "flip", 0.0, 0.5, hi_open=True)
    rng = np.random.default_rng(_checks.integer_at_least(seed, "seed", 0))
    X = rng.standard_normal((n, d))
    w0 = rng.standard_normal(d) * 2 / np.sqrt(d)
    y = np.sign(X @ w0 + 1e-12)
    y[rng.random(n) < flip] *= -1
    return X, y


def logistic_loss_np(w: Array, X: Array, y: Array) -> tuple[float, Array]:
    """Mean logistic loss f(w) = mean log(1 + exp(-y x.w)) and its gradient (numpy, stable)."""
    w = _checks.finite_array(w, "w", ndim=1)
    X = _checks.finite_array(X, "X", ndim=2)
    y = _checks.finite_array(y, "y", ndim=1)
    if X.shape != (y.size, w.size):
        raise ValueError(f"X must have shape (len(y), len(w)) = {(y.size, w.size)}, got {X.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        z = -y * (X @ w)
    if not np.all(np.isfinite(z)):
        raise ValueError("w is too large: the margins y x.w overflow (scale w down)")
    loss = float(np.mean(np.logaddexp(0.0, z)))
    sig = 0.5 * (1 + np.tanh(0.5 * z))  # = sigmoid(z), overflow-free
    return loss, -(X.T @ (y * sig)) / len(y)


@reused
@single_blas_thread
def logistic_regression_lam_sweep(
    lams: Sequence[float],
    *,
    n: int,
    d: int,
    betas: tuple[float, float] = (0.9, 0.99),
    init_scale: float = 3.0,
    n_records: int = 200,
    train: TrainConfig | None = None,
) -> LogRegSweep:
    """Train logistic regression with sign Lion for each lam at once (one batched program).

    Each lam has its own weight vector (its own param group, so its own weight decay); the losses
    of all lams are computed as one (n, len(lams)) matrix product. The step size decays linearly
    to 0 from ``train.lr`` over ``train.steps`` (so the iterates settle instead of oscillating by
    +-lr); ``train.seed`` draws the data and the start. Returns ||w_t||_inf over time,
    the final objective and, independently, scipy's box-constrained optimum for each lam.
    """
    import time

    from tqdm.auto import tqdm

    lams_arr = _checks.positive_array(lams, "lams", ndim=1)
    n_records = _checks.integer_at_least(n_records, "n_records", 2)
    init_scale = _checks.positive(init_scale, "init_scale")
    train = TrainConfig.resolve(train, lambda: sizes().logistic.train)
    steps, lr, seed, progress = train.require_steps(), train.lr, train.seed, train.progress
    if lr * lams_arr.max() > 1:
        raise ValueError(f"lr * max(lams) must be <= 1, got {lr * lams_arr.max()}")
    X, y = make_logistic_data(n, d, seed=seed)
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    Xt = torch.as_tensor(X, dtype=dtype, device=dev)
    yt = torch.as_tensor(y, dtype=dtype, device=dev)
    gen = torch.Generator().manual_seed(seed)
    w0 = (torch.rand(d, generator=gen, dtype=torch.float64) * 2 - 1) * init_scale
    ws = [torch.nn.Parameter(w0.clone().to(dev, dtype)) for _ in lams_arr]
    opt = LionK(
        [{"params": [w], "weight_decay": float(lam)} for w, lam in zip(ws, lams_arr, strict=True)],
        lr=lr,
        betas=betas,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 - t / steps)
    record = np.unique(np.geomspace(1, steps, n_records).astype(int))
    norms = np.empty((lams_arr.size, record.size))
    start = time.perf_counter()
    j = 0
    for t in tqdm(range(1, steps + 1), disable=not progress, desc="Lion sweep"):
        W = torch.stack(ws, dim=1)  # (d, L)
        loss = torch.nn.functional.softplus(-yt[:, None] * (Xt @ W)).mean(0).sum()
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        sched.step()
        if j < record.size and t == record[j]:
            with torch.no_grad():
                norms[:, j] = torch.stack(ws).abs().amax(1).double().cpu().numpy()
            j += 1
    seconds = time.perf_counter() - start
    w_final = torch.stack(ws).detach().double().cpu().numpy()

    def f(w: Array) -> float:
        return logistic_loss_np(w, X, y)[0]

    def g(w: Array) -> Array:
        return logistic_loss_np(w, X, y)[1]

    optima = [constrained_optimum(f, g, np.zeros(d), lam, "l1") for lam in lams_arr]
    return LogRegSweep(
        lams=lams_arr,
        steps=record,
        norms=norms,
        lion_objective=np.array([f(w) for w in w_final]),
        optimum=np.array([f(w) for w in optima]),
        optimum_norm=np.array([np.abs(w).max() for w in optima]),
        seconds=seconds,
    )
