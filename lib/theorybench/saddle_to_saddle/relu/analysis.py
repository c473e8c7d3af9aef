"""What a ReLU run (relu.training: one teacher, several starts) is compared with (§9-10): plain
functions of the run's data. The single-unit plateau of a seed is read from the level it is
predicted at -- among the plateaus the loss curve shows, the one whose level is nearest the
loss of the width-1 fixed point the first escape leads to -- so it is found for any number of
ramps or kernels, wherever in the run it lies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ... import _checks
from .._shared.inputs import Array
from ..plateaus import Plateaus, detect_plateaus, plateau_middles
from .closed_forms import (
    best_single_unit,
    first_fixed_point,
    relu_escape,
    relu_plateau_levels,
    unit_escape,
)
from .training import ConvReluRun, ReluRun, UnitRun

__all__ = [
    "EXACT_FIT",
    "unit_run_plateaus",
    "unit_run_escaped",
    "unit_run_predicted_levels",
    "unit_run_first_escape",
    "unit_run_fixed_point",
    "unit_run_single_unit",
    "unit_run_second_escape",
    "unit_plateau_span",
    "unit_plateau_record",
    "unit_plateau_level",
    "end_distance",
    "plateau_distance",
    "escape_growth",
    "escape_alignment",
    "hessian_min_eigenvalue",
    "first_transition_slope",
    "relu_kinks_at",
    "relu_fixed_point_functions",
    "relu_plateau_fixed_points",
    "conv_relu_kernel_strengths",
    "conv_relu_kernel_alignment",
]

#: a seed reaches the exact fit when its final loss is at most this share of its initial loss
EXACT_FIT = 1e-4


#: per run (by identity, the last few): what several functions read (the searches are slow)
_CACHE: dict[int, tuple[UnitRun, dict[str, Any]]] = {}


def _cached(run: UnitRun, key: str, compute: Callable[[], Any]) -> Any:
    entry = _CACHE.get(id(run))
    if entry is None or entry[0] is not run:
        while len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        entry = _CACHE[id(run)] = (run, {})
    if key not in entry[1]:
        entry[1][key] = compute()
    return entry[1][key]


def _run(run: UnitRun) -> UnitRun:
    if not isinstance(run, UnitRun):
        raise ValueError(f"run must be a ReluRun or ConvReluRun, got {type(run).__name__}")
    return run


def _fraction(value: float, name: str, *, open_low: bool = False) -> float:
    v = float(value)
    if not (np.isfinite(v) and (0 < v if open_low else 0 <= v) and v <= 1):
        raise ValueError(f"{name} must lie in {'(' if open_low else '['}0, 1], got {value!r}")
    return v


def _function(run: UnitRun, i: int, j: int) -> Array:
    return np.maximum(run.Z @ run.W[i, j].T, 0.0) @ run.a[i, j]


def _sizes(run: UnitRun, i: int, j: int) -> Array:
    return np.abs(run.a[i, j]) * np.linalg.norm(run.W[i, j], axis=-1)


def unit_run_plateaus(run: UnitRun) -> list[Plateaus]:
    """Per seed, the transitions and plateau levels detect_plateaus reads off the loss curve (none
    for a run of fewer than five records)."""
    run = _run(run)

    def read(L: Array) -> Plateaus:
        if L.size < 5:
            return Plateaus(transition_times=np.empty(0), levels=L[:1].copy())
        return detect_plateaus(run.time, L)

    return _cached(run, "plateaus", lambda: [read(L) for L in run.loss])


def unit_run_predicted_levels(run: UnitRun) -> Array:
    """The predicted levels (§9.2, §10.1): the origin (1/2N) sum y^2 and the loss of the width-1
    fixed point the first escape leads to (relu_plateau_levels for a ramp teacher; the best
    single unit for a convolution), then 0 (the exact fit)."""
    run = _run(run)
    if isinstance(run, ReluRun):
        return np.r_[relu_plateau_levels(run.x, run.kinks, run.slopes, run.sides), 0.0]
    return np.array([0.5 * float(np.mean(run.y**2)), unit_run_fixed_point(run)[-1], 0.0])


def _predicted_levels(run: UnitRun) -> Array:
    return _cached(run, "levels", lambda: unit_run_predicted_levels(run))


def unit_run_first_escape(run: UnitRun) -> tuple:
    """The escape from the origin (§9.2): relu_escape of the teacher (rate, angle, sign) for a
    ramp teacher, unit_escape (rate, direction, sign) for a convolution."""
    run = _run(run)
    if isinstance(run, ReluRun):
        return relu_escape(run.x, run.y)
    return unit_escape(run.Z, run.y)


def unit_run_fixed_point(run: UnitRun) -> tuple:
    """The width-1 fixed point of the first plateau after the origin: for a ramp teacher
    first_fixed_point as a ramp (kink, side, slope, loss) -- ValueError if it is a constant
    unit --; for a convolution best_single_unit (direction, output weight, loss)."""
    run = _run(run)
    return _cached(run, "fixed_point", lambda: _fixed_point(run))


def _fixed_point(run: UnitRun) -> tuple:
    if isinstance(run, ReluRun):
        angle, a, loss = first_fixed_point(run.x, run.y)
        w = float(np.cos(angle))
        if w == 0:
            raise ValueError("the first fixed point is a constant unit (w = 0), not a ramp")
        return float(-np.tan(angle)), float(np.sign(w)), float(a * abs(w)), float(loss)
    return best_single_unit(run.Z, run.y)


def unit_run_single_unit(run: UnitRun) -> Array:
    """(N,): the single-unit fixed point's function on the data (unit_run_fixed_point)."""
    if isinstance(_run(run), ReluRun):
        c, d, s, _ = unit_run_fixed_point(run)
        return s * np.maximum(d * (run.x - c), 0.0)
    th, a, _ = unit_run_fixed_point(run)
    return a * np.maximum(run.Z @ th, 0.0)


