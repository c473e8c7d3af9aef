"""A real network trained by Lion-K: an MLP on scikit-learn's bundled 8x8 digits (1,797 images,
no download), beside AdamW with the same decoupled weight decay (theory/lion.md §9).

What the theory predicts for every parameter tensor w and Lion's weight decay lam, with a
constant step lr and lr * lam <= 1:

* phase 1 -- ||w||_inf - 1/lam shrinks at least geometrically, d_{t+1} <= (1 - lr lam) d_t
  (:func:`~theorybench.lion.model.phase1_envelope`), so the box is reached to a tolerance tol
  within t* = log(tol / d_0) / log(1 - lr lam) steps;
* phase 2 -- once inside, ||w||_inf <= 1/lam for ever: x' = (1 - lr lam) x + lr sign(.) keeps
  abs(x) <= 1/lam exactly.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from .. import _checks
from .._memo import reused
from ..training import TrainConfig
from .optimizer import LionK
from .scales import CI, sizes

__all__ = ["DigitsRun", "DIGITS_TRAIN", "load_digits_split", "train_digits"]

#: sign Lion with constant step 2e-3 for 1,000 minibatch steps (the ci sizes' config)
DIGITS_TRAIN = CI.digits.train

Array = NDArray[np.float64]
#: relative tolerance of "inside the box" for the phase-1 time: lam ||w||_inf <= 1 + TOL
TOL = 1e-3


def load_digits_split(seed: int = 0, test_fraction: float = 0.2) -> tuple[Array, ...]:
    """scikit-learn's bundled digits (no download), pixels scaled to [0, 1], split at random.

    Returns
    -------
    tuple of ndarray
        ``(X_train, y_train, X_test, y_test)``.
    """
    from sklearn.datasets import load_digits

    _checks.in_range(test_fraction, "test_fraction", 0.0, 1.0, lo_open=True, hi_open=True)
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(_checks.integer_at_least(seed, "seed", 0)).permutation(y.size)
    n_test = int(round(test_fraction * y.size))
    test, train = order[:n_test], order[n_test:]
    return X[train] / 16.0, y[train], X[test] / 16.0, y[test]


@dataclass(frozen=True)
class DigitsRun:
    """Result of :func:`train_digits`: arrays indexed (lam, seed, recorded step)."""

    lams: Array
    steps: Array  # recorded steps
    lr: float
    d0: Array  # (L, S) max over tensors of ||w||_inf - 1/lam at step 0
    lion_scaled_norm: Array  # (L, S, R) max over tensors of lam ||w||_inf
    lion_boundary: Array  # (L, S, R) fraction of weights with lam abs(w) >= 1 - TOL
    phase1_measured: Array  # (L, S) first step with lam ||w||_inf <= 1 + TOL (NaN: never)
    stays_inside: Array  # (L, S) max of lam ||w||_inf over every step after the first entry
    phase1_bound: Array  # (L, S) log(TOL / (lam d0)) / log(1 - lr lam): the theory's bound
    envelope_excess: Array  # (L, S) max_t (d_t - d_0 (1 - lr lam)^t): <= 0 if the bound holds
    lion_test_acc: Array  # (L, S, R)
    lion_train_loss: Array  # (L, S, R)
    adamw_test_acc: Array  # (L, S, R)
    adamw_train_loss: Array  # (L, S, R)
    seconds: float


def _mlp(d_in: int, hidden: int, gen: torch.Generator, dtype, dev) -> torch.nn.Module:
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
    net = torch.nn.Sequential(
        torch.nn.Linear(d_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    )
    return net.to(dev, dtype)


@reused
def train_digits(
    *,
    lams: tuple[float, ...] = (3.0, 10.0, 30.0),
    hidden: int = 32,
    seeds: int = 5,
    adamw_lr: float = 1e-2,
    batch: int = 128,
    records: int = 40,
    train: TrainConfig | None = None,
) -> DigitsRun:
    """Train the MLP 64 -> hidden -> 10 with sign Lion (``LionK``, weight decay lam, constant
    step ``train.lr``, ``train.steps`` minibatch steps) and with AdamW (``weight_decay`` = lam, ``adamw_lr``), ``seeds`` times per lam, on
    the same minibatches; record every parameter tensor's ``lam ||w||_inf``, the fraction of
    weights on the box boundary, train loss and test accuracy.

    Parameters
    ----------
    lams : tuple of float
        Weight decays (> 0, with train.lr * lam <= 1 and adamw_lr * lam <= 1).
    hidden : int
        Hidden width.
    seeds : int
        Initialisations (and minibatch orders) per lam.
    adamw_lr : float
        Step size of AdamW (Lion's is ``train.lr``).
    batch : int
        Minibatch size.
    records : int
        Recorded steps (log-spaced, plus step 0).
    train : TrainConfig
        Steps, Lion's step size, the master seed, device and dtype (both optimisers take the
        same number of steps).

    Returns
    -------
    DigitsRun
    """
    lams_arr = _checks.positive_array(lams, "lams", ndim=1)
    hidden = _checks.integer_at_least(hidden, "hidden", 1)
    train = TrainConfig.resolve(train, lambda: sizes().digits.train)
    steps, lr, seed = train.require_steps(), train.lr, train.seed
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    batch = _checks.integer_at_least(batch, "batch", 1)
    records = _checks.integer_at_least(records, "records", 2)
    adamw_lr = _checks.positive(adamw_lr, "adamw_lr")
    if max(lr, adamw_lr) * lams_arr.max() > 1:
        raise ValueError("lr * lam and adamw_lr * lam must be <= 1 for every lam")
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    Xtr, ytr, Xte, yte = load_digits_split(seed)
    Xtr, Xte = (torch.as_tensor(a, dtype=dtype, device=dev) for a in (Xtr, Xte))
    ytr, yte = (torch.as_tensor(a, device=dev) for a in (ytr, yte))
    rec = np.unique(np.r_[0, np.geomspace(1, steps, records - 1).astype(int)])
    L, S, R = lams_arr.size, seeds, rec.size
    shape = (L, S, R)
    out = {k: np.full(shape, np.nan) for k in ("norm", "bnd", "lacc", "lloss", "aacc", "aloss")}
    d0, excess = np.empty((L, S)), np.empty((L, S))
    first, after = np.full((L, S), np.nan), np.full((L, S), np.nan)
    start = time.perf_counter()
    for i, lam in enumerate(lams_arr):
        for s in range(S):
            gen = torch.Generator().manual_seed(seed * 100_003 + s)
            init = _mlp(Xtr.shape[1], hidden, gen, dtype, dev)
            nets = {"lion": init, "adamw": copy.deepcopy(init)}  # the same start for both
            opts = {
                "lion": LionK(nets["lion"].parameters(), lr=lr, weight_decay=float(lam)),
                "adamw": torch.optim.AdamW(
                    nets["adamw"].parameters(), lr=adamw_lr, weight_decay=float(lam)
                ),
            }
            order = torch.Generator().manual_seed(seed * 7919 + s)
            j, worst = 0, -np.inf
            with torch.no_grad():
                norm0 = max(float(p.abs().max()) for p in nets["lion"].parameters())
            d0[i, s] = norm0 - 1 / lam
            for t in range(steps + 1):
                with torch.no_grad():
                    w = [p.detach() for p in nets["lion"].parameters()]
                    scaled = lam * max(float(p.abs().max()) for p in w)
                    d_t = scaled / lam - 1 / lam
                    worst = max(worst, d_t - max(d0[i, s], 0) * (1 - lr * lam) ** t)
                    if np.isnan(first[i, s]) and scaled <= 1 + TOL:
                        first[i, s] = t
                    elif not np.isnan(first[i, s]):
                        after[i, s] = np.nanmax([after[i, s], scaled])
                    if j < R and t == rec[j]:
                        out["norm"][i, s, j] = scaled
                        n_on = sum(int((lam * p.abs() >= 1 - TOL).sum()) for p in w)
                        out["bnd"][i, s, j] = n_on / sum(p.numel() for p in w)
                        for name, key_acc, key_loss in (
                            ("lion", "lacc", "lloss"),
                            ("adamw", "aacc", "aloss"),
                        ):
                            net = nets[name]
                            out[key_loss][i, s, j] = float(
                                torch.nn.functional.cross_entropy(net(Xtr), ytr)
                            )
                            out[key_acc][i, s, j] = float(
                                (net(Xte).argmax(1) == yte).double().mean()
                            )
                        j += 1
                if t == steps:
                    break
                idx = torch.randint(0, Xtr.shape[0], (batch,), generator=order).to(dev)
                for name in ("lion", "adamw"):
                    loss = torch.nn.functional.cross_entropy(nets[name](Xtr[idx]), ytr[idx])
                    opts[name].zero_grad()
                    loss.backward()
                    opts[name].step()
            excess[i, s] = worst
    seconds = time.perf_counter() - start
    bound = np.log(TOL / (lams_arr[:, None] * np.maximum(d0, 1e-300))) / np.log(
        1 - lr * lams_arr[:, None]
    )
    bound = np.where(d0 > 0, np.maximum(bound, 0.0), 0.0)
    return DigitsRun(
        lams=lams_arr,
        steps=rec.astype(float),
        lr=lr,
        d0=d0,
        lion_scaled_norm=out["norm"],
        lion_boundary=out["bnd"],
        phase1_measured=first,
        stays_inside=after,
        phase1_bound=bound,
        envelope_excess=excess,
        lion_test_acc=out["lacc"],
        lion_train_loss=out["lloss"],
        adamw_test_acc=out["aacc"],
        adamw_train_loss=out["aloss"],
        seconds=seconds,
    )
