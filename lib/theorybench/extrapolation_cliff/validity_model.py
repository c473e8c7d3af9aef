"""The chapter's second model: parse validity of a structured output with L structural positions,
its extrapolated fixed point, and the lambda past which validity falls (numpy/scipy only).

Every structural position is a categorical over K tokens; token 0 is the format-valid one, the
others are a *benign* tail (tokens the base also emits) and *format-breaking* tokens. Validity is
the probability that all L positions are valid, V = prod_l pi_l(0) (identical, independent
positions: V = q^L). The extrapolated target is pi_lambda ∝ pi_b^{1-lambda} pi_T^lambda at every
position (§8 of the theory page).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from .. import _checks
from .model import Array, _lam, _pair

__all__ = [
    "validity",
    "validity_peak",
    "validity_cliff",
    "tail_ratios",
    "validity_cliff_clip",
    "validity_fall_width",
    "fall_width_bound",
]


def _positions(L: int) -> int:
    return _checks.integer_at_least(L, "L (structural positions)", 1)


def _log_modal(p: Array, b: Array, lam: Array) -> Array:
    """log pi_lambda(0) for each lambda, in the log domain."""
    t = (1 - lam[..., None]) * np.log(b) + lam[..., None] * np.log(p)
    return t[..., 0] - np.logaddexp.reduce(t, axis=-1)


def validity(p: ArrayLike, b: ArrayLike, lam: ArrayLike, L: int) -> Array:
    """Validity of the extrapolated fixed point, V(lambda) = pi_lambda(0)^L (§8.1).

    Parameters
    ----------
    p, b : array_like
        Teacher and base distributions over K >= 2 tokens (token 0 valid), positive, summing to 1.
    lam : array_like
        Extrapolation coefficients (>= 0).
    L : int
        Structural positions (>= 1).

    Returns
    -------
    ndarray
        V in (0, 1), shaped like ``lam``.
    """
    p, b = _pair(p, b)
    lam = _lam(lam)
    return np.exp(_positions(L) * _log_modal(p, b, lam))


def tail_ratios(p: ArrayLike, b: ArrayLike) -> tuple[Array, Array]:
    """For each tail token y >= 1: its base weight w_y = b_y / b_0 and its teacher-over-base
    ratio rho_y = (p_y / p_0) / (b_y / b_0). Token y's share of the fixed point relative to the
    valid token is w_y rho_y^lambda; rho_y > 1 marks a token the teacher favours, relative to
    the valid one, more than the base does (§8.1).

    Parameters
    ----------
    p, b : array_like
        Teacher and base distributions (token 0 valid).

    Returns
    -------
    (w, rho) : tuple of ndarray
        One entry per tail token.
    """
    p, b = _pair(p, b)
    w = b[1:] / b[0]
    return w, (p[1:] / p[0]) / w


def validity_peak(p: ArrayLike, b: ArrayLike) -> float:
    """The lambda >= 0 at which the fixed point's valid mass, and so V, is largest (§8.1):

        pi_lambda(0) = 1 / (1 + sum_y w_y rho_y^lambda),
        d/dlambda: sum_y w_y rho_y^lambda log rho_y = 0,

    whose left side increases in lambda, so the root is unique (scipy brentq). 0 if the valid
    mass falls from the base on; inf if no token has rho_y > 1 (V rises for ever). With one
    benign (A) and one format-breaking (B) tail token it is the closed form
    log(w_A abs(log rho_A) / (w_B log rho_B)) / log(rho_B / rho_A).

    Parameters
    ----------
    p, b : array_like
        Teacher and base distributions (token 0 valid).

    Returns
    -------
    float
    """
    w, rho = tail_ratios(p, b)
    lr = np.log(rho)
    if np.all(lr <= 0):
        return float("inf")

    def slope(lam: float) -> float:  # scaled by the largest term so it never overflows
        e = np.log(w) + lam * lr
        return float(np.sum(np.exp(e - e.max()) * lr))

    if slope(0.0) >= 0:
        return 0.0
    hi = 1.0
    while slope(hi) < 0:
        hi *= 2
    return float(optimize.brentq(slope, 0.0, hi, xtol=1e-12))


def validity_cliff(p: ArrayLike, b: ArrayLike, L: int, drop: float = 0.5) -> float:
    """The lambda past the peak at which V falls to ``drop`` times its largest value (§8.1),
    by bracketing root finding on log V (scipy brentq); inf if V never falls.

    Parameters
    ----------
    p, b : array_like
        Teacher and base distributions (token 0 valid).
    L : int
        Structural positions.
    drop : float
        Fraction of the peak validity that defines the cliff, in (0, 1).

    Returns
    -------
    float
    """
    p, b = _pair(p, b)
    L = _positions(L)
    drop = _checks.in_range(drop, "drop", 0, 1, lo_open=True, hi_open=True)
    peak = validity_peak(p, b)
    if not np.isfinite(peak):
        return float("inf")
    target = L * _log_modal(p, b, np.array(peak)) + np.log(drop)

    def gap(lam: float) -> float:
        return float(L * _log_modal(p, b, np.array(lam)) - target)

    hi = peak + 1.0
    while gap(hi) > 0:
        hi = peak + 2 * (hi - peak)
    return float(optimize.brentq(gap, peak, hi, xtol=1e-12))


def validity_cliff_clip(p: ArrayLike, b: ArrayLike, L: int, drop: float = 0.5) -> float:
    """The base-relative clip strength above which a sign-aware base clip leaves the validity
    cliff where the fixed point's is (§8.2):

        c_V = max over tail tokens y with rho_y > 1 of pi_{lambda_V}(y) / b_y,

    the largest ratio to the base of a format-breaking token at the fixed point's cliff
    lambda_V = :func:`validity_cliff`. For c > c_V no format-breaking token reaches the top of
    the band [1/c, c] on the way to the cliff, so the clip does not stop it; for c < c_V each is
    held near c b_y and validity stops following the fixed point before its cliff.

    Parameters
    ----------
    p, b : array_like
        Teacher and base distributions (token 0 valid).
    L : int
        Structural positions.
    drop : float
        Fraction of the peak validity that defines the cliff, in (0, 1).

    Returns
    -------
    float
        c_V > 1, or inf if validity never falls (no token has rho_y > 1).
    """
    p, b = _pair(p, b)
    cliff = validity_cliff(p, b, L, drop)
    if not np.isfinite(cliff):
        return float("inf")
    _, rho = tail_ratios(p, b)
    t = (1 - cliff) * np.log(b) + cliff * np.log(p)
    log_pi = t - np.logaddexp.reduce(t)
    breaking = np.nonzero(rho > 1)[0] + 1
    return float(np.exp(np.max(log_pi[breaking] - np.log(b[breaking]))))


def validity_fall_width(
    p: ArrayLike, b: ArrayLike, L: int, hi: float = 0.9, lo: float = 0.1
) -> float:
    """How wide the fixed point's fall is: lambda(lo) - lambda(hi), where V falls to ``lo`` and
    to ``hi`` times its peak past the peak (§8.4), each by :func:`validity_cliff`.

    Parameters
    ----------
    p, b : array_like
        Teacher and base distributions (token 0 valid).
    L : int
        Structural positions.
    hi, lo : float
        Fractions of the peak, 0 < lo < hi < 1.

    Returns
    -------
    float
        The width in lambda (> 0), or inf if validity never falls.
    """
    hi = _checks.in_range(hi, "hi", 0, 1, lo_open=True, hi_open=True)
    lo = _checks.in_range(lo, "lo", 0, hi, lo_open=True, hi_open=True)
    return validity_cliff(p, b, L, lo) - validity_cliff(p, b, L, hi)


def fall_width_bound(
    v_peak: ArrayLike, log_rho_max: ArrayLike, L: ArrayLike, hi: float = 0.9, lo: float = 0.1
) -> Array:
    """A lower bound on :func:`validity_fall_width` for every fixed point of the validity model
    (§8.4), whatever the number of tail tokens:

        width >= log[((1/(lo V_pk))^{1/L} - 1) / ((1/(hi V_pk))^{1/L} - 1)] / max_y log rho_y.

    With S(lambda) = sum_y w_y rho_y^lambda, V = (1 + S)^{-L}, so V = x V_pk means
    S = (1/(x V_pk))^{1/L} - 1; every term of S grows at most like exp(lambda max_y log rho_y),
    so S can grow from its value at the ``hi`` point to its value at the ``lo`` point no faster.
    As L grows the bound tends to log[(log(1/lo) - log V_pk) / (log(1/hi) - log V_pk)] / max log rho.

    Parameters
    ----------
    v_peak : array_like
        Peak validity V_pk, in (0, 1].
    log_rho_max : array_like
        max_y log rho_y > 0 (the fastest-growing tail token; :func:`tail_ratios`).
    L : array_like
        Structural positions (integers >= 1).
    hi, lo : float
        Fractions of the peak, 0 < lo < hi < 1.

    Returns
    -------
    ndarray
        The lower bound on the width in lambda.
    """
    v = _checks.finite_array(v_peak, "v_peak", min_size=0, positive=True)
    if np.any(v > 1):
        raise ValueError(f"v_peak must lie in (0, 1], got {v_peak!r}")
    m = _checks.finite_array(log_rho_max, "log_rho_max", min_size=0, positive=True)
    L = _checks.finite_array(L, "L (structural positions)", min_size=0)
    if np.any(L < 1) or np.any(L != np.round(L)):
        raise ValueError(f"L (structural positions) must be integers >= 1, got {L!r}")
    hi = _checks.in_range(hi, "hi", 0, 1, lo_open=True, hi_open=True)
    lo = _checks.in_range(lo, "lo", 0, hi, lo_open=True, hi_open=True)
    s_lo = np.expm1(-np.log(lo * v) / L)
    s_hi = np.expm1(-np.log(hi * v) / L)
    return np.log(s_lo / s_hi) / m
