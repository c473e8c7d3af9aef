"""Lion-K's closed forms: K and its conjugate, the discrete update, the ODE, the Lyapunov function H and the constrained problem (numpy/scipy only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize

from .. import _checks

__all__ = [
    "DOMAIN_TOL",
    "Kappa",
    "KAPPAS",
    "get_kappa",
    "LionTrajectory",
    "lion_step",
    "lion_run",
    "box_distance",
    "phase1_envelope",
    "LionODEParams",
    "ode_params",
    "lion_ode_rhs",
    "integrate_lion_ode",
    "lyapunov_H",
    "lyapunov_dissipation",
    "discrete_dissipation",
    "chatter_amplitude",
    "constrained_objective",
    "constrained_optimum",
    "ball_outline",
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
    ``"lp"``      ||x||_p, 1 <= p <= 2    0 if ||y||_q <= 1 else inf          f on ||x||_q <= 1/lam
    ============  ======================  ==================================  =====================

    Lion-lp: q = p/(p-1) is the dual exponent (q = inf at p = 1: sign Lion; q = 2 at p = 2).

    huber_delta(t) = t^2/(2 delta) for abs(t) <= delta, abs(t) - delta/2 otherwise.
    (The last column is for the discrete-time alpha = gamma, see :func:`ode_params`.)
    """

    name: str
    delta: float = 1.0
    p: float = 1.5

    def __post_init__(self) -> None:
        if self.name not in _KAPPA_NAMES:
            raise ValueError(f"kappa must be one of {_KAPPA_NAMES}, got {self.name!r}")
        if not (np.isfinite(self.delta) and self.delta > 0):
            raise ValueError(f"delta must be a positive finite number, got {self.delta!r}")
        _checks.in_range(self.p, "p (the exponent of Lion-lp)", 1.0, 2.0)

    @property
    def q(self) -> float:
        """The dual exponent of ``p``: 1/p + 1/q = 1 (inf at p = 1)."""
        return np.inf if self.p == 1 else self.p / (self.p - 1)

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
        elif self.name == "lp":
            out = (a**self.p).sum(-1) ** (1 / self.p)
        else:  # huber
            d = self.delta
            out = np.where(a <= d, x * x / (2 * d), a - d / 2).sum(-1)
        return out

    def grad(self, x: Any, xp: Any = np) -> Any:
        """A subgradient of K at x; ``xp`` is the array namespace (``numpy`` or ``torch``).

        The same code serves the numpy reference and :class:`~theorybench.lion.optimizer.LionK`, so the two cannot drift.
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
        if self.name == "lp":  # sign(x_i) |x_i|^{p-1} / ||x||_p^{p-1} (sign at p = 1; 0 at 0)
            if self.p == 1:
                return xp.sign(x)
            norm = (abs(x) ** self.p).sum() ** (1 / self.p)
            return xp.sign(x) * abs(x) ** (self.p - 1) / norm ** (self.p - 1) if norm > 0 else x * 0
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
        if self.name == "lp":
            q = self.q
            return a.max(-1, initial=0.0) if np.isinf(q) else (a**q).sum(-1) ** (1 / q)
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


_KAPPA_NAMES = ("l1", "l2", "linf", "sq", "huber", "lp")


#: The K of the table in theory/lion.md §7, by name.
KAPPAS: dict[str, Kappa] = {name: Kappa(name) for name in _KAPPA_NAMES}


def get_kappa(kappa: str | Kappa) -> Kappa:
    """A :class:`Kappa` from its name (``"l1"`` is sign Lion) or itself.

    Parameters
    ----------
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).

    Returns
    -------
    Kappa
    """
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
    if lr is not None:
        _checks.positive(lr, "lr")
    for name, beta in (("beta1", beta1), ("beta2", beta2)):
        if beta is not None:
            _checks.in_range(beta, name, 0.0, 1.0, hi_open=True)
    if lam_positive:
        _checks.positive(lam, "lam (the constraint radius is 1/lam)")
    else:
        _checks.non_negative(lam, "lam")
    if lr is not None and lr * lam > 1:
        raise ValueError(f"lr * lam must be <= 1 (weight decay would overshoot), got {lr * lam!r}")


def _check_ode(alpha: float, gamma: float, lam: float, eps: float) -> None:
    _checks.positive(alpha, "alpha")
    _checks.positive(gamma, "gamma")
    _checks.positive(lam, "lam")
    # eps gamma = 1 - beta1 exactly for discrete Lion; with beta1 = 0 it rounds to 1 + 2e-16
    if _checks.non_negative(eps, "eps") * gamma > 1 + 1e-12:
        raise ValueError(f"eps must satisfy 0 <= eps and eps * gamma <= 1, got eps={eps!r}")


def _as_vector(x: ArrayLike, name: str) -> Array:
    return _checks.finite_array(x, name, ndim=1)


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
    implicit_decay: bool = False,
) -> tuple[Array, Array]:
    """One Lion-K step (§1, eq. lion-k); returns (x_{t+1}, m_{t+1}).

    m~ = beta1 m - (1-beta1) g,  m' = beta2 m - (1-beta2) g,  x' = x + lr (grad K(m~) - lam x).

    With ``implicit_decay`` the weight decay is taken at the new point (§4.1):
    x' = x + lr (grad K(m~) - lam x'), i.e. x' = (x + lr grad K(m~)) / (1 + lr lam), which
    differs from the explicit step by lr^2 lam (lam x - grad K(m~)) / (1 + lr lam).

    Parameters
    ----------
    x, m, grad : array_like
        Iterate, momentum and grad f(x), 1-D of one length.
    lr : float
        Step size (> 0), with lr * lam <= 1.
    beta1, beta2 : float
        Momentum coefficients in [0, 1).
    lam : float
        Decoupled weight decay lambda >= 0.
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).
    implicit_decay : bool
        Take the weight decay implicitly (the scheme of §4.1).

    Returns
    -------
    tuple of ndarray
        ``(x_next, m_next)``.
    """
    _check_hyper(lr, beta1, beta2, lam, lam_positive=False)
    k = get_kappa(kappa)
    x, m, g = (np.asarray(v, dtype=float) for v in (x, m, grad))
    m_tilde = beta1 * m - (1 - beta1) * g
    if implicit_decay:
        x_next = (x + lr * k.grad(m_tilde)) / (1 + lr * lam)
    else:
        x_next = x + lr * (k.grad(m_tilde) - lam * x)
    return x_next, beta2 * m - (1 - beta2) * g


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

    Parameters
    ----------
    grad_f : callable
        x -> grad f(x).
    x0 : array_like
        Start, 1-D.
    steps : int
        Number of steps (>= 1).
    lr : float or array_like
        Step size, or one per step.
    beta1, beta2, lam
        As in :func:`lion_step`.
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).
    m0 : array_like, optional
        Start of the momentum (zeros by default).

    Returns
    -------
    LionTrajectory
        Iterates x_0..x_steps, momenta and step sizes.
    """
    steps = _checks.integer_at_least(steps, "steps", 1)
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
    """||x_t|| - 1/lam in the constraint norm of K (positive: outside the ball), per row of xs.

    Parameters
    ----------
    xs : array_like
        Points, one per row.
    lam : float
        Weight decay lambda > 0 (the ball has radius 1/lam).
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).

    Returns
    -------
    ndarray
        Signed distance per row.
    """
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

    Parameters
    ----------
    dist0 : float
        ||x_0|| - 1/lam.
    lrs : array_like
        Step sizes of the run (each lr * lam <= 1).
    lam : float
        Weight decay lambda > 0.

    Returns
    -------
    ndarray
        The bound d_0, ..., d_T.
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

    @property
    def c(self) -> float:
        """c = (1 - eps gamma) / (1 + eps lam), the Fenchel-term weight of H (§3, eq. lion-H)."""
        return (1 - self.eps * self.gamma) / (1 + self.eps * self.lam)


