"""Closed forms for two-layer ReLU networks (§9-10): the unit correlation whose maximum sets the
escape rate, the best single unit (the width-1 fixed point; on one-dimensional data the best
single ramp), the predicted plateau levels of a ramp teacher (any number of ramps), and the
patches a ReLU convolution sees."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from ... import _checks
from .._shared.inputs import Array, ramps

__all__ = [
    "ramp_teacher",
    "relu_correlation",
    "relu_escape",
    "best_single_ramp",
    "single_unit_profile",
    "single_unit_fixed_points",
    "first_fixed_point",
    "relu_unit_curvature",
    "relu_plateau_levels",
    "gd_growth_rate",
    "circular_patches",
    "unit_correlation",
    "unit_escape",
    "best_single_unit",
]


#: the largest magnitude an input, target or residual may have: squares and sums of squares of
#: such values stay finite in float64
BOUND = 1e100


def _bounded(v: Array, name: str) -> Array:
    if not np.all(np.isfinite(v)) or np.any(np.abs(v) > BOUND):
        raise ValueError(f"{name} must be finite with every entry in [-{BOUND:g}, {BOUND:g}]")
    return v


def _points(x: ArrayLike, name: str = "x") -> Array:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 3:
        raise ValueError(f"{name} must be a 1-D array of at least 3 finite points")
    return _bounded(x, name)


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
    k, s, d = ramps(kinks, slopes, sides)
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
    that grows) (§9.2). Small units grow at rate lambda along that direction. The loss's most
    negative curvature along a tiny unit added at the fixed point in direction theta is
    -sqrt(G^2 + G'^2) (relu_unit_curvature), which is -lambda only where G' = 0, as at the
    maximiser of abs(G).

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
    r = _bounded(np.asarray(r, dtype=float), "r")
    if r.shape != x.shape or not np.any(r != 0):
        raise ValueError("r must have the shape of x and not be all zero")
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


def single_unit_profile(angle: ArrayLike, x: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
    """The width-1 loss with the output weight at its least-squares value, as a function of the
    unit's direction theta = (cos angle, sin angle) of its (weight, bias) (§9.1): with
    phi = relu(theta . (x, 1)), a = <phi, y>/<phi, phi> and the loss is
    (1/2N)(||y||^2 - <phi, y>^2/<phi, phi>). Every angle is allowed, so the kink -b/w may lie
    outside the data (the unit is then affine on the data, or zero on it).

    Parameters
    ----------
    angle : array_like
        Direction angles (radians), any shape, finite.
    x : array_like
        1-D inputs, at least 3 finite points.
    y : array_like
        Targets at each input, finite, same length as x.

    Returns
    -------
    tuple of ndarray
        (loss, a), each shaped like ``angle`` (a = 0 where the unit is zero on the data).
    """
    x = _points(x)
    y = _bounded(np.asarray(y, dtype=float), "y")
    if y.shape != x.shape:
        raise ValueError("y must have the shape of x")
    phi = np.asarray(angle, dtype=float)
    if not np.all(np.isfinite(phi)):
        raise ValueError("angle must be finite")
    feat = np.maximum(np.cos(phi)[..., None] * x + np.sin(phi)[..., None], 0.0)
    pp = (feat**2).sum(axis=-1)
    py = feat @ y
    safe = np.where(pp > 0, pp, 1.0)
    a = np.where(pp > 0, py / safe, 0.0)
    return 0.5 * (y @ y - np.where(pp > 0, py**2 / safe, 0.0)) / y.size, a


def _refine(x: Array, y: Array, phi: Array, i: int) -> tuple[float, float, float]:
    """Refine the profile's local minimum at grid index i: (angle, a, loss)."""
    h = phi[1] - phi[0]
    res = optimize.minimize_scalar(
        lambda p: float(single_unit_profile(p, x, y)[0]),
        bounds=(phi[i] - h, phi[i] + h),
        method="bounded",
        options={"xatol": 1e-13},
    )
    grid_loss, grid_a = single_unit_profile(phi[i], x, y)
    if res.fun <= grid_loss:
        loss, a = single_unit_profile(res.x, x, y)
        return float(np.angle(np.exp(1j * res.x))), float(a), float(loss)
    return float(phi[i]), float(grid_a), float(grid_loss)