def unit_run_second_escape(run: UnitRun) -> tuple[float, Array, float]:
    """The escape from the single-unit fixed point (§9.2): the maximum of abs(G) over unit
    directions for its residual (relu_escape on one-dimensional data, unit_escape on patches),
    as (rate, unit direction of (weights, bias), sign)."""
    run = _run(run)
    return _cached(run, "second", lambda: _second_escape(run))


def _second_escape(run: UnitRun) -> tuple[float, Array, float]:
    r = run.y - unit_run_single_unit(run)
    if isinstance(run, ReluRun):  # one-dimensional: the angle search of relu_escape
        rate, angle, sign = relu_escape(run.x, r)
        return rate, np.array([np.cos(angle), np.sin(angle)]), sign
    return unit_escape(run.Z, r)


def unit_plateau_span(run: UnitRun) -> list[tuple[float, float] | None]:
    """Per seed, the single-unit plateau (start, end) in time: among the plateaus the loss curve
    shows (detect_plateaus), the one whose level is nearest the predicted single-unit level
    (unit_run_predicted_levels), from the transition that opens it to the one that closes it.
    None where the seed does not escape: it never reaches the exact fit (final loss above
    EXACT_FIT of the initial), or the nearest plateau is the origin's or is never left."""
    run = _run(run)
    return _cached(run, "spans", lambda: _spans(run))


def _spans(run: UnitRun) -> list[tuple[float, float] | None]:
    level = _predicted_levels(run)[1]
    out: list[tuple[float, float] | None] = []
    for L, p in zip(run.loss, unit_run_plateaus(run), strict=True):
        k = int(np.argmin(np.abs(p.levels - level)))
        ok = L[-1] <= EXACT_FIT * L[0] and 0 < k < p.count
        out.append((float(p.transition_times[k - 1]), float(p.transition_times[k])) if ok else None)
    return out


def unit_run_escaped(run: UnitRun) -> Array:
    """(seeds,) bool: the seed passes the single-unit plateau and reaches the exact fit
    (unit_plateau_span is not None)."""
    return np.array([span is not None for span in unit_plateau_span(run)])


def unit_plateau_record(run: UnitRun, i: int, frac: float) -> int | None:
    """The record index ``frac`` of the way through seed i's single-unit plateau
    (unit_plateau_span); None where the seed does not escape.

    Parameters
    ----------
    run : UnitRun
        A ReLU run.
    i : int
        Seed index, in [0, seeds).
    frac : float
        Fraction of the plateau, in [0, 1].

    Returns
    -------
    int or None
        The record index.
    """
    run = _run(run)
    i = _checks.integer_at_least(i, "i", 0)
    if i >= run.loss.shape[0]:
        raise ValueError(f"i must be a seed index in [0, {run.loss.shape[0]}), got {i}")
    frac = _fraction(frac, "frac")
    span = unit_plateau_span(run)[i]
    if span is None:
        return None
    j = int(np.searchsorted(run.time, span[0] + frac * (span[1] - span[0])))
    return min(j, run.time.size - 1)


