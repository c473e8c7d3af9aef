r"""The Lion-K ODE, its Lyapunov function H and H's change along discrete steps (§2-4.1).

Continuous time ([CLLL]'s ODE; §2. alpha, gamma > 0, eps >= 0)::

    dx/dt = grad K(m~) - lam x,   dm/dt = -alpha grad f(x) - gamma m,
    m~ = m - eps (alpha grad f(x) + gamma m)

Lyapunov function ([CLLL]'s Theorem 3.1, K differentiable; §3-4)::

    H(x, m) = alpha f(x) + (gamma/lam) K*(lam x)
              + (1 - eps gamma)/(1 + eps lam) * (K*(lam x) + K(m) - lam m.x)

Discrete time ([CLLL]'s Theorem 4.1, K convex, possibly non-differentiable; §4.1): one step of
the implicit-decay scheme changes H by minus a non-negative dissipation plus a smoothness
remainder, and the steps' changes telescope (:func:`discrete_lyapunov_run`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate

from .. import _checks
from .discrete import (
    Array,
    _as_finite,
    _as_vector,
    _check_hyper,
    _gradient,
    _lion_k_update,
    _value,
)
from .kappa import _TRUSTED_NUMPY, Kappa, get_kappa, kappa_doc

__all__ = [
    "LionODEParams",
    "ode_params",
    "lion_ode_rhs",
    "integrate_lion_ode",
    "lyapunov_H",
    "lyapunov_dissipation",
    "discrete_dissipation",
    "DiscreteLyapunovRun",
    "discrete_lyapunov_run",
    "summed_dissipation_bound",
]


def _check_ode(alpha: float, gamma: float, lam: float, eps: float) -> None:
    _checks.positive(alpha, "alpha")
    _checks.positive(gamma, "gamma")
    _checks.positive(lam, "lam")
    # eps gamma = 1 - beta1 exactly for discrete Lion; with beta1 = 0 it rounds to 1 + 2e-16
    if _checks.non_negative(eps, "eps") * gamma > 1 + 1e-12:
        raise ValueError(f"eps must satisfy 0 <= eps and eps * gamma <= 1, got eps={eps!r}")


def _check_params(p: object) -> LionODEParams:
    if not isinstance(p, LionODEParams):
        raise ValueError(f"p must be a LionODEParams (see ode_params), got {p!r}")
    return p


def _same_shape(**arrays: Array) -> None:
    """ValueError naming the arguments whose shapes differ."""
    shapes = {n: a.shape for n, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{n} {sh}" for n, sh in shapes.items())
        raise ValueError(f"{', '.join(shapes)} must have one shape, got {listed}")


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


@kappa_doc
def lion_ode_rhs(
    x: Array, m: Array, grad_fx: Array, p: LionODEParams, kappa: str | Kappa = "l1"
) -> tuple[Array, Array]:
    """(dx/dt, dm/dt) of the Lion-K ODE at (x, m), given grad f(x) (§2, eq. lion-ode).

    K acts on the whole parameter vector, so the state is one point: 2-D input is refused
    (for l2, linf, lp, a batch of rows would be normalised as one vector).

    Parameters
    ----------
    x, m : ndarray
        State of the ODE, 1-D of one length.
    grad_fx : ndarray
        grad f(x).
    p : LionODEParams
        alpha, gamma, eps, lam of the ODE (see :func:`ode_params`).
    {kappa}

    Returns
    -------
    tuple of ndarray
        ``(dx/dt, dm/dt)``.
    """
    p = _check_params(p)
    k = get_kappa(kappa)
    x, m, grad_fx = (_as_vector(v, n) for v, n in ((x, "x"), (m, "m"), (grad_fx, "grad_fx")))
    _same_shape(x=x, m=m, grad_fx=grad_fx)
    return _rhs(x, m, grad_fx, p, k)


def _rhs(x: Array, m: Array, grad_fx: Array, p: LionODEParams, k: Kappa) -> tuple[Array, Array]:
    """:func:`lion_ode_rhs` on checked inputs (the integrator's inner loop checks once)."""
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
    p = _check_params(p)
    x0 = _as_vector(x0, "x0")
    m0 = _as_vector(m0, "m0")
    _same_shape(x0=x0, m0=m0)
    _checks.in_range(rtol, "rtol", 1e-14, 0.1)
    _checks.in_range(atol, "atol", 1e-16, 1.0)
    t_eval = _checks.finite_array(t_eval, "t_eval", ndim=1, min_size=2)
    if np.any(np.diff(t_eval) <= 0):
        raise ValueError("t_eval must be strictly increasing")
    if (t_eval[-1] - t_eval[0]) * max(p.alpha, p.gamma, p.lam) > 1e5:
        raise ValueError("t_eval must span at most 1e5 time constants 1/max(alpha, gamma, lam)")
    d = x0.size
    k = get_kappa(kappa)

    def rhs(_t: float, z: Array) -> Array:
        # the state comes from the solver (finite float vectors of length d): only grad f is
        # checked at every call, the rest once above
        x, m = z[:d], z[d:]
        g = _as_vector(grad_f(x), "grad_fx")
        _same_shape(x=x, grad_fx=g)
        dx, dm = _rhs(x, m, g, p, k)
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


@kappa_doc
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
    {kappa}

    Returns
    -------
    ndarray
        H per point.
    """
    p = _check_params(p)
    k = get_kappa(kappa)
    x, m, fx = (_as_finite(v, n) for v, n in ((x, "x"), (m, "m"), (fx, "fx")))
    _same_shape(x=x, m=m)
    if fx.shape != x.shape[:-1]:
        raise ValueError(f"fx must have one entry per point of x ({x.shape[:-1]}), got {fx.shape}")
    return _lyapunov_H(x, m, fx, p, k)


def _lyapunov_H(x: Array, m: Array, fx: Array, p: LionODEParams, k: Kappa) -> Array:
    """:func:`lyapunov_H` on checked inputs."""
    kstar = k.conj(p.lam * x)
    c = p.c
    with np.errstate(invalid="ignore"):  # inf - finite stays inf; nothing else can be nan
        fenchel_gap = kstar + k.value(m) - p.lam * (m * x).sum(-1)
        return p.alpha * fx + (p.gamma / p.lam) * kstar + c * fenchel_gap


@kappa_doc
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
    {kappa}

    Returns
    -------
    tuple of float
        ``(term1, term2)``; Delta = term1 + term2.
    """
    p = _check_params(p)
    k = get_kappa(kappa)
    x, m, g = (_as_vector(v, n) for v, n in ((x, "x"), (m, "m"), (grad_fx, "grad_fx")))
    _same_shape(x=x, m=m, grad_fx=g)
    c = p.c
    mdot = -(p.alpha * g + p.gamma * m)
    m_tilde = m + p.eps * mdot
    gk_tilde = k.grad(m_tilde)
    term1 = (p.gamma + c * p.lam) * float(
        (gk_tilde - p.lam * x) @ (m_tilde - k.conj_grad(p.lam * x))
    )
    term2 = c * float(mdot @ (gk_tilde - k.grad(m)))
    return term1, term2


@kappa_doc
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
    """One step of :func:`~theorybench.lion.discrete.lion_step` with ``implicit_decay=True``
    (the scheme of [CLLL]'s Theorem 4.1) and the two non-negative terms of its discrete
    dissipation (§4.1, eq. lion-discrete; the exact identity is this book's derivation).

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
    {kappa}

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
    return _dissipation_step(x, m, g, p, k, lr, beta1, beta2, lam)


def _dissipation_step(
    x: Array, m: Array, g: Array, p: LionODEParams, k: Kappa, lr: float, beta1: float,
    beta2: float, lam: float,
) -> tuple[Array, Array, float, float]:  # fmt: skip
    """:func:`discrete_dissipation` on checked inputs (finite vectors of one shape, p its
    ode_params): K's gradient trusts its finite arguments, the same arithmetic unchecked."""
    x1, m1, m_tilde, v = _lion_k_update(
        x, m, g, lr=lr, beta1=beta1, beta2=beta2, lam=lam, kappa=k, implicit_decay=True,
        xp=_TRUSTED_NUMPY,
    )  # fmt: skip
    c = p.c
    t1 = (p.gamma + c * p.lam) * float((m_tilde - k.conj_grad(p.lam * x1)) @ (v - p.lam * x1))
    t2 = c / (p.eps - lr) * float((m_tilde - m1) @ (v - k.grad(m1, xp=_TRUSTED_NUMPY)))
    return x1, m1, t1, t2


@dataclass(frozen=True)
class DiscreteLyapunovRun:
    """Result of :func:`discrete_lyapunov_run`: ``H[t]`` for t = 0..steps; per step t -> t+1 the
    dissipation ``lr (T1 + T2)`` and the smoothness allowance ``alpha L/2 ||x_{t+1} - x_t||^2``."""

    xs: Array
    H: Array
    dissipation: Array
    allowance: Array
    T1: Array
    T2: Array
    params: LionODEParams


@kappa_doc
def discrete_lyapunov_run(
    f: Callable[[Array], float],
    grad_f: Callable[[Array], Array],
    x0: ArrayLike,
    m0: ArrayLike,
    *,
    steps: int,
    lr: float,
    smoothness: float,
    beta1: float = 0.9,
    beta2: float = 0.99,
    lam: float = 1.0,
    kappa: str | Kappa = "l1",
) -> DiscreteLyapunovRun:
    """``steps`` steps of :func:`discrete_dissipation` from (x0, m0), with H along them (§4.1).

    [CLLL]'s Theorem 4.1 in the form of eq. lion-discrete: for L-smooth f,
    H_{t+1} - H_t <= -lr (T1 + T2) + alpha L/2 ||x_{t+1} - x_t||^2 at every step, so the
    changes telescope (:func:`summed_dissipation_bound`).

    Parameters
    ----------
    f, grad_f : callable
        The objective and its gradient.
    x0, m0 : array_like
        Start, 1-D (H is finite only if lam x0 lies in the domain of K*).
    steps : int
        Number of steps (>= 1).
    lr : float
        Constant step size, > 0 with lr * lam <= 1.
    smoothness : float
        L >= 0, a Lipschitz constant of grad f (0 for linear f).
    beta1, beta2 : float
        Momentum coefficients with 0 <= beta1 < beta2 < 1.
    lam : float
        Weight decay lambda > 0.
    {kappa}

    Returns
    -------
    DiscreteLyapunovRun
    """
    steps = _checks.integer_at_least(steps, "steps", 1)
    L = _checks.non_negative(smoothness, "smoothness")
    p = ode_params(lr, beta1, beta2, lam)
    if not beta1 < beta2:
        raise ValueError(f"beta1 must be < beta2 for the discrete result, got {beta1}, {beta2}")
    k = get_kappa(kappa)
    x, m = _as_vector(x0, "x0"), _as_vector(m0, "m0")
    _same_shape(x0=x, m0=m)
    xs, H = [x], [float(lyapunov_H(x, m, _value(f, x), p, k))]
    if not np.isfinite(H[0]):
        raise ValueError(
            "x0 must lie in the constraint ball ||lam x0|| <= 1 of K (H is infinite outside)"
        )
    t1s, t2s, allowance = np.empty(steps), np.empty(steps), np.empty(steps)
    for t in range(steps):  # checked once above; each step checks f's value and gradient
        x1, m, t1s[t], t2s[t] = _dissipation_step(
            x, m, _gradient(grad_f, x), p, k, lr, beta1, beta2, lam
        )
        allowance[t] = p.alpha * L / 2 * float((x1 - x) @ (x1 - x))
        x = x1
        xs.append(x)
        H.append(float(_lyapunov_H(x, m, np.array(_value(f, x)), p, k)))
    return DiscreteLyapunovRun(
        xs=np.array(xs),
        H=np.array(H),
        dissipation=lr * (t1s + t2s),
        allowance=allowance,
        T1=t1s,
        T2=t2s,
        params=p,
    )


def summed_dissipation_bound(h0: float, h_min: float, allowance: ArrayLike) -> Array:
    """The one-step bound of §4.1 summed over the first T steps ([CLLL]'s Theorem 4.1, summed):

        sum_{t<T} lr (T1_t + T2_t) <= H_0 - H_T + sum_{t<T} a_t <= H_0 - H_min + sum_{t<T} a_t,

    with a_t = alpha L/2 ||x_{t+1} - x_t||^2 (or any bound on it, e.g. alpha L lr^2 D^2 / 2 when
    ||grad K(m~) - lam x'||_2 <= D) and H_min a lower bound of H (alpha min f on the constraint
    set for K with K(0) = 0, where K* >= 0). Returns the right-hand side for T = 1..len(a).

    Parameters
    ----------
    h0 : float
        H at the start.
    h_min : float
        A lower bound of H along the run, <= h0.
    allowance : array_like
        a_t per step, >= 0.

    Returns
    -------
    ndarray
        The bound on the summed dissipation after T = 1, 2, ... steps.
    """
    h0 = _checks.finite(h0, "h0")
    h_min = _checks.finite(h_min, "h_min")
    if h_min > h0:
        raise ValueError(f"h_min must be <= h0, got {h_min} > {h0}")
    a = _checks.finite_array(allowance, "allowance", ndim=1)
    if np.any(a < 0):
        raise ValueError("allowance must be >= 0")
    return h0 - h_min + np.cumsum(a)
