"""ReLU networks on one-dimensional data trained on teachers drawn at random from a family of
ramp teachers (§9): the draw, one torch run batched over teachers and seeds, and the analysis
functions that compare each run with what the teacher alone predicts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ... import _checks
from ..._memo import reused
from ...training import TrainConfig
from .._shared.gd import plain_gd
from .._shared.inputs import Array
from ..plateaus import detect_plateaus
from .closed_forms import (
    first_fixed_point,
    ramp_teacher,
    relu_escape,
    relu_unit_curvature,
    single_unit_fixed_points,
)
from .training import _relu_loss

__all__ = [
    "RAMP_FAMILY",
    "SLOW_RAMP_TEACHER",
    "CREEP_RAMP_TEACHER",
    "draw_ramp_teachers",
    "ReluFamilyRun",
    "train_relu_teachers",
    "family_functions",
    "family_first_fixed_points",
    "first_plateau_visits",
    "fixed_point_gaps",
    "first_transition_times",
    "plateau_small_units",
    "FamilyVisits",
    "family_visits",
]

#: The family of §9: kinks uniform in [-0.7, 0.7] at least 0.3 apart, slopes log-uniform in
#: [0.5, 3], each ramp rising to the right or to the left with probability 1/2.
RAMP_FAMILY = {"kink_range": 0.7, "min_gap": 0.3, "slope_range": (0.5, 3.0)}


#: The family's slow corner (§9.3): kinks -0.7 and 0.7, slopes 0.5, both ramps rising outwards;
#: its first escape rate lambda_1 is about 0.024, a fifth of the slowest of 2,000 draws.
SLOW_RAMP_TEACHER = (np.array([-0.7, 0.7]), np.array([0.5, 0.5]), np.array([-1.0, 1.0]))
#: A teacher of the family whose first escape direction is affine on the data (lambda_1 about
#: 0.247): after the escape the unit's kink creeps into the data towards the first fixed point
#: for about 100 time units, so a width-20 network reaches it late and stays there briefly.
CREEP_RAMP_TEACHER = (np.array([-0.452, 0.677]), np.array([2.415, 0.798]), np.array([-1.0, 1.0]))


def draw_ramp_teachers(
    count: int, *, ramps: ArrayLike = (2, 3), seed: int = 0
) -> list[tuple[Array, Array, Array]]:
    """Draw ``count`` teachers from RAMP_FAMILY (§9): the number of ramps uniform over ``ramps``,
    kinks uniform in [-0.7, 0.7] (redrawn until every two are at least 0.3 apart), slopes
    log-uniform in [0.5, 3], sides +1 or -1 with probability 1/2 each.

    Parameters
    ----------
    count : int
        Number of teachers, >= 1.
    ramps : array_like
        Allowed numbers of ramps, each in [1, 4] (five kinks 0.3 apart rarely fit).
    seed : int
        Seed of the draw, >= 0.

    Returns
    -------
    list of tuple
        (kinks, slopes, sides) per teacher, for ramp_teacher.
    """
    count = _checks.integer_at_least(count, "count", 1)
    choices = np.atleast_1d(np.asarray(ramps))
    if choices.ndim != 1 or choices.size == 0 or not np.all(np.isin(choices, (1, 2, 3, 4))):
        raise ValueError(f"ramps must be a nonempty list of integers in [1, 4], got {ramps!r}")
    seed = _checks.integer_at_least(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    lo, hi = RAMP_FAMILY["slope_range"]
    out = []
    for _ in range(count):
        n = int(rng.choice(choices))
        while True:
            k = np.sort(rng.uniform(-RAMP_FAMILY["kink_range"], RAMP_FAMILY["kink_range"], n))
            if np.all(np.diff(k) >= RAMP_FAMILY["min_gap"]):
                break
        s = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
        d = rng.choice([-1.0, 1.0], n)
        out.append((k, s, d))
    return out


@dataclass(frozen=True)
class ReluFamilyRun:
    """Result of :func:`train_relu_teachers`: per teacher t and seed i, the loss and every
    unit's (w, b) and output weight a at each recorded time."""

    x: Array  # (N,) inputs
    y: Array  # (T, N) each teacher's values
    teachers: tuple  # per teacher (kinks, slopes, sides)
    sigma: float
    lr: float
    time: Array  # (R,) recorded times, steps x lr
    loss: Array  # (T, S, R)
    W: Array  # (T, S, R, H, 2) each unit's (w, b)
    a: Array  # (T, S, R, H) output weights