def _profile_grid(x: ArrayLike, y: ArrayLike, grid: int) -> tuple[Array, Array, Array, Array]:
    x = _points(x)
    y = np.asarray(y, dtype=float)
    phi = np.linspace(-np.pi, np.pi, grid, endpoint=False)
    P, _ = single_unit_profile(phi, x, y)
    return x, y, phi, P


def single_unit_fixed_points(
    x: ArrayLike, y: ArrayLike, *, grid: int = 20000, merge: float = 0.01
) -> Array:
    """Every width-1 fixed point a relu(theta . (x, 1)) with a nonzero output weight that is a
    local minimum of the width-1 loss (§9.1): the strict local minima of single_unit_profile over
    the circle of directions (a grid of ``grid`` angles, each minimum refined). A unit whose kink
    lies outside the data is included: it carries the least-squares line through its own kink,
    and where that line is the affine least-squares fit of y it is a fixed point. Minima whose
    functions on the data lie within ``merge`` ||y|| of a lower one are one fixed point (kept:
    the lowest): the data lie on a grid, so a minimum is defined only up to the data cell of its
    kink (neighbouring cells can hold two nearly equal minima), and units active on the last
    data point or two alone form a flat continuum of equal functions.

    Parameters
    ----------
    x : array_like
        1-D inputs, at least 3 finite points.
    y : array_like
        Targets, finite, same length as x, not all zero.
    grid : int
        Number of grid angles, at least 256.
    merge : float
        Distance, as a share of ||y||, within which two minima are one, in [0, 1).

    Returns
    -------
    ndarray
        (k, 3) rows (angle, a, loss), sorted by loss.
    """
    grid = _checks.integer_at_least(grid, "grid", 256)
    merge = float(merge)
    if not (np.isfinite(merge) and 0 <= merge < 1):
        raise ValueError(f"merge must lie in [0, 1), got {merge!r}")
    x, y, phi, P = _profile_grid(x, y, grid)
    if not np.any(y != 0):
        raise ValueError("y must not be all zero")
    origin = 0.5 * float(y @ y) / y.size
    left, right = np.roll(P, 1), np.roll(P, -1)
    idx = np.flatnonzero((P < left) & (P <= right) & (P < origin * (1 - 1e-12)))
    rows = np.array([_refine(x, y, phi, int(i)) for i in idx]).reshape(-1, 3)
    rows = rows[np.argsort(rows[:, 2])]
    funcs = rows[:, 1:2] * np.maximum(np.cos(rows[:, :1]) * x + np.sin(rows[:, :1]), 0.0)
    kept: list[int] = []
    for k in range(rows.shape[0]):
        near = np.linalg.norm(funcs[kept] - funcs[k], axis=1) if kept else np.array([np.inf])
        if near.min() > merge * np.linalg.norm(y):
            kept.append(k)
    return rows[kept]


def first_fixed_point(
    x: ArrayLike, y: ArrayLike, *, grid: int = 20000
) -> tuple[float, float, float]:
    """The width-1 fixed point the first escape from the origin leads to (§9.2): start at the
    direction of relu_escape(x, y) (the maximiser of abs(G) with residual y) and walk down
    single_unit_profile on a grid of ``grid`` angles to its first local minimum, then refine.
    The descent never crosses a direction with <phi, y> = 0 (the origin's level, a maximum of
    the profile), so the output weight keeps the escape's sign. Its kink -tan(angle) may lie
    outside the data: the fixed point is then the least-squares line through that kink.

    Parameters
    ----------
    x : array_like
        1-D inputs, at least 3 finite points.
    y : array_like
        Targets, finite, same length as x, not all zero.
    grid : int
        Number of grid angles, at least 256.

    Returns
    -------
    tuple of float
        (angle, a, loss).
    """
    grid = _checks.integer_at_least(grid, "grid", 256)
    _, angle, _ = relu_escape(x, y)
    x, y, phi, P = _profile_grid(x, y, grid)
    i = int(np.round((angle + np.pi) / (2 * np.pi) * grid)) % grid
    while True:
        j = min((i, (i - 1) % grid, (i + 1) % grid), key=lambda k: P[k])
        if j == i:
            return _refine(x, y, phi, i)
        i = j


