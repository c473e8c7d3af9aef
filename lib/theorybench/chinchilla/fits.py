"""Fitting scaling laws: Approach 2 (IsoFLOP parabolas), VarPro (Approach 3 with the linear parameters eliminated) and the direct 5-D fit it is compared with."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from .._blas import single_blas_thread
from .._checks import integer_at_least as _integer_at_least
from .._checks import positive as _positive
from .model import Array, LossSurface, _positive_array

__all__ = [
    "Approach2Fit",
    "approach2_fit",
    "VarProFit",
    "varpro_fit",
    "epoch_start_grid",
    "DirectFit",
    "direct_fit",
]


@dataclass(frozen=True)
class Approach2Fit:
    """Approach 2: per-budget parabola vertices and the power laws through them.

    log10 N*_C = a log10 C + a0 and log10 D*_C = b log10 C + b0, fitted to the vertices.
    ``parabolas[i]`` = (p, q, r) of budget ``budgets[i]``: L = p x^2 + q x + r, x = log10 N
    (the one fit the figures and the explorer draw).
    """

    budgets: Array
    n_vertex: Array
    d_vertex: Array
    curvature: Array
    a: float
    a0: float
    b: float
    b0: float
    parabolas: Array

    def parabola(self, i: int, N: ArrayLike) -> Array:
        """Budget ``i``'s fitted parabola evaluated at parameter counts ``N``."""
        return np.polyval(self.parabolas[i], np.log10(_positive_array(N, "N")))

    def n_star(self, C: ArrayLike) -> Array:
        return 10 ** (self.a * np.log10(_positive_array(C, "C")) + self.a0)

    def d_star(self, C: ArrayLike) -> Array:
        return 10 ** (self.b * np.log10(_positive_array(C, "C")) + self.b0)


def _check_points(N: ArrayLike, D: ArrayLike, L: ArrayLike, n_params: int) -> tuple[Array, ...]:
    N, D, L = (np.asarray(v, dtype=float) for v in (N, D, L))
    if not (N.shape == D.shape == L.shape and N.ndim == 1):
        raise ValueError(
            f"N, D and L must be 1-D of one length, got {N.shape}, {D.shape}, {L.shape}"
        )
    if np.any(np.isnan(L)):
        raise ValueError("L contains NaN losses")
    N, D, L = _positive_array(N, "N"), _positive_array(D, "D"), _positive_array(L, "L")
    if L.max() > 1e100:  # losses are nats per token; their squares must stay finite in float64
        raise ValueError(f"L must be a loss (nats per token) below 1e100, got max {L.max():g}")
    if N.size <= n_params:
        raise ValueError(f"need more points than the {n_params} parameters, got {N.size}")
    return N, D, L


def approach2_fit(N: ArrayLike, D: ArrayLike, L: ArrayLike, budget: ArrayLike) -> Approach2Fit:
    """Approach 2 of [H22]: for each budget fit L = p x^2 + q x + r in x = log10 N, take the
    vertex N*_C = 10^{-q/2p} and D*_C = C / (6 N*_C), then regress log10 N*_C and log10 D*_C on
    log10 C (§3).

    Parameters
    ----------
    N, D, L : array_like
        Parameters, training tokens and losses of the measured runs (positive, one length).
    budget : array_like
        The compute budget of each run; at least two budgets of at least three runs each.

    Returns
    -------
    Approach2Fit
        Vertices, curvatures, parabolas and the two power laws.
    """
    N, D, L = _check_points(N, D, L, 3)
    budget = _positive_array(budget, "budget")
    if budget.shape != N.shape:
        raise ValueError(f"budget must have the length of N ({N.size}), got {budget.size}")
    budgets = np.unique(budget)
    if budgets.size < 2:
        raise ValueError("need at least two budgets to fit the power laws")
    nv, curv = np.empty(budgets.size), np.empty(budgets.size)
    coefs = np.empty((budgets.size, 3))
    for i, c in enumerate(budgets):
        sel = budget == c
        if sel.sum() < 3:
            raise ValueError(f"budget {c:g} has {sel.sum()} points; a parabola needs >= 3")
        x = np.log10(N[sel])
        coefs[i] = np.polyfit(x, L[sel], 2)
        p, q, _ = coefs[i]
        if not p > 0:
            raise ValueError(f"the parabola at budget {c:g} opens downwards: no minimum")
        nv[i], curv[i] = 10 ** (-q / (2 * p)), p
    dv = budgets / (6 * nv)
    lc = np.log10(budgets)
    a, a0 = np.polyfit(lc, np.log10(nv), 1)
    b, b0 = np.polyfit(lc, np.log10(dv), 1)
    return Approach2Fit(budgets, nv, dv, curv, float(a), float(a0), float(b), float(b0), coefs)


