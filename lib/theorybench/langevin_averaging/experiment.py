"""The torch experiments: single-index data, online SGD, spherical Langevin with iterate averaging, and the sample-complexity sweep."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from .._checks import in_range as _in_range
from .._checks import integer_at_least as _integer_at_least
from .._checks import positive as _positive
from .._memo import reused
from ..training import TrainConfig
from .model import (
    Array,
    Exponent,
    bootstrap_exponent,
    partial_trace_threshold,
    threshold_exponent,
)
from .scales import GRADIENT_CHUNK, PIPELINE_KEEP_BYTES, STREAM_CHUNK, _pipeline_kept_bytes

__all__ = [
    "SingleIndexStream",
    "single_index_data",
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
    "sgd_sweeps",
    "warm_start_pipeline",
    "pipeline_sweep",
    "hot_limit_overlap",
    "ChainThresholds",
    "CHAIN_THRESHOLD_TRAIN",
    "chain_thresholds",
    "EqualCompute",
    "equal_compute",
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


def _dhe(z, k: int):
    """The derivative part of :func:`_he` alone, sqrt(k) He_{k-1}(z)/sqrt((k-1)!), by the same
    recurrence and the same operations in the same order (so bitwise the same numbers for finite
    z), without the value He_k: the gradients need only this, and the arrays are small enough
    that each skipped elementwise operation is time saved (He_0 = 1 is the scalar 1 instead of a
    tensor of ones: 1 * 1.0 subtracted from z * z is the same subtraction)."""
    if k <= 1:
        return _he(z, k)[1]
    prev, cur = 1.0, z
    for j in range(1, k - 1):
        prev, cur = cur, z * cur - j * prev
    return math.sqrt(k) * cur / math.sqrt(math.factorial(k - 1))


#: independent random streams of one seed: each, the data stream included, is spawned from the
#: seed by numpy's SeedSequence under its own key, so no stream of a run repeats the numbers of
#: the data stream whatever the data and train seeds are (disjoint spawn keys)
_STREAMS = {
    "data": 0, "langevin-start": 1, "langevin-noise": 2, "sgd-start": 3, "minibatch-index": 4,
}  # fmt: skip
#: the largest block of samples a stream may hold (bytes): runs x chunk x d in float64, twice
MAX_BLOCK_BYTES = 4e9
#: the largest resident data set :func:`single_index_data` may allocate (bytes)
MAX_DATA_BYTES = 1e11
#: the largest information exponent of the experiments' links (k! stays a finite float)
MAX_K = 150


def _generator(seed: int, stream: str):
    """A torch CPU generator for ``stream`` (a key of ``_STREAMS``) of ``seed``: seeded from
    ``SeedSequence(seed, spawn_key=(key,))``. The data stream has key 0 and every other stream
    its own key, so no two streams of any seeds coincide: a chain started with train seed s on
    data seeded s' does not start at w* (its initial overlap is of order d^{-1/2})."""
    import torch

    state = np.random.SeedSequence(int(seed), spawn_key=(_STREAMS[stream],)).generate_state(2)
    return torch.Generator().manual_seed((int(state[0]) << 31 | int(state[1])) & (2**63 - 1))


class SingleIndexStream:
    """A stream of single-index samples for ``runs`` independent problems (torch): w* (runs, d)
    uniform on the sphere, then chunks X (runs, m, d) ~ N(0, I) and y = He_k(<w*, x>)/sqrt(k!)
    (runs, m), drawn ``chunk`` samples at a time so that n can exceed memory. The stream is
    deterministic given (d, k, runs, seed, chunk); :meth:`take` continues where the last call
    stopped, so consecutive calls give fresh samples (the warm-start pipeline uses this). With
    ``keep=True`` the drawn blocks are kept and :meth:`rewind` replays them from sample 0."""

    def __init__(
        self, d: int, k: int, *, runs: int = 1, seed: int = 0, chunk: int = STREAM_CHUNK,
        device: str | None = None, keep: bool = False,
    ) -> None:  # fmt: skip
        import torch

        from ..device import device as pick_device

        self.d = _integer_at_least(d, "d", 2)
        self.k = _integer_at_least(k, "k", 1)
        if self.k > MAX_K:
            raise ValueError(f"k must be an integer in [1, {MAX_K}], got {k!r}")
        self.runs = _integer_at_least(runs, "runs", 1)
        self.chunk = _integer_at_least(chunk, "chunk", 1)
        if 16 * self.runs * self.chunk * self.d > MAX_BLOCK_BYTES:
            raise ValueError(
                f"d, runs and chunk must keep one block (16 runs chunk d bytes) below "
                f"{MAX_BLOCK_BYTES:.0e} bytes, got d = {d}, runs = {runs}, chunk = {chunk}"
            )
        self.device = pick_device(device)
        self._gen = _generator(_integer_at_least(seed, "seed", 0), "data")
        w = torch.randn(self.runs, self.d, generator=self._gen, dtype=torch.float64)
        self.w_star = (w / w.norm(dim=1, keepdim=True)).to(self.device)
        self.seen = 0
        self._buffer = None
        self._blocks = [] if keep else None  # the drawn blocks, kept for :meth:`rewind`
        self._next = 0  # index of the next block

    def rewind(self) -> None:
        """Start again at sample 0, replaying the kept blocks (only for ``keep=True``: a stream
        that several passes read from the start draws its samples once)."""
        if self._blocks is None:
            raise ValueError("rewind needs a stream made with keep=True")
        self.seen, self._buffer, self._next = 0, None, 0

    def take(self, n: int):
        """Yield the next ``n`` samples as chunks (X, y) of at most ``chunk`` samples each.
        Samples are drawn in fixed blocks of ``chunk`` (the remainder of a block is kept for the
        next call), so sample i is the same however the stream is taken."""
        import torch

        n = _integer_at_least(n, "n", 0)
        while n > 0:
            if self._buffer is None or self._buffer[0].shape[1] == 0:
                if self._blocks is not None and self._next < len(self._blocks):
                    self._buffer = self._blocks[self._next]
                else:
                    shape = (self.chunk, self.runs, self.d)
                    X = torch.randn(shape, generator=self._gen, dtype=torch.float64)
                    X = X.transpose(0, 1).to(self.device)
                    y, _ = _he(torch.einsum("rnd,rd->rn", X, self.w_star), self.k)
                    self._buffer = (X, y)
                    if self._blocks is not None:
                        self._blocks.append(self._buffer)
                self._next += 1
            X, y = self._buffer
            m = min(n, X.shape[1])
            self._buffer = (X[:, m:], y[:, m:])
            self.seen += m
            n -= m
            yield X[:, :m], y[:, :m]


