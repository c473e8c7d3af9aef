r"""Chinchilla scaling-law fits: the Approach-2 bias and Variable Projection (Approach 3).

Sources: Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models" (arXiv 2203.15556)
[H22]; Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt" (arXiv 2404.10102)
[E24]; Czech 2026, "Problems with Chinchilla Approach 2: Systematic Biases in IsoFLOP Parabola
Fits" [C26]. Theory page: ``theory/chinchilla.md`` (cited as §N).

The loss surface L(N, D) = E + A / N^alpha + B / D^beta, compute C = 6 N D. Compute-optimal
allocation (§2): N* = G (C/6)^a, D* = (C/6)^b / G with a = beta/(alpha+beta),
b = alpha/(alpha+beta), G = (alpha A / (beta B))^{1/(alpha+beta)}.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from ._checks import integer_at_least as _integer_at_least
from ._checks import positive as _positive

__all__ = [
    "EPOCH",
    "HOFFMANN",
    "Approach2Fit",
    "Deadweight",
    "DirectFit",
    "IsoFlopData",
    "LossSurface",
    "RealDataFits",
    "ScalingData",
    "SweepFits",
    "SweepResult",
    "VarProFit",
    "VertexShift",
    "approach2_fit",
    "conditioning",
    "deadweight_compute",
    "direct_fit",
    "epoch_chinchilla_points",
    "epoch_start_grid",
    "explorer",
    "fit_rows",
    "fit_sweep",
    "mlp_params",
    "plot_sweep",
    "real_data_fits",
    "sweep_size",
    "torch_isoflop_sweep",
    "isoflop_grid",
    "load_scaling_data",
    "varpro_fit",
    "vertex_shift",
]

Array = NDArray[np.float64]
LOG10_6 = np.log10(6.0)


def _positive_array(x: ArrayLike, name: str) -> Array:
    arr = np.asarray(x, dtype=float)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0")
    return arr


# ----------------------------------------------------------------------------------------------
# The loss surface (§1-2)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LossSurface:
    """L(N, D) = E + A / N^alpha + B / D^beta, [H22]'s parametric loss (theory/chinchilla.md §1)."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float

    def __post_init__(self) -> None:
        for name in ("E", "A", "B", "alpha", "beta"):
            _positive(getattr(self, name), name)

    def loss(self, N: ArrayLike, D: ArrayLike) -> Array:
        """E + A N^-alpha + B D^-beta."""
        N, D = _positive_array(N, "N"), _positive_array(D, "D")
        return self.E + self.A * N**-self.alpha + self.B * D**-self.beta

    @property
    def G(self) -> float:
        """G = (alpha A / (beta B))^{1/(alpha+beta)}."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))

    @property
    def a(self) -> float:
        """Exponent of N*(C): beta/(alpha+beta)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of D*(C): alpha/(alpha+beta)."""
        return self.alpha / (self.alpha + self.beta)

    def optimal_allocation(self, C: ArrayLike) -> tuple[Array, Array]:
        """(N*, D*) minimising L on 6 N D = C: N* = G (C/6)^a, D* = (C/6)^b / G (§2, eq. ch-opt)."""
        C = _positive_array(C, "C")
        return self.G * (C / 6) ** self.a, (C / 6) ** self.b / self.G

    def intercepts(self) -> tuple[float, float]:
        """(a0, b0) with log10 N* = a log10 C + a0 and log10 D* = b log10 C + b0."""
        log_g = np.log10(self.G)
        return float(log_g - self.a * LOG10_6), float(-log_g - self.b * LOG10_6)

    def optimal_loss(self, C: ArrayLike) -> Array:
        """L*(C) = E + K (C/6)^-gamma, gamma = alpha beta/(alpha+beta), K = A G^-alpha + B G^beta."""
        C = _positive_array(C, "C")
        return self.E + self._k * (C / 6) ** -self._gamma

    def compute_for_loss(self, L: ArrayLike) -> Array:
        """The budget at which the optimal allocation reaches loss L (> E): inverse of optimal_loss."""
        L = np.asarray(L, dtype=float)
        if np.any(~np.isfinite(L)) or np.any(L <= self.E):
            raise ValueError(f"L must be finite and > E = {self.E}")
        return 6 * ((L - self.E) / self._k) ** (-1 / self._gamma)

    @property
    def _gamma(self) -> float:
        return self.alpha * self.beta / (self.alpha + self.beta)

    @property
    def _k(self) -> float:
        return self.A * self.G**-self.alpha + self.B * self.G**self.beta


#: Hoffmann et al. (2022), Approach 3 fit.
HOFFMANN = LossSurface(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
#: Besiroglu et al. (2024), Epoch AI's replication of Approach 3.
EPOCH = LossSurface(E=1.817, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658)


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScalingData:
    """Points (N, D, C, loss) of a scaling-law data set; ``budget`` is the IsoFLOP label if any."""

    name: str
    N: Array
    D: Array
    loss: Array
    budget: Array

    @property
    def C(self) -> Array:
        return 6 * self.N * self.D


_DATA = {
    "epoch_chinchilla": "epoch_chinchilla_svg_extracted.csv",
    "chinchilla_isoflops": "epochai_chinchilla_isoflops.csv",
    "llama3_isoflops": "llama_3_isoflops.csv",
}


def load_scaling_data(name: str, *, condition: str = "raw_loss") -> ScalingData:
    """Load a shipped data set after checking its sha256 against ``SHA256SUMS``.

    ``"epoch_chinchilla"``: 245 points of [H22] Fig. 4 digitised by Epoch AI (no budget labels
    there: ``budget`` is the point's own C). ``"chinchilla_isoflops"``: the same
    snapped to the nine budgets. ``"llama3_isoflops"``: Llama 3 Fig. 2; ``condition`` picks
    ``"raw_loss"`` (as read) or ``"exp_loss"``. See ``data/scaling/README.md`` for sources.
    """
    if name not in _DATA:
        raise ValueError(f"name must be one of {sorted(_DATA)}, got {name!r}")
    folder = resources.files("theorybench") / "data" / "scaling"
    raw = (folder / _DATA[name]).read_bytes()
    sums = dict(
        reversed(line.split()) for line in (folder / "SHA256SUMS").read_text().splitlines() if line
    )
    digest = hashlib.sha256(raw).hexdigest()
    if sums.get(_DATA[name]) != digest:
        raise ValueError(f"{_DATA[name]}: checksum mismatch (got {digest}); the file is corrupted")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    if name == "epoch_chinchilla":
        N = np.array([float(r["Model Size"]) for r in rows])
        C = np.array([float(r["Training FLOP"]) for r in rows])
        loss = np.array([float(r["loss"]) for r in rows])
        return ScalingData(name, N, C / (6 * N), loss, C)
    if name == "llama3_isoflops":
        if condition not in ("raw_loss", "exp_loss"):
            raise ValueError(f"condition must be 'raw_loss' or 'exp_loss', got {condition!r}")
        rows = [r for r in rows if r["condition"] == condition]
    N = np.array([float(r["params"]) for r in rows])
    D = np.array([float(r["tokens"]) for r in rows])
    return ScalingData(
        name,
        N,
        D,
        np.array([float(r["loss"]) for r in rows]),
        np.array([float(r["budget"]) for r in rows]),
    )


def epoch_chinchilla_points(drop_highest: int = 5) -> ScalingData:
    """Epoch's fitting set: the 245 digitised points minus the ``drop_highest`` highest losses."""
    d = load_scaling_data("epoch_chinchilla")
    keep = np.sort(np.argsort(d.loss)[: d.loss.size - drop_highest])
    return ScalingData(d.name, d.N[keep], d.D[keep], d.loss[keep], d.budget[keep])


# ----------------------------------------------------------------------------------------------
# Synthetic IsoFLOP grids and Approach 2 (§3)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IsoFlopData:
    """Synthetic IsoFLOP samples: one row per (budget, grid point)."""

    N: Array
    D: Array
    loss: Array
    budget: Array


def isoflop_grid(
    surface: LossSurface,
    budgets: ArrayLike,
    *,
    n_points: int = 15,
    width: float = 0.60,
    offset: float = 1.0,
    drift: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
) -> IsoFlopData:
    """Sample each IsoFLOP curve 6 N D = C on ``n_points`` log-spaced model sizes.

    The grid spans ``width`` decades of N (XS +-2x: 0.60, XL +-16x: 2.41), centred at
    N*(C) * offset * (C / C_min)^drift: ``offset`` != 1 samples off-centre by a constant factor,
    ``drift`` by a factor that grows with C. ``noise``: s.d. of additive Gaussian loss noise.
    """
    budgets = _positive_array(budgets, "budgets")
    _integer_at_least(n_points, "n_points", 3)
    _positive(width, "width")
    _positive(offset, "offset")
    if not np.isfinite(drift):
        raise ValueError(f"drift must be finite, got {drift!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    n_star, _ = surface.optimal_allocation(budgets)
    centre = np.log10(n_star * offset) + drift * np.log10(budgets / budgets.min())
    u = np.linspace(-width / 2, width / 2, n_points)
    logn = centre[:, None] + u[None, :]
    C = np.repeat(budgets, n_points)
    N = 10 ** logn.ravel()
    D = C / (6 * N)
    L = surface.loss(N, D)
    if noise:
        L = L + noise * np.random.default_rng(seed).standard_normal(L.size)
    return IsoFlopData(N=N, D=D, loss=L, budget=C)


@dataclass(frozen=True)
class Approach2Fit:
    """Approach 2: per-budget parabola vertices and the power laws through them.

    log10 N*_C = a log10 C + a0 and log10 D*_C = b log10 C + b0, fitted to the vertices.
    """

    budgets: Array
    n_vertex: Array
    d_vertex: Array
    curvature: Array
    a: float
    a0: float
    b: float
    b0: float

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
    if N.size <= n_params:
        raise ValueError(f"need more points than the {n_params} parameters, got {N.size}")
    return N, D, L


def approach2_fit(N: ArrayLike, D: ArrayLike, L: ArrayLike, budget: ArrayLike) -> Approach2Fit:
    """Approach 2 of [H22]: for each budget fit L = p x^2 + q x + r in x = log10 N, take the
    vertex N*_C = 10^{-q/2p} and D*_C = C / (6 N*_C), then regress log10 N*_C and log10 D*_C on
    log10 C (§3)."""
    N, D, L = _check_points(N, D, L, 3)
    budget = _positive_array(budget, "budget")
    if budget.shape != N.shape:
        raise ValueError(f"budget must have the length of N ({N.size}), got {budget.size}")
    budgets = np.unique(budget)
    if budgets.size < 2:
        raise ValueError("need at least two budgets to fit the power laws")
    nv, curv = np.empty(budgets.size), np.empty(budgets.size)
    for i, c in enumerate(budgets):
        sel = budget == c
        if sel.sum() < 3:
            raise ValueError(f"budget {c:g} has {sel.sum()} points; a parabola needs >= 3")
        x = np.log10(N[sel])
        p, q, _ = np.polyfit(x, L[sel], 2)
        if not p > 0:
            raise ValueError(f"the parabola at budget {c:g} opens downwards: no minimum")
        nv[i], curv[i] = 10 ** (-q / (2 * p)), p
    dv = budgets / (6 * nv)
    lc = np.log10(budgets)
    a, a0 = np.polyfit(lc, np.log10(nv), 1)
    b, b0 = np.polyfit(lc, np.log10(dv), 1)
    return Approach2Fit(budgets, nv, dv, curv, float(a), float(a0), float(b), float(b0))


@dataclass(frozen=True)
class VertexShift:
    """Approach 2's noise-free vertex shift (§4): dw decades in log10 N, and what it does."""

    dw: float
    n_star_error: float  # multiplicative error of N*: 10^dw - 1
    d_star_error: float  # multiplicative error of D*: 10^-dw - 1

    def b0_relative_error(self, surface: LossSurface) -> float:
        """Relative change of the log10 intercept b0 of the D* power law: -dw / b0."""
        return -self.dw / surface.intercepts()[1]


def vertex_shift(
    alpha: ArrayLike, beta: ArrayLike, width: float, n_points: int, offset: float = 1.0
) -> VertexShift:
    r"""Closed-form vertex shift of a noise-free IsoFLOP parabola fit (§4, eq. ch-dw).

    Along the IsoFLOP curve N = N* 10^w, L(w) = E + B'(beta/alpha 10^{-alpha w} + 10^{beta w})
    (the first-order condition fixes A' = beta/alpha B'), so the vertex of the least-squares
    parabola depends on (alpha, beta, width, n, offset) only. With the grid w_i = c + s_i,
    s_i symmetric (sum s = sum s^3 = 0), g_i = beta/alpha 10^{-alpha w_i} + 10^{beta w_i}:

        q = sum s_i g_i / sum s_i^2,  p = sum (s_i^2 - m2) g_i / sum (s_i^2 - m2)^2,
        dw = c - q / (2 p),   c = log10(offset),  m2 = mean(s^2).

    Vectorised over alpha and beta (numpy broadcasting).
    """
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    if np.any(~np.isfinite(alpha)) or np.any(alpha <= 0):
        raise ValueError(f"alpha must be > 0, got {alpha!r}")
    if np.any(~np.isfinite(beta)) or np.any(beta <= 0):
        raise ValueError(f"beta must be > 0, got {beta!r}")
    _positive(width, "width")
    _positive(offset, "offset")
    _integer_at_least(n_points, "n_points", 3)
    c = np.log10(offset)
    s = np.linspace(-width / 2, width / 2, n_points)
    w = c + s
    a_, b_ = alpha[..., None], beta[..., None]
    g = (b_ / a_) * 10 ** (-a_ * w) + 10 ** (b_ * w)
    m2 = np.mean(s**2)
    q = (g * s).sum(-1) / (s**2).sum()
    p = (g * (s**2 - m2)).sum(-1) / ((s**2 - m2) ** 2).sum()
    dw = c - q / (2 * p)
    return VertexShift(
        dw=dw if dw.ndim else float(dw), n_star_error=10**dw - 1, d_star_error=10 ** (-dw) - 1
    )


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
    a, b in {0, 5, ..., 25}, alpha, beta in {0, .5, ..., 2}."""
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
    :func:`epoch_start_grid`, 4,500 starts), keeping the best. For comparison only."""
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


def conditioning(surface: LossSurface, N: ArrayLike, D: ArrayLike) -> tuple[float, float]:
    """Condition numbers (§5) of the Gauss-Newton matrix J'J at the truth: of the full
    5-parameter problem in (E, A, B, alpha, beta), and of the 2-parameter problem that VarPro
    solves (the Jacobian of the projected residual, Golub-Pereyra)."""
    N, D = _positive_array(N, "N"), _positive_array(D, "D")
    s = surface
    X = np.column_stack([np.ones_like(N), N**-s.alpha, D**-s.beta])
    dX = np.column_stack([-s.A * np.log(N) * N**-s.alpha, -s.B * np.log(D) * D**-s.beta])
    J = np.column_stack([X, dX])
    Q, _ = np.linalg.qr(X)
    J_proj = dX - Q @ (Q.T @ dX)  # P_perp d(X theta)/d(alpha, beta)
    return float(np.linalg.cond(J.T @ J)), float(np.linalg.cond(J_proj.T @ J_proj))


# ----------------------------------------------------------------------------------------------
# The cost of misallocation (§6)
# ----------------------------------------------------------------------------------------------
#: H100 SXM dense BF16 peak (FLOP/s), the usual denominator of MFU.
H100_BF16_DENSE = 989.4e12


@dataclass(frozen=True)
class Deadweight:
    """Deadweight compute of a misallocated run (§6)."""

    C: float
    C_equivalent: float
    dcl: float
    fraction: float
    loss: float
    gpu_hours: float
    usd: float


def deadweight_compute(
    surface_true: LossSurface,
    D_star_inferred: float,
    C: float,
    *,
    mfu: float = 0.5,
    usd_per_gpu_hour: float = 2.0,
    peak_flops: float = H100_BF16_DENSE,
) -> Deadweight:
    """DCL = C - C_eq: train on D_star_inferred tokens with N = C/(6 D), take its loss under the
    true surface, and find the budget C_eq at which the *optimal* allocation reaches that loss
    (closed form, :meth:`LossSurface.compute_for_loss`). Dollars: DCL / (peak_flops * mfu)
    seconds of GPU time at ``usd_per_gpu_hour``."""
    _positive(C, "C")
    _positive(D_star_inferred, "D_star_inferred")
    if not 0 < mfu <= 1:
        raise ValueError(f"mfu must lie in (0, 1], got {mfu!r}")
    _positive(usd_per_gpu_hour, "usd_per_gpu_hour")
    _positive(peak_flops, "peak_flops")
    N = C / (6 * D_star_inferred)
    loss = float(surface_true.loss(N, D_star_inferred))
    c_eq = float(surface_true.compute_for_loss(loss))
    dcl = C - c_eq
    hours = dcl / (peak_flops * mfu) / 3600
    return Deadweight(C, c_eq, dcl, dcl / C, loss, hours, hours * usd_per_gpu_hour)


# ----------------------------------------------------------------------------------------------
# A real scaling sweep in torch (§7)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResult:
    """Measured IsoFLOP points of :func:`torch_isoflop_sweep` (one row per trained model)."""

    N: Array  # parameters of each student
    D: Array  # training samples it saw
    loss: Array  # held-out MSE
    budget: Array  # nominal C = 6 N D
    width: Array
    seconds: float
    batch: int


def mlp_params(width: ArrayLike, d_in: int) -> Array:
    """Parameters of a 1-hidden-layer MLP d_in -> width -> 1 (with biases)."""
    return np.asarray(width) * (d_in + 2) + 1


def sweep_size() -> dict[str, object]:
    """Sizes of the chapter's torch sweep at the current ``THEORYBENCH_SCALE``."""
    from .device import by_scale

    return by_scale(
        ci={
            "budgets": [3e7, 1e8, 3e8],
            "widths": [4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128],
            "seeds": 4,
        },
        full={
            "budgets": [3e7, 1e8, 3e8, 1e9, 3e9, 1e10],
            "widths": [4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512],
            "seeds": 8,
        },
    )


def torch_isoflop_sweep(
    budgets: Sequence[float],
    widths: Sequence[int],
    *,
    seeds: int = 2,
    batch: int = 512,
    d_in: int = 8,
    teacher_width: int = 256,
    noise: float = 0.1,
    lr: float = 0.02,
    n_test: int = 8192,
    seed: int = 0,
    device: str | None = None,
    progress: bool = False,
) -> SweepResult:
    """Train a family of students on an IsoFLOP grid and measure their held-out loss.

    Task: y = teacher(x) + noise, x ~ N(0, I_{d_in}), the teacher a fixed random ReLU MLP of width
    ``teacher_width``. Student: ReLU MLP d_in -> width -> 1, N = width (d_in + 2) + 1 parameters,
    trained on D = C / (6N) fresh samples: D / ``batch`` Adam steps, the step size decaying on a
    cosine to 0 at the last step (peak ``lr`` scaled by (8 / width)^{1/2}). The ``seeds``
    replicas of each (budget, width) train as one batched tensor program; the reported loss is
    their mean held-out MSE. Pairs with fewer than 20 steps are skipped.
    """
    import torch
    from tqdm.auto import tqdm

    from .device import device as pick_device

    budgets_arr = _positive_array(budgets, "budgets")
    widths_arr = np.asarray(widths, dtype=int)
    if widths_arr.ndim != 1 or widths_arr.size < 3 or np.any(widths_arr < 1):
        raise ValueError(f"widths must list >= 3 positive integers, got {widths!r}")
    for name, v in (("seeds", seeds), ("batch", batch)):
        if not (isinstance(v, int) and v >= 1):
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    start = time.perf_counter()
    dev = pick_device(device)
    gen = torch.Generator().manual_seed(seed)
    W1t = (torch.randn(d_in, teacher_width, generator=gen) * np.sqrt(2 / d_in)).to(dev)
    W2t = (torch.randn(teacher_width, 1, generator=gen) / np.sqrt(teacher_width)).to(dev)

    def sample(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(n, d_in, generator=g).to(dev)
        return x, (torch.relu(x @ W1t) @ W2t)[:, 0] + noise * torch.randn(n, generator=g).to(dev)

    xt, yt = sample(n_test, torch.Generator().manual_seed(seed + 1))
    pairs = [
        (c, int(w))
        for c in budgets_arr
        for w in widths_arr
        if c / (6 * mlp_params(w, d_in)) >= 20 * batch
    ]
    rows = []
    for k, (c, w) in enumerate(tqdm(pairs, disable=not progress, desc="IsoFLOP sweep")):
        g = torch.Generator().manual_seed(seed + 10 + k)
        params = [
            (torch.randn(seeds, d_in, w, generator=g) * np.sqrt(2 / d_in)).to(dev),
            torch.zeros(seeds, 1, w, device=dev),
            (torch.randn(seeds, w, 1, generator=g) / np.sqrt(w)).to(dev),
            torch.zeros(seeds, 1, 1, device=dev),
        ]
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.Adam(params, lr=lr * min(1.0, np.sqrt(8 / w)))
        steps = int(c / (6 * mlp_params(w, d_in)) // batch)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t, n=steps: 0.5 * (1 + np.cos(np.pi * t / n))
        )

        def forward(x: torch.Tensor, params: list = params) -> torch.Tensor:  # (S, B)
            h = torch.relu(x @ params[0] + params[1])
            return (h @ params[2] + params[3])[..., 0]

        for _ in range(steps):
            x, y = sample(batch * seeds, g)
            loss = ((forward(x.view(seeds, batch, d_in)) - y.view(seeds, batch)) ** 2).mean(1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        with torch.no_grad():
            rows.append((c, w, float(((forward(xt) - yt) ** 2).mean().cpu())))
    C = np.array([r[0] for r in rows])
    W = np.array([r[1] for r in rows])
    N = mlp_params(W, d_in).astype(float)
    return SweepResult(
        N=N,
        D=C / (6 * N),
        loss=np.array([r[2] for r in rows]),
        budget=C,
        width=W,
        seconds=time.perf_counter() - start,
        batch=batch,
    )


# ----------------------------------------------------------------------------------------------
# Notebook helpers (notebooks/chinchilla.ipynb only calls these)
# ----------------------------------------------------------------------------------------------
EXPLORER_BUDGETS = np.array([1e19, 1e20, 1e21, 1e22])
EXPLORER_POINTS = 15


def explorer() -> object:
    """Sliders for alpha, beta, grid width, offset and drift over synthetic IsoFLOP data
    (E, A, B of Hoffmann et al.). Left: the sampled IsoFLOP curves, their fitted parabolas, true
    optima (stars) and fitted vertices (crosses). Right: Approach 2's error in N* against the
    grid width -- the closed form :func:`vertex_shift` (line) and the numerical fit (dots)."""
    from . import widgets
    from .plotting import COLORS, CYCLE, figure

    fig, (ax, axe) = figure(2, width=8.8, height=3.7)
    k = len(EXPLORER_BUDGETS)
    pts = [ax.plot([], [], "o", ms=3, color=CYCLE[i])[0] for i in range(k)]
    fits = [
        ax.plot([], [], "-", lw=1.2, color=CYCLE[i], label=f"C = {c:.0e}")[0]
        for i, c in enumerate(EXPLORER_BUDGETS)
    ]
    (true_opt,) = ax.plot([], [], "*", ms=11, color=COLORS["reference"], label="true optimum")
    (vertex,) = ax.plot([], [], "x", ms=8, mew=2, color="k", label="Approach 2 vertex")
    ax.set(xscale="log", xlabel="parameters N", ylabel="loss L", title="IsoFLOP curves")
    ax.legend(loc="lower left", ncol=2, fontsize=7.5)
    widths_line = np.linspace(0.3, 3.0, 55)
    widths_pts = np.linspace(0.4, 2.8, 7)
    (closed,) = axe.plot([], [], color=COLORS["theory"], label="closed form $10^{\\delta w}-1$")
    (numer,) = axe.plot([], [], "o", color=COLORS["experiment"], label="numerical fit")
    now = axe.axvline(1.0, color=COLORS["constraint"], ls="--", lw=1, label="current grid")
    axe.axhline(0, color=COLORS["muted"], lw=0.8)
    axe.set(xlabel="grid width W (decades of N)", ylabel="error of N* intercept (%)", xlim=(0.3, 3))
    axe.legend(loc="upper left")

    def update(alpha: float, beta: float, width: float, offset: float, drift: float) -> None:
        s = LossSurface(E=HOFFMANN.E, A=HOFFMANN.A, B=HOFFMANN.B, alpha=alpha, beta=beta)
        d = isoflop_grid(
            s, EXPLORER_BUDGETS, n_points=EXPLORER_POINTS, width=width, offset=offset, drift=drift
        )
        fit = approach2_fit(d.N, d.D, d.loss, d.budget)
        n_true, d_true = s.optimal_allocation(EXPLORER_BUDGETS)
        lo, hi = np.inf, -np.inf
        for i, c in enumerate(EXPLORER_BUDGETS):
            sel = d.budget == c
            pts[i].set_data(d.N[sel], d.loss[sel])
            x = np.log10(d.N[sel])
            coef = np.polyfit(x, d.loss[sel], 2)
            xx = np.linspace(x.min(), x.max(), 60)
            fits[i].set_data(10**xx, np.polyval(coef, xx))
            lo, hi = min(lo, d.loss[sel].min()), max(hi, d.loss[sel].max())
        true_opt.set_data(n_true, s.optimal_loss(EXPLORER_BUDGETS))
        vertex.set_data(fit.n_vertex, s.loss(fit.n_vertex, d_true * n_true / fit.n_vertex))
        ax.set_xlim(d.N.min() / 2, d.N.max() * 2)
        ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
        line = [
            vertex_shift(alpha, beta, w, EXPLORER_POINTS, offset).n_star_error for w in widths_line
        ]
        numerical = []
        for w in widths_pts:
            dd = isoflop_grid(
                s, EXPLORER_BUDGETS[:2], n_points=EXPLORER_POINTS, width=w, offset=offset
            )
            numerical.append(
                10 ** (approach2_fit(dd.N, dd.D, dd.loss, dd.budget).a0 - s.intercepts()[0]) - 1
            )
        closed.set_data(widths_line, 100 * np.asarray(line))
        numer.set_data(widths_pts, 100 * np.asarray(numerical))
        now.set_xdata([width, width])
        allv = 100 * np.concatenate([line, numerical])
        axe.set_ylim(min(allv.min(), 0) - 0.5, max(allv.max(), 0) + 0.5)
        axe.set_title(f"exponent a: true {s.a:.3f}, Approach 2 {fit.a:.3f}")

    controls = {
        "alpha": widgets.slider("α", 0.15, 0.6, HOFFMANN.alpha, step=0.01),
        "beta": widgets.slider("β", 0.15, 0.6, HOFFMANN.beta, step=0.01),
        "width": widgets.slider("W", 0.3, 3.0, 2 * np.log10(4), step=0.05, units="decades"),
        "offset": widgets.slider("offset", 0.25, 4.0, 1.0, log=True, units="× N*"),
        "drift": widgets.slider("drift", -0.2, 0.2, 0.0, step=0.01, units="dec/dec C"),
    }
    static = {
        "alpha": [0.16, 0.22, 0.28, 0.34, 0.40, 0.46, 0.52, 0.58],
        "width": [2 * np.log10(k) for k in (2, 4, 8, 16)],
    }
    caption = (
        "IsoFLOP curves with Approach 2's parabolas and vertices (left); the error of its N* "
        "intercept against the grid width, closed form and numerical fit (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)


@dataclass(frozen=True)
class RealDataFits:
    """VarPro fits to the shipped data and Approach 2 vs VarPro at a target budget (§8)."""

    epoch: VarProFit
    llama: VarProFit
    llama_approach2: Approach2Fit
    C: float
    deadweight: Deadweight
    deadweight_sparse_peak: Deadweight


def real_data_fits(C: float = 3.8e25) -> RealDataFits:
    """Epoch's Huber fit to the Chinchilla points (240, five highest losses dropped); VarPro
    (squared) and Approach 2 on the Llama 3 IsoFLOP points (raw loss); the deadweight compute of
    Approach 2's D* at budget C with the VarPro surface as the truth, priced at dense BF16 peak
    and at the 1,979 TFLOP/s sparse/FP8 peak."""
    e = epoch_chinchilla_points(drop_highest=5)
    llama = load_scaling_data("llama3_isoflops", condition="raw_loss")
    vp_epoch = varpro_fit(e.N, e.D, e.loss, objective="huber")
    vp_llama = varpro_fit(llama.N, llama.D, llama.loss)
    a2 = approach2_fit(llama.N, llama.D, llama.loss, llama.budget)
    d_a2 = float(a2.d_star(C))
    return RealDataFits(
        vp_epoch,
        vp_llama,
        a2,
        C,
        deadweight_compute(vp_llama.surface, d_a2, C),
        deadweight_compute(vp_llama.surface, d_a2, C, peak_flops=2 * H100_BF16_DENSE),
    )


def fit_rows(fits: dict[str, LossSurface]) -> list[str]:
    """Aligned text rows (name, E, A, B, alpha, beta) for printing a table of surfaces."""
    out = [f"{'':<22}{'E':>8}{'A':>10}{'B':>10}{'α':>8}{'β':>8}"]
    for name, s in fits.items():
        out.append(f"{name:<22}{s.E:8.3f}{s.A:10.1f}{s.B:10.1f}{s.alpha:8.4f}{s.beta:8.4f}")
    return out


@dataclass(frozen=True)
class SweepFits:
    """Approach 2 and VarPro on measured sweep losses; ``varpro`` is None when the data do not
    identify the surface, with the reason in ``varpro_message``."""

    approach2: Approach2Fit | None
    approach2_message: str
    varpro: VarProFit | None
    varpro_message: str


def fit_sweep(res: SweepResult, objective: str = "huber") -> SweepFits:
    """Fit both approaches to a :func:`torch_isoflop_sweep`; a fit that fails says why."""
    try:
        a2, a2_msg = approach2_fit(res.N, res.D, res.loss, res.budget), "ok"
    except ValueError as err:
        a2, a2_msg = None, str(err)
    try:
        vp, vp_msg = varpro_fit(res.N, res.D, res.loss, objective=objective), "ok"
    except RuntimeError as err:
        vp, vp_msg = None, str(err)
    return SweepFits(a2, a2_msg, vp, vp_msg)


def plot_sweep(res: SweepResult, fits: SweepFits) -> object:
    """Measured IsoFLOP curves of the torch sweep with each budget's parabola and vertex."""
    from .plotting import CYCLE, figure

    fig, (ax,) = figure(1, width=6.4, height=3.6)
    for i, c in enumerate(np.unique(res.budget)):
        sel = res.budget == c
        x = np.log10(res.N[sel])
        ax.plot(res.N[sel], res.loss[sel], "o", color=CYCLE[i], label=f"C = {c:.0e} FLOP")
        if fits.approach2 is not None:
            coef = np.polyfit(x, res.loss[sel], 2)
            xx = np.linspace(x.min(), x.max(), 80)
            ax.plot(10**xx, np.polyval(coef, xx), "-", color=CYCLE[i], lw=1)
            ax.axvline(fits.approach2.n_vertex[i], color=CYCLE[i], ls=":", lw=1)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="student parameters N",
        ylabel="held-out MSE",
        title="a real IsoFLOP sweep: MLP students of a random teacher",
    )
    ax.legend()
    return fig