# ----------------------------------------------------------------------------------------------
# Approach 3: Variable Projection and the direct 5-parameter baseline (§5)
# ----------------------------------------------------------------------------------------------
def _huber(r: Array, delta: float) -> tuple[Array, Array]:
    """Huber loss and its derivative, elementwise."""
    a = np.abs(r)
    small = a <= delta
    return np.where(small, 0.5 * r * r, delta * (a - 0.5 * delta)), np.where(
        small, r, delta * np.sign(r)
    )


def _logsumexp3(e: float, t_a: Array, t_b: Array) -> tuple[Array, Array, Array, Array]:
    """log(exp(e) + exp(t_a) + exp(t_b)) and the three softmax weights (stable)."""
    m = np.maximum(np.maximum(t_a, t_b), e)
    xe, xa, xb = np.exp(e - m), np.exp(t_a - m), np.exp(t_b - m)
    s = xe + xa + xb
    return m + np.log(s), xe / s, xa / s, xb / s


def _huber_objective(
    params: Array, logN: Array, logD: Array, logL: Array, delta: float
) -> tuple[float, Array]:
    """[E24]'s objective and gradient in (e, a, b, alpha, beta) = (log E, log A, log B, alpha, beta):
    sum Huber_delta(LSE(a - alpha log N, b - beta log D, e) - log L)."""
    e, a, b, al, be = params
    pred, we, wa, wb = _logsumexp3(e, a - al * logN, b - be * logD)
    h, dh = _huber(pred - logL, delta)
    grad = np.array([dh @ we, dh @ wa, dh @ wb, -(dh * wa) @ logN, -(dh * wb) @ logD])
    return float(h.sum()), grad


@dataclass(frozen=True)
class VarProFit:
    """Result of :func:`varpro_fit`."""

    surface: LossSurface
    objective: float
    objective_name: str
    grid_alpha: Array
    grid_beta: Array
    grid_objective: Array  # (k, k): the profiled objective on the (alpha, beta) grid
    n_inner_solves: int
    converged: bool
    seconds: float
    message: str = ""


def _design(logN: Array, logD: Array, alpha: float, beta: float) -> Array:
    return np.column_stack([np.ones_like(logN), np.exp(-alpha * logN), np.exp(-beta * logD)])


def _inner_squared(X: Array, L: Array) -> tuple[Array, float]:
    """NNLS of L on the columns of X (scaled to unit norm for conditioning): (E, A, B), RSS."""
    scale = np.linalg.norm(X, axis=0)
    coef, rnorm = optimize.nnls(X / scale, L)
    return coef / scale, float(rnorm**2)


def _inner_huber(
    logN: Array, logD: Array, logL: Array, alpha: float, beta: float, delta: float
) -> tuple[Array, float]:
    """min over (e, a, b) of :func:`_huber_objective` at fixed (alpha, beta), by L-BFGS-B from the
    NNLS fit on the linear scale."""
    coef, _ = _inner_squared(_design(logN, logD, alpha, beta), np.exp(logL))
    start = np.log(np.maximum(coef, 1e-3 * np.exp(logL).min()))

    def fun(x: Array) -> tuple[float, Array]:
        value, grad = _huber_objective(np.array([*x, alpha, beta]), logN, logD, logL, delta)
        return value, grad[:3]

    res = optimize.minimize(
        fun,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 500, "ftol": 1e-15, "gtol": 1e-12},
    )
    return res.x, float(res.fun)