def ode_params(lr: float, beta1: float, beta2: float, lam: float) -> LionODEParams:
    """The ODE whose Euler step of size ``lr`` is discrete Lion-K (§2, eq. lion-map).

    m_{t+1} - m_t = -(1-beta2)(g + m_t) = lr * (-alpha g - gamma m_t)  =>  alpha = gamma = (1-beta2)/lr;
    m~ = m - (1-beta1)(g + m) = m - eps (alpha g + gamma m)           =>  eps = lr (1-beta1)/(1-beta2).
    Then eps gamma = 1 - beta1 <= 1 always, and alpha = gamma makes F(x) = alpha (f + K*(lam x)/lam).

    Parameters
    ----------
    lr : float
        Step size (> 0), with lr * lam <= 1.
    beta1, beta2 : float
        Momentum coefficients in [0, 1).
    lam : float
        Decoupled weight decay lambda >= 0.

    Returns
    -------
    LionODEParams
    """
    _check_hyper(lr, beta1, beta2, lam, lam_positive=True)
    rate = (1 - beta2) / lr
    return LionODEParams(alpha=rate, gamma=rate, eps=lr * (1 - beta1) / (1 - beta2), lam=lam)


def lion_ode_rhs(
    x: Array, m: Array, grad_fx: Array, p: LionODEParams, kappa: str | Kappa = "l1"
) -> tuple[Array, Array]:
    """(dx/dt, dm/dt) of the Lion-K ODE at (x, m), given grad f(x) (§2, eq. lion-ode).

    Parameters
    ----------
    x, m : ndarray
        State of the ODE.
    grad_fx : ndarray
        grad f(x).
    p : LionODEParams
        alpha, gamma, eps, lam of the ODE (see :func:`ode_params`).
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).

    Returns
    -------
    tuple of ndarray
        ``(dx/dt, dm/dt)``.
    """
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
    """Integrate the ODE with scipy's adaptive explicit Runge-Kutta method of order 8 (DOP853); returns xs, ms at ``t_eval``.

    Meant for Lipschitz grad K (``"sq"``, ``"huber"``); sign-type K make the ODE discontinuous.

    Parameters
    ----------
    grad_f : callable
        x -> grad f(x).
    x0, m0 : array_like
        Initial state.
    p : LionODEParams
        alpha, gamma, eps, lam of the ODE (see :func:`ode_params`).
    t_eval : array_like
        Strictly increasing output times.
    kappa : str or Kappa
        A K with Lipschitz gradient (``"sq"``, ``"huber"``).
    rtol, atol : float
        Tolerances of the integrator.

    Returns
    -------
    tuple of ndarray
        ``(xs, ms)`` at ``t_eval``, one row per time.
    """
    x0 = _as_vector(x0, "x0")
    m0 = _as_vector(m0, "m0")
    t_eval = _checks.finite_array(t_eval, "t_eval", ndim=1, min_size=2)
    if np.any(np.diff(t_eval) <= 0):
        raise ValueError("t_eval must be strictly increasing")
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
        raise ValueError(
            f"the ODE cannot be integrated from these x0, m0, p over t_eval: {sol.message}"
        )
    return sol.y[:d].T, sol.y[d:].T


