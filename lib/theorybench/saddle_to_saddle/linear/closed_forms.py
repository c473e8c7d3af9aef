"""Linear networks (Saxe et al. 2014): decoupled modes, the two-layer logistic, plateau levels and times, deep-linear escape times (numpy/scipy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate

from ... import _checks
from ..._checks import integer_at_least as _integer_at_least
from ..._checks import positive as _positive
from .._shared.inputs import Array, bounded_array, spectrum

__all__ = [
    "mode_trajectory",
    "learning_times",
    "steepest_descent_times",
    "loss_curve",
    "plateau_losses",
    "steepest_fraction",
    "deep_escape_time",
    "teacher",
    "effective_initial_strength",
    "random_start_strength",
    "width_transition_times",
    "deep_mode_trajectory",
]


# ----------------------------------------------------------------------------------------------
# Closed forms, two-layer network (§2-3)
# ----------------------------------------------------------------------------------------------
def mode_trajectory(t: ArrayLike, s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """u_k(t) = s_k e^{2 s_k t/tau} / (e^{2 s_k t/tau} - 1 + s_k/u0)  ([SMG14]; §2, eq. s2s-u).

    The solution of tau du/dt = 2 u (s - u), u(0) = u0 (two layers, balanced). Returns an array of
    shape (len(t), len(s)); computed as s / (1 + (s/u0 - 1) e^{-2 s t/tau}) so that it never
    overflows for long times or tiny u0.

    Parameters
    ----------
    t : array_like
        Times >= 0.
    s : array_like
        Teacher singular values s_k > 0 (one per mode).
    u0 : float
        Initial mode strength u_k(0) > 0 (sigma^2 for the aligned start), below every s_k.
    tau : float
        Time constant tau > 0 (1 / learning rate for gradient descent).

    Returns
    -------
    ndarray
        u_k(t), shape (len(t), len(s)).
    """
    s = spectrum(s)
    _positive(u0, "u0")
    _positive(tau, "tau")
    if np.any(s <= u0):
        raise ValueError(f"u0 must be smaller than every s_k (small initialisation), got u0={u0}")
    t = np.atleast_1d(bounded_array(t, "t"))[:, None]
    return s / (1 + np.exp(np.log(s / u0 - 1) - 2 * s * t / tau))


def learning_times(s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """t_k at which mode k is half learned, u_k = s_k / 2: (tau / 2 s_k) ln(s_k/u0 - 1) (§3).

    For small u0 this is the familiar (tau / 2 s_k) ln(s_k / u0): smaller initialisation, longer
    plateaus, growing like log(1/sigma) since u0 = sigma^2.

    Parameters
    ----------
    s : array_like
        Teacher singular values s_k > 0 (one per mode).
    u0 : float
        Initial mode strength u_k(0) > 0 (sigma^2 for the aligned start), below every s_k.
    tau : float
        Time constant tau > 0 (1 / learning rate for gradient descent).

    Returns
    -------
    ndarray
        t_k per mode.
    """
    s = spectrum(s)
    _positive(u0, "u0")
    _positive(tau, "tau")
    if np.any(s <= 2 * u0):
        raise ValueError(f"u0 must be below s_k / 2 for every mode, got u0={u0}")
    return tau / (2 * s) * np.log(s / u0 - 1)


def steepest_descent_times(s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """Times at which mode k's own loss 1/2 (s_k - u_k)^2 falls fastest, u_k = s_k / 3 (§3):
    (tau / 2 s_k) ln((s_k/u0 - 1) / 2). The loss-curve feature detect_plateaus measures.

    Parameters
    ----------
    s : array_like
        Teacher singular values s_k > 0 (one per mode).
    u0 : float
        Initial mode strength u_k(0) > 0 (sigma^2 for the aligned start), below every s_k.
    tau : float
        Time constant tau > 0 (1 / learning rate for gradient descent).

    Returns
    -------
    ndarray
        The time of steepest descent per mode.
    """
    s = spectrum(s)
    _positive(u0, "u0")
    _positive(tau, "tau")
    if np.any(s <= 3 * u0):
        raise ValueError(f"u0 must be below s_k / 3 for every mode, got u0={u0}")
    return tau / (2 * s) * np.log((s / u0 - 1) / 2)


def loss_curve(t: ArrayLike, s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """L(t) = 1/2 sum_k (s_k - u_k(t))^2 for the two-layer network (§3).

    Parameters
    ----------
    t : array_like
        Times >= 0.
    s : array_like
        Teacher singular values s_k > 0 (one per mode).
    u0 : float
        Initial mode strength u_k(0) > 0 (sigma^2 for the aligned start), below every s_k.
    tau : float
        Time constant tau > 0 (1 / learning rate for gradient descent).

    Returns
    -------
    ndarray
        L(t), shape (len(t),).
    """
    return 0.5 * ((spectrum(s) - mode_trajectory(t, s, u0, tau)) ** 2).sum(1)


def plateau_losses(s: ArrayLike) -> Array:
    """Loss on plateau k (modes 1..k-1 learned, k.. not yet): 1/2 sum_{j>=k} s_j^2, for
    k = 1..n, followed by 0 (§3). Unit input covariance.

    Parameters
    ----------
    s : array_like
        Teacher singular values s_k > 0 (one per mode).

    Returns
    -------
    ndarray
        The n + 1 plateau levels.
    """
    s = spectrum(s, strictly_decreasing=True)
    tail = np.cumsum((s**2)[::-1])[::-1]
    return np.append(0.5 * tail, 0.0)


def steepest_fraction(depth: int) -> float:
    """u/s at which a depth-L mode's loss falls fastest: maximise u^a (s-u)^2, a = 2 - 2/L, so
    u = a s / (a + 2) (1/3 for two layers) (§4).

    Parameters
    ----------
    depth : int
        Number of layers L >= 2.

    Returns
    -------
    float
        a / (a + 2) with a = 2 - 2/L.
    """
    _integer_at_least(depth, "depth", 2)
    a = 2 - 2 / depth
    return a / (a + 2)


def deep_escape_time(
    s: float, sigma: float, depth: int, tau: float = 1.0, fraction: float = 0.5
) -> float:
    """Time for a mode of a depth-L balanced aligned linear network to reach u = fraction * s (§4).

    Each layer's factor w obeys tau dw/dt = w^{L-1}(s - w^L), so u = w^L obeys
    tau du/dt = L u^{2 - 2/L} (s - u), u(0) = sigma^L; the time is the integral
    tau int_{u0}^{f s} du / (L u^{2-2/L} (s - u)) (scipy quad, in log u). For L = 2 and f = 1/2
    it is learning_times; for L > 2 and small sigma it grows like tau sigma^{-(L-2)} / ((L-2) s).

    Parameters
    ----------
    s : float
        The mode's teacher singular value (> 0).
    sigma : float
        Initial scale of each layer's factor; sigma^depth must lie below ``fraction * s``.
    depth : int
        Number of layers L >= 2.
    tau : float
        Time constant (> 0).
    fraction : float
        The fraction of s to reach, in (0, 1).

    Returns
    -------
    float
        The escape time.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction!r}")
    _positive(s, "s")
    _positive(sigma, "sigma")
    _positive(tau, "tau")
    depth = _integer_at_least(depth, "depth", 2)
    if depth * np.log(sigma) >= np.log(fraction * s):  # in logs: sigma^depth may overflow
        raise ValueError(f"sigma^depth must be below fraction * s (small init), got sigma={sigma}")
    u0 = sigma**depth

    def integrand(log_u: float) -> float:  # du = u dlog_u
        u = np.exp(log_u)
        return u / (depth * u ** (2 - 2 / depth) * (s - u))

    value, _ = integrate.quad(
        integrand, np.log(u0), np.log(fraction * s), limit=200, epsabs=0, epsrel=1e-10
    )
    return float(tau * value)


