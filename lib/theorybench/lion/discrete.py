r"""The discrete Lion-K update, written once, and what follows from it step by step: the runs,
the distance to the constraint ball (phase 1, §6) and the chatter of constant steps (§4.1).

Every implementation of the update -- :func:`lion_step`, :func:`lion_run`,
:func:`~theorybench.lion.ode.discrete_dissipation` and the torch optimizer
:class:`~theorybench.lion.optimizer.LionK` -- calls ``_lion_k_update``, which takes the
array namespace (numpy or torch) as an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _checks
from .kappa import _TRUSTED_NUMPY, Kappa, get_kappa, kappa_doc

__all__ = [
    "LionTrajectory",
    "lion_step",
    "lion_run",
    "box_distance",
    "phase1_envelope",
    "chatter_amplitude",
]

Array = NDArray[np.float64]


# ----------------------------------------------------------------------------------------------
# Validation shared by the chapter's closed forms
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


def _as_vector(x: ArrayLike, name: str) -> Array:
    return _checks.finite_array(x, name, ndim=1)


def _as_finite(x: ArrayLike, name: str) -> Array:
    """Points of any shape (rows are points), finite."""
    return _checks.finite_array(x, name)


def _gradient(grad_f: Callable[[Array], Array], x: Array) -> Array:
    """grad_f(x), checked: finite and of the shape of x (ValueError naming grad_f)."""
    g = np.asarray(grad_f(x), dtype=float)
    if g.shape != x.shape:
        raise ValueError(f"grad_f must return an array of the shape of x {x.shape}, got {g.shape}")
    if not np.isfinite(g).all():  # (the method: no dispatch wrapper in the inner loops)
        raise ValueError(f"grad_f must return finite values, got {g} at x = {x}")
    return g


def _value(f: Callable[[Array], float], x: Array) -> float:
    """f(x), checked: a finite number (ValueError naming f)."""
    try:
        v = float(f(x))
    except (TypeError, ValueError):
        raise ValueError("f must return one number") from None
    if not np.isfinite(v):
        raise ValueError(f"f must return finite values, got {v} at x = {x}")
    return v


#: Most steps one call may run (:func:`chatter_amplitude` runs horizon / lr of them).
MAX_STEPS = 10_000_000


# ----------------------------------------------------------------------------------------------
# The update
# ----------------------------------------------------------------------------------------------
def _lion_k_update(
    x: Any,
    m: Any,
    g: Any,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    lam: float,
    kappa: Kappa,
    implicit_decay: bool = False,
    xp: Any = np,
) -> tuple[Any, Any, Any, Any]:
    """One Lion-K step (§1, eq. lion-k) on arrays of namespace ``xp`` (numpy or torch), unchecked.

    m~ = beta1 m - (1-beta1) g,  m' = beta2 m - (1-beta2) g,  v = grad K(m~),
    x' = (1 - lr lam) x + lr v, or with ``implicit_decay`` (§4.1) x' = (x + lr v)/(1 + lr lam).

    Returns ``(x', m', m~, v)``.
    """
    m_tilde = beta1 * m - (1 - beta1) * g
    v = kappa.grad(m_tilde, xp=xp)
    if implicit_decay:
        x_next = (x + lr * v) / (1 + lr * lam)
    else:
        x_next = (1 - lr * lam) * x + lr * v
    return x_next, beta2 * m - (1 - beta2) * g, m_tilde, v


@dataclass(frozen=True)
class LionTrajectory:
    """Iterates of :func:`lion_run`: ``xs[t]``, ``ms[t]`` for t = 0..steps, and the step sizes."""

    xs: Array
    ms: Array
    lrs: Array


@kappa_doc
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

    With ``implicit_decay`` the weight decay is taken at the new point (§4.1, the scheme of
    [CLLL]'s Theorem 4.1): x' = x + lr (grad K(m~) - lam x'), i.e.
    x' = (x + lr grad K(m~)) / (1 + lr lam), which differs from the explicit step by
    lr^2 lam (lam x - grad K(m~)) / (1 + lr lam).

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
    {kappa}
    implicit_decay : bool
        Take the weight decay implicitly (the scheme of §4.1).

    Returns
    -------
    tuple of ndarray
        ``(x_next, m_next)``.
    """
    _check_hyper(lr, beta1, beta2, lam, lam_positive=False)
    k = get_kappa(kappa)
    x, m, g = (_as_vector(v, n) for v, n in ((x, "x"), (m, "m"), (grad, "grad")))
    if not x.shape == m.shape == g.shape:
        raise ValueError(f"x, m and grad must have one shape, got {x.shape}, {m.shape}, {g.shape}")
    x_next, m_next, _, _ = _lion_k_update(
        x, m, g, lr=lr, beta1=beta1, beta2=beta2, lam=lam, kappa=k, implicit_decay=implicit_decay
    )
    return x_next, m_next


