"""Closed forms for two-layer ReLU networks (§9-10): the unit correlation whose maximum sets the
escape rate, the best single unit (the width-1 fixed point; on one-dimensional data the best
single ramp), the plateau levels of the two-ramp model, and the patches a ReLU convolution
sees."""

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
    "circular_patches",
    "unit_correlation",
    "unit_escape",
    "best_single_unit",
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
    phi = np.asarray(angle, dtype=float)
    if not np.all(np.isfinite(phi)):
        raise ValueError("angle must be finite")
    theta = np.stack([np.cos(phi), np.sin(phi)], axis=-1)
    return unit_correlation(theta, np.stack([x, np.ones_like(x)], axis=1), r)


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
    """Plateau levels of the two-ramp model (§9.1): the origin (1/2N) sum y^2, the best single
    ramp (best_single_ramp, the width-1 fixed point) and the exact fit, 0.

    Parameters
    ----------
    x : array_like
        1-D inputs, at least 3 finite points.
    kinks, slopes, sides : array_like
        The teacher's two ramps (see ramp_teacher).

    Returns
    -------
    ndarray
        The three levels.
    """
    k, _, _ = _ramps(kinks, slopes, sides)
    if k.size != 2:
        raise ValueError(f"the two-ramp model takes exactly 2 ramps, got {k.size}")
    y = ramp_teacher(x, kinks, slopes, sides)
    return np.array([0.5 * float(np.mean(y**2)), best_single_ramp(x, y)[3], 0.0])


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


# ----------------------------------------------------------------------------------------------
# Units on general inputs: a ReLU convolution's patches (§10)
# ----------------------------------------------------------------------------------------------
def circular_patches(signals: ArrayLike, size: int) -> Array:
    """The inputs a circular convolution with kernel ``size`` and a bias sees: for each signal
    and position p, the patch (x_p, ..., x_{p+size-1}) (indices mod d) followed by a 1 (§10.1).

    Parameters
    ----------
    signals : array_like
        (n, d) finite signals, d >= size.
    size : int
        Kernel size, >= 1.

    Returns
    -------
    ndarray
        (n * d, size + 1) augmented patches, signal-major.
    """
    S = np.asarray(signals, dtype=float)
    size = _checks.integer_at_least(size, "size", 1)
    if S.ndim != 2 or S.shape[1] < size or not np.all(np.isfinite(S)):
        raise ValueError(f"signals must be a finite (n, d) array with d >= size = {size}")
    P = np.stack([np.roll(S, -j, axis=1) for j in range(size)], axis=-1).reshape(-1, size)
    return np.concatenate([P, np.ones((P.shape[0], 1))], axis=1)


def _inputs(Z: ArrayLike, r: ArrayLike, name: str = "r") -> tuple[Array, Array]:
    Z = np.asarray(Z, dtype=float)
    r = np.asarray(r, dtype=float)
    if Z.ndim != 2 or Z.shape[0] < 3 or Z.shape[1] < 2 or not np.all(np.isfinite(Z)):
        raise ValueError("Z must be a finite (N, m) array of augmented inputs, N >= 3, m >= 2")
    if r.shape != (Z.shape[0],) or not np.all(np.isfinite(r)):
        raise ValueError(f"{name} must be finite with one value per row of Z")
    return Z, r


