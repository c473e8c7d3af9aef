r"""Lion-K as constrained optimisation, with its Lyapunov function.

Chen, Liu, Liang & Liu, "Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts"
(ICLR 2024, arXiv:2310.05898) -- cited below as [CLLL]; Lion itself: Chen et al., "Symbolic
Discovery of Optimization Algorithms" (arXiv:2302.06675). Theory page: ``theory/lion.md``
(cited as §N below; the page names the test that checks each step).

Lion-K, discrete time ([CLLL]'s Lion-K update; §1. K convex, :math:`\nabla K` a subgradient)::

    m~_{t+1} = beta1 m_t - (1 - beta1) grad f(x_t)
    m_{t+1}  = beta2 m_t - (1 - beta2) grad f(x_t)
    x_{t+1}  = x_t + lr (grad K(m~_{t+1}) - lam x_t)

K = ||.||_1 gives grad K = sign: ordinary Lion with decoupled weight decay lam.

Continuous time ([CLLL]'s ODE; §2. alpha, gamma > 0, eps >= 0)::

    dx/dt = grad K(m~) - lam x,   dm/dt = -alpha grad f(x) - gamma m,
    m~ = m - eps (alpha grad f(x) + gamma m)

Lyapunov function ([CLLL]'s main theorem; §3-4)::

    H(x, m) = alpha f(x) + (gamma/lam) K*(lam x)
              + (1 - eps gamma)/(1 + eps lam) * (K*(lam x) + K(m) - lam m.x)

dH/dt = -Delta(x, m) <= 0 (see :func:`lyapunov_dissipation`), and the dynamics settle at
stationary points of ``F(x) = alpha f(x) + (gamma/lam) K*(lam x)`` (:func:`constrained_objective`):
for sign Lion, ``min f(x) s.t. ||x||_inf <= 1/lam``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize

__all__ = [
    "KAPPAS",
    "Kappa",
    "LionODEParams",
    "LionTrajectory",
    "LionK",
    "LogRegSweep",
    "ball_outline",
    "box_distance",
    "constrained_objective",
    "constrained_optimum",
    "explorer",
    "explorer_frame",
    "explorer_problem",
    "get_kappa",
    "integrate_lion_ode",
    "lion_ode_rhs",
    "lion_run",
    "lion_step",
    "logistic_regression_lam_sweep",
    "lyapunov_H",
    "lyapunov_dissipation",
    "logistic_loss_np",
    "make_logistic_data",
    "ode_params",
    "phase1_envelope",
    "plot_sweep",
    "sweep_size",
]

Array = NDArray[np.float64]
#: slack when testing "lam x lies in dom K*" (iterates sit exactly on the boundary)
DOMAIN_TOL = 1e-7


# ----------------------------------------------------------------------------------------------
# The convex function K and what it solves ([CLLL]; theory/lion.md §7)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kappa:
    r"""A convex K for Lion-K, with its subgradient and convex conjugate.

    ============  ======================  ==================================  =====================
    ``name``      K(x)                    K*(y)                               Lion-K solves
    ============  ======================  ==================================  =====================
    ``"l1"``      ||x||_1                 0 if ||y||_inf <= 1 else inf        f on ||x||_inf <= 1/lam
    ``"l2"``      ||x||_2                 0 if ||y||_2 <= 1 else inf          f on ||x||_2 <= 1/lam
    ``"linf"``    ||x||_inf               0 if ||y||_1 <= 1 else inf          f on ||x||_1 <= 1/lam
    ``"sq"``      ||x||^2 / 2             ||y||^2 / 2                         f + lam/2 ||x||^2
    ``"huber"``   sum huber_delta(x_i)    delta/2 ||y||^2 if ||y||_inf <= 1   f + delta lam/2 ||x||^2
                                                                              on ||x||_inf <= 1/lam
    ============  ======================  ==================================  =====================

    huber_delta(t) = t^2/(2 delta) for abs(t) <= delta, abs(t) - delta/2 otherwise.
    (The last column is for the discrete-time alpha = gamma, see :func:`ode_params`.)
    """

    name: str
    delta: float = 1.0

    def __post_init__(self) -> None:
        if self.name not in _KAPPA_NAMES:
            raise ValueError(f"kappa must be one of {_KAPPA_NAMES}, got {self.name!r}")
        if not (np.isfinite(self.delta) and self.delta > 0):
            raise ValueError(f"delta must be a positive finite number, got {self.delta!r}")

    # -- K and its subgradient (value/conj/norm act on the last axis: rows are points) -------
    def value(self, x: ArrayLike) -> Array:
        """K(x), over the last axis (a float for a single point)."""
        x = np.asarray(x, dtype=float)
        a = np.abs(x)
        if self.name == "l1":
            out = a.sum(-1)
        elif self.name == "l2":
            out = np.sqrt((x * x).sum(-1))
        elif self.name == "linf":
            out = a.max(-1, initial=0.0)
        elif self.name == "sq":
            out = 0.5 * (x * x).sum(-1)
        else:  # huber
            d = self.delta
            out = np.where(a <= d, x * x / (2 * d), a - d / 2).sum(-1)
        return out

    def grad(self, x: Any, xp: Any = np) -> Any:
        """A subgradient of K at x; ``xp`` is the array namespace (``numpy`` or ``torch``).

        The same code serves the numpy reference and :class:`LionK`, so the two cannot drift.
        l1: sign(x); l2: x/||x||_2 (0 at 0); linf: sign(x_i) e_i at the largest abs(x_i) (ties share
        the unit mass, a convex combination of subgradients); sq: x; huber: clip(x/delta, -1, 1).
        """
        if self.name == "l1":
            return xp.sign(x)
        if self.name == "l2":
            norm = (x * x).sum() ** 0.5
            return x / norm if norm > 0 else x * 0
        if self.name == "linf":
            a = abs(x)
            top = a == a.max()
            return xp.sign(x) * top / top.sum()
        if self.name == "sq":
            return x * 1.0
        return xp.clip(x / self.delta, -1.0, 1.0)  # huber

    # -- the conjugate and the constraint it encodes ------------------------------------------
    def constraint_norm(self, x: ArrayLike) -> Array:
        """The norm whose ball {||x|| <= 1/lam} is the constraint set (last axis; sq: 0)."""
        a = np.abs(np.asarray(x, dtype=float))
        if self.name in ("l1", "huber"):
            return a.max(-1, initial=0.0)
        if self.name == "l2":
            return np.sqrt((a * a).sum(-1))
        if self.name == "linf":
            return a.sum(-1)
        return np.zeros(a.shape[:-1])  # sq: no constraint

    @property
    def constrains(self) -> bool:
        """Whether K* has a bounded domain, i.e. Lion-K solves a constrained problem."""
        return self.name != "sq"

    def conj(self, y: ArrayLike) -> Array:
        """K*(y) = sup_x (y.x - K(x)) over the last axis; ``inf`` outside its domain
        (up to ``DOMAIN_TOL``)."""
        y = np.asarray(y, dtype=float)
        if self.name in ("sq", "huber"):
            scale = 1.0 if self.name == "sq" else self.delta
            out = 0.5 * scale * (y * y).sum(-1)
        else:
            out = np.zeros(y.shape[:-1])
        if self.constrains:
            out = np.where(self.constraint_norm(y) > 1 + DOMAIN_TOL, np.inf, out)
        return out

    def conj_grad(self, y: ArrayLike) -> Array:
        """A subgradient u of K* at y in its domain (so that y is a subgradient of K at u)."""
        y = np.asarray(y, dtype=float)
        if self.name == "sq":
            return y.copy()
        if self.name == "huber":
            return self.delta * y
        return np.zeros_like(y)


_KAPPA_NAMES = ("l1", "l2", "linf", "sq", "huber")
#: The K of the table in theory/lion.md §7, by name.
KAPPAS: dict[str, Kappa] = {name: Kappa(name) for name in _KAPPA_NAMES}


def get_kappa(kappa: str | Kappa) -> Kappa:
    """A :class:`Kappa` from its name (``"l1"`` is sign Lion) or itself."""
    if isinstance(kappa, Kappa):
        return kappa
    if kappa not in KAPPAS:
        raise ValueError(f"kappa must be one of {_KAPPA_NAMES} or a Kappa, got {kappa!r}")
    return KAPPAS[kappa]


# ----------------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------------
def _check_hyper(
    lr: float | None, beta1: float | None, beta2: float | None, lam: float, *, lam_positive: bool
) -> None:
    if lr is not None and not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if beta is not None and not (0 <= beta < 1):
            raise ValueError(f"{name} must lie in [0, 1), got {beta!r}")
    if lam_positive and not (np.isfinite(lam) and lam > 0):
        raise ValueError(f"lam must be > 0 (the constraint radius is 1/lam), got {lam!r}")
    if not lam_positive and not (np.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be >= 0, got {lam!r}")
    if lr is not None and lr * lam > 1:
        raise ValueError(f"lr * lam must be <= 1 (weight decay would overshoot), got {lr * lam!r}")


def _check_ode(alpha: float, gamma: float, lam: float, eps: float) -> None:
    if not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be > 0, got {alpha!r}")
    if not (np.isfinite(gamma) and gamma > 0):
        raise ValueError(f"gamma must be > 0, got {gamma!r}")
    if not (np.isfinite(lam) and lam > 0):
        raise ValueError(f"lam must be > 0, got {lam!r}")
    if not (np.isfinite(eps) and eps >= 0 and eps * gamma <= 1):
        raise ValueError(f"eps must satisfy 0 <= eps and eps * gamma <= 1, got eps={eps!r}")


def _as_vector(x: ArrayLike, name: str) -> Array:
    v = np.array(x, dtype=float)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite")
    return v


# ----------------------------------------------------------------------------------------------
# Discrete time
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LionTrajectory:
    """Iterates of :func:`lion_run`: ``xs[t]``, ``ms[t]`` for t = 0..steps, and the step sizes."""

    xs: Array
    ms: Array
    lrs: Array


def lion_step(
    x: ArrayLike,
    m: ArrayLike,
    grad: ArrayLike,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.99,
    lam: float = 0.0,
    kappa: str | Kappa = "l1",
) -> tuple[Array, Array]:
    """One Lion-K step (§1, eq. lion-k); returns (x_{t+1}, m_{t+1}).

    m~ = beta1 m - (1-beta1) g,  m' = beta2 m - (1-beta2) g,  x' = x + lr (grad K(m~) - lam x).
    """
    _check_hyper(lr, beta1, beta2, lam, lam_positive=False)
    k = get_kappa(kappa)
    x, m, g = (np.asarray(v, dtype=float) for v in (x, m, grad))
    m_tilde = beta1 * m - (1 - beta1) * g
    return x + lr * (k.grad(m_tilde) - lam * x), beta2 * m - (1 - beta2) * g


def lion_run(
    grad_f: Callable[[Array], Array],
    x0: ArrayLike,
    *,
    steps: int,
    lr: float | ArrayLike,
    beta1: float = 0.9,
    beta2: float = 0.99,
    lam: float = 0.0,
    kappa: str | Kappa = "l1",
    m0: ArrayLike | None = None,
) -> LionTrajectory:
    """Run ``steps`` Lion-K steps from (x0, m0 = 0); ``lr`` is a constant or a schedule of length
    ``steps``. Same update as :func:`lion_step`, in a tight loop (2-D explorers run it per redraw).
    """
    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    lrs = np.asarray(lr, dtype=float)
    if lrs.shape not in ((), (steps,)):
        raise ValueError(
            f"lr must be a number or a schedule of length steps={steps}, got {lrs.shape}"
        )
    lrs = np.broadcast_to(lrs, (steps,)).copy()
    _check_hyper(float(lrs.min()), beta1, beta2, lam, lam_positive=False)
    _check_hyper(float(lrs.max()), None, None, lam, lam_positive=False)
    k = get_kappa(kappa)
    x = _as_vector(x0, "x0")
    m = np.zeros_like(x) if m0 is None else _as_vector(m0, "m0")
    if m.shape != x.shape:
        raise ValueError(f"m0 must have the shape of x0 {x.shape}, got {m.shape}")
    xs = np.empty((steps + 1, x.size))
    ms = np.empty((steps + 1, x.size))
    xs[0], ms[0] = x, m
    c1, c2 = 1 - beta1, 1 - beta2
    for t in range(steps):
        g = grad_f(x)
        x = (1 - lrs[t] * lam) * x + lrs[t] * k.grad(beta1 * m - c1 * g)
        m = beta2 * m - c2 * g
        xs[t + 1], ms[t + 1] = x, m
    return LionTrajectory(xs=xs, ms=ms, lrs=lrs)


def box_distance(xs: ArrayLike, lam: float, kappa: str | Kappa = "l1") -> Array:
    """||x_t|| - 1/lam in the constraint norm of K (positive: outside the ball), per row of xs."""
    _check_hyper(None, None, None, lam, lam_positive=True)
    k = get_kappa(kappa)
    if not k.constrains:
        raise ValueError("kappa 'sq' imposes no constraint: box_distance is undefined")
    return k.constraint_norm(xs) - 1 / lam


def phase1_envelope(dist0: float, lrs: ArrayLike, lam: float) -> Array:
    r"""Upper bound on the distance to the ball in phase 1 (§6, eq. lion-phase1).

    With ||grad K|| <= 1 in the constraint norm, ||x_{t+1}|| <= (1 - lr_t lam)||x_t|| + lr_t, so
    d_t = ||x_t|| - 1/lam obeys d_{t+1} <= (1 - lr_t lam) d_t: returns max(d_0, 0) prod (1 - lr lam),
    the discrete counterpart of the exponential entry e^{-lam t}. Once d_t <= 0 it stays <= 0.
    """
    lrs = np.asarray(lrs, dtype=float)
    _check_hyper(float(lrs.max()), None, None, lam, lam_positive=True)
    factors = np.concatenate([[1.0], np.cumprod(1 - lrs * lam)])
    return max(dist0, 0.0) * factors


# ----------------------------------------------------------------------------------------------
# Continuous time and the Lyapunov function
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LionODEParams:
    """Parameters (alpha, gamma, eps, lam) of the Lion-K ODE."""

    alpha: float
    gamma: float
    eps: float
    lam: float

    def __post_init__(self) -> None:
        _check_ode(self.alpha, self.gamma, self.lam, self.eps)


def ode_params(lr: float, beta1: float, beta2: float, lam: float) -> LionODEParams:
    """The ODE whose Euler step of size ``lr`` is discrete Lion-K (§2, eq. lion-map).

    m_{t+1} - m_t = -(1-beta2)(g + m_t) = lr * (-alpha g - gamma m_t)  =>  alpha = gamma = (1-beta2)/lr;
    m~ = m - (1-beta1)(g + m) = m - eps (alpha g + gamma m)           =>  eps = lr (1-beta1)/(1-beta2).
    Then eps gamma = 1 - beta1 <= 1 always, and alpha = gamma makes F(x) = alpha (f + K*(lam x)/lam).
    """
    _check_hyper(lr, beta1, beta2, lam, lam_positive=True)
    rate = (1 - beta2) / lr
    return LionODEParams(alpha=rate, gamma=rate, eps=lr * (1 - beta1) / (1 - beta2), lam=lam)


def lion_ode_rhs(
    x: Array, m: Array, grad_fx: Array, p: LionODEParams, kappa: str | Kappa = "l1"
) -> tuple[Array, Array]:
    """(dx/dt, dm/dt) of the Lion-K ODE at (x, m), given grad f(x) (§2, eq. lion-ode)."""
    k = get_kappa(kappa)
    push = p.alpha * grad_fx + p.gamma * m
    return k.grad(m - p.eps * push) - p.lam * x, -push


def integrate_lion_ode(
    grad_f: Callable[[Array], Array],
    x0: ArrayLike,
    m0: ArrayLike,
    p: LionODEParams,
    t_eval: ArrayLike,
    kappa: str | Kappa = "sq",
    rtol: float = 1e-9,
    atol: float = 1e-11,
) -> tuple[Array, Array]:
    """Integrate the ODE with scipy's adaptive RK45 (DOP853); returns xs, ms at ``t_eval``.

    Meant for Lipschitz grad K (``"sq"``, ``"huber"``); sign-type K make the ODE discontinuous.
    """
    x0 = _as_vector(x0, "x0")
    m0 = _as_vector(m0, "m0")
    t_eval = np.asarray(t_eval, dtype=float)
    d = x0.size

    def rhs(_t: float, z: Array) -> Array:
        x, m = z[:d], z[d:]
        dx, dm = lion_ode_rhs(x, m, grad_f(x), p, kappa)
        return np.concatenate([dx, dm])

    sol = integrate.solve_ivp(
        rhs,
        (t_eval[0], t_eval[-1]),
        np.concatenate([x0, m0]),
        method="DOP853",
        t_eval=t_eval,
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:
        raise RuntimeError(f"ODE integration failed: {sol.message}")
    return sol.y[:d].T, sol.y[d:].T


def lyapunov_H(
    x: ArrayLike, m: ArrayLike, fx: ArrayLike, p: LionODEParams, kappa: str | Kappa = "l1"
) -> Array:
    """H(x, m) of [CLLL] (§3, eq. lion-H) given f(x); ``inf`` where lam x is outside dom K*.

    H = alpha f(x) + (gamma/lam) K*(lam x) + (1-eps gamma)/(1+eps lam) (K*(lam x) + K(m) - lam m.x)

    Rows of ``x``, ``m`` (and entries of ``fx``) are points: a whole trajectory at once.
    """
    k = get_kappa(kappa)
    x, m, fx = (np.asarray(v, dtype=float) for v in (x, m, fx))
    kstar = k.conj(p.lam * x)
    c = (1 - p.eps * p.gamma) / (1 + p.eps * p.lam)
    with np.errstate(invalid="ignore"):  # inf - finite stays inf; nothing else can be nan
        fenchel_gap = kstar + k.value(m) - p.lam * (m * x).sum(-1)
        return p.alpha * fx + (p.gamma / p.lam) * kstar + c * fenchel_gap


def lyapunov_dissipation(
    x: ArrayLike, m: ArrayLike, grad_fx: ArrayLike, p: LionODEParams, kappa: str | Kappa = "l1"
) -> tuple[float, float]:
    """The two non-negative terms of Delta = -dH/dt (§4, eq. lion-dissipation).

    With m~ = m + eps dm/dt, u a subgradient of K* at lam x and c = (1-eps gamma)/(1+eps lam):
    term1 = (gamma + c lam) (grad K(m~) - lam x).(m~ - u)   >= 0  (monotone subdifferential),
    term2 = c (dm/dt).(grad K(m~) - grad K(m))             >= 0  (monotone grad K, m~ - m = eps dm/dt).
    """
    k = get_kappa(kappa)
    x, m, g = (np.asarray(v, dtype=float) for v in (x, m, grad_fx))
    c = (1 - p.eps * p.gamma) / (1 + p.eps * p.lam)
    mdot = -(p.alpha * g + p.gamma * m)
    m_tilde = m + p.eps * mdot
    gk_tilde = k.grad(m_tilde)
    term1 = (p.gamma + c * p.lam) * float(
        (gk_tilde - p.lam * x) @ (m_tilde - k.conj_grad(p.lam * x))
    )
    term2 = c * float(mdot @ (gk_tilde - k.grad(m)))
    return term1, term2


def constrained_objective(
    fx: ArrayLike, x: ArrayLike, lam: float, kappa: str | Kappa = "l1"
) -> Array:
    """F(x)/alpha = f(x) + K*(lam x)/lam, what discrete Lion-K minimises (alpha = gamma)."""
    _check_hyper(None, None, None, lam, lam_positive=True)
    return fx + get_kappa(kappa).conj(lam * np.asarray(x, dtype=float)) / lam


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
    sum(u + v) <= 1/lam. Raises RuntimeError if a solver fails.
    """
    _check_hyper(None, None, None, lam, lam_positive=True)
    k = get_kappa(kappa)
    x0 = _as_vector(x0, "x0")
    d, r = x0.size, 1 / lam
    if k.name in ("l1", "huber", "sq"):
        q = {"l1": 0.0, "huber": k.delta * lam, "sq": lam}[k.name]
        return _lbfgsb(
            lambda x: f(x) + 0.5 * q * x @ x,
            lambda x: grad_f(x) + q * x,
            np.clip(x0, -r, r),
            None if k.name == "sq" else [(-r, r)] * d,
        )
    try:
        free = _lbfgsb(f, grad_f, x0)
        if k.constraint_norm(free) <= r:
            return free
    except RuntimeError:
        pass  # no finite unconstrained minimiser: the ball binds
    if k.name == "l2":

        def x_of(mu: float) -> Array:
            return _lbfgsb(lambda x: f(x) + 0.5 * mu * x @ x, lambda x: grad_f(x) + mu * x, x0)

        hi = 1.0
        while np.linalg.norm(x_of(hi)) > r:
            hi *= 4
        return x_of(optimize.brentq(lambda m: np.linalg.norm(x_of(m)) - r, 0.0, hi, xtol=1e-15))

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