def unit_plateau_level(run: UnitRun) -> Array:
    """(seeds,): the loss where the descent rate is smallest on the single-unit plateau; NaN
    where the seed does not escape."""
    run = _run(run)
    return _cached(run, "unit_level", lambda: _unit_level(run)).copy()


def _unit_level(run: UnitRun) -> Array:
    out = np.full(len(run.loss), np.nan)
    for i, L in enumerate(run.loss):
        j0, j1 = unit_plateau_record(run, i, 0.0), unit_plateau_record(run, i, 1.0)
        if j0 is not None and j1 is not None:
            rate = -np.gradient(L, run.time)
            out[i] = L[j0 + int(np.argmin(rate[j0 : j1 + 1]))]
    return out


def end_distance(run: UnitRun) -> Array:
    """(seeds,): ||f - f_1|| / ||y|| at the run's end from the single-unit fixed point f_1."""
    run = _run(run)
    f1 = unit_run_single_unit(run)
    return np.array(
        [np.linalg.norm(_function(run, i, -1) - f1) / np.linalg.norm(run.y)
         for i in range(len(run.loss))]
    )  # fmt: skip


def plateau_distance(run: UnitRun) -> Array:
    """(seeds,): at the middle of the single-unit plateau, ||f - f_1|| / ||y|| from the
    single-unit fixed point f_1 on the data; NaN where the seed does not escape."""
    run = _run(run)
    f1 = unit_run_single_unit(run)
    out = np.full(len(run.loss), np.nan)
    for i in range(len(run.loss)):
        j = unit_plateau_record(run, i, 0.5)
        if j is not None:
            out[i] = np.linalg.norm(_function(run, i, j) - f1) / np.linalg.norm(run.y)
    return out


def _escape_window(run: UnitRun, i: int, departure: float) -> tuple[int, int, int] | None:
    """(j0, j1, k): the single-unit plateau's middle, the record where the loss has fallen
    ``departure`` of the way from the plateau level to the final loss, and the fastest-growing
    unit between them among those below a tenth of the largest at j0."""
    j0 = unit_plateau_record(run, i, 0.5)
    if j0 is None:
        return None
    L, level = run.loss[i], unit_plateau_level(run)[i]
    j1 = j0 + int(np.flatnonzero(L[j0:] < level - departure * (level - L[-1]))[0])
    s0, s1 = _sizes(run, i, j0), _sizes(run, i, j1)
    small = np.flatnonzero(s0 < 0.1 * s0.max())
    return j0, j1, int(small[np.argmax(np.log(s1[small] / s0[small]))])


def escape_growth(run: UnitRun, *, departure: float = 0.01) -> Array:
    """(seeds,): the log-growth rate of the escaping unit's size abs(a) ||(w, b)|| while the
    network still sits on the single-unit plateau: from the plateau's middle until the loss has
    fallen ``departure`` (in (0, 1]) of the way from the plateau level (unit_plateau_level) to
    the run's final loss; the fastest-growing of the units below a tenth of the largest at the
    middle. NaN where the seed does not escape. Theory: twice the unit correlation G at that
    unit's direction, at most twice the second escape's rate (§9.2)."""
    run = _run(run)
    departure = _fraction(departure, "departure", open_low=True)
    out = np.full(len(run.loss), np.nan)
    for i in range(len(run.loss)):
        win = _escape_window(run, i, departure)
        if win is not None:
            j0, j1, k = win
            grown = np.log(_sizes(run, i, j1)[k] / _sizes(run, i, j0)[k])
            out[i] = grown / (run.time[j1] - run.time[j0])
    return out


def escape_alignment(run: UnitRun, *, departure: float = 0.01) -> Array:
    """(seeds,): the cosine between the escaping unit's (weights, bias) at the single-unit
    plateau's middle and the second escape's direction (unit_run_second_escape); NaN where the
    seed does not escape. Near 1: the unit escapes along the fastest direction."""
    run = _run(run)
    departure = _fraction(departure, "departure", open_low=True)
    target = unit_run_second_escape(run)[1]
    out = np.full(len(run.loss), np.nan)
    for i in range(len(run.loss)):
        win = _escape_window(run, i, departure)
        if win is not None:
            v = run.W[i, win[0], win[2]]
            out[i] = float(v @ target / np.linalg.norm(v))
    return out


