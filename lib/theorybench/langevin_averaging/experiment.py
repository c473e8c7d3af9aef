"""The torch experiments: single-index data, online SGD, spherical Langevin with iterate averaging, and the sample-complexity sweep."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from .._checks import integer_at_least as _integer_at_least
from .._checks import positive as _positive
from .._memo import reused
from ..training import TrainConfig
from .model import Array, Exponent, bootstrap_exponent, partial_trace_threshold

__all__ = [
    "SingleIndexStream",
    "single_index_data",
    "spiked_tensor",
    "SGD_TRAIN",
    "online_sgd",
    "LangevinRun",
    "LANGEVIN_TRAIN",
    "langevin",
    "partial_trace_estimator",
    "second_moment_estimator",
    "high_temperature_estimate",
    "estimator_overlaps",
    "ThresholdSweep",
    "estimator_sweep",
    "sgd_sweep",
    "warm_start_pipeline",
    "pipeline_sweep",
    "chain_traces",
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


class SingleIndexStream:
    """A stream of single-index samples for ``runs`` independent problems (torch): w* (runs, d)
    uniform on the sphere, then chunks X (runs, m, d) ~ N(0, I) and y = He_k(<w*, x>)/sqrt(k!)
    (runs, m), drawn ``chunk`` samples at a time so that n can exceed memory. The stream is
    deterministic given (d, k, runs, seed, chunk); :meth:`take` continues where the last call
    stopped, so consecutive calls give fresh samples (the warm-start pipeline uses this)."""

    def __init__(
        self, d: int, k: int, *, runs: int = 1, seed: int = 0, chunk: int = 1024,
        device: str | None = None,
    ) -> None:  # fmt: skip
        import torch

        from ..device import device as pick_device

        self.d = _integer_at_least(d, "d", 2)
        self.k = _integer_at_least(k, "k", 1)
        self.runs = _integer_at_least(runs, "runs", 1)
        self.chunk = _integer_at_least(chunk, "chunk", 1)
        self.device = pick_device(device)
        self._gen = torch.Generator().manual_seed(_integer_at_least(seed, "seed", 0))
        w = torch.randn(self.runs, self.d, generator=self._gen, dtype=torch.float64)
        self.w_star = (w / w.norm(dim=1, keepdim=True)).to(self.device)
        self.seen = 0
        self._buffer = None

    def take(self, n: int):
        """Yield the next ``n`` samples as chunks (X, y) of at most ``chunk`` samples each.
        Samples are drawn in fixed blocks of ``chunk`` (the remainder of a block is kept for the
        next call), so sample i is the same however the stream is taken."""
        import torch

        n = _integer_at_least(n, "n", 0)
        while n > 0:
            if self._buffer is None or self._buffer[0].shape[1] == 0:
                shape = (self.chunk, self.runs, self.d)
                X = torch.randn(shape, generator=self._gen, dtype=torch.float64)
                X = X.transpose(0, 1).to(self.device)
                y, _ = _he(torch.einsum("rnd,rd->rn", X, self.w_star), self.k)
                self._buffer = (X, y)
            X, y = self._buffer
            m = min(n, X.shape[1])
            self._buffer = (X[:, m:], y[:, m:])
            self.seen += m
            n -= m
            yield X[:, :m], y[:, :m]


def single_index_data(
    n: int, d: int, k: int, *, runs: int = 1, seed: int = 0, device: str | None = None
):
    """The first ``n`` samples of :class:`SingleIndexStream` as one data set (torch, float64):
    X (runs, n, d) ~ N(0, I), y = He_k(<w*, x>)/sqrt(k!) (runs, n), and w* (runs, d)."""
    import torch

    n = _integer_at_least(n, "n", 1)
    stream = SingleIndexStream(d, k, runs=runs, seed=seed, device=device)
    Xs, ys = zip(*stream.take(n), strict=True)
    return torch.cat(Xs, 1), torch.cat(ys, 1), stream.w_star


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


#: online SGD's step for k* = 3 at d = 32 (a / d^{k*/2} with a = 1); steps are one per sample
SGD_TRAIN = TrainConfig(steps=None, lr=32**-1.5, dtype="float64")


def online_sgd(
    n: int,
    d: int,
    k: int,
    *,
    runs: int = 16,
    w0=None,
    stream: SingleIndexStream | None = None,
    train: TrainConfig = SGD_TRAIN,
):
    """One pass of spherical online SGD on ``n`` fresh samples (§2): for each new (x, y),
    w <- normalise(w + lr y He_k'(<w, x>) P_w x), with lr = ``train.lr``, from a uniform start
    (drawn from ``train.seed`` + 1) or from ``w0`` (runs, d) (a warm start). The samples come
    from ``stream`` if given (continuing it), else from a new :class:`SingleIndexStream` seeded by
    ``train.seed``. All runs advance in one tensor program. Returns (overlap trajectory
    (runs, n+1) of abs(<w_t, w*>), final w, w*)."""
    import torch

    TrainConfig.check(train)
    n, lr = _integer_at_least(n, "n", 1), train.lr
    if stream is None:
        stream = SingleIndexStream(d, k, runs=runs, seed=train.seed, device=train.device)
    elif (stream.d, stream.k, stream.runs) != (d, k, runs):
        raise ValueError("stream must have the same d, k and runs as the call")
    dev = stream.device
    if w0 is None:
        gen = torch.Generator().manual_seed(train.seed + 1)
        w = torch.randn(runs, d, generator=gen, dtype=torch.float64).to(dev)
    else:
        w = torch.as_tensor(w0, dtype=torch.float64, device=dev).clone()
        if w.shape != (runs, d) or not bool(torch.isfinite(w).all()):
            raise ValueError(f"w0 must be a finite (runs, d) = {(runs, d)} array")
    # the pass is sequential: tiny per-sample steps run faster in numpy than as torch kernels
    w = (w / w.norm(dim=1, keepdim=True)).cpu().numpy()
    w_star = stream.w_star
    ws = w_star.cpu().numpy()
    overlap = np.empty((runs, n + 1))
    overlap[:, 0] = np.abs(np.einsum("rd,rd->r", w, ws))
    i = 0
    for Xt, yt in stream.take(n):
        X, y = Xt.cpu().numpy(), yt.cpu().numpy()
        for j in range(X.shape[1]):
            x = X[:, j]
            _, dhe = _he(np.einsum("rd,rd->r", w, x), k)
            g = (y[:, j] * dhe)[:, None] * x
            g -= np.einsum("rd,rd->r", g, w)[:, None] * w
            w = w + lr * g
            w /= np.sqrt(np.einsum("rd,rd->r", w, w))[:, None]
            i += 1
            overlap[:, i] = np.abs(np.einsum("rd,rd->r", w, ws))
    return overlap, torch.as_tensor(w, device=dev), w_star


@dataclass(frozen=True)
class LangevinRun:
    """Result of :func:`langevin`, recorded at ``steps``."""

    steps: Array  # (R,) recorded steps
    moment: int  # 1: the running mean of the iterates; 2: the top eigenvector of their 2nd moment
    iterate_overlap: Array  # (runs, R) |<w_t, w*>|
    average_overlap: Array  # (runs, R) overlap of the running estimate (NaN during burn-in)
    estimate: Array  # (runs, d) the final estimate (unit vector)
    w_star: Array  # (runs, d)


#: spherical Langevin with step 0.05, 2,000 steps (float64 unless the call says otherwise)
LANGEVIN_TRAIN = TrainConfig(steps=2000, lr=0.05)


def langevin(
    X,
    y,
    w_star,
    k: int,
    *,
    beta: float,
    burn_in: int = 500,
    moment: int = 1,
    records: int = 60,
    train: TrainConfig = LANGEVIN_TRAIN,
) -> LangevinRun:
    """Full-batch spherical Langevin dynamics on the empirical objective Phi (§2), batched over
    the runs of X (runs, n, d):

        w <- normalise(w + lr grad_S Phi(w) + sqrt(2 lr / beta) P_w xi),   xi ~ N(0, I),

    with lr = ``train.lr`` for ``train.steps`` steps, whose stationary law is ∝ exp(beta Phi(w))
    on the sphere (up to O(lr)). After ``burn_in`` steps the iterates are averaged: their mean
    (``moment=1``, the estimator of Theorem 2 for odd k*) or their second moment, whose top
    eigenvector is the estimate (``moment=2``, Theorem 3 for even k*) (§3). Records the overlap
    of the iterate and of the running estimate at ``records`` evenly spaced steps. The chain
    runs in ``train.dtype`` (default: the dtype of X).
    """
    import torch

    k = _integer_at_least(k, "k", 1)
    beta = _positive(beta, "beta")
    TrainConfig.check(train)
    steps, lr = train.require_steps(), train.lr
    if not (isinstance(burn_in, (int, np.integer)) and 0 <= burn_in < steps):
        raise ValueError(f"burn_in must be an integer in [0, steps), got {burn_in!r}")
    if moment not in (1, 2):
        raise ValueError(f"moment must be 1 or 2, got {moment!r}")
    records = _integer_at_least(records, "records", 2)
    dtype = getattr(torch, train.dtype) if train.dtype else X.dtype
    X, y, w_star = (t.to(dtype) for t in (X, y, w_star))
    runs, n, d = X.shape
    gen = torch.Generator().manual_seed(train.seed)
    w = torch.randn(runs, d, generator=gen, dtype=torch.float64).to(X.device, dtype)
    w /= w.norm(dim=1, keepdim=True)
    total = torch.zeros(runs, d, d) if moment == 2 else torch.zeros(runs, d)
    total = total.to(X.device, dtype)
    record = np.unique(np.linspace(0, steps, records).round().astype(int))
    it_over = np.empty((runs, record.size))
    av_over = np.full((runs, record.size), np.nan)
    estimate = torch.full((runs, d), float("nan"), dtype=dtype, device=X.device)
    noise_scale = math.sqrt(2 * lr / beta)
    j = 0
    for t in tqdm(range(steps + 1), disable=not train.progress, desc="Langevin", leave=False):
        if t > burn_in:
            total += w[:, :, None] * w[:, None, :] if moment == 2 else w
        if t == record[j]:
            it_over[:, j] = (w * w_star).sum(1).abs().cpu().numpy()
            if t > burn_in:
                estimate = _estimate_from(total, moment)
                av_over[:, j] = (estimate * w_star).sum(1).abs().cpu().numpy()
            j += 1
        if t == steps:
            break
        _, dhe = _he(torch.einsum("rnd,rd->rn", X, w), k)
        grad = _tangent(torch.einsum("rn,rnd->rd", y * dhe, X) / n, w)
        xi = torch.randn(runs, d, generator=gen, dtype=torch.float64).to(X.device, dtype)
        w = _sphere_step(w, lr * grad + noise_scale * _tangent(xi, w))
    return LangevinRun(
        steps=record.astype(float),
        moment=moment,
        iterate_overlap=it_over,
        average_overlap=av_over,
        estimate=estimate.double().cpu().numpy(),
        w_star=w_star.double().cpu().numpy(),
    )


def _estimate_from(total, moment: int):
    """Unit estimate from an accumulated mean (moment 1) or second moment (moment 2: its top
    eigenvector, the largest algebraic eigenvalue)."""
    import torch

    if moment == 1:
        return total / total.norm(dim=1, keepdim=True)
    return torch.linalg.eigh(total)[1][..., -1]


# ----------------------------------------------------------------------------------------------
# The high-temperature limits of the averaged chains (§3)
# ----------------------------------------------------------------------------------------------
def partial_trace_estimator(X, y):
    """u = (1/n) sum_i y_i x_i (||x_i||^2 - d - 2), k* = 3 (§3.1): proportional to the first-order
    high-temperature Gibbs mean E_0[w Phi(w)] over the uniform sphere, i.e. the gradient of the
    fully smoothed objective. Batched over the leading axis (torch)."""
    d = X.shape[-1]
    return ((y * ((X**2).sum(-1) - d - 2))[..., None] * X).mean(-2)


def second_moment_estimator(X, y):
    """M = (1/n) sum_i y_i (||x_i||^2 - d - 4) x_i x_i', k* = 4 (§3.2): the anisotropic part of the
    first-order high-temperature Gibbs second moment E_0[w w' Phi(w)], whose mean is
    sqrt(24) w* w*'. Batched over the leading axis (torch); returns (..., d, d)."""
    import torch

    d = X.shape[-1]
    return torch.einsum("...n,...nd,...ne->...de", y * ((X**2).sum(-1) - d - 4), X, X) / X.shape[-2]


def high_temperature_estimate(X, y, k: int):
    """The unit estimate a hot averaged chain converges to (§3): u/||u|| of
    :func:`partial_trace_estimator` for k* = 3, the top eigenvector of
    :func:`second_moment_estimator` for k* = 4."""
    if k == 3:
        return _estimate_from(partial_trace_estimator(X, y), 1)
    if k == 4:
        return _estimate_from(second_moment_estimator(X, y), 2)
    raise ValueError(f"k must be 3 or 4 (the estimators derived on the theory page), got {k!r}")


def estimator_overlaps(
    d: int, k: int, ns: ArrayLike, *, runs: int = 16, seed: int = 0, device: str | None = None
) -> Array:
    """Overlap abs(<estimate, w*>) of :func:`high_temperature_estimate` after each n of the
    increasing grid ``ns``, streaming the samples (memory O(d^2) per run, not O(n d)); ``runs``
    independent problems. Returns (runs, len(ns))."""
    import torch

    if k not in (3, 4):
        raise ValueError(f"k must be 3 or 4, got {k!r}")
    grid = np.asarray(ns, dtype=int)
    if grid.ndim != 1 or grid.size == 0 or grid[0] < 1 or np.any(np.diff(grid) <= 0):
        raise ValueError(f"ns must be a strictly increasing grid of positive integers, got {ns!r}")
    stream = SingleIndexStream(d, k, runs=runs, seed=seed, device=device)
    shape = (runs, d) if k == 3 else (runs, d, d)
    total = torch.zeros(shape, dtype=torch.float64, device=stream.device)
    out = np.empty((runs, grid.size))
    for j, n in enumerate(grid):
        for X, y in stream.take(int(n) - stream.seen):
            r2 = (X**2).sum(-1)
            if k == 3:
                total += torch.einsum("rn,rnd->rd", y * (r2 - d - 2), X)
            else:
                total += torch.einsum("rn,rnd,rne->rde", y * (r2 - d - 4), X, X)
        est = _estimate_from(total, 1 if k == 3 else 2)
        out[:, j] = (est * stream.w_star).sum(1).abs().cpu().numpy()
    return out


# ----------------------------------------------------------------------------------------------
# Threshold sweeps (§4)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ThresholdSweep:
    """Overlaps of one method on a grid: ``ns[i]`` are the sample sizes for ``ds[i]`` and
    ``overlaps[i]`` has shape (runs, len(ns[i]))."""

    method: str
    k: int
    ds: list[int]
    ns: list[Array]
    overlaps: list[Array]

    def mean(self) -> list[Array]:
        """Mean overlap per d over the runs."""
        return [o.mean(0) for o in self.overlaps]

    def exponent(self, target: float = 0.5, resamples: int = 1000, seed: int = 0) -> Exponent:
        """The fitted threshold exponent with its bootstrap interval over runs."""
        return bootstrap_exponent(
            self.ds, self.ns, self.overlaps, target=target, resamples=resamples, seed=seed
        )


def _grid(factors: ArrayLike, scale: float) -> Array:
    return np.unique(np.maximum(2, np.round(np.asarray(factors, dtype=float) * scale)).astype(int))


@reused
def estimator_sweep(
    k: int, ds: ArrayLike, factors: ArrayLike, *, runs: int = 16, seed: int = 0,
    progress: bool = False,
) -> ThresholdSweep:  # fmt: skip
    """:func:`estimator_overlaps` on n = factor * s(d) for each d (§4), with s(d) the closed-form
    threshold :func:`~theorybench.langevin_averaging.model.partial_trace_threshold` for k* = 3 (the grid is placed around it; the
    measured threshold is interpolated from the simulation) and d^2 for k* = 4: the hot averaged
    chain's limit, at dimensions where running the chain itself would take too long."""
    ds = [int(d) for d in ds]
    ns, over = [], []
    for d in tqdm(ds, desc=f"estimator k={k}", leave=False, disable=not progress):
        grid = _grid(factors, float(partial_trace_threshold(d)) if k == 3 else d**2)
        ns.append(grid)
        over.append(estimator_overlaps(d, k, grid, runs=runs, seed=seed + d))
    return ThresholdSweep("high-temperature average", k, ds, ns, over)


@reused
def sgd_sweep(
    k: int, ds: ArrayLike, factors: ArrayLike, *, lr_factors: ArrayLike = (0.3, 1.0),
    runs: int = 16, seed: int = 0, progress: bool = False,
) -> ThresholdSweep:  # fmt: skip
    """Online SGD on n = factor * d^{k/2} for each d (§4), one pass over the largest n per step
    size lr = a / d^{k/2} (a in ``lr_factors``); at each n the overlap is read off the trajectory
    of the step size with the best mean overlap there (generous to SGD)."""
    ds = [int(d) for d in ds]
    ns, over = [], []
    for d in tqdm(ds, desc=f"online SGD k={k}", leave=False, disable=not progress):
        grid = _grid(factors, d ** (k / 2))
        trajectories = [
            online_sgd(int(grid[-1]), d, k, runs=runs,
                       train=TrainConfig(steps=None, lr=a / d ** (k / 2), seed=seed + d))[0]
            for a in lr_factors
        ]  # fmt: skip
        ns.append(grid)
        over.append(
            np.stack([max((tr[:, n] for tr in trajectories), key=np.mean) for n in grid], 1)
        )
    return ThresholdSweep("online SGD", k, ds, ns, over)


def warm_start_pipeline(
    d: int, ns: ArrayLike, *, lr_factors: ArrayLike = (0.25, 1.0), runs: int = 16, seed: int = 0
) -> tuple[Array, Array]:
    """The corollary's pipeline for k* = 3 (§3.3): of a budget of n samples, the first n/2 give
    the averaged estimate (the hot chain's limit, :func:`partial_trace_estimator`) and the other
    n/2, fresh, feed online SGD started there (step a / d^{3/2}, the best a in ``lr_factors`` by
    mean final overlap). Returns (overlap after the pipeline, overlap of the warm start alone),
    each (runs, len(ns))."""
    import torch

    grid = np.asarray(ns, dtype=int)
    after, start = np.empty((runs, grid.size)), np.empty((runs, grid.size))
    for j, n in enumerate(grid):
        n1 = max(1, int(n) // 2)
        finals = []
        for a in lr_factors:
            stream = SingleIndexStream(d, 3, runs=runs, seed=seed + d)
            Xs, ys = zip(*stream.take(n1), strict=True)
            w0 = _estimate_from(partial_trace_estimator(torch.cat(Xs, 1), torch.cat(ys, 1)), 1)
            start[:, j] = (w0 * stream.w_star).sum(1).abs().cpu().numpy()
            traj, _, _ = online_sgd(max(1, int(n) - n1), d, 3, runs=runs, w0=w0, stream=stream,
                                    train=TrainConfig(steps=None, lr=a / d**1.5, seed=seed))  # fmt: skip
            finals.append(traj[:, -1])
        after[:, j] = max(finals, key=np.mean)
    return after, start


@reused
def pipeline_sweep(
    ds: ArrayLike, factors: ArrayLike, *, runs: int = 16, seed: int = 0, progress: bool = False
) -> tuple[ThresholdSweep, ThresholdSweep]:
    """:func:`warm_start_pipeline` on n = factor * d^{3/2} for each d, against the average alone
    using all n samples (:func:`estimator_overlaps`, the same stream: its first n/2 samples are
    the pipeline's warm-start samples). Returns (pipeline, average alone)."""
    ds = [int(d) for d in ds]
    ns, after, alone = [], [], []
    for d in tqdm(ds, desc="pipeline", leave=False, disable=not progress):
        grid = _grid(factors, d**1.5)
        ns.append(grid)
        after.append(warm_start_pipeline(d, grid, runs=runs, seed=seed)[0])
        alone.append(estimator_overlaps(d, 3, grid, runs=runs, seed=seed + d))
    return (
        ThresholdSweep("warm start + online SGD", 3, ds, ns, after),
        ThresholdSweep("average alone", 3, ds, ns, alone),
    )


@reused
def chain_traces(
    ks: ArrayLike, d: int, *, factor: float = 10.0, beta: float = 8.0, burn_in: int = 200,
    runs: int = 4, records: int = 60, train: TrainConfig = LANGEVIN_TRAIN,
) -> dict[int, tuple[LangevinRun, float]]:  # fmt: skip
    """The paper's figure (§3.4): for each k*, one hot Langevin chain per run on n =
    factor * d^{ceil(k*/2)} samples, its iterate and its running estimate (mean for odd k*,
    second moment for even k*) over time; with the overlap of the high-temperature estimate on
    the same data (k* = 3, 4; NaN otherwise), the value the running estimate converges to as
    beta -> 0 and the window grows. Chains run in float32."""
    out = {}
    for k in [int(k) for k in ks]:
        n = int(round(factor * d ** math.ceil(k / 2)))
        X, y, w_star = single_index_data(n, d, k, runs=runs, seed=train.seed + k)
        run = langevin(X.float(), y.float(), w_star.float(), k, beta=beta, burn_in=burn_in,
                       moment=2 if k % 2 == 0 else 1, records=records, train=train)  # fmt: skip
        limit = float("nan")
        if k in (3, 4):
            est = high_temperature_estimate(X, y, k)
            limit = float((est * w_star).sum(1).abs().mean())
        out[k] = (run, limit)
    return out


def batch_speedup(
    n: int = 512, d: int = 32, runs: int = 12, steps: int = 300
) -> tuple[float, float]:
    """Seconds for ``runs`` Langevin runs batched in one program, and for a loop of single
    runs of the same work (measured now, in this process)."""
    X, y, w_star = single_index_data(n, d, 3, runs=runs, seed=1)
    train = LANGEVIN_TRAIN.replace(steps=steps)
    t0 = time.perf_counter()
    langevin(X, y, w_star, 3, beta=d / 4, burn_in=steps // 4, train=train)
    batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    for r in range(runs):
        langevin(X[r : r + 1], y[r : r + 1], w_star[r : r + 1], 3, beta=d / 4,
                 burn_in=steps // 4, train=train)  # fmt: skip
    return batched, time.perf_counter() - t0