# ----------------------------------------------------------------------------------------------
# torch: the optimizer and the experiment
# ----------------------------------------------------------------------------------------------
class LionK(torch.optim.Optimizer):
    """Lion-K as a ``torch.optim.Optimizer`` (§1, eq. lion-k, applied per parameter tensor).

    ``weight_decay`` is lam (decoupled: x <- (1 - lr lam) x + lr grad K(m~)); the state ``m``
    accumulates the *negative* gradient, as in the paper. K acts on each parameter tensor
    separately (K(x) = sum over tensors), so for ``"l2"``/``"linf"`` the constraint is a product
    of balls. ``kappa="l1"`` is the ordinary Lion of Chen et al. (2023). The subgradient is
    :meth:`Kappa.grad`, the very code of the numpy reference :func:`lion_step`.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        kappa: str | Kappa = "l1",
    ) -> None:
        _check_hyper(lr, betas[0], betas[1], weight_decay, lam_positive=False)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "weight_decay": weight_decay,
            "kappa": get_kappa(kappa),
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (b1, b2), lam = group["lr"], group["betas"], group["weight_decay"]
            _check_hyper(lr, b1, b2, lam, lam_positive=False)
            k = get_kappa(group["kappa"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p)
                m = state["m"]
                update = k.grad(b1 * m - (1 - b1) * p.grad, xp=torch)
                p.mul_(1 - lr * lam).add_(update, alpha=lr)
                m.mul_(b2).add_(p.grad, alpha=-(1 - b2))
        return loss


@dataclass(frozen=True)
class LogRegSweep:
    """Result of :func:`logistic_regression_lam_sweep` (one row per lam)."""

    lams: Array
    steps: Array  # the recorded step indices
    norms: Array  # ||w_t||_inf at those steps, shape (len(lams), len(steps))
    lion_objective: Array  # f(w_T) of Lion
    optimum: Array  # min f on the box, from scipy (independent)
    optimum_norm: Array  # ||w*||_inf of scipy's constrained optimum
    seconds: float


def make_logistic_data(n: int, d: int, *, flip: float = 0.1, seed: int = 0) -> tuple[Array, Array]:
    """Synthetic binary classification: x ~ N(0, I_d), y = sign(w0.x) with a fraction ``flip`` of
    labels flipped (so the unconstrained optimum is finite). Returns X (n, d) and y in {-1, +1}."""
    if n < 2 or d < 1:
        raise ValueError(f"need n >= 2 and d >= 1, got n={n}, d={d}")
    if not 0 <= flip < 0.5:
        raise ValueError(f"flip must lie in [0, 0.5), got {flip!r}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w0 = rng.standard_normal(d) * 2 / np.sqrt(d)
    y = np.sign(X @ w0 + 1e-12)
    y[rng.random(n) < flip] *= -1
    return X, y


def logistic_loss_np(w: Array, X: Array, y: Array) -> tuple[float, Array]:
    """Mean logistic loss f(w) = mean log(1 + exp(-y x.w)) and its gradient (numpy, stable)."""
    z = -y * (X @ w)
    loss = float(np.mean(np.logaddexp(0.0, z)))
    sig = 0.5 * (1 + np.tanh(0.5 * z))  # = sigmoid(z), overflow-free
    return loss, -(X.T @ (y * sig)) / len(y)


def logistic_regression_lam_sweep(
    lams: Sequence[float],
    *,
    n: int,
    d: int,
    steps: int,
    lr: float = 0.05,
    betas: tuple[float, float] = (0.9, 0.99),
    init_scale: float = 3.0,
    seed: int = 0,
    device: str | torch.device | None = None,
    n_records: int = 200,
    progress: bool = False,
) -> LogRegSweep:
    """Train logistic regression with sign Lion for each lam at once (one batched program).

    Each lam has its own weight vector (its own param group, so its own weight decay); the losses
    of all lams are computed as one (n, len(lams)) matrix product. The step size decays linearly
    to 0 (so the iterates settle instead of oscillating by +-lr). Returns ||w_t||_inf over time,
    the final objective and, independently, scipy's box-constrained optimum for each lam.
    """
    import time

    from tqdm.auto import tqdm

    from .device import device as pick_device

    lams_arr = np.asarray(lams, dtype=float)
    if lams_arr.ndim != 1 or lams_arr.size == 0 or np.any(lams_arr <= 0):
        raise ValueError(f"lams must be a non-empty 1-D sequence of positive numbers, got {lams!r}")
    if lr * lams_arr.max() > 1:
        raise ValueError(f"lr * max(lams) must be <= 1, got {lr * lams_arr.max()}")
    X, y = make_logistic_data(n, d, seed=seed)
    dev = pick_device() if device is None else torch.device(device)
    dtype = torch.float64 if dev.type == "cpu" else torch.float32
    Xt = torch.as_tensor(X, dtype=dtype, device=dev)
    yt = torch.as_tensor(y, dtype=dtype, device=dev)
    gen = torch.Generator().manual_seed(seed)
    w0 = (torch.rand(d, generator=gen, dtype=torch.float64) * 2 - 1) * init_scale
    ws = [torch.nn.Parameter(w0.clone().to(dev, dtype)) for _ in lams_arr]
    opt = LionK(
        [{"params": [w], "weight_decay": float(lam)} for w, lam in zip(ws, lams_arr, strict=True)],
        lr=lr,
        betas=betas,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 - t / steps)
    record = np.unique(np.geomspace(1, steps, n_records).astype(int))
    norms = np.empty((lams_arr.size, record.size))
    start = time.perf_counter()
    j = 0
    for t in tqdm(range(1, steps + 1), disable=not progress, desc="Lion sweep"):
        W = torch.stack(ws, dim=1)  # (d, L)
        loss = torch.nn.functional.softplus(-yt[:, None] * (Xt @ W)).mean(0).sum()
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        sched.step()
        if j < record.size and t == record[j]:
            with torch.no_grad():
                norms[:, j] = torch.stack(ws).abs().amax(1).double().cpu().numpy()
            j += 1
    seconds = time.perf_counter() - start
    w_final = torch.stack(ws).detach().double().cpu().numpy()

    def f(w: Array) -> float:
        return logistic_loss_np(w, X, y)[0]

    def g(w: Array) -> Array:
        return logistic_loss_np(w, X, y)[1]

    optima = [constrained_optimum(f, g, np.zeros(d), lam, "l1") for lam in lams_arr]
    return LogRegSweep(
        lams=lams_arr,
        steps=record,
        norms=norms,
        lion_objective=np.array([f(w) for w in w_final]),
        optimum=np.array([f(w) for w in optima]),
        optimum_norm=np.array([np.abs(w).max() for w in optima]),
        seconds=seconds,
    )


# ----------------------------------------------------------------------------------------------
# Figures for notebooks/lion.ipynb (the notebook only calls these)
# ----------------------------------------------------------------------------------------------
#: The 2-D explorer's problem: f(x) = 1/2 (x - c)' A (x - c), started outside every ball.
EXPLORER_A = np.array([[1.5, 0.6], [0.6, 0.8]])
EXPLORER_C = np.array([1.8, -1.4])
EXPLORER_X0 = np.array([-2.2, 2.0])
EXPLORER_STEPS = 1500


def explorer_problem() -> tuple[Callable[[Array], float], Callable[[Array], Array]]:
    """f and grad f of the explorer's 2-D quadratic."""

    def f(x: Array) -> Any:
        z = np.asarray(x) - EXPLORER_C
        return 0.5 * np.einsum("...i,ij,...j->...", z, EXPLORER_A, z)

    def grad_f(x: Array) -> Array:
        return EXPLORER_A @ (x - EXPLORER_C)

    return f, grad_f


