"""The problem Lion-K solves, min f(x) + K*(lam x)/lam, and an independent solver for it (§5, §7)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from .. import _checks
from .._blas import single_blas_thread
from .discrete import Array, _as_vector, _check_hyper, _gradient, _value
from .kappa import Kappa, get_kappa, kappa_doc

__all__ = ["constrained_objective", "constrained_optimum", "ball_outline"]


def _spectral_projection(x: Array, k: Kappa, radius: float) -> Array:
    """Euclidean projection of a flattened matrix onto {||X||_op <= radius}: clip the singular
    values at ``radius`` (the projection onto a unitarily invariant ball acts on them)."""
    mat = k._matrices(x)
    u, s, vh = np.linalg.svd(mat, full_matrices=False)
    return ((u * np.minimum(s, radius)) @ vh).reshape(x.shape)


def _projected_gradient(
    f: Callable[[Array], float],
    grad_f: Callable[[Array], Array],
    x0: Array,
    project: Callable[[Array], Array],
    tol: float = 1e-11,
    max_iter: int = 200_000,
) -> Array:
    """Accelerated projected gradient (FISTA, backtracking on the step, gradient restart)
    until the projected-gradient residual ||x - P(x - grad f(x) / L)|| L is below ``tol``."""
    x = y = project(x0)
    L, t = 1.0, 1.0
    for _ in range(max_iter):
        g = grad_f(y)
        while True:
            z = project(y - g / L)
            d = z - y
            if f(z) <= f(y) + g @ d + 0.5 * L * (d @ d) + 1e-15 * (1 + abs(f(y))):
                break
            L *= 2.0
        if L * np.sqrt(d @ d) < tol:
            return z
        if (y - z) @ (z - x) > 0:  # gradient restart: the momentum points uphill
            x = y = z
            t = 1.0
            continue
        t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
        y = z + ((t - 1) / t_next) * (z - x)
        x, t = z, t_next
    raise RuntimeError("projected gradient did not converge")


@kappa_doc
def constrained_objective(
    fx: ArrayLike, x: ArrayLike, lam: float, kappa: str | Kappa = "l1"
) -> Array:
    """F(x)/alpha = f(x) + K*(lam x)/lam, what discrete Lion-K minimises (alpha = gamma).

    Parameters
    ----------
    fx : array_like
        f(x) per point.
    x : array_like
        Points (rows) or one point.
    lam : float
        Weight decay lambda > 0.
    {kappa}

    Returns
    -------
    ndarray
        F(x) / alpha per point (``inf`` outside the constraint set).
    """
    _check_hyper(None, None, None, lam, lam_positive=True)
    fx = _checks.finite_array(fx, "fx")
    x = _checks.finite_array(x, "x")
    return fx + get_kappa(kappa).conj(lam * x) / lam


def _lbfgsb(
    fun: Callable[[Array], float],
    jac: Callable[[Array], Array],
    x0: Array,
    bounds: list[tuple[float, float]] | None = None,
) -> Array:
    """L-BFGS-B to tight tolerances, judged by the projected gradient rather than by its status
    flag: at machine precision its line search can end 'ABNORMAL' exactly at the optimum."""
    res = optimize.minimize(
        fun,
        x0,
        jac=jac,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000},
    )
    g = jac(res.x)
    if bounds is None:
        pg = g
    else:
        lo, hi = np.array(bounds, dtype=float).T
        pg = res.x - np.clip(res.x - g, lo, hi)
    if not np.all(np.isfinite(res.x)) or np.abs(pg).max() > 1e-6 * (1 + np.abs(g).max()):
        raise RuntimeError(f"L-BFGS-B did not reach a stationary point: {res.message}")
    return res.x


@single_blas_thread
@kappa_doc
def constrained_optimum(
    f: Callable[[Array], float],
    grad_f: Callable[[Array], Array],
    x0: ArrayLike,
    lam: float,
    kappa: str | Kappa = "l1",
) -> Array:
    """Minimise f(x) + K*(lam x)/lam with scipy -- an independent check of Lion-K's limit.

    l1: L-BFGS-B on the box abs(x_i) <= 1/lam; huber: the same with + delta lam/2 ||x||^2;
    sq: L-BFGS-B on f + lam/2 ||x||^2. l2 and linf: the unconstrained minimiser if it lies in
    the ball; otherwise, l2: the KKT multiplier mu of ||x||_2 = 1/lam by brentq, each
    x(mu) = argmin f + mu/2 ||x||^2 by L-BFGS-B; linf: SLSQP on x = u - v, u, v >= 0,
    sum(u + v) <= 1/lam; lp (p > 1): as l2 with the penalty mu/q sum abs(x_i)^q, q = p/(p-1)
    >= 2 (p = 1 is the box of l1); nuclear: accelerated projected gradient onto the
    spectral-norm ball ||X||_op <= 1/lam (singular values clipped at 1/lam). f need not have
    a finite unconstrained minimiser (for a linear f the ball binds). Raises ValueError if f or
    grad_f is not finite at the start, RuntimeError if a solver fails.

    Parameters
    ----------
    f, grad_f : callable
        The objective and its gradient.
    x0 : array_like
        Start of the solver.
    lam : float
        Weight decay lambda > 0.
    {kappa}

    Returns
    -------
    ndarray
        The minimiser.
    """
    _check_hyper(None, None, None, lam, lam_positive=True)
    k = get_kappa(kappa)
    x0 = _as_vector(x0, "x0")
    d, r = x0.size, 1 / lam
    if k.name == "nuclear":
        k._matrices(x0)  # x0 must have r*c entries
    _value(f, x0)  # f and grad_f must be finite where the solvers start
    _gradient(grad_f, x0)
    _value(f, np.clip(x0, -r, r))
    if k.name == "lp" and k.p == 1:
        k = get_kappa("l1")  # q = inf: the box
    if k.name in ("l1", "huber", "sq"):
        q = {"l1": 0.0, "huber": k.delta * lam, "sq": lam}[k.name]
        return _lbfgsb(
            lambda x: f(x) + 0.5 * q * x @ x,
            lambda x: grad_f(x) + q * x,
            np.clip(x0, -r, r),
            None if k.name == "sq" else [(-r, r)] * d,
        )
    if k.name == "nuclear":
        return _projected_gradient(f, grad_f, x0, lambda x: _spectral_projection(x, k, r))
    try:
        free = _lbfgsb(f, grad_f, x0)
        if k.constraint_norm(free) <= r:
            return free
    except RuntimeError:
        pass  # no finite unconstrained minimiser: the ball binds
    if k.name in ("l2", "lp"):  # the ball binds: find the KKT multiplier mu of ||x||_q = r
        qq = 2.0 if k.name == "l2" else k.q  # penalty mu/q sum |x_i|^q is smooth for q >= 2

        def x_of(mu: float) -> Array:
            return _lbfgsb(
                lambda x: f(x) + mu / qq * np.sum(np.abs(x) ** qq),
                lambda x: grad_f(x) + mu * np.sign(x) * np.abs(x) ** (qq - 1),
                x0,
            )

        # ||x(mu)|| falls from ||argmin f|| (possibly infinite: f without a finite minimiser,
        # e.g. linear f) at mu -> 0 to 0 at mu -> inf; bracket mu on both sides with mu > 0,
        # where x(mu) is finite for convex f, and solve ||x(mu)|| = r there.
        def excess(mu: float) -> float:
            return float(k.constraint_norm(x_of(mu))) - r

        lo = hi = 1.0
        for _ in range(200):
            if excess(hi) <= 0:
                break
            lo, hi = hi, hi * 4
        for _ in range(200):
            if excess(lo) > 0:
                break
            lo, hi = lo / 4, lo
        if not (excess(lo) > 0 >= excess(hi)):
            raise RuntimeError("constrained_optimum could not bracket the KKT multiplier")
        return x_of(optimize.brentq(excess, lo, hi, xtol=1e-16 * lo, rtol=1e-15))

    def split(z: Array) -> Array:  # linf: l1-ball constraint via a positive/negative split
        return z[:d] - z[d:]

    cons = {"type": "ineq", "fun": lambda z: r - z.sum(), "jac": lambda z: -np.ones(2 * d)}
    res = optimize.minimize(
        lambda z: f(split(z)),
        np.zeros(2 * d),
        jac=lambda z: np.concatenate([grad_f(split(z)), -grad_f(split(z))]),
        method="SLSQP",
        bounds=[(0, None)] * (2 * d),
        constraints=[cons],
        options={"ftol": 1e-12, "maxiter": 10_000},
    )
    if not res.success:
        raise RuntimeError(f"constrained_optimum (linf) did not converge: {res.message}")
    return split(res.x)


@kappa_doc
def ball_outline(lam: float, kappa: str | Kappa, n: int = 241) -> Array:
    """Points on the boundary {||x|| = 1/lam} of the constraint set in 2-D (empty for sq).

    Parameters
    ----------
    lam : float
        Weight decay lambda > 0.
    {kappa}
    n : int
        Number of points (>= 3).

    Returns
    -------
    ndarray
        Points of shape (n, 2), or (0, 2) for a K without constraint.
    """
    k = get_kappa(kappa)
    lam = _checks.positive(lam, "lam")
    n = _checks.integer_at_least(n, "n", 3)
    if not k.constrains:
        return np.empty((0, 2))
    if 1 / lam > 1e300:
        raise ValueError(f"lam must be >= 1e-300 (the outline has radius 1/lam), got {lam!r}")
    theta = np.linspace(0, 2 * np.pi, n)
    u = np.stack([np.cos(theta), np.sin(theta)], 1)
    return u / lam / k.constraint_norm(u)[:, None]