@kappa_doc
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
    ``steps``. The update of :func:`lion_step`, checked once and run in a loop (2-D explorers
    run it per redraw).

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
    {kappa}
    m0 : array_like, optional
        Start of the momentum (zeros by default).

    Returns
    -------
    LionTrajectory
        Iterates x_0..x_steps, momenta and step sizes.
    """
    steps = _checks.integer_at_least(steps, "steps", 1)
    if steps > MAX_STEPS:
        raise ValueError(f"steps must be <= {MAX_STEPS}, got {steps}")
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
    for t in range(steps):
        # checked once above and each step's gradient here: K's gradient trusts its input
        x, m, _, _ = _lion_k_update(
            x, m, _gradient(grad_f, x), lr=lrs[t], beta1=beta1, beta2=beta2, lam=lam, kappa=k,
            xp=_TRUSTED_NUMPY,
        )  # fmt: skip
        xs[t + 1], ms[t + 1] = x, m
    return LionTrajectory(xs=xs, ms=ms, lrs=lrs)


# ----------------------------------------------------------------------------------------------
# Phase 1: into the ball (§6)
# ----------------------------------------------------------------------------------------------
@kappa_doc
def box_distance(xs: ArrayLike, lam: float, kappa: str | Kappa = "l1") -> Array:
    """||x_t|| - 1/lam in the constraint norm of K (positive: outside the ball), per row of xs.

    Parameters
    ----------
    xs : array_like
        Points, one per row.
    lam : float
        Weight decay lambda > 0 (the ball has radius 1/lam).
    {kappa}

    Returns
    -------
    ndarray
        Signed distance per row.
    """
    _check_hyper(None, None, None, lam, lam_positive=True)
    k = get_kappa(kappa)
    if not k.constrains:
        raise ValueError("kappa 'sq' imposes no constraint: box_distance is undefined")
    return k.constraint_norm(_as_finite(xs, "xs")) - 1 / lam


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
    dist0 = _checks.finite(dist0, "dist0")
    lrs = _checks.finite_array(lrs, "lrs", ndim=1, positive=True)
    _check_hyper(float(lrs.max()), None, None, lam, lam_positive=True)
    factors = np.concatenate([[1.0], np.cumprod(1 - lrs * lam)])
    return max(dist0, 0.0) * factors


# ----------------------------------------------------------------------------------------------
# Constant steps: the chatter (§4.1)
# ----------------------------------------------------------------------------------------------
@kappa_doc
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
    blocks: int = 1,
) -> float | Array:
    """Mean distance max_i abs(x_t - x_opt)_i of constant-step Lion-K's iterates from the
    constrained optimum over the last ``window / lr`` of ``horizon / lr`` steps: the size of
    the chatter around the KKT point (O(lr) for sign Lion, except at the centre or at a corner
    optimum whose gradient points outward in every coordinate, where the iterates settle; §4.1).

    With ``blocks`` > 1, x0 (and x_opt) hold that many independent problems of one size side
    by side, and grad_f returns each block's gradient from that block alone: for an entry-wise
    K (l1, sq, huber) each coordinate moves by its own momentum, so the problems run as one
    vector, step for step as they would alone, and one amplitude per block is returned.

    Parameters
    ----------
    grad_f : callable
        x -> grad f(x).
    x0, x_opt : array_like
        Start and the constrained optimum (e.g. from
        :func:`~theorybench.lion.constrained.constrained_optimum`), 1-D.
    lr : float
        Constant step size, > 0 with lr * lam <= 1.
    lam : float
        Weight decay lambda > 0.
    horizon, window : float
        Run length and averaging window in units of lr-time (horizon > window > 0,
        horizon / lr <= ``MAX_STEPS``).
    beta1, beta2 : float
        As in :func:`lion_run`.
    {kappa}
    blocks : int
        Independent problems stacked in x0 (>= 1; an entry-wise K when > 1).

    Returns
    -------
    float or ndarray
        The mean distance over the window (one per block when ``blocks`` > 1).
    """
    _check_hyper(lr, beta1, beta2, lam, lam_positive=True)
    blocks = _checks.integer_at_least(blocks, "blocks", 1)
    if blocks > 1 and get_kappa(kappa).name not in ("l1", "sq", "huber"):
        raise ValueError(f"blocks must be 1 for kappa {get_kappa(kappa).name!r} (not entry-wise)")
    horizon = _checks.positive(horizon, "horizon")
    window = _checks.positive(window, "window")
    if not window < horizon:
        raise ValueError(f"window must be < horizon, got {window}, {horizon}")
    x_opt = _as_vector(x_opt, "x_opt")
    if x_opt.size % blocks:
        raise ValueError(f"blocks must divide the length of x_opt ({x_opt.size}), got {blocks}")
    if horizon / lr > MAX_STEPS:
        raise ValueError(
            f"horizon / lr (the number of steps) must be <= {MAX_STEPS}, got {horizon / lr:.3g}"
        )
    steps = max(int(round(horizon / lr)), 2)
    tail = max(int(round(window / lr)), 1)
    tr = lion_run(grad_f, x0, steps=steps, lr=lr, beta1=beta1, beta2=beta2, lam=lam, kappa=kappa)
    if tr.xs.shape[1] != x_opt.size:
        raise ValueError(f"x_opt must have the length of x0 ({tr.xs.shape[1]}), got {x_opt.size}")
    if blocks == 1:
        return float(np.abs(tr.xs[-tail:] - x_opt).max(axis=1).mean())
    size = x_opt.size // blocks
    return np.array([
        float(np.abs(tr.xs[-tail:, sl] - x_opt[sl]).max(axis=1).mean())
        for sl in (slice(b * size, (b + 1) * size) for b in range(blocks))
    ])  # fmt: skip
