"""The chapter's model of extrapolated on-policy distillation: the extrapolated fixed point, the clip-safe interval and the threshold lambda*(p, b, c) (numpy/scipy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from .. import _checks

__all__ = [
    "logit",
    "extrapolated_fixed_point",
    "extrapolated_fixed_point_k",
    "clip_safe_interval",
    "lambda_star",
    "lambda_star_neutral",
    "lambda_star_k",
    "clip_for_threshold",
    "critical_clip",
]

Array = NDArray[np.float64]


# ----------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------
def _prob(x: ArrayLike, name: str) -> Array:
    x = np.asarray(x, dtype=float) if _numeric(x) else np.array(np.nan)
    if not np.all(np.isfinite(x)) or np.any(x <= 0) or np.any(x >= 1):
        raise ValueError(f"{name} must lie strictly inside (0, 1), got {x!r}")
    return x


def _numeric(x: ArrayLike) -> bool:
    try:
        np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def _clip(c: ArrayLike) -> Array:
    c = _checks.finite_array(c, "c (clip strength)", min_size=0)
    if np.any(c <= 1):
        raise ValueError(f"c (clip strength) must be a finite number > 1, got {c!r}")
    return c


def _lam(lam: ArrayLike) -> Array:
    return _checks.finite_array(
        lam, "lam (extrapolation coefficient)", min_size=0, non_negative=True
    )


def _distribution(x: ArrayLike, name: str) -> Array:
    """A scalar is a Bernoulli modal mass (-> [x, 1-x]); a vector a categorical distribution."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        x = _prob(x, name)
        return np.array([float(x), 1.0 - float(x)])
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"{name} must be a probability or a 1-D distribution over >= 2 tokens")
    if not np.all(np.isfinite(x)) or np.any(x <= 0) or abs(x.sum() - 1) > 1e-9:
        raise ValueError(f"{name} must have positive entries summing to 1, got {x!r}")
    return x


def _pair(p: ArrayLike, b: ArrayLike) -> tuple[Array, Array]:
    """Teacher and base as distributions of one length (see _distribution)."""
    p, b = _distribution(p, "p"), _distribution(b, "b")
    if p.shape != b.shape:
        raise ValueError(f"p and b must have the same length, got {p.size} and {b.size}")
    return p, b