def ball_outline(lam: float, kappa: str | Kappa, n: int = 241) -> Array:
    """Points on the boundary {||x|| = 1/lam} of the constraint set in 2-D (empty for sq)."""
    k = get_kappa(kappa)
    if not k.constrains:
        return np.empty((0, 2))
    theta = np.linspace(0, 2 * np.pi, n)
    u = np.stack([np.cos(theta), np.sin(theta)], 1)
    return u / (lam * k.constraint_norm(u))[:, None]


def explorer_frame(lam: float, beta1: float, beta2: float, lr: float, kappa: str) -> dict:
    """Everything the explorer draws for one setting of the sliders (pure computation).

    Runs ``EXPLORER_STEPS`` steps of Lion-K from ``EXPLORER_X0``, evaluates H along the iterates
    with the mapped ODE parameters (:func:`ode_params`), the step at which the iterates enter the
    ball, and scipy's constrained optimum.
    """
    f, grad_f = explorer_problem()
    tr = lion_run(
        grad_f,
        EXPLORER_X0,
        steps=EXPLORER_STEPS,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        lam=lam,
        kappa=kappa,
    )
    p = ode_params(lr, beta1, beta2, lam)
    H = lyapunov_H(tr.xs, tr.ms, f(tr.xs), p, kappa)
    k = get_kappa(kappa)
    if k.constrains:
        inside = np.flatnonzero(box_distance(tr.xs, lam, k) <= DOMAIN_TOL)
        entry = int(inside[0]) if inside.size else None
    else:
        entry = 0
    return {
        "xs": tr.xs,
        "t": np.arange(EXPLORER_STEPS + 1) * lr,
        "H": np.where(np.isfinite(H), H, np.nan),
        "entry_t": None if entry is None else entry * lr,
        "outline": ball_outline(lam, k),
        "optimum": constrained_optimum(f, grad_f, np.zeros(2), lam, k),
    }


