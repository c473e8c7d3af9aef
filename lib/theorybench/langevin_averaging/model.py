"""Closed forms of the Langevin-averaging chapter: Hermite coefficients and the information exponent, predicted sample-complexity exponents, the partial-trace overlap and exponent fits (numpy only)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.polynomial import hermite_e
from numpy.typing import ArrayLike, NDArray

from .._checks import integer_at_least as _integer_at_least

__all__ = [
    "hermite_coefficients",
    "information_exponent",
    "predicted_exponents",
    "partial_trace_overlap",
    "threshold_exponent",
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
        Highest degree (>= 0).
    points : int
        Gauss-Hermite nodes.

    Returns
    -------
    ndarray
        c_0, ..., c_kmax.
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
    """k* = min{k >= 1 : c_k != 0} (abs(c_k) > tol relative to the link's L2 norm) (§1).

    Parameters
    ----------
    link : callable
        The link function sigma.
    kmax : int
        Highest degree searched.
    tol : float
        Relative size below which a coefficient counts as zero.

    Returns
    -------
    int
        k*; ValueError if no coefficient of degree 1..kmax is non-zero.
    """
    c = hermite_coefficients(link, kmax)
    norm = math.sqrt(sum(math.factorial(k) * ck**2 for k, ck in enumerate(c))) or 1.0
    for k in range(1, kmax + 1):
        if abs(c[k]) > tol * norm:
            return k
    raise ValueError(f"no non-zero Hermite coefficient of order 1..{kmax}: k* > kmax")


def predicted_exponents(k: int) -> dict[str, float]:
    """Sample-complexity exponents a in n ~ d^a (§2-4): online SGD max(1, k-1) [BGJ21];
    smoothing and averaged Langevin k/2 (at least 1) [DNGL23, LSWA26]; and the high-temperature
    limit of averaging (the partial trace, §4): (k+1)/2 for odd k.

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
    return {
        "online SGD": float(max(1, k - 1)),
        "smoothing / averaged Langevin": max(1.0, k / 2),
        "partial trace (odd k)": (k + 1) / 2 if k % 2 else float("nan"),
    }


def partial_trace_overlap(n: ArrayLike, d: ArrayLike) -> Array:
    """Leading-order overlap of the partial-trace estimator for the He_3 link (§4):

        <u/||u||, w*> ~ sqrt(6) / sqrt(6 + (d - 1)(2d + 64)/n),

    from its signal E u = sqrt(6) w* and per-coordinate noise variance (2d + 64)/n orthogonal
    to w*. It reaches 1/2 at n = (d - 1)(2d + 64)/18: exponent 2 = (k*+1)/2 asymptotically,
    but a local slope near 1.5 for d between 16 and 64.

    Parameters
    ----------
    n : array_like
        Sample sizes (> 0).
    d : array_like
        Dimensions (>= 2).

    Returns
    -------
    ndarray
        The predicted overlap in [0, 1), broadcast over n and d.
    """
    n, d = np.asarray(n, dtype=float), np.asarray(d, dtype=float)
    if np.any(n <= 0) or np.any(d < 2):
        raise ValueError("n must be > 0 and d >= 2")
    return np.sqrt(6) / np.sqrt(6 + (d - 1) * (2 * d + 64) / n)


def threshold_exponent(
    ds: ArrayLike, ns: list[ArrayLike], overlaps: list[ArrayLike], target: float = 0.5
) -> tuple[float, Array]:
    """Fit a in n_target ~ d^a (§5): for each d, the sample size at which the mean overlap first
    reaches ``target`` (linear interpolation in log n between grid points), then a least-squares
    line through (log d, log n_target). Returns (a, n_target per d); NaN where never reached.

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
        ``(a, n_target)``: the fitted exponent (NaN if fewer than two d reach the target) and the
        threshold per d.
    """
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
