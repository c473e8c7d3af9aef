"""The Chinchilla loss surface L = E + A/N^alpha + B/D^beta, its compute-optimal allocation, IsoFLOP grids, the Approach-2 vertex shift, conditioning and the dead-weight compute (numpy/scipy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _checks
from .._checks import integer_at_least as _integer_at_least
from .._checks import positive as _positive

__all__ = [
    "LOG10_6",
    "LossSurface",
    "HOFFMANN",
    "EPOCH",
    "IsoFlopData",
    "isoflop_grid",
    "VertexShift",
    "vertex_shift",
    "conditioning",
    "H100_BF16_DENSE",
    "Deadweight",
    "deadweight_compute",
]

Array = NDArray[np.float64]


LOG10_6 = np.log10(6.0)


def _positive_array(x: ArrayLike, name: str) -> Array:
    return _checks.positive_array(x, name)


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

    Parameters
    ----------
    surface : LossSurface
        The true loss surface.
    budgets : array_like
        Compute budgets C in FLOPs (> 0).
    n_points : int
        Model sizes per budget (>= 3).
    width : float
        Decades of N spanned (> 0).
    offset : float
        Constant off-centre factor (> 0).
    drift : float
        Exponent of the off-centre factor's growth with C.
    noise : float
        Standard deviation of added loss noise (>= 0).
    seed : int
        Seed of the noise.

    Returns
    -------
    IsoFlopData
        N, D, loss and budget of every point.
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

    Parameters
    ----------
    alpha, beta : array_like
        Exponents of the loss surface (> 0).
    width : float
        Decades of N spanned by the grid (> 0).
    n_points : int
        Points per IsoFLOP curve (>= 3).
    offset : float
        Off-centre factor of the grid (> 0).

    Returns
    -------
    VertexShift
        dw (decades) and the relative errors of N* and D*.
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
    # 10^{exponent * w} for w in the grid must stay a float64: |exponent w| <= 100
    reach = (abs(c) + width / 2) * max(float(alpha.max()), float(beta.max()))
    if reach > 100:
        raise ValueError(
            "alpha, beta, width and offset must keep max(alpha, beta) (|log10 offset| + width/2) "
            f"<= 100 (10^100 fits a float64), got {reach:.3g}"
        )
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


def conditioning(surface: LossSurface, N: ArrayLike, D: ArrayLike) -> tuple[float, float]:
    """Condition numbers (§5) of the Gauss-Newton matrix J'J at the truth: of the full
    5-parameter problem in (E, A, B, alpha, beta), and of the 2-parameter problem that VarPro
    solves (the Jacobian of the projected residual, Golub-Pereyra).

    Parameters
    ----------
    surface : LossSurface
        The truth at which the Jacobians are taken.
    N, D : array_like
        The design points.

    Returns
    -------
    tuple of float
        ``(cond_full, cond_varpro)``.
    """
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
    seconds of GPU time at ``usd_per_gpu_hour``.

    Parameters
    ----------
    surface_true : LossSurface
        The surface taken as the truth.
    D_star_inferred : float
        Training tokens an inferred allocation prescribes (> 0).
    C : float
        Compute budget in FLOPs (> 0).
    mfu : float
        Model FLOP utilisation, in (0, 1].
    usd_per_gpu_hour : float
        Price of a GPU hour (> 0).
    peak_flops : float
        Peak FLOP/s of one GPU (> 0).

    Returns
    -------
    Deadweight
        C, C_eq, the deadweight DCL, its fraction of C, the loss, GPU hours and dollars.
    """
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