def _huber_profile_grid(
    logN: Array,
    logD: Array,
    logL: Array,
    alphas: Array,
    betas: Array,
    delta: float,
    iters: int = 60,
) -> Array:
    """The Huber profile on a whole (alpha, beta) grid at once: batched IRLS / Gauss-Newton on
    r(theta) = log(X theta) - log L over theta = (E, A, B) >= 0, one (3 x 3) solve per cell and
    iteration (numpy, no Python loop over cells). Returns the objective per cell, shape
    (len(alphas), len(betas)). Used to locate the basin; the refinement re-solves accurately."""
    ga, gb = np.meshgrid(alphas, betas, indexing="ij")
    X = np.stack(
        [
            np.ones((ga.size, logN.size)),
            np.exp(-ga.reshape(-1, 1) * logN),
            np.exp(-gb.reshape(-1, 1) * logD),
        ],
        -1,
    )  # (K, n, 3)
    scale = np.linalg.norm(X, axis=1)  # (K, 3)
    Xs = X / scale[:, None, :]
    L = np.exp(logL)
    eye = np.eye(3)
    theta = np.linalg.solve(
        np.einsum("kni,knj->kij", Xs, Xs) + 1e-12 * eye, np.einsum("kni,n->ki", Xs, L)[..., None]
    )[..., 0]
    floor = 1e-9 * L.min()
    theta = np.maximum(theta, floor)
    Xt = Xs.transpose(0, 2, 1)  # (K, 3, n)
    for _ in range(iters):
        pred = (Xs @ theta[..., None])[..., 0]
        r = np.log(pred) - logL
        w = np.where(np.abs(r) <= delta, 1.0, delta / np.maximum(np.abs(r), 1e-300))
        inv = 1.0 / pred
        JtW = Xt * (inv * inv * w)[:, None, :]  # J' W with J = X / pred
        H = JtW @ Xs
        g = (JtW @ (r * pred)[..., None])[..., 0]
        ridge = 1e-12 * np.trace(H, axis1=1, axis2=2)[:, None, None] * eye
        theta = np.maximum(theta - np.linalg.solve(H + ridge, g[..., None])[..., 0], floor)
    r = np.log(np.einsum("kni,ki->kn", Xs, theta)) - logL
    return _huber(r, delta)[0].sum(-1).reshape(ga.shape)


@single_blas_thread
def varpro_fit(
    N: ArrayLike,
    D: ArrayLike,
    L: ArrayLike,
    *,
    objective: str = "squared",
    delta: float = 1e-3,
    grid: int | None = None,
    alpha_bounds: tuple[float, float] = (0.02, 1.5),
    beta_bounds: tuple[float, float] = (0.02, 1.5),
    polish: bool = True,
) -> VarProFit:
    """Approach 3 by Variable Projection (§5): search only (alpha, beta); (E, A, B) are solved.

    ``objective="squared"``: RSS of L; for fixed (alpha, beta) the model is linear in (E, A, B),
    solved by NNLS on X = [1, N^-alpha, D^-beta]. ``objective="huber"``: [E24]'s
    sum Huber_delta(log L_hat - log L); the inner 3-parameter problem is solved by L-BFGS-B
    in log-parameters from the NNLS start. Steps: profile the objective on a ``grid`` x ``grid``
    (alpha, beta) grid (default 32 for squared, 16 for Huber, where the grid is profiled by a
    batched IRLS, ``_huber_profile_grid``); refine the best cell with Nelder-Mead on the profiled objective;
    for ``"huber"`` with ``polish`` a last joint L-BFGS-B step on all five parameters.

    Parameters
    ----------
    N, D, L : array_like
        Parameters, training tokens and losses of the measured runs (positive, one length).
    objective : {"squared", "huber"}
        The fitted objective.
    delta : float
        Huber threshold (> 0).
    grid : int, optional
        Profile grid size per axis.
    alpha_bounds, beta_bounds : tuple of float
        Search ranges of the exponents.
    polish : bool
        For ``"huber"``, a last joint step on all five parameters.

    Returns
    -------
    VarProFit
        The fitted surface, its objective, the profile grid and timings.
    """
    start_time = time.perf_counter()
    N, D, L = _check_points(N, D, L, 5)
    if objective not in ("squared", "huber"):
        raise ValueError(f"objective must be 'squared' or 'huber', got {objective!r}")
    _positive(delta, "delta")
    grid = (32 if objective == "squared" else 16) if grid is None else grid
    _integer_at_least(grid, "grid", 3)
    for name, (lo, hi) in (("alpha_bounds", alpha_bounds), ("beta_bounds", beta_bounds)):
        if not 0 < lo < hi:
            raise ValueError(f"{name} must satisfy 0 < lo < hi, got {(lo, hi)}")
    logN, logD, logL = np.log(N), np.log(D), np.log(L)
    solves = 0

    def profile(ab: Array) -> tuple[float, Array]:
        nonlocal solves
        solves += 1
        al, be = ab
        if objective == "squared":
            coef, rss = _inner_squared(_design(logN, logD, al, be), L)
            return rss, coef
        x, val = _inner_huber(logN, logD, logL, al, be, delta)
        return val, np.exp(x)

    ga = np.linspace(*alpha_bounds, grid)
    gb = np.linspace(*beta_bounds, grid)
    if objective == "squared":
        values = np.array([[profile(np.array([a, b]))[0] for b in gb] for a in ga])
    else:
        values = _huber_profile_grid(logN, logD, logL, ga, gb, delta)
    i, j = np.unravel_index(np.argmin(values), values.shape)
    # the squared profile is exact (NNLS), so Nelder-Mead can go to 1e-12; the Huber profile
    # carries the inner L-BFGS-B's tolerance, so it stops earlier and the joint polish finishes
    tight = objective == "squared"
    nm = optimize.minimize(
        lambda ab: profile(ab)[0],
        np.array([ga[i], gb[j]]),
        method="Nelder-Mead",
        bounds=[alpha_bounds, beta_bounds],
        options={
            "xatol": 1e-12 if tight else 1e-7,
            # fatol is absolute in scipy: scale it by the grid's best value (noise-free data reach
            # 1e-25, real data stay near their noise level)
            "fatol": (1e-14 if tight else 1e-9) * max(float(values.min()), 1e-300),
            "maxiter": 4000,
            "maxfev": 8000,
        },
    )
    best = nm.x
    value, coef = profile(best)
    converged, message = bool(nm.success), str(nm.message)
    if objective == "huber" and polish:
        x0 = np.array([*np.log(np.maximum(coef, 1e-300)), *best])
        pol = optimize.minimize(
            _huber_objective,
            x0,
            args=(logN, logD, logL, delta),
            jac=True,
            method="L-BFGS-B",
            bounds=[(None, None)] * 3 + [alpha_bounds, beta_bounds],  # same search box as the grid
            options={"ftol": 1e-15, "gtol": 1e-12},
        )
        if pol.fun <= value:
            coef, best, value = np.exp(pol.x[:3]), pol.x[3:], float(pol.fun)
        converged = converged or bool(pol.success)
        message = f"{message}; polish: {pol.message}"
    if np.any(coef <= 1e-9 * np.median(L)):  # NNLS gives exact zeros, the Huber fit ~1e-13
        converged = False
        message = "a coefficient is zero at the optimum: the data do not identify the surface"
    if not converged:
        raise RuntimeError(f"varpro_fit did not converge: {message}")
    surface = LossSurface(E=coef[0], A=coef[1], B=coef[2], alpha=best[0], beta=best[1])
    return VarProFit(
        surface,
        value,
        objective,
        ga,
        gb,
        values,
        solves,
        converged,
        time.perf_counter() - start_time,
        message,
    )