def lyapunov_H(
    x: ArrayLike, m: ArrayLike, fx: ArrayLike, p: LionODEParams, kappa: str | Kappa = "l1"
) -> Array:
    """H(x, m) of [CLLL] (§3, eq. lion-H) given f(x); ``inf`` where lam x is outside dom K*.

    H = alpha f(x) + (gamma/lam) K*(lam x) + (1-eps gamma)/(1+eps lam) (K*(lam x) + K(m) - lam m.x)

    Rows of ``x``, ``m`` (and entries of ``fx``) are points: a whole trajectory at once.

    Parameters
    ----------
    x, m : array_like
        Points (rows) or one point.
    fx : array_like
        f(x) per point.
    p : LionODEParams
        alpha, gamma, eps, lam of the ODE (see :func:`ode_params`).
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).

    Returns
    -------
    ndarray
        H per point.
    """
    k = get_kappa(kappa)
    x, m, fx = (np.asarray(v, dtype=float) for v in (x, m, fx))
    kstar = k.conj(p.lam * x)
    c = p.c
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

    Parameters
    ----------
    x, m : array_like
        A point of the ODE's state space.
    grad_fx : array_like
        grad f(x).
    p : LionODEParams
        alpha, gamma, eps, lam of the ODE (see :func:`ode_params`).
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).

    Returns
    -------
    tuple of float
        ``(term1, term2)``; Delta = term1 + term2.
    """
    k = get_kappa(kappa)
    x, m, g = (np.asarray(v, dtype=float) for v in (x, m, grad_fx))
    c = p.c
    mdot = -(p.alpha * g + p.gamma * m)
    m_tilde = m + p.eps * mdot
    gk_tilde = k.grad(m_tilde)
    term1 = (p.gamma + c * p.lam) * float(
        (gk_tilde - p.lam * x) @ (m_tilde - k.conj_grad(p.lam * x))
    )
    term2 = c * float(mdot @ (gk_tilde - k.grad(m)))
    return term1, term2


def discrete_dissipation(
    x: ArrayLike,
    m: ArrayLike,
    grad_fx: ArrayLike,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.99,
    lam: float = 1.0,
    kappa: str | Kappa = "l1",
) -> tuple[Array, Array, float, float]:
    """One step of :func:`lion_step` with ``implicit_decay=True`` and the two non-negative terms of its discrete
    dissipation (§4.1, eq. lion-discrete).

    With (alpha, gamma, eps) = ode_params(lr, beta1, beta2, lam), c = (1-eps gamma)/(1+eps lam),
    eta = lr, u' a subgradient of K* at lam x' and v = grad K(m~):

        H(x', m') - H(x, m) = alpha r_f + (gamma/lam + c) r_* + c r_K - eta (T1 + T2),
        T1 = (gamma + c lam) (m~ - u').(v - lam x')                 >= 0,
        T2 = c/(eps - eta) (m~ - m').(v - grad K(m'))                 >= 0,

    where r_f = f(x') - f(x) - grad f(x).(x' - x) <= L/2 ||x' - x||^2 for L-smooth f, and the
    convexity remainders r_* (of K* at lam x') and r_K (of K at m') are <= 0. Needs
    beta1 < beta2 (so eps > eta).

    Parameters
    ----------
    x, m, grad_fx : array_like
        Iterate, momentum and grad f(x), 1-D of one length.
    lr : float
        Step size (> 0), with lr * lam <= 1.
    beta1, beta2 : float
        Momentum coefficients with 0 <= beta1 < beta2 < 1.
    lam : float
        Weight decay lambda > 0.
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).

    Returns
    -------
    tuple
        ``(x_next, m_next, T1, T2)``.
    """
    p = ode_params(lr, beta1, beta2, lam)
    if not beta1 < beta2:
        raise ValueError(f"beta1 must be < beta2 for the discrete result, got {beta1}, {beta2}")
    k = get_kappa(kappa)
    x, m, g = (_as_vector(v, n) for v, n in ((x, "x"), (m, "m"), (grad_fx, "grad_fx")))
    if not x.shape == m.shape == g.shape:
        raise ValueError(
            f"x, m and grad_fx must have one shape, got {x.shape}, {m.shape}, {g.shape}"
        )
    x1, m1 = lion_step(
        x, m, g, lr=lr, beta1=beta1, beta2=beta2, lam=lam, kappa=k, implicit_decay=True
    )
    m_tilde = beta1 * m - (1 - beta1) * g
    v = k.grad(m_tilde)
    c = p.c
    t1 = (p.gamma + c * p.lam) * float((m_tilde - k.conj_grad(p.lam * x1)) @ (v - p.lam * x1))
    t2 = c / (p.eps - lr) * float((m_tilde - m1) @ (v - k.grad(m1)))
    return x1, m1, t1, t2


def chatter_amplitude(
    grad_f: Callable[[Array], Array],
    x0: ArrayLike,
    x_opt: ArrayLike,
    *,
    lr: float,
    lam: float,
    horizon: float = 60.0,
    window: float = 20.0,
    beta1: float = 0.9,
    beta2: float = 0.99,
    kappa: str | Kappa = "l1",
) -> float:
    """Mean distance max_i abs(x_t - x_opt)_i of constant-step Lion-K's iterates from the
    constrained optimum over the last ``window / lr`` of ``horizon / lr`` steps: the size of
    the chatter around the KKT point (O(lr) for sign Lion; §4.1).

    Parameters
    ----------
    grad_f : callable
        x -> grad f(x).
    x0, x_opt : array_like
        Start and the constrained optimum (e.g. from :func:`constrained_optimum`), 1-D.
    lr : float
        Constant step size, > 0 with lr * lam <= 1.
    lam : float
        Weight decay lambda > 0.
    horizon, window : float
        Run length and averaging window in units of lr-time (horizon > window > 0).
    beta1, beta2, kappa
        As in :func:`lion_run`.

    Returns
    -------
    float
        The mean distance over the window.
    """
    _check_hyper(lr, beta1, beta2, lam, lam_positive=True)
    horizon = _checks.positive(horizon, "horizon")
    window = _checks.positive(window, "window")
    if not window < horizon:
        raise ValueError(f"window must be < horizon, got {window}, {horizon}")
    x_opt = _as_vector(x_opt, "x_opt")
    steps = max(int(round(horizon / lr)), 2)
    tail = max(int(round(window / lr)), 1)
    tr = lion_run(grad_f, x0, steps=steps, lr=lr, beta1=beta1, beta2=beta2, lam=lam, kappa=kappa)
    if tr.xs.shape[1] != x_opt.size:
        raise ValueError(f"x_opt must have the length of x0 ({tr.xs.shape[1]}), got {x_opt.size}")
    return float(np.abs(tr.xs[-tail:] - x_opt).max(axis=1).mean())


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
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).

    Returns
    -------
    ndarray
        F(x) / alpha per point (``inf`` outside the constraint set).
    """
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
    sum(u + v) <= 1/lam; lp (p > 1): as l2 with the penalty mu/q sum abs(x_i)^q, q = p/(p-1)
    >= 2 (p = 1 is the box of l1). Raises RuntimeError if a solver fails.

    Parameters
    ----------
    f, grad_f : callable
        The objective and its gradient.
    x0 : array_like
        Start of the solver.
    lam : float
        Weight decay lambda > 0.
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).

    Returns
    -------
    ndarray
        The minimiser.
    """
    _check_hyper(None, None, None, lam, lam_positive=True)
    k = get_kappa(kappa)
    x0 = _as_vector(x0, "x0")
    d, r = x0.size, 1 / lam
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

        hi = 1.0
        while k.constraint_norm(x_of(hi)) > r:
            hi *= 4
        return x_of(optimize.brentq(lambda m: k.constraint_norm(x_of(m)) - r, 0.0, hi, xtol=1e-15))

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


def ball_outline(lam: float, kappa: str | Kappa, n: int = 241) -> Array:
    """Points on the boundary {||x|| = 1/lam} of the constraint set in 2-D (empty for sq).

    Parameters
    ----------
    lam : float
        Weight decay lambda > 0.
    kappa : str or Kappa
        The convex function K: ``"l1"`` (sign Lion), ``"l2"``, ``"linf"``, ``"sq"``, ``"huber"``,
        ``"lp"`` (Lion-lp, with ``Kappa("lp", p=...)`` for another exponent than 1.5).
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
    theta = np.linspace(0, 2 * np.pi, n)
    u = np.stack([np.cos(theta), np.sin(theta)], 1)
    return u / (lam * k.constraint_norm(u))[:, None]
