r"""The quadratic network (§8): the initialisation, not the data, orders the units (numpy only).

Network: f(x) = sum_i a_i ((w_i . x)^2 - ||w_i||^2) on Gaussian inputs x ~ N(0, I_d), teacher
y = x' A x - tr A with A = s I_d (isotropic: the data prefer no direction). With
M = sum_i a_i w_i w_i', the population loss is L = 1/2 E (y - f)^2 = ||A - M||_F^2 and gradient flow
reads

    da_i/dt = 2 w_i' (A - M) w_i,        dw_i/dt = 4 a_i (A - M) w_i.

While M is small, a unit's component p_i in the still-unlearned subspace grows along its own
direction, and (a_i, rho_i = ||p_i||) obey da/dt = 2 s rho^2, d rho/dt = 4 s a rho, with
C = rho^2 - 2 a^2 conserved: a blows up in finite time, the unit escapes and learns the direction
p_i / rho_i. The order and the directions are set by the initialisation (§8.1).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ... import _checks
from .._shared.inputs import Array

__all__ = ["quadratic_escape_time", "quadratic_unit_flow", "quadratic_escape_sequence"]


def _unit(a0: float, rho0: float, s: float) -> tuple[float, float, float]:
    a0 = _checks.finite(a0, "a0")
    rho0 = _checks.non_negative(rho0, "rho0")
    s = _checks.positive(s, "s")
    with np.errstate(over="ignore", invalid="ignore"):
        C = np.float64(rho0) ** 2 - 2 * np.float64(a0) ** 2
    if not np.isfinite(C):
        raise ValueError(f"a0 and rho0 are too large for a finite flow, got {a0!r}, {rho0!r}")
    return a0, float(C), s


def quadratic_escape_time(a0: float, rho0: float, s: float) -> float:
    """Time at which the early-phase flow da/dt = 4 s (a^2 + C/2) of one quadratic unit blows up
    (§8.1), with C = rho0^2 - 2 a0^2 conserved:

    - C > 0, r = sqrt(C/2): a = r tan(4 s r t + arctan(a0/r)), escape at (pi/2 - arctan(a0/r))/(4 s r);
    - C = 0: a = a0 / (1 - 4 s a0 t), escape at 1/(4 s a0) if a0 > 0;
    - C < 0, k = sqrt(-C/2): escape at arccoth(a0/k)/(4 s k) if a0 > k, else never (inf).

    Parameters
    ----------
    a0 : float
        The unit's output weight at the start.
    rho0 : float
        Norm (>= 0) of its input weights' component in the unlearned subspace.
    s : float
        The teacher's strength, > 0.

    Returns
    -------
    float
        The escape time (inf if the unit never escapes).
    """
    a0, C, s = _unit(a0, rho0, s)
    if C > 0:
        r = np.sqrt(C / 2)
        return float((np.pi / 2 - np.arctan(a0 / r)) / (4 * s * r))
    if C == 0:
        return float(1 / (4 * s * a0)) if a0 > 0 else np.inf
    k = np.sqrt(-C / 2)
    return float(np.arctanh(k / a0) / (4 * s * k)) if a0 > k else np.inf


def quadratic_unit_flow(a0: float, rho0: float, s: float, t: float) -> tuple[float, float]:
    """(a(t), rho(t)) of one unit under the early-phase flow of §8.1, for t before its escape.

    Parameters
    ----------
    a0 : float
        Output weight at the start.
    rho0 : float
        Norm (>= 0) of the input weights' component in the unlearned subspace.
    s : float
        The teacher's strength, > 0.
    t : float
        Time, in [0, quadratic_escape_time(a0, rho0, s)).

    Returns
    -------
    tuple of float
        a(t) and rho(t) = sqrt(2 a(t)^2 + C).
    """
    a0, C, s = _unit(a0, rho0, s)
    t = _checks.non_negative(t, "t")
    if t >= quadratic_escape_time(a0, rho0, s):
        raise ValueError(f"t must be before the unit's escape time, got t={t!r}")
    if C > 0:
        r = np.sqrt(C / 2)
        a = r * np.tan(4 * s * r * t + np.arctan(a0 / r))
    elif C == 0:
        a = a0 / (1 - 4 * s * a0 * t)
    else:
        k = np.sqrt(-C / 2)
        if abs(a0) < k:
            a = -k * np.tanh(4 * s * k * t - np.arctanh(a0 / k))
        else:
            a = k / np.tanh(np.arctanh(k / a0) - 4 * s * k * t)
    return float(a), float(np.sqrt(max(2 * a**2 + C, 0.0)))


def quadratic_escape_sequence(a0: ArrayLike, W0: ArrayLike, s: float) -> tuple[Array, Array, Array]:
    """Which units escape, when, and which direction each learns, from the initialisation (§8.1).

    Repeatedly: every unit not yet escaped has (a_i, rho_i), rho_i the norm of its input weights
    projected on the unlearned subspace; the unit with the earliest
    :func:`quadratic_escape_time` escapes and learns the direction of its projection; every other
    unit is advanced to that time by :func:`quadratic_unit_flow` (its projection scales by
    rho(t)/rho(0), its components along learned directions stay frozen), the learned direction
    leaves the subspace, and the loop repeats until the subspace is empty or no unit escapes.
    Each escape is treated as instantaneous (the saddle-to-saddle limit).

    Parameters
    ----------
    a0 : array_like
        Output weights at the start, shape (H,).
    W0 : array_like
        Input weights at the start, shape (H, d).
    s : float
        The teacher's strength, > 0 (A = s I_d).

    Returns
    -------
    tuple of ndarray
        Escape times (m,), the escaping units in order (m,), their learned unit directions (m, d);
        m <= min(H, d).
    """
    a = _checks.finite_array(a0, "a0", ndim=1).copy()
    W = _checks.finite_array(W0, "W0", ndim=2).copy()
    s = _checks.positive(s, "s")
    if W.shape[0] != a.size:
        raise ValueError(f"W0 must have one row per unit ({a.size}), got shape {W.shape}")
    d = W.shape[1]
    P = np.eye(d)
    alive, now = list(range(a.size)), 0.0
    times, units, dirs = [], [], []
    while alive and len(units) < d:
        rho = {i: float(np.linalg.norm(P @ W[i])) for i in alive}
        escape = {i: quadratic_escape_time(a[i], rho[i], s) for i in alive}
        first = min(alive, key=lambda i: escape[i])
        dt = escape[first]
        if not np.isfinite(dt):
            break
        now += dt
        u = P @ W[first] / rho[first]
        times.append(now)
        units.append(first)
        dirs.append(u)
        alive.remove(first)
        for i in alive:
            a[i], r = quadratic_unit_flow(a[i], rho[i], s, dt)
            p = P @ W[i]
            W[i] += p * (r / rho[i] - 1) if rho[i] > 0 else 0.0
        P = P - np.outer(u, u)
    return np.array(times), np.array(units, dtype=int), np.array(dirs).reshape(len(units), d)