def logit(x: ArrayLike) -> Array:
    """log x - log(1 - x), computed with log1p so that x = 1 - 1e-12 stays accurate.

    Parameters
    ----------
    x : array_like
        Probabilities in (0, 1).

    Returns
    -------
    ndarray
        log(x / (1 - x)), elementwise.
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0 or not np.all((x > 0) & (x < 1)):  # NaN fails both comparisons
        raise ValueError(f"x must hold probabilities in (0, 1), got {x!r}")
    return np.log(x) - np.log1p(-x)


# ----------------------------------------------------------------------------------------------
# Closed forms (§2-3)
# ----------------------------------------------------------------------------------------------
def extrapolated_fixed_point(p: ArrayLike, b: ArrayLike, lam: ArrayLike) -> Array:
    """q_lambda = sigmoid((1 - lambda) logit b + lambda logit p) (§2, eq. ec-fixed).

    The maximiser of E r_lambda over Bernoulli students; lambda = 0 gives the base, lambda = 1
    the teacher, lambda > 1 moves past the teacher away from the base. Vectorised (broadcasts).

    Parameters
    ----------
    p : array_like
        Teacher's modal mass, in (0, 1).
    b : array_like
        Base (student at the start) modal mass, in (0, 1).
    lam : array_like
        Extrapolation coefficient lambda >= 0.

    Returns
    -------
    ndarray
        q_lambda, the modal mass of the fixed point, broadcast over the inputs.
    """
    p, b, lam = _prob(p, "p"), _prob(b, "b"), _lam(lam)
    return special.expit((1 - lam) * logit(b) + lam * logit(p))


def extrapolated_fixed_point_k(p: ArrayLike, b: ArrayLike, lam: float) -> Array:
    """pi_lambda ∝ pi_b^{1-lambda} pi_T^lambda over K tokens (§5), by a log-space softmax.

    Parameters
    ----------
    p, b : array_like
        Teacher and base distributions over the same K >= 2 tokens (positive, summing to 1);
        scalars are Bernoulli modal masses.
    lam : float
        Extrapolation coefficient lambda >= 0.

    Returns
    -------
    ndarray
        pi_lambda, a distribution over the K tokens.
    """
    p, b = _pair(p, b)
    lam = float(_lam(lam))
    return special.softmax((1 - lam) * np.log(b) + lam * np.log(p))


def clip_safe_interval(b: ArrayLike, c: ArrayLike) -> tuple[Array, Array]:
    """Modal masses q whose two base-relative ratios q/b and (1-q)/(1-b) both lie in [1/c, c]
    (§3): q_lo = max(b/c, 1 - c(1-b)), q_hi = min(c b, 1 - (1-b)/c).

    Parameters
    ----------
    b : array_like
        Base modal mass, in (0, 1).
    c : array_like
        Clip strength c > 1 (ratios are clipped to [1/c, c]).

    Returns
    -------
    tuple of ndarray
        ``(q_lo, q_hi)``, the ends of the clip-safe interval.
    """
    b, c = _prob(b, "b"), _clip(c)
    lo = np.maximum(b / c, 1 - c * (1 - b))
    hi = np.minimum(c * b, 1 - (1 - b) / c)
    return lo, hi


def lambda_star(p: ArrayLike, b: ArrayLike, c: ArrayLike) -> Array:
    """Clip-safety threshold: the lambda at which q_lambda leaves the clip-safe interval (§3).

    lambda* = (logit q* - logit b) / (logit p - logit b), q* = q_hi if p > b and q_lo if p < b.
    For p > b (extrapolation sharpens the modal token: the paper's near-deterministic regime) the
    tail binds when b > 1/(c+1) and

        lambda* = [log c + log(1 - (1-b)/c) - log b] / (logit p - logit b),

    otherwise the modal ratio binds: lambda* = [log c + log(1-b) - log(1 - c b)] / (logit p -
    logit b). For p < b the mirrored formulas hold. Every log is taken with log1p, so p, b at
    1 - 1e-12 stay finite. Vectorised over broadcastable p, b, c; b = p raises ValueError (the
    target does not move with lambda, so there is no threshold).

    Parameters
    ----------
    p : array_like
        Teacher's modal mass, in (0, 1), different from ``b``.
    b : array_like
        Base modal mass, in (0, 1).
    c : array_like
        Clip strength c > 1.

    Returns
    -------
    ndarray
        lambda*(p, b, c) > 0, broadcast over the inputs.
    """
    p, b, c = np.broadcast_arrays(_prob(p, "p"), _prob(b, "b"), _clip(c))
    if np.any(p == b):
        raise ValueError("b must differ from p: with b = p the target does not depend on lambda")
    lb = np.log(b)
    l1b = np.log1p(-b)
    logc = np.log(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        # logit(q*) - logit(b) for the four ways a ratio can bind
        up_tail = logc + np.log1p(-(1 - b) / c) - lb  # (1-q)/(1-b) = 1/c
        up_modal = np.where(c * b < 1, logc + l1b - np.log1p(-c * b), np.inf)  # q/b = c
        down_modal = -logc + l1b - np.log1p(-b / c)  # q/b = 1/c
        down_tail = np.where(c * (1 - b) < 1, -logc - lb + np.log1p(-c * (1 - b)), -np.inf)
        rise = np.where(p > b, np.minimum(up_tail, up_modal), np.maximum(down_modal, down_tail))
    return rise / (logit(p) - logit(b))


def lambda_star_neutral(p: ArrayLike, c: ArrayLike) -> Array:
    """The base-neutral threshold: lambda* with a uniform base b = 1/2 (§4), where the target is
    the teacher sharpened by temperature 1/lambda, logit q = lambda logit p:

        lambda*(p, c) = log(2c - 1) / logit p   (p > 1/2).

    Parameters
    ----------
    p : array_like
        Teacher's modal mass, in (1/2, 1).
    c : array_like
        Clip strength c > 1.

    Returns
    -------
    ndarray
        lambda*(p, 1/2, c).
    """
    p, c = _prob(p, "p"), _clip(c)
    if np.any(p <= 0.5):
        raise ValueError(f"p must exceed 1/2 for the base-neutral threshold, got {p!r}")
    return np.log(2 * c - 1) / logit(p)


def lambda_star_k(p: ArrayLike, b: ArrayLike, c: float, lam_max: float = 100.0) -> float:
    """K-ary threshold (§5): the smallest lambda > 0 at which some token's base-relative ratio
    pi_lambda(y)/pi_b(y) leaves [1/c, c]. Log-ratios lambda log(p_y/b_y) - log Z(lambda) are
    scanned on a grid and each crossing refined with brentq; inf if none before ``lam_max``.

    Parameters
    ----------
    p, b : array_like
        Teacher and base distributions over the same K >= 2 tokens.
    c : float
        Clip strength c > 1.
    lam_max : float
        End of the scanned range of lambda, a positive finite number.

    Returns
    -------
    float
        The K-ary threshold, or ``inf`` if no ratio leaves [1/c, c] below ``lam_max``.
    """
    p, b = _pair(p, b)
    logc = float(np.log(_clip(c)))
    lam_max = _checks.positive(lam_max, "lam_max")

    log_b, log_p = np.log(b), np.log(p)

    def excess(lam: float) -> float:
        z = (1 - lam) * log_b + lam * log_p
        log_ratio = z - special.logsumexp(z) - log_b
        return float(np.max(np.abs(log_ratio)) - logc)

    grid = np.linspace(0.0, lam_max, 4001)
    z = (1 - grid[:, None]) * log_b + grid[:, None] * log_p  # the scan, vectorised
    values = np.max(np.abs(z - special.logsumexp(z, axis=1, keepdims=True) - log_b), axis=1) - logc
    above = np.nonzero(values > 0)[0]
    if above.size == 0:
        return float("inf")
    i = int(above[0])
    return float(optimize.brentq(excess, grid[i - 1], grid[i], xtol=1e-13, rtol=1e-13))


# ----------------------------------------------------------------------------------------------
# Where lambda* > 1: the clip at which a given lambda is the threshold (§3.1)
# ----------------------------------------------------------------------------------------------
def clip_for_threshold(p: ArrayLike, b: ArrayLike, lam: ArrayLike) -> Array:
    """The clip strength c at which lambda*(p, b, c) = lam (§3.1): the largest base-relative
    ratio of the fixed point q_lam, over both tokens and both directions,

        c(lam) = max(q/b, b/q, (1-q)/(1-b), (1-b)/(1-q)),   q = q_lam (eq. ec-fixed).

    The ratios of q_lambda move monotonically away from 1 as lambda grows, so c(lam) increases
    and lambda*(p, b, c) is its inverse: lambda*(p, b, c) > lam exactly when c > c(lam).
    Computed in the log domain (log1p), so masses at 1 - 1e-12 stay accurate.

    Parameters
    ----------
    p : array_like
        Teacher's modal mass, in (0, 1).
    b : array_like
        Base modal mass, in (0, 1).
    lam : array_like
        Extrapolation coefficient lambda >= 0.

    Returns
    -------
    ndarray
        c(lam) >= 1 (= 1 at lam = 0 or p = b), broadcast over the inputs.
    """
    p, b, lam = np.broadcast_arrays(_prob(p, "p"), _prob(b, "b"), _lam(lam))
    z = (1 - lam) * logit(b) + lam * logit(p)  # logit q_lam
    log_q, log_1q = -np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)
    modal = np.abs(log_q - np.log(b))
    tail = np.abs(log_1q - np.log1p(-b))
    with np.errstate(over="ignore"):
        c = np.exp(np.maximum(modal, tail))
    if not np.all(np.isfinite(c)):
        raise ValueError(
            f"lam (extrapolation coefficient) is too large: the clip c(lam) overflows a float, "
            f"got lam = {lam!r}"
        )
    return c


def critical_clip(p: ArrayLike, b: ArrayLike) -> Array:
    """The clip above which plain distillation is clip-safe and lambda* > 1 (§3.1):

        lambda*(p, b, c) > 1  <=>  c > c_1(p, b) = max(p/b, b/p, (1-p)/(1-b), (1-b)/(1-p)),

    i.e. exactly when the teacher itself lies inside the base-relative band [1/c, c]. For
    p > b the binding term is max(p/b, (1-b)/(1-p)), and the tail term (1-b)/(1-p) is the
    larger one exactly when p + b > 1 (the near-deterministic regime); for p < b it is
    max(b/p, (1-p)/(1-b)). Equal to :func:`clip_for_threshold` at lam = 1.

    Parameters
    ----------
    p : array_like
        Teacher's modal mass, in (0, 1).
    b : array_like
        Base modal mass, in (0, 1).

    Returns
    -------
    ndarray
        c_1(p, b) >= 1, broadcast over the inputs.
    """
    p, b = np.broadcast_arrays(_prob(p, "p"), _prob(b, "b"))
    modal = np.abs(np.log(p) - np.log(b))
    tail = np.abs(np.log1p(-p) - np.log1p(-b))
    return np.exp(np.maximum(modal, tail))