def single_index_data(
    n: int, d: int, k: int, *, runs: int = 1, seed: int = 0, device: str | None = None,
    dtype: str = "float64",
):  # fmt: skip
    """The first ``n`` samples of :class:`SingleIndexStream` as one data set (torch, float64):
    X (runs, n, d) ~ N(0, I), y = He_k(<w*, x>)/sqrt(k!) (runs, n), and w* (runs, d), stored in
    ``dtype`` ("float64" or "float32"; the samples are drawn in float64). The stream's blocks
    are copied into one preallocated tensor, never concatenated: peak memory
    runs n (d + 1) b + 16 runs STREAM_CHUNK (d + 1) bytes, b the bytes of ``dtype``."""
    import torch

    n = _integer_at_least(n, "n", 1)
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    stream = SingleIndexStream(d, k, runs=runs, seed=seed, device=device)
    need = stream.runs * n * (stream.d + 1) * (8 if dtype == "float64" else 4)
    if need > MAX_DATA_BYTES:
        raise ValueError(
            f"n, d and runs must keep the data set (runs n (d + 1) bytes per number) below "
            f"{MAX_DATA_BYTES:.0e} bytes, got n = {n}, d = {d}, runs = {runs}"
        )
    # one copy: chunks are written into a preallocated tensor (no concatenation of all chunks)
    tdtype = getattr(torch, dtype)
    X = torch.empty(stream.runs, n, stream.d, dtype=tdtype, device=stream.device)
    y = torch.empty(stream.runs, n, dtype=tdtype, device=stream.device)
    i = 0
    for Xc, yc in stream.take(n):
        X[:, i : i + Xc.shape[1]], y[:, i : i + Xc.shape[1]] = Xc, yc
        i += Xc.shape[1]
    return X, y, stream.w_star


# ----------------------------------------------------------------------------------------------
# Algorithms, batched over runs (§2-4)
# ----------------------------------------------------------------------------------------------
def _sphere_step(w, direction):
    import torch

    w = w + direction
    # the kernel w.norm(dim=-1) dispatches to, called directly (once per chain step)
    return w / torch.linalg.vector_norm(w, dim=-1, keepdim=True)


def _tangent(v, w):
    return v - (v * w).sum(-1, keepdim=True) * w


