"""Statistics the chapters report over seeds and instances: binomial intervals, a logistic trend
with its interval, and quantile summaries. numpy/scipy only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _checks

__all__ = ["binomial_interval", "LogisticTrend", "logistic_trend", "Spread", "spread"]

Array = NDArray[np.float64]


def binomial_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = 0.95
) -> tuple[Array, Array]:
    """Wilson score interval for a binomial proportion (scipy's ``binomtest(...).proportion_ci``),
    elementwise over ``successes`` / ``trials``.

    Parameters
    ----------
    successes, trials : array_like
        Integer counts, 0 <= successes <= trials, trials >= 1.
    confidence : float
        Confidence level in (0, 1).

    Returns
    -------
    (lo, hi) : tuple of ndarray
    """
    from scipy.stats import binomtest

    k = np.atleast_1d(_checks.finite_array(successes, "successes", non_negative=True))
    n = np.atleast_1d(_checks.finite_array(trials, "trials", positive=True))
    confidence = _checks.in_range(confidence, "confidence", 0, 1, lo_open=True, hi_open=True)
    k, n = np.broadcast_arrays(k, n)
    if np.any(k != np.round(k)) or np.any(n != np.round(n)) or np.any(k > n):
        raise ValueError("successes and trials must be integers with 0 <= successes <= trials")
    lo, hi = np.empty(k.shape), np.empty(k.shape)
    for idx in np.ndindex(k.shape):
        ci = binomtest(int(k[idx]), int(n[idx])).proportion_ci(confidence, method="wilson")
        lo[idx], hi[idx] = ci.low, ci.high
    return lo, hi


@dataclass(frozen=True)
class LogisticTrend:
    """Maximum-likelihood fit of P(success | x) = sigmoid(a + b x) with a Wald interval on b."""

    intercept: float
    slope: float
    slope_lo: float
    slope_hi: float
    confidence: float

    def predict(self, x: ArrayLike) -> Array:
        """sigmoid(a + b x)."""
        z = self.intercept + self.slope * np.asarray(x, dtype=float)
        return 1 / (1 + np.exp(-z))


def logistic_trend(x: ArrayLike, y: ArrayLike, confidence: float = 0.95) -> LogisticTrend:
    """Logistic regression of binary outcomes ``y`` on one covariate ``x`` by Newton's method
    (iteratively reweighted least squares), with the Wald interval b ± z_{(1+c)/2} se(b) from the
    inverse Fisher information.

    Parameters
    ----------
    x : array_like
        Covariate, finite, at least two distinct values.
    y : array_like
        Outcomes, each 0 or 1, same length as ``x``; both outcomes must occur.
    confidence : float
        Confidence level of the slope interval, in (0, 1).

    Returns
    -------
    LogisticTrend
    """
    from scipy.stats import norm

    x = _checks.finite_array(x, "x", ndim=1, min_size=2)
    y = _checks.finite_array(y, "y", ndim=1, min_size=2)
    confidence = _checks.in_range(confidence, "confidence", 0, 1, lo_open=True, hi_open=True)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if not np.all((y == 0) | (y == 1)) or y.min() == y.max():
        raise ValueError("y must hold 0/1 outcomes with both values present")
    if np.ptp(x) == 0:
        raise ValueError("x must take at least two distinct values")
    x0, x1 = x[y == 0], x[y == 1]
    if x0.max() <= x1.min() or x1.max() <= x0.min():  # the MLE does not exist
        raise ValueError("the outcomes are separated by x: the logistic slope is infinite")
    A = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(100):
        p = 1 / (1 + np.exp(-(A @ beta)))
        info = A.T @ (A * (p * (1 - p))[:, None])
        step = np.linalg.solve(info, A.T @ (y - p))
        beta += step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    else:
        raise ValueError("the logistic fit did not converge in 100 Newton steps")
    p = 1 / (1 + np.exp(-(A @ beta)))
    cov = np.linalg.inv(A.T @ (A * (p * (1 - p))[:, None]))
    half = norm.ppf((1 + confidence) / 2) * np.sqrt(cov[1, 1])
    return LogisticTrend(float(beta[0]), float(beta[1]), beta[1] - half, beta[1] + half, confidence)


@dataclass(frozen=True)
class Spread:
    """Median, mean, standard deviation and the 10 % / 90 % quantiles of a sample."""

    n: int
    median: float
    mean: float
    std: float
    q10: float
    q90: float

    def __str__(self) -> str:
        return (
            f"median {self.median:.4g} (10-90 %: {self.q10:.4g}-{self.q90:.4g}; "
            f"mean {self.mean:.4g} ± {self.std:.2g}; n = {self.n})"
        )


def spread(values: ArrayLike) -> Spread:
    """:class:`Spread` of the finite entries of ``values`` (NaN entries are dropped and not
    counted; at least one must remain)."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise ValueError("values must contain at least one finite entry")
    q10, med, q90 = np.quantile(v, [0.1, 0.5, 0.9])
    return Spread(int(v.size), float(med), float(v.mean()), float(v.std()), float(q10), float(q90))