def hessian_min_eigenvalue(run: UnitRun, *, at: float = 0.5) -> Array:
    """(seeds,): the most negative eigenvalue of the loss's Hessian (torch autograd, all
    weights) at the fraction ``at`` (in [0, 1]) of the way through the single-unit plateau; NaN
    where the seed does not escape. Theory: -sqrt(G^2 + G'^2) of the small units' directions,
    -lambda where the escaping unit sits at the maximiser of abs(G) (§9.2)."""
    import torch

    run = _run(run)
    at = _fraction(at, "at")
    Z = torch.tensor(run.Z, dtype=torch.float64)
    Y = torch.tensor(run.y, dtype=torch.float64)
    H, m = run.W.shape[-2:]

    def loss(v: torch.Tensor) -> torch.Tensor:
        W, a = v[: H * m].reshape(H, m), v[H * m :]
        return 0.5 * ((torch.relu(Z @ W.T) @ a - Y) ** 2).mean()

    out = np.full(len(run.loss), np.nan)
    for i in range(len(run.loss)):
        j = unit_plateau_record(run, i, at)
        if j is not None:
            v = torch.tensor(np.concatenate([run.W[i, j].ravel(), run.a[i, j]]))
            out[i] = float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss, v))[0])
    return out


def first_transition_slope(run: UnitRun, other: UnitRun) -> Array:
    """(seeds,): (t_1 - t_1') / ln(sigma' / sigma), the first transition's growth per unit of
    ln(1/sigma) between ``run`` and ``other`` (same seeds and directions, another sigma); NaN
    where a seed shows no transition. Theory: 1 / gd_growth_rate(first escape's rate, lr)
    (§9.2)."""
    run, other = _run(run), _run(other)
    if other.sigma == run.sigma or other.loss.shape[0] != run.loss.shape[0]:
        raise ValueError("other must have the same number of seeds and another sigma")

    def first(r: UnitRun) -> Array:
        return np.array(
            [p.transition_times[0] if p.count else np.nan for p in unit_run_plateaus(r)]
        )

    return (first(run) - first(other)) / np.log(other.sigma / run.sigma)


# ----------------------------------------------------------------------------------------------
# One-dimensional data (§9)
# ----------------------------------------------------------------------------------------------
def relu_kinks_at(run: ReluRun, i: int, j: int, *, share: float = 0.1) -> tuple[Array, Array]:
    """Kinks -b/w and sides sign(w) of the units of seed i at record j whose size
    abs(a) sqrt(w^2 + b^2) is at least ``share`` (in (0, 1]) of the largest, keeping kinks
    inside the data (units whose kink lies outside are linear on the data).

    Parameters
    ----------
    run : ReluRun
        A run of train_relu_network.
    i, j : int
        Seed and record indices (j may count from the end, as -1).
    share : float
        Smallest size counted, as a share of the largest, in (0, 1].

    Returns
    -------
    tuple of ndarray
        (kinks, sides).
    """
    if not isinstance(run, ReluRun):
        raise ValueError(f"run must be a ReluRun, got {type(run).__name__}")
    seeds, records = run.loss.shape
    i = _checks.integer_at_least(i, "i", 0)
    j = _checks.integer_at_least(j, "j", -records)
    if i >= seeds or j >= records:
        raise ValueError(
            f"i must index a seed (< {seeds}) and j a record (-{records} <= j < {records})"
        )
    share = _fraction(share, "share", open_low=True)
    w, b = run.W[i, j, :, 0], run.W[i, j, :, 1]
    size = np.abs(run.a[i, j]) * np.hypot(w, b)
    big = size >= share * size.max()
    with np.errstate(divide="ignore", invalid="ignore"):
        c = -b / w
    inside = big & (c > run.x.min()) & (c < run.x.max())
    return c[inside], np.sign(w[inside])


def relu_fixed_point_functions(run: ReluRun) -> Array:
    """(3, N): the functions on the data of three fixed points the run passes (§9.1): the origin
    (0), the first fixed point (unit_run_single_unit) and the teacher (the exact fit); a teacher
    of more than two ramps has more fixed points between the last two, not listed here."""
    if not isinstance(run, ReluRun):
        raise ValueError(f"run must be a ReluRun, got {type(run).__name__}")
    return np.stack([np.zeros_like(run.y), unit_run_single_unit(run), run.y])