@reused
def train_relu_teachers(
    teachers: list,
    *,
    n_points: int = 101,
    width: int = 20,
    sigma: float = 1e-6,
    seeds: int = 3,
    record_every: int = 2,
    train: TrainConfig | None = None,
) -> ReluFamilyRun:
    """Two-layer ReLU networks f(x) = sum_i a_i relu(w_i x + b_i) of ``width`` units, one batch
    over ``teachers`` (a list of (kinks, slopes, sides), see ramp_teacher) and ``seeds``
    starts each, trained by plain gradient descent on L = (1/2N) sum_n (y_n - f(x_n))^2 over
    ``n_points`` inputs evenly spaced on [-1, 1]; every weight starts N(0, sigma^2) (§9.3).
    The starts come from train.seed and do not depend on sigma (the same starts rescaled)."""
    if not isinstance(teachers, (list, tuple)) or len(teachers) == 0:
        raise ValueError("teachers must be a nonempty list of (kinks, slopes, sides)")
    n_points = _checks.integer_at_least(n_points, "n_points", 3)
    width = _checks.integer_at_least(width, "width", 1)
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    sigma = _checks.positive(sigma, "sigma")
    record_every = _checks.integer_at_least(record_every, "record_every", 1)
    train = TrainConfig.resolve(train, lambda: TrainConfig(steps=5000, lr=0.05))
    steps, lr = train.require_steps(), train.lr
    x = np.linspace(-1.0, 1.0, n_points)
    if not all(isinstance(t, (list, tuple)) and len(t) == 3 for t in teachers):
        raise ValueError("teachers must be a nonempty list of (kinks, slopes, sides)")
    Y = np.stack([ramp_teacher(x, *t) for t in teachers])
    kept = tuple(tuple(np.atleast_1d(np.asarray(v, dtype=float)) for v in t) for t in teachers)
    import torch

    T = Y.shape[0]
    start = np.random.default_rng(train.seed).standard_normal((3, T * seeds, width)) * sigma
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    w, b, a = (torch.tensor(p, dtype=dtype, device=dev) for p in start)
    X = torch.tensor(x, dtype=dtype, device=dev)
    Yt = torch.tensor(np.repeat(Y, seeds, axis=0), dtype=dtype, device=dev)
    record, loss_rec, (wr, br, ar) = plain_gd(
        [w, b, a], lambda: _relu_loss(X, Yt, w, b, a), steps=steps, lr=lr,
        record_every=record_every,
    )  # fmt: skip
    R = record.size
    W = np.stack([wr, br], axis=-1).reshape(T, seeds, R, width, 2)
    return ReluFamilyRun(x, Y, kept, sigma, lr, record * lr,
                         loss_rec.reshape(T, seeds, R), W, ar.reshape(T, seeds, R, width))  # fmt: skip


def family_functions(run: ReluFamilyRun, t: int, i: int, records: ArrayLike | None = None) -> Array:
    """(R, N): the network's function on the data at the given records (all by default) of
    teacher t, seed i.

    Parameters
    ----------
    run : ReluFamilyRun
        A run of train_relu_teachers.
    t, i : int
        Teacher and seed indices.
    records : array_like, optional
        Record indices (negative counts from the end); all records by default.

    Returns
    -------
    ndarray
        The functions, one row per record.
    """
    T, S, R = run.loss.shape
    t = _checks.integer_at_least(t, "t", 0)
    i = _checks.integer_at_least(i, "i", 0)
    if t >= T or i >= S:
        raise ValueError(f"t and i must index a teacher (< {T}) and a seed (< {S})")
    if records is None:
        idx = slice(None)
    else:
        idx = np.atleast_1d(np.asarray(records))
        if (
            idx.ndim != 1
            or not np.issubdtype(idx.dtype, np.integer)
            or np.any(np.abs(idx) > R)
            or np.any(idx >= R)
        ):
            raise ValueError(
                f"records must be integer record indices in [-{R}, {R}), got {records!r}"
            )
    pre = run.x[:, None] * run.W[t, i, idx, None, :, 0] + run.W[t, i, idx, None, :, 1]
    return np.einsum("rnh,rh->rn", np.maximum(pre, 0.0), run.a[t, i, idx])


def family_first_fixed_points(run: ReluFamilyRun) -> tuple[Array, Array, Array]:
    """From each teacher alone (§9.2): the first escape's rate lambda_1 (relu_escape of y), the
    first fixed point (first_fixed_point: angle, a, loss) and its function on the data.
    Returns (lambda_1 (T,), fixed points (T, 3), functions (T, N))."""
    lam = np.array([relu_escape(run.x, y)[0] for y in run.y])
    fps = np.array([first_fixed_point(run.x, y) for y in run.y])
    funcs = fps[:, 1:2] * np.maximum(np.cos(fps[:, :1]) * run.x + np.sin(fps[:, :1]), 0.0)
    return lam, fps, funcs