def unit_correlation(theta: ArrayLike, Z: ArrayLike, r: ArrayLike) -> Array:
    """G(theta) = (1/N) sum_n r_n relu(theta . z_n) for unit directions theta (any leading
    shape, last axis m; normalised here) and augmented inputs z_n (§9.2, §10.1).

    Parameters
    ----------
    theta : array_like
        (..., m) nonzero directions.
    Z : array_like
        (N, m) augmented inputs (the last column the constant 1).
    r : array_like
        (N,) residual.

    Returns
    -------
    ndarray
        G, shaped like theta without its last axis.
    """
    Z, r = _inputs(Z, r)
    th = np.asarray(theta, dtype=float)
    if th.shape[-1:] != (Z.shape[1],) or not np.all(np.isfinite(th)):
        raise ValueError(f"theta must be finite with last axis {Z.shape[1]}")
    norm = np.linalg.norm(th, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError("theta must be nonzero")
    return (np.maximum((th / norm) @ Z.T, 0.0) * r).mean(axis=-1)


def _sphere(m: int, count: int) -> Array:
    """``count`` points spread over the unit sphere in R^m (Gaussian draws, fixed seed, plus the
    coordinate directions and their negatives)."""
    pts = np.random.default_rng(0).standard_normal((count, m))
    pts = np.concatenate([pts, np.eye(m), -np.eye(m)])
    return pts / np.linalg.norm(pts, axis=1, keepdims=True)


def _sphere_max(f, m: int, count: int) -> tuple[float, Array]:  # noqa: ANN001
    """Maximise f (vectorised over (..., m) unit vectors) over the sphere: best of ``count``
    points, then Nelder-Mead on the normalised vector from there."""
    pts = _sphere(m, count)
    vals = f(pts)
    start = pts[int(np.argmax(vals))]
    res = optimize.minimize(lambda v: -float(f(v / np.linalg.norm(v))), start,
                            method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14,
                                                           "maxiter": 4000})  # fmt: skip
    best = res.x / np.linalg.norm(res.x)
    if float(f(best)) < float(vals.max()):
        best = start
    return float(f(best)), best


def unit_escape(Z: ArrayLike, r: ArrayLike, *, count: int = 20000) -> tuple[float, Array, float]:
    """lambda = max over unit directions of abs(G(theta)) (unit_correlation), the direction that
    attains it and the sign of G there: the escape rate and direction from a fixed point with
    residual r, on general inputs (§9.2, §10.1). Searched over ``count`` points of the sphere,
    then refined.

    Parameters
    ----------
    Z : array_like
        (N, m) augmented inputs.
    r : array_like
        (N,) residual, not all zero.
    count : int
        Sphere points of the coarse search, at least 100.

    Returns
    -------
    tuple
        (lambda, theta (m,), sign).
    """
    count = _checks.integer_at_least(count, "count", 100)
    Z, r = _inputs(Z, r)
    if not np.any(r != 0):
        raise ValueError("r must not be all zero")
    out = []
    for sign in (1.0, -1.0):
        val, th = _sphere_max(lambda t, s=sign: s * unit_correlation(t, Z, r), Z.shape[1], count)
        out.append((val, th, sign))
    val, th, sign = max(out, key=lambda o: o[0])
    return val, th, sign


def best_single_unit(
    Z: ArrayLike, y: ArrayLike, *, count: int = 20000
) -> tuple[Array, float, float]:
    """The best fit of y by one unit a relu(theta . z) (§10.1): for each direction the output
    weight is the least-squares a = <phi, y>/<phi, phi>, phi = relu(Z theta), so the loss is
    (1/2N)(||y||^2 - <phi, y>^2/||phi||^2); the direction is searched over ``count`` sphere
    points and refined. A stationary point of the width-1 network.

    Parameters
    ----------
    Z : array_like
        (N, m) augmented inputs.
    y : array_like
        (N,) targets.
    count : int
        Sphere points of the coarse search, at least 100.

    Returns
    -------
    tuple
        (theta (m,), a, loss).
    """
    count = _checks.integer_at_least(count, "count", 100)
    Z, y = _inputs(Z, y, "y")

    def explained(t: Array) -> Array:
        phi = np.maximum(t @ Z.T, 0.0)
        pp = (phi**2).sum(axis=-1)
        return np.where(pp > 0, (phi @ y) ** 2 / np.where(pp > 0, pp, 1.0), 0.0)

    gain, th = _sphere_max(explained, Z.shape[1], count)
    phi = np.maximum(Z @ th, 0.0)
    a = float(phi @ y) / float(phi @ phi)
    return th, a, 0.5 * float(np.mean((y - a * phi) ** 2))
