"""Closed forms of the Langevin-averaging chapter: Hermite coefficients and the information exponent, predicted sample-complexity exponents, the partial-trace overlap and exponent fits (numpy only)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import hermite_e
from numpy.typing import ArrayLike, NDArray

from .._checks import in_range as _in_range
from .._checks import integer_at_least as _integer_at_least

#: the largest Hermite degree: k! stays a finite float up to 170, He_k by quadrature is exact far
#: below that
MAX_DEGREE = 150
#: the most Gauss-Hermite nodes (numpy's hermegauss builds a points x points matrix)
MAX_POINTS = 2000
#: the largest dimension the closed forms accept (far beyond any experiment; keeps d^2 / n finite)
MAX_DIMENSION = 1e12

__all__ = [
    "hermite_coefficients",
    "information_exponent",
    "predicted_exponents",
    "high_temperature_weight",
    "partial_trace_overlap",
    "partial_trace_threshold",
    "threshold_exponent",
    "Exponent",
    "bootstrap_exponent",
]

Array = NDArray[np.float64]


# ----------------------------------------------------------------------------------------------
# Hermite tools (§1)
# ----------------------------------------------------------------------------------------------
def hermite_coefficients(link: Callable[[Array], Array], kmax: int, points: int = 120) -> Array:
    """c_k = E[sigma(z) He_k(z)] / k!, k = 0..kmax, so that sigma = sum_k c_k He_k (§1).

    Gauss-Hermite quadrature for the weight e^{-z^2/2} (numpy's hermegauss, ``points`` nodes;
    exact for polynomial links of degree < 2 points - kmax).

    Parameters
    ----------
    link : callable
        The link function sigma, applied to a numpy array.
    kmax : int
        Highest degree, in [0, MAX_DEGREE].
    points : int
        Gauss-Hermite nodes, in [2, MAX_POINTS].

    Returns
    -------
    ndarray
        c_0, ..., c_kmax.
    """
    kmax = _integer_at_least(kmax, "kmax", 0)
    if kmax > MAX_DEGREE:
        raise ValueError(f"kmax must be an integer in [0, {MAX_DEGREE}], got {kmax!r}")
    points = _integer_at_least(points, "points", 2)
    if points > MAX_POINTS:
        raise ValueError(f"points must be an integer in [2, {MAX_POINTS}], got {points!r}")
    z, weights = hermite_e.hermegauss(points)
    weights = weights / np.sqrt(2 * np.pi)
    values = np.asarray(link(z), dtype=float)
    if values.shape != z.shape or not np.all(np.isfinite(values)):
        raise ValueError("link must map an array to finite values of the same shape")
    coeffs = []
    for k in range(kmax + 1):
        he_k = hermite_e.hermeval(z, [0] * k + [1])
        coeffs.append(np.sum(weights * values * he_k) / math.factorial(k))
    return np.array(coeffs)


def information_exponent(link: Callable[[Array], Array], kmax: int = 12, tol: float = 1e-8) -> int:
    """k* = min{k >= 1 : c_k != 0} (abs(c_k) > tol relative to the link's L2 norm) (§1).

    Parameters
    ----------
    link : callable
        The link function sigma.
    kmax : int
        Highest degree searched.
    tol : float
        Relative size below which a coefficient counts as zero, in (0, 1).

    Returns
    -------
    int
        k*; ValueError if no coefficient of degree 1..kmax is non-zero.
    """
    tol = _in_range(tol, "tol", 0.0, 1.0, lo_open=True, hi_open=True)
    kmax = _integer_at_least(kmax, "kmax", 1)
    c = hermite_coefficients(link, kmax)
    norm = math.sqrt(sum(math.factorial(k) * ck**2 for k, ck in enumerate(c))) or 1.0
    for k in range(1, kmax + 1):
        if abs(c[k]) > tol * norm:
            return k
    raise ValueError(f"no non-zero Hermite coefficient of order 1..{kmax}: k* > kmax")


def predicted_exponents(k: int) -> dict[str, float]:
    """Sample-complexity exponents a in n ~ d^a, as the theory page states them (§2, §3):

    * online SGD from a random start: max(1, k - 1) [BGJ21] (up to log factors for k <= 2);
    * averaged Langevin alone (Theorems 2 and 3, second-hand): ceil(k / 2) for odd k (the time
      average), k / 2 for even k (the top eigenvector of the averaged second moment);
    * averaged Langevin as a warm start for online SGD (the corollary), and landscape smoothing
      [DNGL23]: k / 2;

    each at least 1 (a direction in R^d needs n >~ d samples).

    Parameters
    ----------
    k : int
        Information exponent k* >= 1.

    Returns
    -------
    dict
        Exponent a of n ~ d^a by method name.
    """
    k = _integer_at_least(k, "k", 1)
    if k > MAX_DEGREE:
        raise ValueError(f"k must be an integer in [1, {MAX_DEGREE}], got {k!r}")
    return {
        "online SGD": float(max(1, k - 1)),
        "averaged Langevin": float(max(1, math.ceil(k / 2))),
        "warm start + online SGD": max(1.0, k / 2),
        "smoothing": max(1.0, k / 2),
    }


def high_temperature_weight(r2: ArrayLike, d: ArrayLike, k: int) -> Array:
    """Per-sample weight of the first-order high-temperature average (§3), from moments of a
    uniform direction w on the sphere S^{d-1}, for a sample x with ||x||^2 = r2:

    * k = 3: E_0[w He_3(<w, x>)] = c(r2) x with c = 3 (r2 - d - 2) / (d (d + 2));
    * k = 4: E_0[w w' He_4(<w, x>)] = b(r2) I + c(r2) x x' with
      c = 12 (r2 - d - 4) / (d (d + 2) (d + 4)).

    Summed over samples with their labels these give the partial-trace estimators (the mean for
    k = 3, the second moment for k = 4).

    Parameters
    ----------
    r2 : array_like
        Squared norms ||x||^2 (>= 0).
    d : array_like
        Dimensions (>= 2).
    k : {3, 4}
        Information exponent.

    Returns
    -------
    ndarray
        c(r2), broadcast over r2 and d.
    """
    r2, d = np.asarray(r2, dtype=float), np.asarray(d, dtype=float)
    if np.any(~np.isfinite(r2)) or np.any(r2 < 0) or np.any(r2 > 1e100):
        raise ValueError("r2 must be finite and lie in [0, 1e100]")
    if np.any(~np.isfinite(d)) or np.any(d < 2) or np.any(d > MAX_DIMENSION):
        raise ValueError(f"d must lie in [2, {MAX_DIMENSION:.0e}]")
    if k == 3:
        return 3 * (r2 - d - 2) / (d * (d + 2))
    if k == 4:
        return 12 * (r2 - d - 4) / (d * (d + 2) * (d + 4))
    raise ValueError(f"k must be 3 or 4, got {k!r}")


def partial_trace_overlap(n: ArrayLike, d: ArrayLike) -> Array:
    """Leading-order overlap of the partial-trace estimator for the He_3 link (§3.1):

        <u/||u||, w*> ~ sqrt(6) / sqrt(6 + (d - 1)(2d + 64)/n),

    from its signal E u = sqrt(6) w* and per-coordinate noise variance (2d + 64)/n orthogonal
    to w*. It reaches 1/2 at n = (d - 1)(2d + 64)/18: exponent 2 = (k*+1)/2 asymptotically,
    but a local slope near 1.5 for d between 16 and 64.

    Parameters
    ----------
    n : array_like
        Sample sizes (finite, >= 1).
    d : array_like
        Dimensions, in [2, MAX_DIMENSION].

    Returns
    -------
    ndarray
        The predicted overlap in [0, 1), broadcast over n and d.
    """
    n, d = np.asarray(n, dtype=float), np.asarray(d, dtype=float)
    if not np.all(np.isfinite(n)) or np.any(n < 1):
        raise ValueError("n must be finite and >= 1 (a sample size)")
    if not np.all(np.isfinite(d)) or np.any(d < 2) or np.any(d > MAX_DIMENSION):
        raise ValueError(f"d must lie in [2, {MAX_DIMENSION:.0e}]")
    return np.sqrt(6) / np.sqrt(6 + (d - 1) * (2 * d + 64) / n)


def partial_trace_threshold(d: ArrayLike, target: float = 0.5) -> Array:
    """The n at which :func:`partial_trace_overlap` reaches ``target`` (§3.1):

        n = (d - 1)(2d + 64) / (6 (1/target^2 - 1)),   (d - 1)(2d + 64)/18 for target 1/2.

    Parameters
    ----------
    d : array_like
        Dimensions (>= 2).
    target : float
        Overlap in [1e-6, 1).

    Returns
    -------
    ndarray
    """
    d = np.asarray(d, dtype=float)
    if np.any(~np.isfinite(d)) or np.any(d < 2) or np.any(d > MAX_DIMENSION):
        raise ValueError(f"d must lie in [2, {MAX_DIMENSION:.0e}]")
    target = _in_range(target, "target", 1e-6, 1.0, hi_open=True)
    return (d - 1) * (2 * d + 64) / (6 * (1 / target**2 - 1))


def threshold_exponent(
    ds: ArrayLike, ns: list[ArrayLike], overlaps: list[ArrayLike], target: float = 0.5
) -> tuple[float, Array]:
    """Fit a in n_target ~ d^a (§4): for each d, the sample size at which the mean overlap first
    reaches ``target`` (linear interpolation in log n between grid points), then a least-squares
    line through (log d, log n_target). Returns (a, n_target per d); the threshold is inf where
    the target is never reached on the grid, and a is inf if fewer than two d reach it.

    Parameters
    ----------
    ds : array_like
        At least two dimensions.
    ns : list of array_like
        For each d, its increasing grid of sample sizes.
    overlaps : list of array_like
        For each d, the mean overlap at each n of its grid.
    target : float
        Overlap that defines the threshold, in (0, 1).

    Returns
    -------
    tuple
        ``(a, n_target)``: the fitted exponent (inf if fewer than two d reach the target) and the
        threshold per d (inf where never reached).
    """
    if not 0 < target < 1:
        raise ValueError(f"target must lie in (0, 1), got {target!r}")
    ds = np.asarray(ds, dtype=float)
    if ds.ndim != 1 or ds.size < 2 or len(ns) != ds.size or len(overlaps) != ds.size:
        raise ValueError("need at least two d values, with one n grid and overlap row per d")
    if not np.all(np.isfinite(ds)) or np.any(ds <= 0):
        raise ValueError("ds must be finite and > 0")
    thresholds = np.full(ds.size, np.inf)
    for i, (n, o) in enumerate(zip(ns, overlaps, strict=True)):
        n, o = np.asarray(n, dtype=float), np.asarray(o, dtype=float)
        if n.ndim != 1 or n.shape != o.shape[-1:] or not np.all(np.isfinite(n)) or np.any(n <= 0):
            raise ValueError("each n grid must be finite, > 0 and match its overlap row")
        if np.any(np.diff(n) <= 0):
            raise ValueError("each n grid must be strictly increasing")
        if not np.all(np.isfinite(o)) or np.any(o < 0) or np.any(o > 1):
            raise ValueError("overlaps must be finite and lie in [0, 1]")
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
        return float("inf"), thresholds
    slope = np.polyfit(np.log(ds[ok]), np.log(thresholds[ok]), 1)[0]
    return float(slope), thresholds


@dataclass(frozen=True)
class Exponent:
    """A fitted threshold exponent with its bootstrap interval (:func:`bootstrap_exponent`)."""

    value: float  # fitted on the mean overlaps of all runs
    lo: float  # percentile interval of the bootstrap over runs
    hi: float
    thresholds: Array  # n at which the mean overlap reaches the target, per d
    resamples: int  # bootstrap resamples that reached the target at every d
    confidence: float

    def __str__(self) -> str:
        if not np.isfinite(self.value):
            return "not fitted (fewer than two d reach the target)"
        return f"{self.value:.2f} [{self.lo:.2f}, {self.hi:.2f}]"


def bootstrap_exponent(
    ds: ArrayLike,
    ns: list[ArrayLike],
    overlaps: list[ArrayLike],
    *,
    target: float = 0.5,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Exponent:
    """:func:`threshold_exponent` on the mean over runs, with a percentile bootstrap interval:
    the runs of every d are resampled with replacement ``resamples`` times and the exponent
    refitted (resamples in which some d never reaches the target are dropped and counted). The
    exponent and its interval are inf when some d never reaches the target.

    Parameters
    ----------
    ds : array_like
        At least two dimensions.
    ns : list of array_like
        For each d, its increasing grid of sample sizes.
    overlaps : list of array_like
        For each d, overlaps of shape (runs, len(ns[i])).
    target : float
        Overlap defining the threshold, in (0, 1).
    resamples : int
        Bootstrap resamples (>= 10).
    confidence : float
        Level of the interval, in (0, 1).
    seed : int
        Seed of the resampling.

    Returns
    -------
    Exponent
    """
    resamples = _integer_at_least(resamples, "resamples", 10)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    runs = [np.atleast_2d(np.asarray(o, dtype=float)) for o in overlaps]
    value, thresholds = threshold_exponent(ds, ns, [o.mean(0) for o in runs], target)
    rng = np.random.default_rng(_integer_at_least(seed, "seed", 0))
    fits = []
    for _ in range(resamples):
        means = [o[rng.integers(0, o.shape[0], o.shape[0])].mean(0) for o in runs]
        a, thr = threshold_exponent(ds, ns, means, target)
        if np.all(np.isfinite(thr)):
            fits.append(a)
    if not fits or not np.all(np.isfinite(thresholds)):
        inf = float("inf")
        return Exponent(inf, inf, inf, thresholds, len(fits), confidence)
    lo, hi = np.quantile(fits, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Exponent(value, float(lo), float(hi), thresholds, len(fits), confidence)