def _other_fixed_points(run: ReluFamilyRun, t: int, f1: Array, merge: float) -> list[Array]:
    """The functions of teacher t's width-1 fixed points (single_unit_fixed_points, merged at
    ``merge``) farther than ``merge`` ||y|| from its first fixed point's function f1: the ones
    that are not f1 up to the data cell of its kink."""
    y = run.y[t]
    out = []
    for g, a, _ in single_unit_fixed_points(run.x, y, merge=merge):
        f = a * np.maximum(np.cos(g) * run.x + np.sin(g), 0.0)
        if np.linalg.norm(f - f1) > merge * np.linalg.norm(y):
            out.append(f)
    return out


def first_plateau_visits(
    run: ReluFamilyRun, tol: ArrayLike, *, merge: float = 0.01
) -> tuple[Array, Array, Array, Array, Array]:
    """For each teacher and seed, the run's FIRST stay near the first fixed point f_1
    (family_first_fixed_points): the first stretch of records with ||f(t) - f_1|| / ||y|| within
    ``tol`` (a number, or one per teacher). Returns (distance, dwell, middle, nearest,
    other_first), each (T, S): the smallest distance up to the end of that stretch (over the
    whole run if there is none), its length in time units (0 if none), the record at its middle
    and the record nearest f_1 within it (-1 if none), and
    whether the function came within ``tol`` of another width-1 fixed point
    (``single_unit_fixed_points`` merged at ``merge``, f_1's own neighbours excluded) before it, at
    a record where it was farther than ``tol`` from the origin (where it starts) -- a run that
    stops elsewhere first does not have f_1 as its first plateau."""
    tols = np.broadcast_to(np.asarray(tol, dtype=float), (len(run.y),))
    if not np.all(np.isfinite(tols) & (tols > 0)):
        raise ValueError(f"tol must be finite and > 0 (one value or one per teacher), got {tol!r}")
    merge = float(merge)
    if not (np.isfinite(merge) and 0 <= merge < 1):
        raise ValueError(f"merge must lie in [0, 1), got {merge!r}")
    _, _, funcs = family_first_fixed_points(run)
    others = [_other_fixed_points(run, t, funcs[t], merge) for t in range(len(run.y))]
    return _visits(run, tols, funcs, others)


def _visits(
    run: ReluFamilyRun, tols: Array, funcs: Array, others: list[list[Array]]
) -> tuple[Array, Array, Array, Array, Array]:
    T, S = run.loss.shape[:2]
    dist, dwell, mid = np.full((T, S), np.inf), np.zeros((T, S)), np.full((T, S), -1)
    nearest = np.full((T, S), -1)
    other_first = np.zeros((T, S), dtype=bool)
    dt = run.time[1] - run.time[0]
    for t in range(T):
        norm = np.linalg.norm(run.y[t])
        for i in range(S):
            F = family_functions(run, t, i)
            d = np.linalg.norm(F - funcs[t], axis=1) / norm
            inside = np.r_[False, d <= tols[t], False].astype(int)
            edges = np.flatnonzero(np.diff(inside))
            if not edges.size:
                dist[t, i] = d.min()
                continue
            start, end = int(edges[0]), int(edges[1])
            dist[t, i] = d[:end].min()
            dwell[t, i] = (end - start) * dt
            mid[t, i] = (start + end - 1) // 2
            nearest[t, i] = start + int(np.argmin(d[start:end]))
            away = np.linalg.norm(F[:start], axis=1) / norm > tols[t]
            for f in others[t]:
                if np.any(away & (np.linalg.norm(F[:start] - f, axis=1) / norm <= tols[t])):
                    other_first[t, i] = True
    return dist, dwell, mid, nearest, other_first


def fixed_point_gaps(run: ReluFamilyRun, *, merge: float = 0.01) -> Array:
    """(T,): for each teacher, the distance ||f - f_1|| / ||y|| from its first fixed point to the
    nearest other fixed point of width at most 1 (the origin and single_unit_fixed_points merged
    at ``merge``; those within ``merge`` ||y|| of f_1 are f_1 up to the data cell of its kink):
    a visit tolerance below half of it cannot take one fixed point for another."""
    merge = float(merge)
    if not (np.isfinite(merge) and 0 <= merge < 1):
        raise ValueError(f"merge must lie in [0, 1), got {merge!r}")
    _, _, funcs = family_first_fixed_points(run)
    others = [_other_fixed_points(run, t, funcs[t], merge) for t in range(len(run.y))]
    return _gaps(run, funcs, others)


