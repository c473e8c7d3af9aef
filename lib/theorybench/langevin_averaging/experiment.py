"""The torch experiments: single-index data, online SGD, spherical Langevin with iterate averaging, and the sample-complexity sweep."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._checks import integer_at_least as _integer_at_least
from .._checks import positive as _positive
from .model import Array

__all__ = [
    "single_index_data",
    "spiked_tensor",
    "online_sgd",
    "LangevinRun",
    "langevin",
    "partial_trace_estimator",
    "SweepResult",
    "sweep",
    "batch_speedup",
]


# ----------------------------------------------------------------------------------------------
# Data (§1)
# ----------------------------------------------------------------------------------------------
def _he(z, k: int):
    """He_k(z)/sqrt(k!) and its derivative sqrt(k) He_{k-1}(z)/sqrt((k-1)!), for torch tensors
    or numpy arrays, by the three-term recurrence He_{j+1} = z He_j - j He_{j-1}."""
    prev, cur = 1.0 + 0 * z, z
    if k == 0:
        return prev, 0 * z
    for j in range(1, k):
        prev, cur = cur, z * cur - j * prev
    return cur / math.sqrt(math.factorial(k)), math.sqrt(k) * prev / math.sqrt(
        math.factorial(k - 1)
    )


def single_index_data(
    n: int, d: int, k: int, *, runs: int = 1, seed: int = 0, device: str | None = None
):
    """``runs`` independent data sets (torch, float64): X (runs, n, d) ~ N(0, I),
    w* (runs, d) uniform on the sphere, y = He_k(<w*, x>)/sqrt(k!) (runs, n)."""
    import torch

    from ..device import device as pick_device

    n, d, k = (
        _integer_at_least(n, "n", 1),
        _integer_at_least(d, "d", 2),
        _integer_at_least(k, "k", 1),
    )
    runs = _integer_at_least(runs, "runs", 1)
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(runs, n, d, generator=gen, dtype=torch.float64)
    w_star = torch.randn(runs, d, generator=gen, dtype=torch.float64)
    w_star /= w_star.norm(dim=1, keepdim=True)
    y, _ = _he(torch.einsum("rnd,rd->rn", X, w_star), k)
    dev = pick_device(device)
    return X.to(dev), y.to(dev), w_star.to(dev)


def spiked_tensor(d: int, k: int, snr: float, seed: int = 0) -> tuple[Array, Array]:
    """Tensor PCA: T = snr v^{⊗k} + Z with Z i.i.d. N(0, 1) entries, v uniform on the sphere
    (numpy; d^k entries, so keep d^k small). Returns (T, v)."""
    d, k = _integer_at_least(d, "d", 2), _integer_at_least(k, "k", 2)
    if d**k > 5e7:
        raise ValueError(f"d^k = {d**k} entries is too large for a dense tensor")
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(d)
    v /= np.linalg.norm(v)
    spike = v
    for _ in range(k - 1):
        spike = np.multiply.outer(spike, v)
    return snr * spike + rng.standard_normal((d,) * k), v


# ----------------------------------------------------------------------------------------------
# Algorithms, batched over runs (§2-4)
# ----------------------------------------------------------------------------------------------
def _sphere_step(w, direction):
    w = w + direction
    return w / w.norm(dim=-1, keepdim=True)


def _tangent(v, w):
    return v - (v * w).sum(-1, keepdim=True) * w


def online_sgd(
    n: int, d: int, k: int, *, lr: float, runs: int = 16, seed: int = 0, device: str | None = None
):
    """One pass of spherical online SGD on fresh samples (§2): for each new (x, y),
    w <- normalise(w + lr y He_k'(<w, x>) P_w x), from a uniform start. All runs advance in one
    tensor program. Returns (overlap trajectory (runs, n+1) of abs(<w_t, w*>), final w, w*)."""
    import torch

    from ..device import device as pick_device

    n, d, k = (
        _integer_at_least(n, "n", 1),
        _integer_at_least(d, "d", 2),
        _integer_at_least(k, "k", 1),
    )
    runs = _integer_at_least(runs, "runs", 1)
    lr = _positive(lr, "lr")
    dev = pick_device(device)
    gen = torch.Generator().manual_seed(seed)
    w_star = torch.randn(runs, d, generator=gen, dtype=torch.float64)
    w_star /= w_star.norm(dim=1, keepdim=True)
    w = torch.randn(runs, d, generator=gen, dtype=torch.float64)
    w /= w.norm(dim=1, keepdim=True)
    X = torch.randn(runs, n, d, generator=gen, dtype=torch.float64)
    y, _ = _he(torch.einsum("rnd,rd->rn", X, w_star), k)
    X, y, w, w_star = X.to(dev), y.to(dev), w.to(dev), w_star.to(dev)
    overlap = torch.empty(runs, n + 1, dtype=torch.float64, device=dev)
    overlap[:, 0] = (w * w_star).sum(1).abs()
    for i in range(n):
        x = X[:, i]
        _, dhe = _he((w * x).sum(1), k)
        w = _sphere_step(w, lr * _tangent((y[:, i] * dhe)[:, None] * x, w))
        overlap[:, i + 1] = (w * w_star).sum(1).abs()
    return overlap.cpu().numpy(), w, w_star


@dataclass(frozen=True)
class LangevinRun:
    """Result of :func:`langevin`."""

    last_overlap: Array  # (runs, steps+1) |<w_t, w*>|
    average_overlap: Array  # (runs, steps+1) |<avg_t, w*>| / ||avg_t|| (NaN during burn-in)
    average: Array  # (runs, d) final average (unnormalised)
    w_star: Array  # (runs, d)


def langevin(
    X,
    y,
    w_star,
    k: int,
    *,
    beta: float,
    lr: float = 0.05,
    steps: int = 2000,
    burn_in: int = 500,
    seed: int = 0,
) -> LangevinRun:
    """Full-batch spherical Langevin dynamics on the empirical objective Phi (§3), batched over
    the runs of X (runs, n, d):

        w <- normalise(w + lr grad_S Phi(w) + sqrt(2 lr / beta) P_w xi),   xi ~ N(0, I),

    whose stationary law is ∝ exp(beta Phi(w)) on the sphere (up to O(lr)); the average of the
    iterates after ``burn_in`` steps is the stochastic-weight-averaging estimate (§4). The chain
    runs in the dtype of X (the sweep uses float32, about three times faster on a CPU).
    """
    import torch

    k = _integer_at_least(k, "k", 1)
    beta, lr = _positive(beta, "beta"), _positive(lr, "lr")
    steps = _integer_at_least(steps, "steps", 1)
    if not (isinstance(burn_in, (int, np.integer)) and 0 <= burn_in < steps):
        raise ValueError(f"burn_in must be an integer in [0, steps), got {burn_in!r}")
    runs, n, d = X.shape
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(runs, d, generator=gen, dtype=torch.float64).to(X.device, X.dtype)
    w /= w.norm(dim=1, keepdim=True)
    total = torch.zeros_like(w)
    last = np.empty((runs, steps + 1))
    avg = np.full((runs, steps + 1), np.nan)
    noise_scale = math.sqrt(2 * lr / beta)
    for t in range(steps + 1):
        last[:, t] = (w * w_star).sum(1).abs().cpu().numpy()
        if t > burn_in:
            total += w
            a = total / total.norm(dim=1, keepdim=True)
            avg[:, t] = (a * w_star).sum(1).abs().cpu().numpy()
        if t == steps:
            break
        _, dhe = _he(torch.einsum("rnd,rd->rn", X, w), k)
        grad = _tangent(torch.einsum("rn,rnd->rd", y * dhe, X) / n, w)
        xi = torch.randn(runs, d, generator=gen, dtype=torch.float64).to(X.device, X.dtype)
        w = _sphere_step(w, lr * grad + noise_scale * _tangent(xi, w))
    return LangevinRun(
        last_overlap=last,
        average_overlap=avg,
        average=total.cpu().numpy(),
        w_star=w_star.cpu().numpy(),
    )


def partial_trace_estimator(X, y):
    """u = (1/n) sum_i y_i x_i (||x_i||^2 - d - 2), k* = 3 (§4): proportional to the first-order
    high-temperature Gibbs mean E_0[w Phi(w)] over the uniform sphere, i.e. the gradient of the
    fully smoothed objective. Batched over the leading axis (torch)."""
    d = X.shape[-1]
    return ((y * ((X**2).sum(-1) - d - 2))[..., None] * X).mean(-2)


# ----------------------------------------------------------------------------------------------
# Sweeps and exponents (§5)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResult:
    """Mean overlaps per (d, n) for each algorithm; ``ns[i]`` are the sample sizes for ``ds[i]``."""

    k: int
    ds: list[int]
    ns: list[Array]
    overlaps: dict[str, list[Array]]  # algorithm -> per d, (len(ns[i]),) mean final overlap
    spread: dict[str, list[Array]]  # standard error of the mean
    seconds: float


def sweep(
    ds: ArrayLike,
    factors: ArrayLike,
    *,
    k: int = 3,
    runs: int = 12,
    steps: int = 1500,
    beta_per_d: float = 1.0,
    lr: float = 0.05,
    sgd_steps: ArrayLike = (1.0, 4.0),
    langevin_max_factor: float | None = None,
    seed: int = 0,
) -> SweepResult:
    """For each d and n = factor * d^{k/2}: averaged and last-iterate Langevin (beta = beta_per_d
    * d, burn-in steps/4; only for factors up to ``langevin_max_factor``, NaN beyond) and online
    SGD with the best of the step sizes a / d^{k/2} for a in ``sgd_steps`` (generous to SGD).
    Online SGD makes one pass, so its overlap after n samples is read off one trajectory over the
    largest n. Runs of one (d, n) are batched (§5)."""
    from tqdm.auto import tqdm

    k = _integer_at_least(k, "k", 1)
    ds = [int(d) for d in ds]
    factors = np.asarray(factors, dtype=float)
    cap = (
        np.inf
        if langevin_max_factor is None
        else _positive(langevin_max_factor, "langevin_max_factor")
    )
    names = ("averaged Langevin", "Langevin last iterate", "online SGD")
    over = {m: [] for m in names}
    err = {m: [] for m in names}
    ns = []
    start = time.perf_counter()
    for d in tqdm(ds, desc="d", leave=False):
        n_grid = np.unique(np.maximum(2, np.round(factors * d ** (k / 2))).astype(int))
        ns.append(n_grid)
        rows = {m: [] for m in names}
        langevin_n_max = np.round(cap * d ** (k / 2))  # rounded as the grid is
        trajectories = [
            online_sgd(int(n_grid[-1]), d, k, lr=a / d ** (k / 2), runs=runs, seed=seed + d)[0]
            for a in sgd_steps
        ]
        for j, n in enumerate(n_grid):
            rows["online SGD"].append(max((tr[:, n] for tr in trajectories), key=np.mean))
            if n > langevin_n_max:
                for m in names[:2]:
                    rows[m].append(np.full(runs, np.nan))
                continue
            data = single_index_data(int(n), d, k, runs=runs, seed=seed + 7919 * j + d)
            run = langevin(
                *(t.float() for t in data),
                k,
                beta=beta_per_d * d,
                lr=lr,
                steps=steps,
                burn_in=steps // 4,
                seed=seed + 1,
            )
            rows["averaged Langevin"].append(run.average_overlap[:, -1])
            rows["Langevin last iterate"].append(run.last_overlap[:, -1])
        for m in names:
            over[m].append(np.array([r.mean() for r in rows[m]]))
            err[m].append(np.array([r.std() / np.sqrt(r.size) for r in rows[m]]))
    return SweepResult(
        k=k, ds=ds, ns=ns, overlaps=over, spread=err, seconds=time.perf_counter() - start
    )


def batch_speedup(
    n: int = 512, d: int = 32, runs: int = 12, steps: int = 300
) -> tuple[float, float]:
    """Seconds for ``runs`` Langevin runs batched in one program, and for a loop of single
    runs of the same work (measured now, in this process)."""
    X, y, w_star = single_index_data(n, d, 3, runs=runs, seed=1)
    t0 = time.perf_counter()
    langevin(X, y, w_star, 3, beta=d / 4, steps=steps, burn_in=steps // 4)
    batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    for r in range(runs):
        langevin(
            X[r : r + 1],
            y[r : r + 1],
            w_star[r : r + 1],
            3,
            beta=d / 4,
            steps=steps,
            burn_in=steps // 4,
        )
    return batched, time.perf_counter() - t0
