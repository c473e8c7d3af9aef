"""The families the chapter's torch claims are tested on, and samplers drawing from them (numpy
only). Each range is one named constant; the theory page states the same ranges (§7, §8.3, §9).

* ``draw_cliff_instances``: Model 1's K-ary family of the categorical torch experiment (§7).
* ``draw_validity_instances``: Model 2's three-token family of §8 (the simulator claims and the
  torch experiment of §8.3).
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from .model import Array, extrapolated_fixed_point_k, lambda_star_k
from .validity_model import validity_cliff

__all__ = [
    "CLIFF_TOKENS",
    "CLIFF_BASE_VALID",
    "CLIFF_TEACHER_VALID",
    "CLIFF_CLIP",
    "CLIFF_LAMBDA_STAR",
    "CLIFF_MASTER_SEED",
    "CLIFF_FORMAT_MARGIN",
    "OVERSHOOT_TEACHER_VALID",
    "OVERSHOOT_CLIP",
    "OVERSHOOT_LAMBDA_STAR",
    "OVERSHOOT_MASTER_SEED",
    "draw_cliff_instances",
    "VALIDITY_BASE_VALID",
    "VALIDITY_BASE_BREAKING_SHARE",
    "VALIDITY_TEACHER_VALID",
    "VALIDITY_TEACHER_BREAKING_SHARE",
    "VALIDITY_POSITIONS",
    "VALIDITY_CLIFF",
    "VALIDITY_MASTER_SEED",
    "draw_validity_instances",
    "VALIDITY_EPS",
    "draw_validity_clips",
    "CLIFF_GRID_STEP",
    "CLIFF_GRID_POINTS",
    "cliff_grid",
    "VALIDITY_GRID_STEPS",
    "VALIDITY_GRID_SPAN",
    "validity_grid",
]

# ----------------------------------------------------------------------------------------------
# Model 1, K-ary (§7): the categorical policy trained by sampled, clipped, extrapolated OPD
# ----------------------------------------------------------------------------------------------
#: K, the number of tokens, uniform on {3, ..., 6}
CLIFF_TOKENS = (3, 6)
#: the base's mass on the format token, U(0.8, 0.95)
CLIFF_BASE_VALID = (0.8, 0.95)
#: the teacher's mass on the format token, U(0.9, 0.99) (nearly deterministic)
CLIFF_TEACHER_VALID = (0.9, 0.99)
#: the master seed of the instances the torch claim ec-torch-cliff and the notebook use
CLIFF_MASTER_SEED = 2026
#: the clip strength c, log-uniform in [1.5, 4]
CLIFF_CLIP = (1.5, 4.0)
#: kept when the K-ary threshold lambda*_K lies in this interval
CLIFF_LAMBDA_STAR = (0.5, 2.5)
#: kept when the format token's fixed-point log-ratio to the base at lambda*_K,
#: log(pi_{lambda*}(0) / b_0), is at least this: the teacher is clearly more certain of the
#: format than the base, so the format logit (>= 80 % of the mass, it sets the normaliser) must
#: climb farther than the reach of Adam's transient, lr / (1 - beta1) = 0.1 at the torch claim's
#: lr 0.01 and torch's beta1 0.9, and the normaliser moves one way until the binding token
#: arrives. Below it Adam's transient can carry the binding token out of the band before the
#: fixed point does (§7, "Where it fails")
CLIFF_FORMAT_MARGIN = 0.1


#: where the prediction fails (§7): a teacher less certain of the format than the base,
#: p_0 ~ U(0.5, 0.8) against the same base, and a tight clip, c log-uniform in [1.2, 1.6]
OVERSHOOT_TEACHER_VALID = (0.5, 0.8)
OVERSHOOT_CLIP = (1.2, 1.6)
#: kept when lambda*_K lies in this interval
OVERSHOOT_LAMBDA_STAR = (0.2, 2.5)
#: the master seed of the instances of the claim ec-torch-cliff-overshoot
OVERSHOOT_MASTER_SEED = 2028


def _may_clear_margin(p: Array, b: Array, c: float, lam_hi: float) -> bool:
    """False only where the draw is surely rejected: no ratio leaves [1/c, c] on lambda_star_k's
    own scan points up to ``lam_hi``, or the format token's log-ratio f(lambda) stays below
    ``CLIFF_FORMAT_MARGIN`` on the scan cell where one first does (sampled on 26 points, with
    |f'| <= 2 max|log p/b| between them)."""
    grid = np.linspace(0.0, 100.0, 4001)  # lambda_star_k's scan (default lam_max)
    grid = grid[grid <= lam_hi + grid[1]]
    log_b, log_p = np.log(b), np.log(p)
    z = (1 - grid[:, None]) * log_b + grid[:, None] * log_p
    log_ratio = z - np.logaddexp.reduce(z, axis=1, keepdims=True) - log_b
    above = np.nonzero(np.max(np.abs(log_ratio), axis=1) > np.log(c))[0]
    if above.size == 0:
        return False
    i = max(int(above[0]), 1)
    # the root lambda_star_k refines lies in [grid[i-1], grid[i]]: bound f over that cell
    fine = np.linspace(grid[i - 1], grid[i], 26)[:, None]
    zf = (1 - fine) * log_b + fine * log_p
    f = zf[:, 0] - np.logaddexp.reduce(zf, axis=1) - log_b[0]
    slope = 2 * np.max(np.abs(log_p - log_b))
    best = np.max(f) + slope * (fine[1, 0] - fine[0, 0])
    return bool(best >= CLIFF_FORMAT_MARGIN)


def draw_cliff_instances(
    n: int, seed: int, *, overshoot: bool = False
) -> list[tuple[Array, Array, float]]:
    """``n`` instances (p, b, c) of the K-ary family of §7, drawn with master seed ``seed``:
    K uniform on ``CLIFF_TOKENS``; base and teacher format-token masses uniform on
    ``CLIFF_BASE_VALID`` and ``CLIFF_TEACHER_VALID``; each tail split by a flat Dirichlet draw
    (teacher and base drawn independently, so the tail is not calibrated to the base); c
    log-uniform on ``CLIFF_CLIP``; a draw is kept when its K-ary threshold
    :func:`~theorybench.extrapolation_cliff.model.lambda_star_k` lies in ``CLIFF_LAMBDA_STAR``
    and the format token's fixed-point log-ratio there, log(pi_{lambda*}(0) / b_0), is at least
    ``CLIFF_FORMAT_MARGIN``. With ``overshoot``, the family where the prediction fails: the
    teacher's format mass on ``OVERSHOOT_TEACHER_VALID``, c on ``OVERSHOOT_CLIP``, lambda*_K in
    ``OVERSHOOT_LAMBDA_STAR`` (no margin: the format token's mass falls).

    Parameters
    ----------
    n : int
        Instances (>= 1).
    seed : int
        Master seed (>= 0).
    overshoot : bool
        Draw from the tight-clip family with a less certain teacher instead.

    Returns
    -------
    list of (p, b, c)
        Teacher and base distributions over K tokens (token 0 the format token) and the clip.
    """
    n = _checks.integer_at_least(n, "n", 1)
    rng = np.random.default_rng(_checks.integer_at_least(seed, "seed", 0))
    out: list[tuple[Array, Array, float]] = []
    teacher, clip, keep = (
        (OVERSHOOT_TEACHER_VALID, OVERSHOOT_CLIP, OVERSHOOT_LAMBDA_STAR)
        if overshoot
        else (CLIFF_TEACHER_VALID, CLIFF_CLIP, CLIFF_LAMBDA_STAR)
    )
    while len(out) < n:
        k = int(rng.integers(CLIFF_TOKENS[0], CLIFF_TOKENS[1] + 1))
        b0, p0 = rng.uniform(*CLIFF_BASE_VALID), rng.uniform(*teacher)
        b = np.r_[b0, (1 - b0) * rng.dirichlet(np.ones(k - 1))]
        p = np.r_[p0, (1 - p0) * rng.dirichlet(np.ones(k - 1))]
        c = float(np.exp(rng.uniform(*np.log(clip))))
        if not (overshoot or _may_clear_margin(p, b, c, keep[1])):
            continue  # a cheap, exact pre-filter: lambda*_K is not computed for most rejects
        star = lambda_star_k(p, b, c)
        if not keep[0] < star < keep[1]:
            continue
        if overshoot or np.log(extrapolated_fixed_point_k(p, b, star)[0] / b0) >= (
            CLIFF_FORMAT_MARGIN
        ):
            out.append((p, b, c))
    return out


# ----------------------------------------------------------------------------------------------
# Model 2 (§8): three tokens (valid, a benign tail token A the base emits, a rare breaking token B)
# ----------------------------------------------------------------------------------------------
#: the master seed of the instances the torch claim ec-validity-torch and the notebook use
VALIDITY_MASTER_SEED = 2027
#: the base's valid mass b_0, U(0.9, 0.99)
VALIDITY_BASE_VALID = (0.9, 0.99)
#: B's share of the base's tail, log-uniform in [0.002, 0.05]
VALIDITY_BASE_BREAKING_SHARE = (0.002, 0.05)
#: the teacher's valid mass p_0, U(0.98, 0.999)
VALIDITY_TEACHER_VALID = (0.98, 0.999)
#: B's share of the teacher's tail, U(0.5, 0.9)
VALIDITY_TEACHER_BREAKING_SHARE = (0.5, 0.9)
#: L, the number of structural positions, uniform on {5, ..., 50}
VALIDITY_POSITIONS = (5, 50)
#: kept when the fixed point's cliff lambda_V lies in this interval (a cliff past the teacher)
VALIDITY_CLIFF = (1.1, 2.5)


def draw_validity_instances(n: int, seed: int) -> list[tuple[Array, Array, int]]:
    """``n`` instances (p, b, L) of §8's three-token family, drawn with master seed ``seed``:
    b_0 uniform on ``VALIDITY_BASE_VALID``, B's share of the base tail log-uniform on
    ``VALIDITY_BASE_BREAKING_SHARE``, p_0 uniform on ``VALIDITY_TEACHER_VALID``, B's share of the
    teacher tail uniform on ``VALIDITY_TEACHER_BREAKING_SHARE``, L uniform on
    ``VALIDITY_POSITIONS``; a draw is kept when its cliff
    :func:`~theorybench.extrapolation_cliff.validity_model.validity_cliff` lies in
    ``VALIDITY_CLIFF``.

    Parameters
    ----------
    n : int
        Instances (>= 1).
    seed : int
        Master seed (>= 0).

    Returns
    -------
    list of (p, b, L)
        Teacher and base over (valid, A, B) and the number of positions.
    """
    n = _checks.integer_at_least(n, "n", 1)
    rng = np.random.default_rng(_checks.integer_at_least(seed, "seed", 0))
    out: list[tuple[Array, Array, int]] = []
    log_share = np.log10(VALIDITY_BASE_BREAKING_SHARE)
    while len(out) < n:
        b0, fb = rng.uniform(*VALIDITY_BASE_VALID), 10 ** rng.uniform(*log_share)
        p0, sb = rng.uniform(*VALIDITY_TEACHER_VALID), rng.uniform(*VALIDITY_TEACHER_BREAKING_SHARE)
        b = np.array([b0, (1 - b0) * (1 - fb), (1 - b0) * fb])
        p = np.array([p0, (1 - p0) * (1 - sb), (1 - p0) * sb])
        L = int(rng.integers(VALIDITY_POSITIONS[0], VALIDITY_POSITIONS[1] + 1))
        if VALIDITY_CLIFF[0] < validity_cliff(p, b, L) < VALIDITY_CLIFF[1]:
            out.append((p, b, L))
    return out


#: PPO's clip range eps of the torch runs (§8.3), U(0.1, 0.3) per instance
VALIDITY_EPS = (0.1, 0.3)


def draw_validity_clips(n: int, seed: int) -> Array:
    """``n`` PPO clip ranges eps, uniform on ``VALIDITY_EPS``, one per instance of the torch
    runs of §8.3, drawn with the master seed ``seed`` (a stream of their own, so the instances
    of :func:`draw_validity_instances` with the same seed do not change).

    Parameters
    ----------
    n : int
        Instances (>= 1).
    seed : int
        Master seed (>= 0).

    Returns
    -------
    ndarray
        The clip ranges, shape (n,).
    """
    n = _checks.integer_at_least(n, "n", 1)
    seed = _checks.integer_at_least(seed, "seed", 0)
    return np.random.default_rng([seed, 1]).uniform(*VALIDITY_EPS, n)


# ----------------------------------------------------------------------------------------------
# The lambda grids the torch experiments run on, placed by each instance's prediction
# ----------------------------------------------------------------------------------------------
#: step of the categorical experiment's lambda lattice (multiples of it, not aligned to lambda*)
CLIFF_GRID_STEP = 0.025
#: lattice points per instance below and above lambda*_K
CLIFF_GRID_POINTS = (4, 2)
#: the validity experiment's grid: steps below and near the cliff, and how far past it
VALIDITY_GRID_STEPS = (0.1, 0.05)
VALIDITY_GRID_SPAN = (0.3, 0.7)
_GRID_MAX = 100.0  # the largest threshold a grid is built around (lambda_star_k scans to 100)


def cliff_grid(star: float) -> Array:
    """The lambdas of one instance of the categorical experiment: the ``CLIFF_GRID_POINTS``
    multiples of ``CLIFF_GRID_STEP`` at or below, and above, its threshold ``star`` (§7).

    Parameters
    ----------
    star : float
        The instance's threshold lambda*_K, in (0, 100].

    Returns
    -------
    ndarray
        The lattice points ``CLIFF_GRID_STEP * k`` around ``star``, ascending: the first
        ``CLIFF_GRID_POINTS[0]`` at or below it, the next ``CLIFF_GRID_POINTS[1]`` above.
    """
    star = _checks.in_range(star, "star", 0, _GRID_MAX, lo_open=True)
    k = np.floor(star / CLIFF_GRID_STEP)
    below, above = CLIFF_GRID_POINTS
    return np.round(CLIFF_GRID_STEP * np.arange(k - below + 1, k + above + 1), 6)


def validity_grid(cliff: float) -> Array:
    """The lambdas of one instance of the validity experiment, from the base (0) through the
    peak and past the fixed point's cliff (§8.3): a coarse step up to
    cliff - ``VALIDITY_GRID_SPAN[0]``, then a fine one to cliff + ``VALIDITY_GRID_SPAN[1]``.

    Parameters
    ----------
    cliff : float
        The fixed point's cliff lambda_V of the instance, in (0, 100].

    Returns
    -------
    ndarray
        Ascending lambdas from 0: steps of ``VALIDITY_GRID_STEPS[0]``, then of
        ``VALIDITY_GRID_STEPS[1]`` from the last coarse point to at least
        cliff + ``VALIDITY_GRID_SPAN[1]``.
    """
    cliff = _checks.in_range(cliff, "cliff", 0, _GRID_MAX, lo_open=True)
    coarse, fine = VALIDITY_GRID_STEPS
    lo, hi = max(cliff - VALIDITY_GRID_SPAN[0], 0.0), cliff + VALIDITY_GRID_SPAN[1]
    n_lo = int(np.floor(lo / coarse))
    return np.round(
        np.r_[coarse * np.arange(n_lo), n_lo * coarse + fine * np.arange(
            int(np.ceil((hi - n_lo * coarse) / fine)) + 1)], 6)  # fmt: skip