# ----------------------------------------------------------------------------------------------
# Torch experiment (§3)
# ----------------------------------------------------------------------------------------------
def teacher(s: ArrayLike, d_in: int, d_out: int, seed: int = 0) -> tuple[Array, Array, Array]:
    """A teacher map M = U diag(s) V' with random orthonormal U (d_out x n), V (d_in x n).

    Parameters
    ----------
    s : array_like
        Teacher singular values (> 0).
    d_in, d_out : int
        Input and output dimensions, each >= len(s).
    seed : int
        Seed of the random orthonormal factors (>= 0).

    Returns
    -------
    tuple of ndarray
        ``(M, U, V)`` with M = U diag(s) V'.
    """
    s = spectrum(s)
    d_in = _integer_at_least(d_in, "d_in", s.size)
    d_out = _integer_at_least(d_out, "d_out", s.size)
    rng = np.random.default_rng(_integer_at_least(seed, "seed", 0))
    U, _ = np.linalg.qr(rng.standard_normal((d_out, s.size)))
    V, _ = np.linalg.qr(rng.standard_normal((d_in, s.size)))
    return U * s @ V.T, U, V


def effective_initial_strength(W1: ArrayLike, W2: ArrayLike, U: ArrayLike, V: ArrayLike) -> Array:
    """u_k(0)_eff = ||a_k + b_k||^2 / 4 with a_k = W1 v_k, b_k = W2' u_k (§3, random starts).

    Early on, tau da/dt = s b and tau db/dt = s a, so a + b grows like e^{s t/tau}, a - b decays,
    and u_k = b'a ~ ||a_0 + b_0||^2 e^{2 s t/tau} / 4: the logistic with this u0. For the aligned
    start it equals sigma^2. Batched over a leading axis of W1 (B, H, D) and W2 (B, O, H).

    Parameters
    ----------
    W1 : array_like
        First-layer weights, shape (B, H, D).
    W2 : array_like
        Second-layer weights, shape (B, O, H).
    U, V : array_like
        The teacher's output (O, n) and input (D, n) singular vectors.

    Returns
    -------
    ndarray
        Effective u_k(0), shape (B, n).
    """
    W1, W2 = bounded_array(W1, "W1"), bounded_array(W2, "W2")
    U, V = bounded_array(U, "U"), bounded_array(V, "V")
    a = W1 @ np.asarray(V, dtype=float)  # (B, H, n)
    b = np.swapaxes(W2, -1, -2) @ np.asarray(U, dtype=float)  # (B, H, n)
    return 0.25 * ((a + b) ** 2).sum(-2)