def explorer() -> Any:
    """The chapter's explorer: sliders for lam, beta1, beta2, lr and K over a 2-D quadratic.

    Left: contours of f, the constraint set {||x|| <= 1/lam}, the Lion-K trajectory and scipy's
    constrained optimum (star). Right: H(x_t, m_t) against t = step x lr (infinite, hence not
    drawn, while x_t is outside the ball), with the moment the iterates enter the ball.
    """
    from . import widgets
    from .plotting import COLORS, figure

    f, _ = explorer_problem()
    fig, (ax, axh) = figure(2, width=8.6, height=3.7)
    g = np.linspace(-3, 3, 121)
    G = np.stack(np.meshgrid(g, g), -1)
    ax.contour(g, g, f(G), levels=14, colors=COLORS["muted"], linewidths=0.6)
    (ball,) = ax.plot([], [], color=COLORS["constraint"], lw=2, label=r"$\|x\| \leq 1/\lambda$")
    (path,) = ax.plot([], [], color=COLORS["experiment"], lw=1, label="Lion-K iterates")
    ax.plot(*EXPLORER_X0, "o", color=COLORS["experiment"], ms=5)
    (opt,) = ax.plot(
        [], [], "*", color=COLORS["reference"], ms=13, label="constrained optimum (scipy)"
    )
    ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="upper right")
    (hline,) = axh.plot([], [], color=COLORS["theory"], label="$H(x_t, m_t)$")
    entry = axh.axvline(0, color=COLORS["constraint"], ls="--", lw=1, label="enters the ball")
    axh.set(xlabel=r"$t = $ step $\times$ lr", ylabel="$H$", xlim=(1e-3, 1e2), xscale="log")
    axh.legend(loc="upper right")

    def update(lam: float, beta1: float, beta2: float, lr: float, kappa: str) -> None:
        fr = explorer_frame(lam, beta1, beta2, lr, kappa)
        ball.set_data(fr["outline"].T)
        path.set_data(fr["xs"].T)
        opt.set_data([fr["optimum"][0]], [fr["optimum"][1]])
        hline.set_data(fr["t"][1:], fr["H"][1:])
        entry.set_visible(fr["entry_t"] is not None and fr["entry_t"] > 0)
        if fr["entry_t"]:
            entry.set_xdata([fr["entry_t"]] * 2)
        finite = fr["H"][1:][np.isfinite(fr["H"][1:])]
        if finite.size:
            lo, hi = finite.min(), finite.max()
            pad = 0.05 * (hi - lo) + 1e-9
            axh.set_ylim(lo - pad, hi + pad)
        axh.set_xlim(fr["t"][1], fr["t"][-1])
        axh.set_title(
            f"$1/\\lambda$ = {1 / lam:.2f},  $\\|x_T\\|$ = "
            f"{get_kappa(kappa).constraint_norm(fr['xs'][-1]):.2f}"
        )

    controls = {
        "lam": widgets.slider("λ", 0.3, 3.0, 1.0, log=True),
        "beta1": widgets.slider("β₁", 0.0, 0.99, 0.9, step=0.01),
        "beta2": widgets.slider("β₂", 0.9, 0.999, 0.99, step=0.001),
        "lr": widgets.slider("lr ε", 1e-3, 0.1, 0.01, log=True),
        "kappa": widgets.choice(
            "K",
            {"‖·‖₁ (Lion)": "l1", "‖·‖₂": "l2", "‖·‖∞": "linf", "½‖·‖²": "sq", "Huber": "huber"},
            "l1",
        ),
    }
    static = {
        "lam": [0.3, 0.4, 0.5, 0.7, 1.0, 1.4, 2.0, 2.5, 3.0],
        "kappa": ["l1", "l2", "linf", "sq", "huber"],
    }
    caption = (
        "Lion-K on a 2-D quadratic: the iterates enter the ball of radius 1/lambda and settle "
        "at scipy's constrained optimum (left) while H(x_t, m_t) decreases (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)


def sweep_size() -> dict[str, int]:
    """Sizes of the chapter's torch experiment at the current ``THEORYBENCH_SCALE``."""
    from .device import by_scale

    return by_scale(
        ci={"n": 2_000, "d": 20, "steps": 3_000}, full={"n": 200_000, "d": 500, "steps": 30_000}
    )


def plot_sweep(res: LogRegSweep) -> Any:
    """Left: ||w_t||_inf against the step for each lam, with 1/lam dashed. Right: Lion's final
    objective against scipy's box-constrained minimum, over the radius 1/lam."""
    from .plotting import COLORS, CYCLE, figure

    fig, (ax, axo) = figure(2, width=8.6, height=3.4)
    for i, lam in enumerate(res.lams):
        col = CYCLE[i % len(CYCLE)]
        ax.plot(res.steps, res.norms[i], color=col, label=f"λ = {lam:g}")
        ax.axhline(1 / lam, color=col, ls="--", lw=0.9)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="step $t$",
        ylabel=r"$\|w_t\|_\infty$",
        title=r"iterates enter the box $\|w\|_\infty \leq 1/\lambda$ (dashed)",
    )
    ax.legend(ncol=2, loc="center right", bbox_to_anchor=(1.0, 0.36))
    r = 1 / res.lams
    order = np.argsort(r)
    axo.plot(
        r[order],
        res.optimum[order],
        "-",
        color=COLORS["reference"],
        label="min f on the box (scipy L-BFGS-B)",
    )
    axo.plot(r, res.lion_objective, "o", color=COLORS["experiment"], label="Lion, final $f(w_T)$")
    axo.set(
        xscale="log",
        xlabel=r"box radius $1/\lambda$",
        ylabel="logistic loss",
        title="Lion's limit is the constrained optimum",
    )
    axo.legend()
    return fig
