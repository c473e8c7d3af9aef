"""Closed forms for two-layer ReLU networks on one-dimensional data (§9): the unit correlation
whose maximum sets the escape rate, the best single ramp (the width-1 fixed point with one kink)
and the plateau levels of the two-ramp model."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from .. import _checks
from .linear import Array

__all__ = [
    "ramp_teacher",
    "relu_correlation",
    "relu_escape",
    "best_single_ramp",
    "relu_plateau_levels",
    "gd_growth_rate",
]


def _points(x: ArrayLike, name: str = "x") -> Array:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 3 or not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be a 1-D array of at least 3 finite points")
    return x


def _ramps(kinks: ArrayLike, slopes: ArrayLike, sides: ArrayLike) -> tuple[Array, Array, Array]:
    k = np.atleast_1d(np.asarray(kinks, dtype=float))
    s = np.atleast_1d(np.asarray(slopes, dtype=float))
    d = np.atleast_1d(np.asarray(sides, dtype=float))
    if k.ndim != 1 or k.shape != s.shape or k.shape != d.shape or k.size == 0:
        raise ValueError("kinks, slopes and sides must be 1-D arrays of one length >= 1")
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(s)) and np.all(s > 0)):
        raise ValueError("kinks must be finite and slopes finite and > 0")
    if not np.all(np.isin(d, (-1.0, 1.0))):
        raise ValueError("sides must be +1 (ramp rising to the right) or -1 (to the left)")
    return k, s, d


def ramp_teacher(x: ArrayLike, kinks: ArrayLike, slopes: ArrayLike, sides: ArrayLike) -> Array:
    """The teacher y(x) = sum_j s_j relu(d_j (x - k_j)): ramps with kinks k_j, slopes s_j > 0,
    rising to the right (d_j = +1) or to the left (d_j = -1) (§9.1).

    Parameters
    ----------
    x : array_like
        1-D inputs, at least 3 finite points.
    kinks, slopes, sides : array_like
        One entry per ramp: kink location (finite), slope (> 0), side (+1 or -1).

    Returns
    -------
    ndarray
        y at each x.
    """
    x = _points(x)
    k, s, d = _ramps(kinks, slopes, sides)
    return (s * np.maximum(d * (x[:, None] - k), 0.0)).sum(axis=1)


def relu_correlation(angle: ArrayLike, x: ArrayLike, r: ArrayLike) -> Array:
    """G(theta) = (1/N) sum_n r_n relu(theta . (x_n, 1)) for the unit direction
    theta = (cos angle, sin angle) of a hidden unit's (weight, bias) (§9.2).

    A unit a relu(w x + b) that is small, balanced (a^2 = w^2 + b^2) and points along theta
    grows as e^{G t} when G > 0 and a > 0 (e^{-G t} with a < 0), and G is the curvature of the
    loss along that unit's ray at an embedded fixed point with residual r.

    Parameters
    ----------
    angle : array_like
        Direction angles (radians), any shape.
    x : array_like
        1-D inputs, at least 3 finite points.
    r : array_like
        The residual y - f at each input, finite, same length as x.

    Returns
    -------
    ndarray
        G at each angle, shaped like ``angle``.
    """
    x = _points(x)
    r = np.asarray(r, dtype=float)
    if r.shape != x.shape or not np.all(np.isfinite(r)):
        raise ValueError("r must be finite with the shape of x")
    phi = np.asarray(angle, dtype=float)
    if not np.all(np.isfinite(phi)):
        raise ValueError("angle must be finite")
    pre = np.cos(phi)[..., None] * x + np.sin(phi)[..., None]
    return (np.maximum(pre, 0.0) * r).mean(axis=-1)


def relu_escape(x: ArrayLike, r: ArrayLike, *, grid: int = 4096) -> tuple[float, float, float]:
    """The fastest escape from a fixed point with residual r: lambda = max over directions of
    abs(G(theta)) (relu_correlation; a dense grid of ``grid`` angles refined by a bounded scalar
    search), the angle that attains it and the sign of G there (the sign of the output weight
    that grows) (§9.2). Small units grow at rate lambda along that direction, and the loss's
    most negative curvature along units added at the fixed point is -lambda.

    Parameters
    ----------
    x : array_like
        1-D inputs, at least 3 finite points.
    r : array_like
        Residual at each input, finite, same length as x, not all zero.
    grid : int
        Number of grid angles, at least 64.

    Returns
    -------
    tuple of float
        (lambda, angle, sign).
    """
    grid = _checks.integer_at_least(grid, "grid", 64)
    x = _points(x)
    r = np.asarray(r, dtype=float)
    if r.shape != x.shape or not np.all(np.isfinite(r)) or not np.any(r != 0):
        raise ValueError("r must be finite with the shape of x and not all zero")
    phi = np.linspace(-np.pi, np.pi, grid, endpoint=False)
    G = relu_correlation(phi, x, r)
    i = int(np.argmax(np.abs(G)))
    sign = 1.0 if G[i] > 0 else -1.0
    h = 2 * np.pi / grid
    res = optimize.minimize_scalar(
        lambda p: -sign * float(relu_correlation(p, x, r)),
        bounds=(phi[i] - h, phi[i] + h),
        method="bounded",
        options={"xatol": 1e-12},
    )
    best = max(-float(res.fun), abs(float(G[i])))
    angle = float(res.x) if -float(res.fun) >= abs(float(G[i])) else float(phi[i])
    return best, angle, sign


def best_single_ramp(
    x: ArrayLike, y: ArrayLike, *, grid: int = 4001
) -> tuple[float, float, float, float]:
    """The best fit of y by one ramp a relu(d (x - c)) (§9.1): for each side d and kink c the
    slope is the least-squares a = <phi, y>/<phi, phi> with phi = relu(d (x - c)); c is searched
    on a grid of ``grid`` points spanning the data (then refined). Its loss is the level of the
    width-1 fixed point the two-ramp model visits first.

    Parameters
    ----------
    x : array_like
        1-D inputs, at least 3 finite points.
    y : array_like
        Targets at each input, finite, same length as x.
    grid : int
        Number of grid kinks per side, at least 16.

    Returns
    -------
    tuple of float
        (kink c, side d, slope a, loss (1/2N) sum (y - a phi)^2).
    """
    grid = _checks.integer_at_least(grid, "grid", 16)
    x = _points(x)
    y = np.asarray(y, dtype=float)
    if y.shape != x.shape or not np.all(np.isfinite(y)):
        raise ValueError("y must be finite with the shape of x")

    def loss(c: float, d: float) -> tuple[float, float]:
        phi = np.maximum(d * (x - c), 0.0)
        pp = float(phi @ phi)
        a = float(phi @ y) / pp if pp > 0 else 0.0
        return 0.5 * float(np.mean((y - a * phi) ** 2)), a

    span = np.linspace(x.min(), x.max(), grid)
    best = (np.inf, 0.0, 1.0, 0.0)
    for d in (1.0, -1.0):
        Ls = np.array([loss(c, d)[0] for c in span])
        j = int(np.argmin(Ls))
        lo, hi = span[max(j - 1, 0)], span[min(j + 1, grid - 1)]
        res = optimize.minimize_scalar(lambda c, d=d: loss(c, d)[0], bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-12})  # fmt: skip
        c = float(res.x) if res.fun <= Ls[j] else float(span[j])
        L, a = loss(c, d)
        if L < best[0]:
            best = (L, c, d, a)
    L, c, d, a = best
    return c, d, a, L


def relu_plateau_levels(
    x: ArrayLike, kinks: ArrayLike, slopes: ArrayLike, sides: ArrayLike
) -> Array:
    """Plateau levels of the two-ramp model (§9.1), in the order the fixed points are visited
    when the first escape direction (relu_escape of y) puts its kink outside the data: the
    origin (1/2N) sum y^2; the affine fit (a unit whose kink lies outside the data is affine
    there, so the width-1 network's fixed point on that manifold is the least-squares line); the
    best single ramp (best_single_ramp); the exact fit, 0.

    Parameters
    ----------
    x : array_like
        1-D inputs, at least 3 finite points.
    kinks, slopes, sides : array_like
        The teacher's two ramps (see ramp_teacher).

    Returns
    -------
    ndarray
        The four levels.
    """
    k, _, _ = _ramps(kinks, slopes, sides)
    if k.size != 2:
        raise ValueError(f"the two-ramp model takes exactly 2 ramps, got {k.size}")
    y = ramp_teacher(x, kinks, slopes, sides)
    x = np.asarray(x, dtype=float)
    design = np.stack([x, np.ones_like(x)], axis=1)
    line = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return np.array([0.5 * float(np.mean(y**2)), 0.5 * float(np.mean((y - line) ** 2)),
                     best_single_ramp(x, y)[3], 0.0])  # fmt: skip


def gd_growth_rate(rate: float, lr: float) -> float:
    """The growth exponent, per unit of time steps x lr, of plain gradient descent on the linear
    escape system d(a, rho)/dt = G (rho, a): each step multiplies a + rho by 1 + lr G, so the
    exponent is ln(1 + lr G) / lr (-> G as lr -> 0) (§9.2).

    Parameters
    ----------
    rate : float
        G > 0, e.g. relu_escape's lambda.
    lr : float
        Step size, > 0.

    Returns
    -------
    float
        ln(1 + lr rate) / lr.
    """
    rate = _checks.positive(rate, "rate")
    lr = _checks.positive(lr, "lr")
    return float(np.log1p(lr * rate) / lr)