def random_start_strength(sigma: float, hidden: int, d_in: int, q: float = 0.5) -> float:
    """Quantile q of the effective initial strength of a random start, over the draw (§3.1).

    With W1 entries N(0, sigma^2/d_in) and W2 entries N(0, sigma^2/hidden) (each layer's gain
    sigma), a = W1 v_k and b = W2' u_k have independent N(0, sigma^2/d_in) and
    N(0, sigma^2/hidden) entries, so

        u_eff = ||a + b||^2 / 4 = (sigma^2 / 4) (1/d_in + 1/hidden) chi^2_hidden,

    whose median grows like sigma^2 hidden / (4 d_in) for hidden >> d_in: wider networks start
    closer to the escape and their plateaus are shorter (the chapter's derivation; §3.1).

    Parameters
    ----------
    sigma : float
        Layer gain of the start, > 0.
    hidden : int
        Width of the hidden layer, >= 1.
    d_in : int
        Input dimension, >= 1.
    q : float
        Quantile, in (0, 1).

    Returns
    -------
    float
        The q-quantile of u_eff (the same for every mode).
    """
    from scipy import stats

    sigma = _positive(sigma, "sigma")
    hidden = _integer_at_least(hidden, "hidden", 1)
    d_in = _integer_at_least(d_in, "d_in", 1)
    q = _checks.in_range(q, "q", 0.0, 1.0, lo_open=True, hi_open=True)
    u = np.square(np.float64(sigma)) / 4 * (1 / d_in + 1 / hidden) * stats.chi2.ppf(q, hidden)
    if not np.isfinite(u):
        raise ValueError(f"sigma is too large for a finite initial strength, got {sigma!r}")
    return float(u)


def width_transition_times(
    s: ArrayLike, sigma: float, hidden: int, d_in: int, tau: float = 1.0, q: float = 0.5
) -> Array:
    """Quantile q over random starts of each mode's steepest-descent time at width ``hidden``:
    t_k = (tau / 2 s_k) ln((s_k / u_q - 1) / 2) with u_q = random_start_strength(sigma, hidden,
    d_in, q) (§3.1). The time is decreasing in u_eff, so the median start gives the median time;
    doubling a wide layer shortens every plateau by about (tau / 2 s_k) ln 2.

    Parameters
    ----------
    s : array_like
        Teacher singular values s_k > 0.
    sigma : float
        Layer gain of the start, > 0.
    hidden : int
        Width of the hidden layer, >= 1.
    d_in : int
        Input dimension, >= 1.
    tau : float
        Time constant tau > 0 (1 / learning rate for gradient descent).
    q : float
        Quantile of the start, in (0, 1); the time's quantile is 1 - q.

    Returns
    -------
    ndarray
        t_k per mode.
    """
    return steepest_descent_times(s, random_start_strength(sigma, hidden, d_in, q), tau)


def deep_mode_trajectory(
    t: ArrayLike, s: ArrayLike, sigma: float, depth: int, tau: float = 1.0
) -> Array:
    """u_k(t) for a depth-L balanced aligned network, u(0) = sigma^L (§4).

    tau du/dt = L u^{2-2/L} (s - u) has no elementary solution for L > 2. In the logit
    v = log(u / (s - u)) the inverse is smooth, dt/dv = tau u^{2/L - 1} / (L s) (constant for
    L = 2, where this is exact), so t(v) is integrated cumulatively (trapezoid, 4,000 points) and
    inverted by interpolation. Shape (len(t), len(s)); for L = 2 it reproduces mode_trajectory.

    Parameters
    ----------
    t : array_like
        Times >= 0.
    s : array_like
        Teacher singular values s_k > 0 (one per mode).
    sigma : float
        Initial scale of each layer's factor; sigma^depth below every s_k.
    depth : int
        Number of layers L >= 2.
    tau : float
        Time constant tau > 0 (1 / learning rate for gradient descent).

    Returns
    -------
    ndarray
        u_k(t), shape (len(t), len(s)).
    """
    s = spectrum(s)
    _positive(sigma, "sigma")
    _positive(tau, "tau")
    depth = _integer_at_least(depth, "depth", 2)
    if np.any(depth * np.log(sigma) >= np.log(s)):  # in logs: sigma^depth may overflow
        raise ValueError("sigma^depth must be below every s_k (small initialisation)")
    u0 = sigma**depth
    t = np.atleast_1d(bounded_array(t, "t"))
    out = np.empty((t.size, s.size))
    for k, sk in enumerate(s):
        v = np.linspace(np.log(u0 / (sk - u0)), 40.0, 4000)
        u = sk / (1 + np.exp(-v))
        dt = tau * u ** (2 / depth - 1) / (depth * sk)
        times = integrate.cumulative_trapezoid(dt, v, initial=0.0)
        out[:, k] = sk / (1 + np.exp(-np.interp(t, times, v)))
    return out