def relu_plateau_fixed_points(run: ReluRun) -> tuple[Array, Array, list[list[Array]]]:
    """For seeds that escape: at the middle of the first plateau and of the single-unit plateau
    (unit_plateau_span), which fixed-point function (relu_fixed_point_functions) the network's
    function is nearest and the distance ||f - f_r|| / ||y|| to the expected one (origin, then
    the first fixed point); and the kinks inside the data (relu_kinks_at) at the middle of every
    plateau and at the run's end. Returns (nearest (seeds, 2), distance (seeds, 2), kinks
    [seed][plateau..., end]); -1 / NaN / [] for seeds that do not escape."""
    fps = relu_fixed_point_functions(run)
    norm = np.linalg.norm(run.y)
    n = len(run.loss)
    nearest, dist = np.full((n, 2), -1), np.full((n, 2), np.nan)
    kinks: list[list[Array]] = []
    for i, p in enumerate(unit_run_plateaus(run)):
        j_unit = unit_plateau_record(run, i, 0.5)
        if j_unit is None:
            kinks.append([])
            continue
        js = [*plateau_middles(run.time, p.transition_times).tolist(), run.time.size - 1]
        for r, j in enumerate((js[0], j_unit)):
            d = np.linalg.norm(fps - _function(run, i, j), axis=1) / norm
            nearest[i, r], dist[i, r] = int(np.argmin(d)), d[r]
        kinks.append([np.sort(relu_kinks_at(run, i, j)[0]) for j in js])
    return nearest, dist, kinks


# ----------------------------------------------------------------------------------------------
# Convolutions (§10)
# ----------------------------------------------------------------------------------------------
def conv_relu_kernel_strengths(run: ConvReluRun, *, cos: float = 0.95) -> Array:
    """(seeds, T, k): for each teacher kernel, the summed size abs(a) ||(w, b)|| of the channels
    within cosine ``cos`` (in (0, 1]) of it, over the teacher's own strength_k ||kernel_k||: 0
    before the kernel is learned, 1 once it is."""
    if not isinstance(run, ConvReluRun):
        raise ValueError(f"run must be a ConvReluRun, got {type(run).__name__}")
    cos = _fraction(cos, "cos", open_low=True)
    teach = run.kernels / np.linalg.norm(run.kernels, axis=1, keepdims=True)
    norms = np.linalg.norm(run.W, axis=-1)
    cosines = np.einsum("sthm,km->sthk", run.W, teach) / np.maximum(norms, 1e-300)[..., None]
    sizes = (np.abs(run.a) * norms)[..., None] * (cosines >= cos)
    return sizes.sum(axis=2) / (run.strengths * np.linalg.norm(run.kernels, axis=1))


def _large_directions(run: UnitRun, i: int, j: int) -> Array:
    """Unit directions (weights and bias, normalised) of seed i at record j, for the units
    carrying at least a tenth of the largest unit's size."""
    size = _sizes(run, i, j)
    W = run.W[i, j][size >= 0.1 * size.max()]
    return W / np.linalg.norm(W, axis=1, keepdims=True)


def conv_relu_kernel_alignment(run: ConvReluRun) -> tuple[Array, Array]:
    """On the single-unit plateau (middle) and at the end, per seed: the smallest cosine of a
    large unit's direction with the single-unit fixed point, and at the end, for each teacher
    kernel, the best cosine over the large units (at least a tenth of the largest's size).
    Returns (plateau cosine (seeds,), end cosines (seeds, k)); NaN where a seed does not
    escape."""
    if not isinstance(run, ConvReluRun):
        raise ValueError(f"run must be a ConvReluRun, got {type(run).__name__}")
    th = unit_run_fixed_point(run)[0]
    teach = run.kernels / np.linalg.norm(run.kernels, axis=1, keepdims=True)
    n = len(run.loss)
    plateau, end = np.full(n, np.nan), np.full((n, len(teach)), np.nan)
    for i in range(n):
        j = unit_plateau_record(run, i, 0.5)
        if j is not None:
            plateau[i] = float(np.min(_large_directions(run, i, j) @ th))  # every large unit
            end[i] = (_large_directions(run, i, -1) @ teach.T).max(axis=0)
    return plateau, end