def _gaps(run: ReluFamilyRun, funcs: Array, others: list[list[Array]]) -> Array:
    out = np.empty(len(run.y))
    for t, y in enumerate(run.y):
        fs = [np.zeros_like(y), *others[t]]
        out[t] = min(np.linalg.norm(f - funcs[t]) for f in fs) / np.linalg.norm(y)
    return out


def first_transition_times(run: ReluFamilyRun) -> Array:
    """(T, S): the first transition detect_plateaus reads off each loss curve (NaN if none)."""
    out = np.full(run.loss.shape[:2], np.nan)
    for t, i in np.ndindex(*out.shape):
        found = detect_plateaus(run.time, run.loss[t, i]).transition_times
        if found.size:
            out[t, i] = found[0]
    return out


def plateau_small_units(
    run: ReluFamilyRun, t: int, i: int, j: int, *, share: float = 0.1
) -> tuple[Array, Array]:
    """At record j of teacher t, seed i: the directions (angles) of the units whose size
    abs(a) ||(w, b)|| is below ``share`` of the largest, and the curvature sqrt(G^2 + G'^2)
    (relu_unit_curvature) of the residual at record j along each. Returns (angles, curvature)."""
    T, S, R = run.loss.shape
    t = _checks.integer_at_least(t, "t", 0)
    i = _checks.integer_at_least(i, "i", 0)
    j = _checks.integer_at_least(j, "j", 0)
    if t >= T or i >= S or j >= R:
        raise ValueError(f"t, i and j must index a teacher (< {T}), seed (< {S}), record (< {R})")
    share = float(share)
    if not 0 < share <= 1:
        raise ValueError(f"share must lie in (0, 1], got {share!r}")
    W, a = run.W[t, i, j], run.a[t, i, j]
    size = np.abs(a) * np.linalg.norm(W, axis=1)
    small = size < share * size.max()
    angles = np.arctan2(W[small, 1], W[small, 0])
    r = run.y[t] - family_functions(run, t, i, j)[0]
    return angles, relu_unit_curvature(angles, run.x, r)


@dataclass(frozen=True)
class FamilyVisits:
    """Result of :func:`family_visits`: per teacher (T,) or per teacher and seed (T, S)."""

    lam: Array  # (T,) the first escape's rate lambda_1
    fps: Array  # (T, 3) the first fixed point (angle, a, loss)
    funcs: Array  # (T, N) its function on the data
    tol: Array  # (T,) the visit tolerance: min(tol_cap, half the gap to the nearest other)
    dist: Array  # (T, S) the smallest distance from the first fixed point, up to the first stay
    dwell: Array  # (T, S) the length of the first stay within tol, in time units
    mid: Array  # (T, S) the record at the middle of that stay (-1 if never within)
    nearest: Array  # (T, S) the record nearest the first fixed point within that stay
    affine: Array  # (T,) bool: the first fixed point's kink lies outside the data
    other_first: Array  # (T, S) bool: another width-1 fixed point was visited before


@reused
def family_visits(
    run: ReluFamilyRun, *, tol_cap: float = 0.05, merge: float = 0.01
) -> FamilyVisits:
    """Each teacher's predictions (family_first_fixed_points) and each run's first visit of its
    first fixed point (first_plateau_visits) with the tolerance min(tol_cap, half of
    fixed_point_gaps), width-1 minima within ``merge`` ||y|| of each other counted as one: what
    the figures and the tests read, computed once (§9.3).

    Parameters
    ----------
    run : ReluFamilyRun
        A run of train_relu_teachers.
    tol_cap : float
        Largest visit tolerance, as a share of ||y||, in (0, 1].
    merge : float
        Distance, as a share of ||y||, within which two width-1 minima are one, in [0, 1).

    Returns
    -------
    FamilyVisits
        The predictions and the visits.
    """
    tol_cap = float(tol_cap)
    if not (np.isfinite(tol_cap) and 0 < tol_cap <= 1):
        raise ValueError(f"tol_cap must lie in (0, 1], got {tol_cap!r}")
    merge = float(merge)
    if not (np.isfinite(merge) and 0 <= merge < 1):
        raise ValueError(f"merge must lie in [0, 1), got {merge!r}")
    lam, fps, funcs = family_first_fixed_points(run)
    others = [_other_fixed_points(run, t, funcs[t], merge) for t in range(len(run.y))]
    tol = np.minimum(tol_cap, 0.5 * _gaps(run, funcs, others))
    dist, dwell, mid, nearest, other_first = _visits(run, tol, funcs, others)
    affine = np.array([np.all(np.cos(g) * run.x + np.sin(g) > 0) for g in fps[:, 0]])
    return FamilyVisits(lam, fps, funcs, tol, dist, dwell, mid, nearest, affine, other_first)
