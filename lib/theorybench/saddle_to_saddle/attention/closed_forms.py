"""Multi-head linear attention (Zhang, Saxe & Latham 2026): the exact reduction, plateau levels and escape times, one head per plateau (numpy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._shared.inputs import Array, context_length, eigenvalues
from ..linear.closed_forms import deep_escape_time, deep_mode_trajectory, steepest_fraction

__all__ = [
    "attention_targets",
    "attention_loss",
    "attention_plateau_losses",
    "attention_escape_times",
    "attention_loss_curve",
]


# ----------------------------------------------------------------------------------------------
# A nonlinear architecture: multi-head linear attention learns one head per plateau (§6)
# ----------------------------------------------------------------------------------------------
def _attention_gamma(lam: Array, context: int) -> Array:
    """gamma_i = E[Sigma_hat^2]_ii = lam_i^2 + (lam_i^2 + tr(Lambda) lam_i) / N (§6.1)."""
    return lam**2 + (lam**2 + lam.sum() * lam) / context_length(context)


def attention_targets(lam: ArrayLike, context: int) -> tuple[Array, Array]:
    """Per-mode optimum m_i* = lam_i / gamma_i and curvature c_i = lam_i gamma_i (§6.1).

    gamma_i = lam_i^2 + (lam_i^2 + tr(Lambda) lam_i) / N is the i-th diagonal entry of
    E[Sigma_hat^2], Sigma_hat = (1/N) sum_n x_n x_n' the context's sample covariance
    (Gaussian fourth moments). The population loss of a diagonal M is
    sum_i [lam_i/2 - lam_i^2 m_i + lam_i gamma_i m_i^2 / 2]; see attention_loss.

    Parameters
    ----------
    lam : array_like
        Input covariance eigenvalues lam_i > 0, one per head.
    context : int
        Number N >= 1 of context tokens.

    Returns
    -------
    tuple of ndarray
        ``(m_star, c)`` per mode.
    """
    lam = eigenvalues(lam)
    gamma = _attention_gamma(lam, context)
    return lam / gamma, lam * gamma


def attention_loss(M: ArrayLike, lam: ArrayLike, context: int) -> float:
    """Population loss of linear attention with end-to-end matrix M = sum_h v_h q_h k_h' (§6.1):

        L(M) = tr(Lambda)/2 - tr(Lambda M Lambda) + tr(M' Lambda M Gamma)/2,
        Gamma = E[Sigma_hat^2] = Lambda^2 + (Lambda^2 + tr(Lambda) Lambda) / N,

    for x ~ N(0, Lambda) with Lambda = diag(lam), task vector w ~ N(0, I) and N context tokens.

    Parameters
    ----------
    M : array_like
        End-to-end matrix, shape (len(lam), len(lam)).
    lam : array_like
        Input covariance eigenvalues lam_i > 0, one per head.
    context : int
        Number N >= 1 of context tokens.

    Returns
    -------
    float
        L(M).
    """
    lam = eigenvalues(lam)
    M = np.asarray(M, dtype=float)
    if not np.all(np.isfinite(M)) or np.any(np.abs(M) > 1e100):
        raise ValueError("M must be finite with every entry in [-1e100, 1e100]")
    if M.shape != (lam.size, lam.size):
        raise ValueError(f"M must have shape {(lam.size, lam.size)}, got {M.shape}")
    gamma = _attention_gamma(lam, context)
    return float(
        0.5 * lam.sum() - np.sum(lam**2 * np.diag(M)) + 0.5 * np.sum(lam[:, None] * M**2 * gamma)
    )


def attention_plateau_losses(lam: ArrayLike, context: int) -> Array:
    """Loss before any head is learned, then after each mode is learned in order (§6.2):
    L_k = tr(Lambda)/2 - 1/2 sum_{i<=k} lam_i^3 / gamma_i; length len(lam) + 1.

    Parameters
    ----------
    lam : array_like
        Input covariance eigenvalues lam_i > 0, one per head.
    context : int
        Number N >= 1 of context tokens.

    Returns
    -------
    ndarray
        L_0, ..., L_len(lam).
    """
    lam = eigenvalues(lam)
    m_star, _ = attention_targets(lam, context)
    gain = 0.5 * lam**2 * m_star  # = lam^3 / (2 gamma)
    return 0.5 * lam.sum() - np.concatenate([[0.0], np.cumsum(gain)])


def attention_escape_times(lam: ArrayLike, a0: ArrayLike, context: int) -> Array:
    """Time (steps x lr) at which head i's loss falls fastest, from the balanced aligned start
    v_i = k_ii = q_ii = a0_i (§6.2).

    Each head is a product of three factors, so m_i = a^3 obeys the depth-3 mode equation
    da/dt = c_i a^2 (m_i* - a^3): deep_escape_time(m_i*, a0_i, 3, tau=1/c_i) at the steepest
    fraction 2/5 (``steepest_fraction(3)``). For small a0 it is ~ 1 / (lam_i^2 a0): plateaus last
    ~ 1/sigma, not log(1/sigma).
    ``a0`` is one scale or one per head.

    Parameters
    ----------
    lam : array_like
        Input covariance eigenvalues lam_i > 0, one per head.
    a0 : array_like
        Initial scale of each head's factors (> 0): one number or one per head.
    context : int
        Number N >= 1 of context tokens.

    Returns
    -------
    ndarray
        Escape time per head.
    """
    m_star, curv = attention_targets(lam, context)
    a0 = np.broadcast_to(np.asarray(a0, dtype=float), m_star.shape)
    if np.any(~np.isfinite(a0)) or np.any(a0 <= 0):
        raise ValueError(f"a0 (initial head scale) must be > 0, got {a0!r}")
    frac = steepest_fraction(3)
    return np.array(
        [
            deep_escape_time(m, a, 3, tau=1 / c, fraction=frac)
            for m, a, c in zip(m_star, a0, curv, strict=True)
        ]
    )


def attention_loss_curve(t: ArrayLike, lam: ArrayLike, a0: ArrayLike, context: int) -> Array:
    """Closed-form L(t) from the balanced aligned start (§6.2): each m_i(t) from
    deep_mode_trajectory (depth 3, tau = 1/c_i) put into the diagonal loss.

    Parameters
    ----------
    t : array_like
        Times (steps x lr) >= 0.
    lam : array_like
        Input covariance eigenvalues lam_i > 0, one per head.
    a0 : array_like
        Initial scale of each head's factors: one number or one per head.
    context : int
        Number N >= 1 of context tokens.

    Returns
    -------
    ndarray
        L(t), shape (len(t),).
    """
    lam = eigenvalues(lam)
    m_star, curv = attention_targets(lam, context)
    a0 = np.broadcast_to(np.asarray(a0, dtype=float), lam.shape)
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if not np.all(np.isfinite(t)) or np.any(np.abs(t) > 1e100):
        raise ValueError("t must be finite with every entry in [-1e100, 1e100]")
    m = np.stack(
        [
            deep_mode_trajectory(t, [ms], a, 3, tau=1 / c)[:, 0]
            for ms, a, c in zip(m_star, a0, curv, strict=True)
        ],
        axis=1,
    )
    return (0.5 * lam - lam**2 * m + 0.5 * curv * m**2).sum(1)