#: the largest step online SGD accepts (a / d^{k*/2} with a <= 100 at d >= 2 stays below it)
MAX_SGD_LR = 1e3

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
    (its own stream of ``train.seed``, independent of the data) or from ``w0`` (runs, d) (a warm start). The samples come
    from ``stream`` if given (continuing it), else from a new :class:`SingleIndexStream` seeded by
    ``train.seed``. All runs advance in one tensor program. Returns (overlap trajectory
    (runs, n+1) of abs(<w_t, w*>), final w, w*)."""
    import torch

    TrainConfig.check(train)
    n, lr = _integer_at_least(n, "n", 1), train.lr
    if lr > MAX_SGD_LR:
        raise ValueError(f"train.lr must lie in (0, {MAX_SGD_LR:g}], got {lr!r}")
    if stream is None:
        stream = SingleIndexStream(d, k, runs=runs, seed=train.seed, device=train.device)
    elif (stream.d, stream.k, stream.runs) != (d, k, runs):
        raise ValueError("stream must have the same d, k and runs as the call")
    dev = stream.device
    if w0 is None:
        gen = _generator(train.seed, "sgd-start")
        w = torch.randn(runs, d, generator=gen, dtype=torch.float64).to(dev)
    else:
        w = torch.as_tensor(w0, dtype=torch.float64, device=dev).clone()
        if w.shape != (runs, d) or not bool(torch.isfinite(w).all()):
            raise ValueError(f"w0 must be a finite (runs, d) = {(runs, d)} array")
        if not bool((w.norm(dim=1) > 0).all()):
            raise ValueError("w0 must have a non-zero row for every run (a direction)")
    # the pass is sequential: tiny per-sample steps run faster in numpy than as torch kernels
    w_star = stream.w_star
    overlap, w = _sgd_stream(w.cpu().numpy(), stream, n, k, np.float64(lr), w_star.cpu().numpy())
    return overlap, torch.as_tensor(w, device=dev), w_star


def _sgd_steps(w, X, y, k: int, lr, ws, overlap, first: int):
    """Online SGD steps in numpy, one per sample of X (..., m, d) with labels y (..., m) (leading
    axes broadcast against those of w (..., d)): w <- normalise(w + lr y He_k'(<w, x>) P_w x).
    ``lr`` broadcasts against w[..., :1]; abs(<w, ws>) after step j goes to
    overlap[..., first + j] (nothing is recorded where ``overlap`` is None). Returns the final w."""
    for j in range(X.shape[-2]):
        w = _sgd_step(w, X[..., j, :], y[..., j], k, lr)
        if overlap is not None:
            overlap[..., first + j] = np.abs(np.einsum("...d,...d->...", w, ws))
    return w


def _sgd_step(w, x, y, k: int, lr):
    """One online-SGD step on the sample (x, y) (broadcast against w (..., d))."""
    dhe = _dhe(np.einsum("...d,...d->...", w, x), k)
    g = (y * dhe)[..., None] * x
    g = g - np.einsum("...d,...d->...", g, w)[..., None] * w
    w = w + lr * g
    return w / np.sqrt(np.einsum("...d,...d->...", w, w))[..., None]


def _sgd_stream(w, stream, n: int, k: int, lr, ws, at=None):
    """One pass of :func:`_sgd_steps` over the next ``n`` samples of ``stream`` (a
    :class:`SingleIndexStream`, or a list of them whose samples go to the leading axis of w)
    from the unit rows w (..., runs, d) (other leading axes, e.g. one per step size in ``lr``,
    share the samples). Returns (overlap trajectory (..., runs, n + 1), final w). With ``at``
    (sample counts in [1, n], n among them) the overlap is computed only after those samples
    (and at 0); the other entries of the trajectory are NaN, the recorded ones are the same
    numbers as with every step recorded."""
    w = w / np.sqrt(np.einsum("...d,...d->...", w, w))[..., None]
    if at is not None:
        return _sgd_stream_at(w, stream, n, k, lr, ws, np.asarray(at, dtype=np.int64))
    overlap = np.empty((*w.shape[:-1], n + 1))
    overlap[..., 0] = np.abs(np.einsum("...d,...d->...", w, ws))
    i = 0
    for X, y in _sgd_chunks(stream, n):
        w = _sgd_steps(w, X, y, k, lr, ws, overlap, i + 1)
        i += X.shape[-2]
    if not np.all(np.isfinite(overlap)):
        raise ValueError("the pass diverged: train.lr is too large for these data")
    return overlap, w


def _sgd_chunks(stream, n: int):
    """The next ``n`` samples of ``stream`` (or of a list of streams, side by side: their blocks
    have the same sizes) as numpy chunks (X (..., m, d), y (..., m))."""
    if isinstance(stream, SingleIndexStream):
        return ((Xt.cpu().numpy(), yt.cpu().numpy()) for Xt, yt in stream.take(n))
    return (
        (np.stack([X.cpu().numpy() for X, _ in parts])[:, None],
         np.stack([y.cpu().numpy() for _, y in parts])[:, None])
        for parts in zip(*(st.take(n) for st in stream), strict=True)
    )  # fmt: skip


def _sgd_stream_at(w, stream, n: int, k: int, lr, ws, at):
    """:func:`_sgd_stream` recording only after the sample counts ``at``: the same steps on the
    same samples (each chunk cut at the recorded counts inside it), one overlap per count
    instead of one per sample. A pass that diverges ends non-finite (NaN stays NaN under the
    step), so the check at the last count, n, sees what the check of every step saw."""
    if at.size == 0 or at[-1] != n or np.any(np.diff(at) <= 0) or at[0] < 1:
        raise ValueError(f"at must be increasing sample counts in [1, {n}] ending at n")
    overlap = np.full((*w.shape[:-1], n + 1), np.nan)
    overlap[..., 0] = np.abs(np.einsum("...d,...d->...", w, ws))
    i, j = 0, 0
    for X, y in _sgd_chunks(stream, n):
        lo, m = 0, X.shape[-2]
        while j < at.size and at[j] <= i + m:
            hi = int(at[j]) - i
            w = _sgd_steps(w, X[..., lo:hi, :], y[..., lo:hi], k, lr, ws, None, 0)
            overlap[..., at[j]] = np.abs(np.einsum("...d,...d->...", w, ws))
            lo, j = hi, j + 1
        if lo < m:
            w = _sgd_steps(w, X[..., lo:, :], y[..., lo:], k, lr, ws, None, 0)
        i += m
    if not np.all(np.isfinite(overlap[..., at])):
        raise ValueError("the pass diverged: train.lr is too large for these data")
    return overlap, w


def _sgd_step_sizes(n: int, d: int, k: int, lrs, runs: int, seed, at=None):
    """One pass of online SGD per step size in ``lrs`` over the same ``n`` samples (data seed
    ``seed``) from the same uniform start (the "sgd-start" stream of ``seed``): exactly the
    passes :func:`online_sgd` makes with train seed ``seed`` and each step size, run as one
    batched pass (the data are drawn once). Returns overlap trajectories (len(lrs), runs, n + 1);
    for a tuple of seeds, the passes of every seed in one batch: (len(seed), len(lrs), runs,
    n + 1). With ``at`` only the overlaps after those sample counts are computed (see
    :func:`_sgd_stream`)."""
    import torch

    seeds = seed if isinstance(seed, tuple) else (seed,)
    streams = [SingleIndexStream(d, k, runs=runs, seed=s) for s in seeds]
    w = np.stack([torch.randn(runs, d, generator=_generator(s, "sgd-start"),
                              dtype=torch.float64).numpy() for s in seeds])  # fmt: skip
    lr = np.asarray(lrs, dtype=float)[:, None, None]
    w = np.broadcast_to(w[:, None], (len(seeds), lr.shape[0], runs, d))
    ws = np.stack([st.w_star.cpu().numpy() for st in streams])[:, None]
    out = _sgd_stream(w, streams, n, k, lr, ws, at)[0]
    return out if isinstance(seed, tuple) else out[0]


def _check_data(X, y, w_star=None) -> None:
    """ValueError naming X, y or w_star unless X is (runs, n, d), y (runs, n) and w_star
    (runs, d), all finite (a NaN or inf in the data would make every estimate NaN)."""
    import torch

    if not (torch.is_tensor(X) and torch.is_tensor(y)):
        raise ValueError("X and y must be torch tensors (see single_index_data)")
    if X.ndim != 3 or y.shape != X.shape[:2]:
        raise ValueError(f"X must be (runs, n, d) and y (runs, n), got {tuple(X.shape)} and "
                         f"{tuple(y.shape)}")  # fmt: skip
    if not bool(torch.isfinite(X).all()):
        raise ValueError("X must be finite (no NaN or inf)")
    if not bool(torch.isfinite(y).all()):
        raise ValueError("y must be finite (no NaN or inf)")
    if float(X.abs().max()) > 1e30 or float(y.abs().max()) > 1e30:
        raise ValueError("X and y must have entries of magnitude <= 1e30")
    if w_star is not None:
        if not torch.is_tensor(w_star) or w_star.shape != (X.shape[0], X.shape[2]):
            raise ValueError(f"w_star must be a (runs, d) = {(X.shape[0], X.shape[2])} tensor")
        if not bool(torch.isfinite(w_star).all()):
            raise ValueError("w_star must be finite (no NaN or inf)")


@dataclass(frozen=True)
class LangevinRun:
    """Result of :func:`langevin`, recorded at ``steps``. Both running estimates are recorded
    for every chain: the direction of the running mean of the iterates and the top eigenvector
    of their running second moment; ``moment`` names the one the chain reports."""

    steps: Array  # (R,) recorded steps
    moment: int  # the reported estimate: 1 the running mean, 2 the running second moment
    batch: int | None  # None: full-batch gradients; b: minibatches of b samples per step
    iterate_overlap: Array  # (runs, R) |<w_t, w*>|
    mean_overlap: Array  # (runs, R) overlap of the running mean's direction (NaN in burn-in)
    second_moment_overlap: Array  # (runs, R) of the running second moment's top eigenvector
    estimate: Array  # (runs, d) the final reported estimate (unit vector)
    w_star: Array  # (runs, d)

    @property
    def average_overlap(self) -> Array:
        """(runs, R) overlap of the reported running estimate (``moment``)."""
        return self.mean_overlap if self.moment == 1 else self.second_moment_overlap

    def tail_change(self, fraction: float = 0.25) -> float:
        """Convergence diagnostic of the reported estimate: the mean over runs of
        abs(overlap at the end - overlap at (1 - fraction) of the window). A running estimate that
        has converged moves less than a fixed tolerance over the last part of its window."""
        if not 0 < fraction < 1:
            raise ValueError(f"fraction must lie in (0, 1), got {fraction!r}")
        j = int(np.searchsorted(self.steps, (1 - fraction) * self.steps[-1]))
        return float(np.mean(np.abs(self.average_overlap[:, -1] - self.average_overlap[:, j])))


#: the largest data set (bytes) of which a full-batch chain on a CPU keeps a transposed copy
LAYOUT_COPY_BYTES = 1e9
#: the smallest inverse temperature a chain accepts (its noise step sqrt(2 lr / beta) stays finite)
MIN_BETA = 1e-6
#: the largest Langevin step (a step of the sphere's own size already loses the dynamics)
MAX_LANGEVIN_LR = 1.0

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
    batch: int | None = None,
    train: TrainConfig | None = None,
) -> LangevinRun:
    """Spherical Langevin dynamics on the empirical objective Phi (§2), batched over the runs of
    X (runs, n, d):

        w <- normalise(w + lr g(w) + sqrt(2 lr / beta) P_w xi),   xi ~ N(0, I),

    with lr = ``train.lr`` for ``train.steps`` steps. With ``batch=None`` g is the full-batch
    Riemannian gradient grad_S Phi(w) (summed over slices of ``GRADIENT_CHUNK`` samples, so the
    temporaries stay O(runs chunk)) and the stationary law is ∝ exp(beta Phi(w)) on the sphere
    (up to O(lr)); with ``batch=b`` g is the same gradient on b samples drawn uniformly with
    replacement at each step (``batch=1``: the paper's batch-size-1 updates, §3.4). After
    ``burn_in`` steps the iterates are averaged: the running mean (the estimator of Theorem 2
    for odd k*) and the running second moment, whose top eigenvector is the estimate of
    Theorem 3 for even k* (§3); both are recorded, ``moment`` (1 or 2) picks the reported one.
    At records up to ``burn_in`` nothing has been averaged yet: the estimates' overlaps are NaN
    there (missing, not failed). The start, the noise and the minibatch indices come from streams spawned from
    ``train.seed`` (``_generator``), independent of the data whatever the seeds.
    Peak memory beyond X and y: O(runs (d^2 + min(n, chunk))), plus, for a full-batch chain on a
    CPU, a transposed copy of X where X is at most ``LAYOUT_COPY_BYTES``."""
    return _langevin(X, y, w_star, k, beta=beta, burn_in=burn_in, moment=moment,
                     records=records, batch=batch, train=train, second_moment=True)  # fmt: skip


def _langevin(
    X, y, w_star, k: int, *, beta: float, burn_in: int, moment: int, records: int,
    batch: int | None, train: TrainConfig | None, second_moment: bool,
) -> LangevinRun:  # fmt: skip
    """:func:`langevin`; with ``second_moment=False`` the running second moment is neither
    accumulated nor recorded (its overlaps stay NaN; only for ``moment=1``): a chain that reports
    its running mean then skips a (runs, d, d) update per step and an eigendecomposition per
    record, and every other number is the same."""
    import torch

    k = _integer_at_least(k, "k", 1)
    if k > MAX_K:
        raise ValueError(f"k must be an integer in [1, {MAX_K}], got {k!r}")
    beta = _in_range(beta, "beta", MIN_BETA, 1e12)
    train = TrainConfig.resolve(train, lambda: LANGEVIN_TRAIN)
    steps, lr = train.require_steps(), train.lr
    if lr > MAX_LANGEVIN_LR:
        raise ValueError(f"train.lr must lie in (0, {MAX_LANGEVIN_LR:g}], got {lr!r}")
    _check_data(X, y, w_star)
    if not (isinstance(burn_in, (int, np.integer)) and 0 <= burn_in < steps):
        raise ValueError(f"burn_in must be an integer in [0, steps), got {burn_in!r}")
    if moment not in (1, 2):
        raise ValueError(f"moment must be 1 or 2, got {moment!r}")
    if moment == 2 and not second_moment:
        raise ValueError("moment=2 needs the running second moment")
    if batch is not None:
        batch = _integer_at_least(batch, "batch", 1)
        if 8 * X.shape[0] * batch * X.shape[2] > MAX_BLOCK_BYTES:
            raise ValueError(f"batch must keep a minibatch (8 runs batch d bytes) below "
                             f"{MAX_BLOCK_BYTES:.0e} bytes, got {batch!r}")  # fmt: skip
    records = _integer_at_least(records, "records", 2)
    records = min(records, steps + 1)
    if X.shape[0] * X.shape[2] ** 2 * 8 > MAX_BLOCK_BYTES:
        raise ValueError(f"X's runs and d must keep the running second moment (runs d^2) below "
                         f"{MAX_BLOCK_BYTES:.0e} bytes, got shape {tuple(X.shape)}")  # fmt: skip
    dtype = getattr(torch, train.dtype) if train.dtype else X.dtype
    if X.dtype != dtype:  # a converted copy only where the dtype differs
        X, y = X.to(dtype), y.to(dtype)
    w_star = w_star.to(dtype)
    runs, n, d = X.shape
    dev = X.device
    # on a CPU, full-batch projections read a (runs, d, n) copy of X where it is small
    small = X.numel() * X.element_size() <= LAYOUT_COPY_BYTES
    Xt = X.transpose(1, 2).contiguous() if batch is None and dev.type == "cpu" and small else None
    start, noise = (
        _generator(train.seed, "langevin-start"),
        _generator(train.seed, "langevin-noise"),
    )
    pick = _generator(train.seed, "minibatch-index")
    w = torch.randn(runs, d, generator=start, dtype=torch.float64).to(dev, dtype)
    w /= w.norm(dim=1, keepdim=True)
    mean_total = torch.zeros(runs, d, dtype=dtype, device=dev)
    second_total = torch.zeros(runs, d, d, dtype=dtype, device=dev) if second_moment else None
    record = np.unique(np.linspace(0, steps, records).round().astype(int))
    it_over = np.empty((runs, record.size))
    m1_over = np.full((runs, record.size), np.nan)
    m2_over = np.full((runs, record.size), np.nan)
    estimate = torch.full((runs, d), float("nan"), dtype=dtype, device=dev)
    noise_scale = math.sqrt(2 * lr / beta)
    rows = torch.arange(runs, device=dev)[:, None]
    j = 0
    # the slices of X of the full-batch gradient, made once (the same views at every step)
    chunks = [
        (X[:, i : i + GRADIENT_CHUNK], y[:, i : i + GRADIENT_CHUNK],
         None if Xt is None else Xt[:, :, i : i + GRADIENT_CHUNK])
        for i in range(0, n, GRADIENT_CHUNK)
    ]  # fmt: skip
    recorded = record.tolist()  # python ints: compared at every step
    for t in tqdm(range(steps + 1), disable=not train.progress, desc="Langevin", leave=False):
        if t > burn_in:
            mean_total += w
            if second_total is not None:
                second_total.baddbmm_(w[:, :, None], w[:, None, :])
        if t == recorded[j]:
            if not bool(torch.isfinite(w).all()):
                raise ValueError("the chain diverged: X, y, beta or train.lr out of range")
            it_over[:, j] = (w * w_star).sum(1).abs().cpu().numpy()
            if t > burn_in:
                for total, over, m in ((mean_total, m1_over, 1), (second_total, m2_over, 2)):
                    if total is None:
                        continue
                    est = _estimate_from(total, m)
                    over[:, j] = (est * w_star).sum(1).abs().cpu().numpy()
                    if m == moment:
                        estimate = est
            j += 1
        if t == steps:
            break
        if batch is None:
            g = torch.zeros_like(w)
            for Xc, yc, Xtc in chunks:
                if Xtc is None:
                    z = torch.einsum("rnd,rd->rn", Xc, w)
                else:  # <w, x_i> as a row-times-matrix product: 3-8x faster than on (r, n, d)
                    z = torch.bmm(w[:, None, :], Xtc)[:, 0]
                dhe = _dhe(z, k)
                # sum_i (y_i He'(z_i)) x_i: the batched product einsum("rn,rnd->rd") computes
                # (the same bmm, without einsum's parsing at every step)
                g += torch.bmm((yc * dhe)[:, None, :], Xc)[:, 0]
            g /= n
        else:
            idx = torch.randint(0, n, (runs, batch), generator=pick).to(dev)
            Xb, yb = X[rows, idx], y[rows, idx]
            # the bmm products einsum("rnd,rd->rn") and einsum("rn,rnd->rd") run, unparsed
            dhe = _dhe(torch.bmm(Xb, w[:, :, None])[:, :, 0], k)
            g = torch.bmm((yb * dhe)[:, None, :], Xb)[:, 0] / batch
        xi = torch.randn(runs, d, generator=noise, dtype=torch.float64).to(dev, dtype)
        w = _sphere_step(w, lr * _tangent(g, w) + noise_scale * _tangent(xi, w))
    return LangevinRun(
        steps=record.astype(float),
        moment=moment,
        batch=batch,
        iterate_overlap=it_over,
        mean_overlap=m1_over,
        second_moment_overlap=m2_over,
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
    _check_data(X, y)
    d = X.shape[-1]
    return ((y * ((X**2).sum(-1) - d - 2))[..., None] * X).mean(-2)


def second_moment_estimator(X, y):
    """M = (1/n) sum_i y_i (||x_i||^2 - d - 4) x_i x_i', k* = 4 (§3.2): the anisotropic part of the
    first-order high-temperature Gibbs second moment E_0[w w' Phi(w)], whose mean is
    sqrt(24) w* w*'. Batched over the leading axis (torch); returns (..., d, d)."""
    import torch

    _check_data(X, y)
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


def hot_limit_overlap(X, y, w_star, k: int) -> float:
    """Mean over runs of abs(<estimate, w*>) for :func:`high_temperature_estimate` on a resident
    data set X (runs, n, d), accumulated over slices of ``GRADIENT_CHUNK`` samples so that its
    temporaries stay O(runs chunk d) (the value a hot averaged chain converges to, §3)."""
    import torch

    if k not in (3, 4):
        raise ValueError(f"k must be 3 or 4, got {k!r}")
    _check_data(X, y, w_star)
    runs, n, d = X.shape
    shape = (runs, d) if k == 3 else (runs, d, d)
    total = torch.zeros(shape, dtype=torch.float64, device=X.device)
    for i in range(0, n, GRADIENT_CHUNK):
        Xc, yc = X[:, i : i + GRADIENT_CHUNK].double(), y[:, i : i + GRADIENT_CHUNK].double()
        weight = yc * ((Xc**2).sum(-1) - d - (2 if k == 3 else 4))
        if k == 3:
            total += torch.einsum("rn,rnd->rd", weight, Xc)
        else:
            total += torch.einsum("rn,rnd,rne->rde", weight, Xc, Xc)
    est = _estimate_from(total, 1 if k == 3 else 2)
    return float((est * w_star.double()).sum(1).abs().mean())


def estimator_overlaps(
    d: int, k: int, ns: ArrayLike, *, runs: int = 16, seed: int = 0, device: str | None = None
) -> Array:
    """Overlap abs(<estimate, w*>) of :func:`high_temperature_estimate` after each n of the
    increasing grid ``ns``, streaming the samples (memory O(d^2) per run, not O(n d)); ``runs``
    independent problems. Returns (runs, len(ns))."""
    import torch

    if k not in (3, 4):
        raise ValueError(f"k must be 3 or 4, got {k!r}")
    grid = _sample_grid(ns)
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


def _sample_grid(ns: ArrayLike) -> np.ndarray:
    """``ns`` as a strictly increasing grid of integer sample sizes in [1, MAX_SAMPLES]
    (ValueError naming ``ns`` otherwise)."""
    f = np.atleast_1d(np.asarray(ns, dtype=float)) if _numeric(ns) else None
    if (
        f is None
        or f.ndim != 1
        or f.size == 0
        or not np.all(np.isfinite(f))
        or np.any(f < 1)
        or np.any(f > MAX_SAMPLES)
        or np.any(f != np.round(f))
        or np.any(np.diff(f) <= 0)
    ):
        raise ValueError(
            f"ns must be a strictly increasing grid of integers in [1, {MAX_SAMPLES:.0e}], "
            f"got {ns!r}"
        )
    return f.astype(np.int64)


def _numeric(x) -> bool:
    try:
        np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def _step_factors(lr_factors: ArrayLike) -> list[float]:
    """``lr_factors`` as a non-empty list of step factors in (0, 100] (ValueError naming it)."""
    arr = np.atleast_1d(np.asarray(lr_factors, dtype=object))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"lr_factors must list at least one factor in (0, 100], got {lr_factors!r}"
        )
    return [_in_range(a, "lr_factors", 0, 100, lo_open=True) for a in arr]


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


#: the largest sample size a sweep may ask for (a data set of that size would not fit memory)
MAX_SAMPLES = 10**10


def _grid(factors: ArrayLike, scale: float) -> Array:
    """Sample sizes max(2, round(factor * scale)); ValueError naming ``factors`` unless they are
    positive and finite and the sizes stay below ``MAX_SAMPLES``."""
    f = np.atleast_1d(np.asarray(factors, dtype=float))
    if f.size == 0 or not np.all(np.isfinite(f)) or np.any(f <= 0) or f.max() * scale > MAX_SAMPLES:
        raise ValueError(
            f"factors must be positive and finite with factor * d^(k/2) <= {MAX_SAMPLES:.0e}, "
            f"got {factors!r}"
        )
    return np.unique(np.maximum(2, np.round(f * scale)).astype(int))


def _dimensions(ds: ArrayLike) -> list[int]:
    """``ds`` as a list of integer dimensions >= 2 (ValueError naming ``ds`` otherwise)."""
    arr = np.atleast_1d(np.asarray(ds, dtype=float))
    if (
        arr.ndim != 1
        or arr.size == 0
        or not np.all(np.isfinite(arr))
        or np.any(arr < 2)
        or np.any(arr != np.round(arr))
        or np.any(arr > 10**6)
    ):
        raise ValueError(f"ds must list integer dimensions in [2, 1e6], got {ds!r}")
    return [int(d) for d in arr]


@reused
def estimator_sweep(
    k: int, ds: ArrayLike, factors: ArrayLike, *, runs: int = 16, seed: int = 0,
    progress: bool = False,
) -> ThresholdSweep:  # fmt: skip
    """:func:`estimator_overlaps` on n = factor * s(d) for each d (§4), with s(d) the closed-form
    threshold :func:`~theorybench.langevin_averaging.model.partial_trace_threshold` for k* = 3 (the grid is placed around it; the
    measured threshold is interpolated from the simulation) and d^2 for k* = 4: the hot averaged
    chain's limit, at dimensions where running the chain itself would take too long."""
    ds = _dimensions(ds)
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
    return _sgd_sweeps(k, ds, factors, lr_factors, runs, (seed,), progress)[0]


@reused
def sgd_sweeps(
    k: int, ds: ArrayLike, factors: ArrayLike, *, lr_factors: ArrayLike = (0.3, 1.0),
    runs: int = 16, seeds: tuple[int, ...] = (0,), progress: bool = False,
) -> list[ThresholdSweep]:  # fmt: skip
    """:func:`sgd_sweep` for every master seed of ``seeds``, their passes run side by side as
    one batched pass per d (online SGD's per-sample steps are the same numpy operations on a
    larger array): element i is ``sgd_sweep(..., seed=seeds[i])``, bit for bit."""
    try:
        seeds = tuple(_integer_at_least(s, "seeds", 0) for s in seeds)
    except TypeError:
        raise ValueError(f"seeds must be a sequence of integer seeds >= 0, got {seeds!r}") from None
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    return _sgd_sweeps(k, ds, factors, lr_factors, runs, seeds, progress)


def _sgd_sweeps(k, ds, factors, lr_factors, runs, seeds: tuple, progress) -> list[ThresholdSweep]:
    """:func:`sgd_sweeps` (and :func:`sgd_sweep`, one seed)."""
    k = _integer_at_least(k, "k", 1)
    ds = _dimensions(ds)
    lr_factors = _step_factors(lr_factors)
    ns, over = [], [[] for _ in seeds]
    for d in tqdm(ds, desc=f"online SGD k={k}", leave=False, disable=not progress):
        grid = _grid(factors, d ** (k / 2))
        # one batched pass per d: every step size (and seed) on the same samples (drawn once)
        # (overlaps read at the grid's n only: the pass records nothing in between)
        passes = _sgd_step_sizes(int(grid[-1]), d, k, [a / d ** (k / 2) for a in lr_factors],
                                 runs, tuple(s + d for s in seeds), at=grid)  # fmt: skip
        ns.append(grid)
        for out, trajectories in zip(over, passes, strict=True):
            out.append(
                np.stack([max((tr[:, n] for tr in trajectories), key=np.mean) for n in grid], 1)
            )
    return [ThresholdSweep("online SGD", k, ds, list(ns), out) for out in over]


#: offset of the data seed of the held-out data sets that choose the pipeline's step size
HELD_OUT_OFFSET = 104_729


#: the step factors a of the pipeline's online SGD (step a / d^{3/2}), chosen on held-out data
PIPELINE_LR_FACTORS = (0.25, 1.0)


def _pipeline_streams(d: int, n_max: int, runs: int, seed: int) -> list[SingleIndexStream]:
    """The held-out and the evaluation streams of the pipeline at dimension d, keeping their
    blocks where two data sets of ``n_max`` samples fit ``PIPELINE_KEEP_BYTES``."""
    keep = _pipeline_kept_bytes(runs, d, n_max) <= PIPELINE_KEEP_BYTES
    return [SingleIndexStream(d, 3, runs=runs, seed=s, keep=keep)
            for s in (seed + d + HELD_OUT_OFFSET, seed + d)]  # fmt: skip


def _pipeline_budget(d: int, n: int, lr_factors: list[float], runs: int, seed: int, streams=None):
    """The corollary's pipeline at budget n (see :func:`warm_start_pipeline`) on the held-out
    and the evaluation data sets at once: both are streamed side by side (never held whole),
    and online SGD runs every step size on both as one batched numpy pass (rows: data set x step
    size x run). Returns the evaluation data sets' (overlap after the pipeline with the step
    size of the best held-out mean, of the warm start alone, of the average of all n samples
    alone), each (runs,)."""
    import torch

    n1, m = max(1, n // 2), max(1, n - max(1, n // 2))
    if streams is None or streams[0]._blocks is None:
        streams = _pipeline_streams(d, n1 + m, runs, seed)
    else:
        for stream in streams:
            stream.rewind()
    sums = []
    for stream in streams:  # the warm start: the partial trace of the first n1 samples
        u = torch.zeros(runs, d, dtype=torch.float64, device=stream.device)
        for X, y in stream.take(n1):
            u += torch.einsum("rn,rnd->rd", y * ((X**2).sum(-1) - d - 2), X)
        sums.append(u)
    warm = torch.stack([_estimate_from(u, 1) for u in sums]).cpu().numpy()  # (2, runs, d)
    ws = np.stack([st.w_star.cpu().numpy() for st in streams])[:, None]  # (2, 1, runs, d)
    w = np.broadcast_to(warm[:, None], (2, len(lr_factors), runs, d))
    w = w / np.sqrt(np.einsum("...d,...d->...", w, w))[..., None]
    lr = (np.asarray(lr_factors, dtype=float) / d**1.5)[None, :, None, None]
    rest = n - n1  # the average alone uses the evaluation samples up to n
    for (X0, y0), (X1, y1) in zip(streams[0].take(m), streams[1].take(m), strict=True):
        if rest > 0:
            c = min(rest, X1.shape[1])
            sums[1] += torch.einsum("rn,rnd->rd", y1[:, :c] * ((X1[:, :c] ** 2).sum(-1) - d - 2),
                                    X1[:, :c])  # fmt: skip
            rest -= c
        Xs = np.stack([X0.cpu().numpy(), X1.cpu().numpy()])[:, None]  # (2, 1, runs, mc, d)
        ys = np.stack([y0.cpu().numpy(), y1.cpu().numpy()])[:, None]
        w = _sgd_steps(w, Xs, ys, 3, lr, None, None, 0)
    if not np.all(np.isfinite(w)):
        raise ValueError("the pass diverged: lr_factors are too large for these data")
    final = np.abs(np.einsum("sard,sard->sar", w, np.broadcast_to(ws, w.shape)))
    best = int(final[0].mean(-1).argmax())  # the step size with the best held-out mean
    alone = _estimate_from(sums[1], 1).cpu().numpy()
    return final[1, best], np.abs((warm[1] * ws[1, 0]).sum(-1)), np.abs((alone * ws[1, 0]).sum(-1))


def _pipeline_grid(d: int, grid: Array, lr_factors: list[float], runs: int, seed: int):
    """:func:`_pipeline_budget` at every n of ``grid``: three (runs, len(grid)) arrays."""
    streams = _pipeline_streams(d, int(grid[-1]) + 1, runs, seed)
    out = [_pipeline_budget(d, int(n), lr_factors, runs, seed, streams) for n in grid]
    return tuple(np.stack(col, 1) for col in zip(*out, strict=True))


def warm_start_pipeline(
    d: int,
    ns: ArrayLike,
    *,
    lr_factors: ArrayLike = PIPELINE_LR_FACTORS,
    runs: int = 16,
    seed: int = 0,
) -> tuple[Array, Array]:
    """The corollary's pipeline for k* = 3 (§3.3): of a budget of n samples, the first n/2 give
    the averaged estimate (the hot chain's limit, :func:`partial_trace_estimator`) and the other
    n/2, fresh, feed online SGD started there, with step a / d^{3/2}. The step is chosen on
    held-out data sets (data seed + ``HELD_OUT_OFFSET``: the a in ``lr_factors`` with the best
    mean final overlap there) and scored on the evaluation data sets (data seed seed + d), so
    the selection never sees the runs it is scored on. Returns (overlap after the pipeline,
    overlap of the warm start alone), each (runs, len(ns))."""
    d = _integer_at_least(d, "d", 2)
    runs = _integer_at_least(runs, "runs", 1)
    grid = _sample_grid(ns)
    lr_factors = _step_factors(lr_factors)
    after, start, _ = _pipeline_grid(d, grid, lr_factors, runs, seed)
    return after, start


@reused
def pipeline_sweep(
    ds: ArrayLike, factors: ArrayLike, *, runs: int = 16, seed: int = 0, progress: bool = False
) -> tuple[ThresholdSweep, ThresholdSweep]:
    """:func:`warm_start_pipeline` on n = factor * d^{3/2} for each d, against the average alone
    using all n samples (the partial trace of the evaluation data sets' first n samples: the
    pipeline's warm start uses their first n/2). Returns (pipeline, average alone)."""
    ds = _dimensions(ds)
    ns, after, alone = [], [], []
    for d in tqdm(ds, desc="pipeline", leave=False, disable=not progress):
        grid = _grid(factors, d**1.5)
        ns.append(grid)
        a, _, al = _pipeline_grid(d, grid, list(PIPELINE_LR_FACTORS), runs, seed)
        after.append(a)
        alone.append(al)
    return (
        ThresholdSweep("warm start + online SGD", 3, ds, ns, after),
        ThresholdSweep("average alone", 3, ds, ns, alone),
    )


@dataclass(frozen=True)
class ChainThresholds:
    """Result of :func:`chain_thresholds`: for each d, its grid ``ns[i]``, the final overlap of
    each chain's running mean ``chain[i]`` (runs, len(ns[i])), the overlap of the hot limit on
    the same data ``hot[i]`` (same shape), and the mean change of the running mean over the last
    quarter of the window, ``tail[i]`` (len(ns[i]),); the mean over runs of the running mean's
    overlap at the recorded ``steps``, ``trajectory[i]`` (len(ns[i]), len(steps))."""

    ds: list[int]
    ns: list[Array]
    chain: list[Array]
    hot: list[Array]
    tail: list[Array]
    steps: Array  # (R,) the recorded steps of the chains
    trajectory: list[Array]  # (len(ns[i]), R) mean over runs of the running mean's overlap
    burn_in: int  # steps before the running mean starts (its overlap is NaN up to there)

    def thresholds(self, target: float = 0.5) -> tuple[Array, Array]:
        """n at which the mean overlap reaches ``target`` per d: (from the chains, from the hot
        limits on the same data); inf where never reached."""
        out = []
        for rows in (self.chain, self.hot):
            _, thr = threshold_exponent(self.ds, self.ns, [r.mean(0) for r in rows], target)
            out.append(thr)
        return out[0], out[1]


#: records of the chains of :func:`chain_thresholds` (every 50 steps of a 6,000-step window)
CHAIN_RECORDS = 121
#: the chains of :func:`chain_thresholds`: 6,000 full-batch steps of 0.1 in float32
CHAIN_THRESHOLD_TRAIN = TrainConfig(steps=6000, lr=0.1, dtype="float32")


@reused
def chain_thresholds(
    ds: ArrayLike = (12, 16, 24), factors: ArrayLike = (0.25, 0.5, 1.0, 2.0, 4.0), *,
    runs: int = 16, beta_per_d: float = 0.5, burn_in_fraction: float = 0.0, seed: int = 0,
    train: TrainConfig | None = None,
) -> ChainThresholds:  # fmt: skip
    """k* = 3 sample-complexity thresholds measured on the chains themselves (§5): for each d,
    n = factor * (closed-form threshold :func:`~theorybench.langevin_averaging.model.partial_trace_threshold`),
    ``runs`` data sets per n, one full-batch hot chain each (beta = ``beta_per_d`` d), reporting
    its running mean after the window of ``train``; beside it, the hot limit on the same data.
    All n of one d run in one batched chain: the data sets are padded with zero samples to the
    largest n and their labels scaled by n_max / n, which leaves every gradient and every hot
    limit exactly as on its own n samples. The recorded running-mean overlaps (``trajectory``) are
    NaN at records up to the burn-in (nothing averaged yet: missing, not failed)."""
    import torch

    train = TrainConfig.resolve(train, lambda: CHAIN_THRESHOLD_TRAIN)
    steps = train.require_steps()
    beta_per_d = _positive(beta_per_d, "beta_per_d")
    runs = _integer_at_least(runs, "runs", 1)
    if not 0 <= burn_in_fraction < 1:
        raise ValueError(f"burn_in_fraction must lie in [0, 1), got {burn_in_fraction!r}")
    ds = _dimensions(ds)
    ns, chain, hot, tail, trajectory = [], [], [], [], []
    for d in ds:
        grid = _grid(factors, float(partial_trace_threshold(d)))
        m = int(grid[-1])
        X = torch.zeros(grid.size * runs, m, d, dtype=torch.float32)
        y = torch.zeros(grid.size * runs, m, dtype=torch.float32)
        w_star = torch.empty(grid.size * runs, d, dtype=torch.float32)
        for j, n in enumerate(grid):
            Xn, yn, wn = single_index_data(int(n), d, 3, runs=runs, seed=seed + 1000 * d + j,
                                           dtype="float32")  # fmt: skip
            rows = slice(j * runs, (j + 1) * runs)
            X[rows, : int(n)], y[rows, : int(n)], w_star[rows] = (
                Xn.cpu(),
                yn.cpu() * (m / n),
                wn.cpu(),
            )
        # the running mean is all this reads: the chain skips the running second moment
        run = _langevin(X, y, w_star, 3, beta=beta_per_d * d,
                        burn_in=int(burn_in_fraction * steps), moment=1, records=CHAIN_RECORDS,
                        batch=None, train=train.replace(seed=seed + d), second_moment=False)  # fmt: skip
        final = run.mean_overlap[:, -1].reshape(grid.size, runs).T
        trajectory.append(run.mean_overlap.reshape(grid.size, runs, -1).mean(1))
        j75 = int(np.searchsorted(run.steps, 0.75 * run.steps[-1]))
        change = np.abs(run.mean_overlap[:, -1] - run.mean_overlap[:, j75]).reshape(grid.size, runs)
        limits = np.empty((runs, grid.size))
        for j in range(grid.size):
            rows = slice(j * runs, (j + 1) * runs)
            u = partial_trace_estimator(X[rows].double(), y[rows].double())
            limits[:, j] = (
                ((u / u.norm(dim=1, keepdim=True)) * w_star[rows].double()).sum(1).abs().numpy()
            )
        ns.append(grid)
        chain.append(final)
        hot.append(limits)
        tail.append(change.mean(1))
    return ChainThresholds(ds, ns, chain, hot, tail, run.steps, trajectory,
                           int(burn_in_fraction * steps))  # fmt: skip


def _settled_threshold(ns: Array, mean: Array, target: float = 0.5) -> float:
    """The n from which the mean overlap ``mean`` (on the increasing grid ``ns``) stays at or
    above ``target``: log-interpolated between the last grid point below it and the next;
    ns[0] if none is below, inf if the last one is (a threshold that a fluctuation above the
    target before the curve has settled cannot make smaller)."""
    below = np.nonzero(mean < target)[0]
    if below.size == 0:
        return float(ns[0])
    j = int(below[-1])
    if j == mean.size - 1:
        return float("inf")
    frac = (target - mean[j]) / (mean[j + 1] - mean[j])
    return float(np.exp(np.log(ns[j]) + frac * (np.log(ns[j + 1]) - np.log(ns[j]))))


@dataclass(frozen=True)
class EqualCompute:
    """Result of :func:`equal_compute` (k* = 3), one entry per d of ``ds``. Costs count
    per-sample gradient evaluations: one evaluation of y He_k'(<w, x>) x for one sample at one
    point w (about 4d floating-point operations); a full-batch Langevin step on n samples costs n,
    online SGD costs one per sample."""

    ds: list[int]
    chain_samples: Array  # n from which the converged chains' mean overlap stays >= 1/2
    chain_evaluations: Array  # the cheapest (n x steps) at which the chains' mean reaches 1/2
    chain_n: Array  # the n of that cheapest pair
    chain_steps: Array  # its steps (first recorded step with mean running-mean overlap >= 1/2)
    chain_tail: Array  # the chains' convergence diagnostic (ChainThresholds.tail, mean over n)
    sgd_samples: Array  # n (= evaluations) from which online SGD's mean overlap stays >= 1/2
    sgd_overlap: Array  # online SGD's mean overlap after min(chain_evaluations, horizon) samples
    sgd_horizon: Array  # the samples online SGD was given
    sgd_lr_factor: Array  # its step a / d^{3/2}, a chosen on held-out data sets


#: online SGD's step factors a (step a / d^{3/2}) in :func:`equal_compute`
EQUAL_COMPUTE_LR_FACTORS = (0.1, 0.3, 1.0)
#: online SGD's horizon in :func:`equal_compute`, in units of d^2 samples
EQUAL_COMPUTE_HORIZON = 60


@reused  # the notebook and a test make the same call (on the same chains)
def equal_compute(chains: ChainThresholds, *, seed: int = 0) -> EqualCompute:
    """Averaging against online SGD at equal samples and at equal computation, measured (k* = 3,
    §5), on the chains of :func:`chain_thresholds` (``chains``; thresholds where the chains'
    mean overlap settles at or above 1/2). Online SGD runs one pass of
    ``EQUAL_COMPUTE_HORIZON`` d^2 fresh samples, as many data sets as the chains have per n,
    with the step of ``EQUAL_COMPUTE_LR_FACTORS`` whose mean overlap settles above 1/2 first on
    held-out data sets (data seed ``seed`` + d + ``HELD_OUT_OFFSET``), scored on the data sets
    of data seed ``seed`` + d. Both thresholds are where the mean overlap settles at or above 1/2
    (``_settled_threshold``). The chain's cost is the cheapest n x t over its grid, t the
    first recorded step at which the chains' mean running mean reaches 1/2, burn-in included
    (generous to the chain: the n and the window are picked after the fact). A threshold or a
    cost is inf where the mean overlap never gets there (on the grid, in the window, or within
    the horizon)."""
    if not isinstance(chains, ChainThresholds):
        raise ValueError(f"chains must be a ChainThresholds result, got {type(chains).__name__}")
    seed = _integer_at_least(seed, "seed", 0)
    out: dict[str, list] = {f: [] for f in EqualCompute.__dataclass_fields__ if f != "ds"}
    for i, d in enumerate(chains.ds):
        ns = chains.ns[i].astype(float)
        out["chain_samples"].append(_settled_threshold(ns, chains.chain[i].mean(0)))
        costs = []
        for j, n in enumerate(ns):
            hit = np.nonzero(np.nan_to_num(chains.trajectory[i][j]) >= 0.5)[0]
            t = chains.steps[hit[0]] if hit.size else np.inf
            costs.append((n * t, n, t))
        cost, n_best, t_best = min(costs)
        out["chain_evaluations"].append(cost)
        out["chain_n"].append(n_best)
        out["chain_steps"].append(t_best)
        out["chain_tail"].append(float(chains.tail[i].mean()))
        runs, horizon = chains.chain[i].shape[0], EQUAL_COMPUTE_HORIZON * d * d
        grid = np.arange(1, horizon + 1, dtype=float)
        lrs = [a / d**1.5 for a in EQUAL_COMPUTE_LR_FACTORS]
        # held-out and evaluation data sets, every step size, in one batched pass
        held, scored = _sgd_step_sizes(horizon, d, 3, lrs, runs,
                                       (seed + d + HELD_OUT_OFFSET, seed + d)).mean(2)  # fmt: skip
        settle = [_settled_threshold(grid, m[1:]) for m in held]
        best = min(range(len(lrs)), key=lambda a: (settle[a], -held[a, -1]))
        mean = scored[best]
        out["sgd_samples"].append(_settled_threshold(grid, mean[1:]))
        out["sgd_overlap"].append(float(mean[int(min(cost, horizon))]))
        out["sgd_horizon"].append(float(horizon))
        out["sgd_lr_factor"].append(EQUAL_COMPUTE_LR_FACTORS[best])
    return EqualCompute(list(chains.ds), **{f: np.array(v, dtype=float) for f, v in out.items()})


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