def epoch_start_grid() -> Array:
    """[E24]'s 4,500 starting points in (e, a, b, alpha, beta): e in {-1, -.5, ..., 1},
    a, b in {0, 5, ..., 25}, alpha, beta in {0, .5, ..., 2}.

    Returns
    -------
    ndarray
        Shape (4500, 5).
    """
    e = np.arange(-1, 1.01, 0.5)
    ab = np.arange(0, 26, 5.0)
    ex = np.arange(0, 2.01, 0.5)
    g = np.meshgrid(e, ab, ab, ex, ex, indexing="ij")
    return np.stack([x.ravel() for x in g], 1)


@dataclass(frozen=True)
class DirectFit:
    """Result of :func:`direct_fit`."""

    surface: LossSurface
    objective: float
    n_starts: int
    seconds: float


@single_blas_thread
def direct_fit(
    N: ArrayLike,
    D: ArrayLike,
    L: ArrayLike,
    *,
    delta: float = 1e-3,
    starts: ArrayLike | None = None,
) -> DirectFit:
    """Baseline: [E24]'s direct fit, L-BFGS-B on all five parameters (log E, log A, log B,
    alpha, beta) of the Huber-on-log objective from every start of a grid (default
    :func:`epoch_start_grid`, 4,500 starts), keeping the best. For comparison only.

    Parameters
    ----------
    N, D, L : array_like
        Parameters, training tokens and losses of the measured runs (positive, one length).
    delta : float
        Huber threshold (> 0).
    starts : array_like, optional
        Starting points, shape (k, 5) (default :func:`epoch_start_grid`).

    Returns
    -------
    DirectFit
        The best surface, its objective, the number of starts and the time taken.
    """
    start_time = time.perf_counter()
    N, D, L = _check_points(N, D, L, 5)
    _positive(delta, "delta")
    starts = epoch_start_grid() if starts is None else np.atleast_2d(np.asarray(starts, float))
    if starts.shape[1] != 5:
        raise ValueError(f"starts must have 5 columns (e, a, b, alpha, beta), got {starts.shape}")
    args = (np.log(N), np.log(D), np.log(L), delta)
    best = None
    for x0 in starts:
        res = optimize.minimize(_huber_objective, x0, args=args, jac=True, method="L-BFGS-B")
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise RuntimeError("direct_fit: no start converged to a finite objective")
    e, a, b, al, be = best.x
    surface = LossSurface(E=np.exp(e), A=np.exp(a), B=np.exp(b), alpha=al, beta=be)
    return DirectFit(surface, float(best.fun), len(starts), time.perf_counter() - start_time)