def best_single_ramp(
    x: ArrayLike, y: ArrayLike, *, grid: int = 20000
) -> tuple[float, float, float, float]:
    """The best fit of y by one unit a relu(w x + b), written as a ramp a relu(d (x - c)) (§9.1):
    the global minimum of single_unit_profile over all directions, the kink c = -b/w inside or
    outside the data (outside: the unit is affine on the data). The slope is the least-squares
    coefficient of the ramp.

    Parameters
    ----------
    x : array_like
        1-D inputs, at least 3 finite points.
    y : array_like
        Targets at each input, finite, same length as x, not all zero.
    grid : int
        Number of grid angles, at least 256.

    Returns
    -------
    tuple of float
        (kink c, side d, slope a, loss (1/2N) sum (y - a relu(d (x - c)))^2).
    """
    rows = single_unit_fixed_points(x, y, grid=grid)
    if rows.shape[0] == 0:
        raise ValueError("y has no width-1 fixed point below the origin's loss on this grid")
    angle, a, loss = rows[0]
    w = np.cos(angle)
    if w == 0:
        raise ValueError("the best single unit is a constant (w = 0); no ramp represents it")
    return float(-np.tan(angle)), float(np.sign(w)), float(a * abs(w)), float(loss)


def relu_unit_curvature(angle: ArrayLike, x: ArrayLike, r: ArrayLike) -> Array:
    """The size sqrt(G^2 + G'^2) of the loss's mixed second derivative between a tiny unit's
    output weight a and its input weights v = (w, b) = rho theta(angle), at a fixed point with
    residual r (§9.2): d^2L/(da dv) = -grad_v (rho G) = -(G theta + G' theta_perp), since
    rho G(theta) is positively homogeneous of degree 1. With a = 0 the unit's Hessian block is
    [[0, -g^T], [-g, 0]] (up to O(rho^2)), whose eigenvalues are 0 and +-abs(g): the unit adds
    the eigenvalue -sqrt(G^2 + G'^2), which is -abs(G) only where G' = 0 (e.g. at the maximiser
    of abs(G)).

    Parameters
    ----------
    angle : array_like
        Direction angles (radians), any shape, finite.
    x : array_like
        1-D inputs, at least 3 finite points.
    r : array_like
        The residual at each input, finite, same length as x.

    Returns
    -------
    ndarray
        sqrt(G^2 + G'^2) at each angle.
    """
    x = _points(x)
    r = _bounded(np.asarray(r, dtype=float), "r")
    if r.shape != x.shape:
        raise ValueError("r must have the shape of x")
    phi = np.asarray(angle, dtype=float)
    if not np.all(np.isfinite(phi)):
        raise ValueError("angle must be finite")
    c, s = np.cos(phi)[..., None], np.sin(phi)[..., None]
    pre = c * x + s
    G = (np.maximum(pre, 0.0) * r).mean(axis=-1)
    dG = ((pre > 0) * (-s * x + c) * r).mean(axis=-1)
    return np.sqrt(G**2 + dG**2)


def relu_plateau_levels(
    x: ArrayLike, kinks: ArrayLike, slopes: ArrayLike, sides: ArrayLike
) -> Array:
    """The predicted plateau levels of a ramp teacher (any number of ramps) (§9.2): the origin
    (1/2N) sum y^2 and the loss of the first fixed point (first_fixed_point, the width-1 fixed
    point the first escape leads to, kink inside or outside the data).

    Parameters
    ----------
    x : array_like
        1-D inputs, at least 3 finite points.
    kinks, slopes, sides : array_like
        The teacher's ramps (see ramp_teacher).

    Returns
    -------
    ndarray
        The two levels.
    """
    y = ramp_teacher(x, kinks, slopes, sides)
    return np.array([0.5 * float(np.mean(y**2)), first_fixed_point(x, y)[2]])


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
    if Z.ndim != 2 or Z.shape[0] < 3 or Z.shape[1] < 2:
        raise ValueError("Z must be a finite (N, m) array of augmented inputs, N >= 3, m >= 2")
    _bounded(Z, "Z")
    if r.shape != (Z.shape[0],):
        raise ValueError(f"{name} must be finite with one value per row of Z")
    _bounded(r, name)
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
