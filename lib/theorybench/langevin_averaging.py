r"""Langevin dynamics with iterate averaging for single-index models and tensor PCA.

Sources: "Improved high-dimensional estimation with Langevin dynamics and stochastic weight
averaging" (arXiv 2603.06028, ICLR 2026) [LSWA26]; Ben Arous, Gheissari & Jagannath 2021
(online SGD, arXiv 2003.10409) [BGJ21]; Damian, Nichani, Ge & Lee 2023 (smoothing,
arXiv 2305.10633) [DNGL23]. Theory page: ``theory/langevin_averaging.md`` (cited as §N).

Single-index model (§1): x ~ N(0, I_d), y = sigma*(<w*, x>) with ||w*|| = 1. The information
exponent k* of sigma* is the index of its first non-zero Hermite coefficient (probabilists'
Hermite polynomials He_k). The experiments use the normalised link He_k(z)/sqrt(k!) and the
correlation objective Phi(w) = (1/n) sum_i y_i He_k(<w, x_i>)/sqrt(k!) on the sphere, whose
population value is <w, w*>^k.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import hermite_e
from numpy.typing import ArrayLike, NDArray

from ._checks import integer_at_least as _integer_at_least
from ._checks import positive as _positive

__all__ = [
    "LangevinRun",
    "SweepResult",
    "batch_speedup",
    "experiment_size",
    "explorer",
    "hermite_coefficients",
    "information_exponent",
    "langevin",
    "online_sgd",
    "partial_trace_estimator",
    "partial_trace_overlap",
    "plot_collapse",
    "plot_trajectories",
    "predicted_exponents",
    "single_index_data",
    "spiked_tensor",
    "sweep",
    "threshold_exponent",
    "threshold_rows",
]

Array = NDArray[np.float64]


# ----------------------------------------------------------------------------------------------
# Hermite tools (§1)
# ----------------------------------------------------------------------------------------------
def hermite_coefficients(link: Callable[[Array], Array], kmax: int, points: int = 120) -> Array:
    """c_k = E[sigma(z) He_k(z)] / k!, k = 0..kmax, so that sigma = sum_k c_k He_k (§1).

    Gauss-Hermite quadrature for the weight e^{-z^2/2} (numpy's hermegauss, ``points`` nodes;
    exact for polynomial links of degree < 2 points - kmax).
    """
    kmax = _integer_at_least(kmax, "kmax", 0)
    points = _integer_at_least(points, "points", 2)
    z, weights = hermite_e.hermegauss(points)
    weights = weights / np.sqrt(2 * np.pi)
    values = np.asarray(link(z), dtype=float)
    coeffs = []
    for k in range(kmax + 1):
        he_k = hermite_e.hermeval(z, [0] * k + [1])
        coeffs.append(np.sum(weights * values * he_k) / math.factorial(k))
    return np.array(coeffs)


def information_exponent(link: Callable[[Array], Array], kmax: int = 12, tol: float = 1e-8) -> int:
    """k* = min{k >= 1 : c_k != 0} (abs(c_k) > tol relative to the link's L2 norm) (§1)."""
    c = hermite_coefficients(link, kmax)
    norm = math.sqrt(sum(math.factorial(k) * ck**2 for k, ck in enumerate(c))) or 1.0
    for k in range(1, kmax + 1):
        if abs(c[k]) > tol * norm:
            return k
    raise ValueError(f"no non-zero Hermite coefficient of order 1..{kmax}: k* > kmax")


def predicted_exponents(k: int) -> dict[str, float]:
    """Sample-complexity exponents a in n ~ d^a (§2-4): online SGD max(1, k-1) [BGJ21];
    smoothing and averaged Langevin k/2 (at least 1) [DNGL23, LSWA26]; and the high-temperature
    limit of averaging (the partial trace, §4): (k+1)/2 for odd k."""
    k = _integer_at_least(k, "k", 1)
    return {
        "online SGD": float(max(1, k - 1)),
        "smoothing / averaged Langevin": max(1.0, k / 2),
        "partial trace (odd k)": (k + 1) / 2 if k % 2 else float("nan"),
    }


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

    from .device import device as pick_device

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

    from .device import device as pick_device

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


def partial_trace_overlap(n: ArrayLike, d: ArrayLike) -> Array:
    """Leading-order overlap of the partial-trace estimator for the He_3 link (§4):

        <u/||u||, w*> ~ sqrt(6) / sqrt(6 + (d - 1)(2d + 64)/n),

    from its signal E u = sqrt(6) w* and per-coordinate noise variance (2d + 64)/n orthogonal
    to w*. It reaches 1/2 at n = (d - 1)(2d + 64)/18: exponent 2 = (k*+1)/2 asymptotically,
    but a local slope near 1.5 for d between 16 and 64."""
    n, d = np.asarray(n, dtype=float), np.asarray(d, dtype=float)
    if np.any(n <= 0) or np.any(d < 2):
        raise ValueError("n must be > 0 and d >= 2")
    return np.sqrt(6) / np.sqrt(6 + (d - 1) * (2 * d + 64) / n)


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


def experiment_size() -> dict[str, object]:
    """Sizes at the current ``THEORYBENCH_SCALE``."""
    from .device import by_scale

    return by_scale(
        ci={
            "ds": [16, 32, 64],
            "factors": [0.5, 1, 2, 4, 8, 16],
            "langevin_max_factor": 8,
            "runs": 24,
            "steps": 1000,
        },
        full={
            "ds": [32, 64, 128, 256],
            "factors": [0.25, 0.5, 1, 2, 4, 8, 16],
            "runs": 64,
            "steps": 6000,
        },
    )


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


def threshold_exponent(
    ds: ArrayLike, ns: list[ArrayLike], overlaps: list[ArrayLike], target: float = 0.5
) -> tuple[float, Array]:
    """Fit a in n_target ~ d^a (§5): for each d, the sample size at which the mean overlap first
    reaches ``target`` (linear interpolation in log n between grid points), then a least-squares
    line through (log d, log n_target). Returns (a, n_target per d); NaN where never reached."""
    if not 0 < target < 1:
        raise ValueError(f"target must lie in (0, 1), got {target!r}")
    ds = np.asarray(ds, dtype=float)
    if ds.ndim != 1 or ds.size < 2 or len(ns) != ds.size or len(overlaps) != ds.size:
        raise ValueError("need at least two d values, with one n grid and overlap row per d")
    thresholds = np.full(ds.size, np.nan)
    for i, (n, o) in enumerate(zip(ns, overlaps, strict=True)):
        n, o = np.asarray(n, dtype=float), np.asarray(o, dtype=float)
        above = np.nonzero(o >= target)[0]
        if above.size == 0:
            continue
        j = int(above[0])
        if j == 0:
            thresholds[i] = n[0]
            continue
        frac = (target - o[j - 1]) / (o[j] - o[j - 1])
        thresholds[i] = np.exp(np.log(n[j - 1]) + frac * (np.log(n[j]) - np.log(n[j - 1])))
    ok = np.isfinite(thresholds)
    if ok.sum() < 2:
        return float("nan"), thresholds
    slope = np.polyfit(np.log(ds[ok]), np.log(thresholds[ok]), 1)[0]
    return float(slope), thresholds


def threshold_rows(result: SweepResult, target: float = 0.5) -> list[str]:
    """Text rows: the fitted exponent of each algorithm against the predicted ones."""
    pred = predicted_exponents(result.k)
    rows = [f"k* = {result.k}; predicted: " + ", ".join(f"{m} {a:g}" for m, a in pred.items())]
    for name, over in result.overlaps.items():
        a, thr = threshold_exponent(result.ds, result.ns, over, target)
        shown = ", ".join("never" if not np.isfinite(t) else f"{t:.0f}" for t in thr)
        fitted = f"{a:.2f}" if np.isfinite(thr).all() else "not fitted (not reached at every d)"
        rows.append(f"{name:>22}: n for overlap {target} = [{shown}], exponent {fitted}")
    return rows


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


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def plot_collapse(result: SweepResult) -> object:
    """Mean overlap against n / d^{k/2} (left) and n / d^{k-1} (right) for every d: curves that
    collapse in one scaling share that sample-complexity exponent."""
    from .plotting import COLORS, CYCLE, figure

    fig, axes = figure(2, width=10.0, height=3.6)
    styles = {"averaged Langevin": "-", "Langevin last iterate": ":", "online SGD": "--"}
    for ax, power, label in (
        (axes[0], result.k / 2, r"$n / d^{k^*/2}$"),
        (axes[1], result.k - 1, r"$n / d^{k^*-1}$"),
    ):
        for i, d in enumerate(result.ds):
            for name, style in styles.items():
                ax.plot(
                    result.ns[i] / d**power,
                    result.overlaps[name][i],
                    style,
                    marker="o",
                    ms=3,
                    color=CYCLE[i],
                    label=f"{name}, d = {d}" if ax is axes[0] else None,
                )
        ax.axhline(0.5, color=COLORS["muted"], lw=0.8)
        ax.set(xscale="log", xlabel=label, ylabel="overlap |<w, w*>|", ylim=(0, 1))
    axes[0].legend(fontsize=6, ncol=3, loc="upper left")
    axes[0].set_title("scaled by the averaged-Langevin rate")
    axes[1].set_title("scaled by the online-SGD rate")
    return fig


def plot_trajectories(run: LangevinRun, sgd_overlap: Array, lr: float) -> object:
    """Overlap against time for one data set: Langevin iterates, their running average, and
    online SGD (x: samples seen for SGD, Langevin steps for Langevin)."""
    from .plotting import COLORS, figure

    fig, (ax,) = figure(1, width=7.0, height=3.4)
    t = np.arange(run.last_overlap.shape[1])
    ax.plot(t, run.last_overlap.mean(0), color=COLORS["muted"], lw=1, label="Langevin iterate")
    ax.plot(
        t,
        run.average_overlap.mean(0),  # NaN during the burn-in, for every run alike
        color=COLORS["experiment"],
        lw=2,
        label="running average",
    )
    s = np.arange(sgd_overlap.shape[1])
    ax.plot(
        s,
        sgd_overlap.mean(0),
        color=COLORS["theory"],
        lw=1.5,
        ls="--",
        label="online SGD (samples seen)",
    )
    ax.set(xlabel="step", ylabel="mean overlap", ylim=(0, 1), title="one sample size")
    ax.legend(fontsize=8)
    return fig


EXPLORER_MAX_N = 4096  # keeps one re-run of the explorer near a second on a laptop CPU


def explorer() -> object:
    """Sliders k* in {3, 4}, d, n / d^{k*/2} (n capped at EXPLORER_MAX_N; the title shows n),
    inverse temperature beta / d and burn-in: one batched
    Langevin run (8 data sets) against online SGD with the same n; overlap against time."""
    from . import widgets
    from .plotting import COLORS, figure

    fig, (ax,) = figure(1, width=7.5, height=3.4)
    (it,) = ax.plot([], [], color=COLORS["muted"], lw=1, label="Langevin iterate")
    (av,) = ax.plot([], [], color=COLORS["experiment"], lw=2, label="running average")
    (sg,) = ax.plot([], [], color=COLORS["theory"], lw=1.5, ls="--", label="online SGD")
    ax.set(xlabel="step (Langevin) / samples seen (SGD)", ylabel="mean overlap", ylim=(0, 1))
    ax.legend(fontsize=8, loc="upper left")

    def update(k: int, d: int, factor: float, beta_per_d: float, burn: float) -> None:
        n = min(EXPLORER_MAX_N, max(2, int(round(factor * d ** (k / 2)))))
        X, y, w_star = single_index_data(n, d, k, runs=8, seed=0)
        steps = 500
        run = langevin(X, y, w_star, k, beta=beta_per_d * d, steps=steps, burn_in=int(burn * steps))
        sgd, _, _ = online_sgd(n, d, k, lr=1 / d ** (k / 2), runs=8, seed=0)
        t = np.arange(steps + 1)
        it.set_data(t, run.last_overlap.mean(0))
        av.set_data(
            t,
            run.average_overlap.mean(0),
        )
        sg.set_data(np.arange(n + 1) * steps / n, sgd.mean(0))
        ax.set_xlim(0, steps)
        ax.set_title(
            f"k* = {k}, d = {d}, n = {n}: average {run.average_overlap[:, -1].mean():.2f}, "
            f"SGD {sgd[:, -1].mean():.2f}"
        )

    controls = {
        "k": widgets.choice("k*", [3, 4], 3),
        "d": widgets.choice("d", [16, 32, 64], 32),
        "factor": widgets.slider("n / d^{k*/2}", 0.25, 16.0, 4.0, log=True),
        "beta_per_d": widgets.slider("β / d", 0.0625, 4.0, 0.25, log=True),
        "burn": widgets.slider("burn-in fraction", 0.0, 0.9, 0.25, step=0.05),
    }
    static = {"d": [16, 32], "factor": [1.0, 4.0, 16.0]}
    caption = (
        "Spherical Langevin dynamics on the empirical objective: single iterates (grey) "
        "against their running average (orange) and online SGD on the same number of "
        "samples (blue, time rescaled)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)
