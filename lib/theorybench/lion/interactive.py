"""The Lion explorer: Lion-K iterates on a 2-D quadratic, the ball ||x|| <= 1/lam, and H along the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._blas import single_blas_thread
from .constrained import ball_outline, constrained_optimum
from .discrete import Array, box_distance, lion_run
from .kappa import DOMAIN_TOL, Kappa, get_kappa
from .ode import lyapunov_H, ode_params

__all__ = [
    "EXPLORER_A",
    "EXPLORER_C",
    "EXPLORER_X0",
    "EXPLORER_STEPS",
    "explorer_problem",
    "explorer_frame",
    "explorer",
]

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


@single_blas_thread
def explorer_frame(
    lam: float, beta1: float, beta2: float, lr: float, kappa: str, p: float = 1.5
) -> dict:
    """Everything the explorer draws for one setting of the sliders (pure computation).

    Runs ``EXPLORER_STEPS`` steps of Lion-K from ``EXPLORER_X0``, evaluates H along the iterates
    with the mapped ODE parameters (:func:`~theorybench.lion.ode.ode_params`), the step at which the iterates enter the
    ball, and scipy's constrained optimum. ``p`` is the exponent of Lion-lp (``kappa="lp"``).
    ``t`` and ``H`` hold only the steps t > 0 where H is finite (inside the ball).
    """
    k = Kappa("lp", p=p) if kappa == "lp" else get_kappa(kappa)
    f, grad_f = explorer_problem()
    tr = lion_run(
        grad_f,
        EXPLORER_X0,
        steps=EXPLORER_STEPS,
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        lam=lam,
        kappa=k,
    )
    H = lyapunov_H(tr.xs, tr.ms, f(tr.xs), ode_params(lr, beta1, beta2, lam), k)
    if k.constrains:
        inside = np.flatnonzero(box_distance(tr.xs, lam, k) <= DOMAIN_TOL)
        entry = int(inside[0]) if inside.size else None
    else:
        entry = 0
    t = np.arange(EXPLORER_STEPS + 1) * lr
    shown = np.isfinite(H) & (t > 0)  # H = +inf outside the ball: not drawn
    return {
        "xs": tr.xs,
        "t": t[shown],
        "H": H[shown],
        "entry_t": None if entry is None else entry * lr,
        "outline": ball_outline(lam, k),
        "optimum": constrained_optimum(f, grad_f, np.zeros(2), lam, k),
        "norm_T": float(k.constraint_norm(tr.xs[-1])),
    }


def explorer() -> Any:
    """The chapter's explorer: sliders for lam, beta1, beta2, lr and K over a 2-D quadratic.

    Left: contours of f, the constraint set {||x|| <= 1/lam}, the Lion-K trajectory and scipy's
    constrained optimum (star). Right: H(x_t, m_t) against t = step x lr (infinite, hence not
    drawn, while x_t is outside the ball), with the moment the iterates enter the ball.
    """
    from .. import widgets
    from ..plotting import COLORS, figure

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

    def update(lam: float, beta1: float, beta2: float, lr: float, kappa: str, p: float) -> None:
        fr = explorer_frame(lam, beta1, beta2, lr, kappa, p)
        ball.set_data(fr["outline"].T)
        path.set_data(fr["xs"].T)
        opt.set_data([fr["optimum"][0]], [fr["optimum"][1]])
        hline.set_data(fr["t"], fr["H"])
        entry.set_visible(fr["entry_t"] is not None and fr["entry_t"] > 0)
        if fr["entry_t"]:
            entry.set_xdata([fr["entry_t"]] * 2)
        if fr["H"].size:
            lo, hi = fr["H"].min(), fr["H"].max()
            pad = 0.05 * (hi - lo) + 1e-9
            axh.set_ylim(lo - pad, hi + pad)
        axh.set_xlim(lr, EXPLORER_STEPS * lr)
        axh.set_title(f"$1/\\lambda$ = {1 / lam:.2f},  $\\|x_T\\|$ = {fr['norm_T']:.2f}")

    controls = {
        "lam": widgets.slider("λ", 0.3, 3.0, 1.0, log=True),
        "beta1": widgets.slider("β₁", 0.0, 0.99, 0.9, step=0.01),
        "beta2": widgets.slider("β₂", 0.9, 0.999, 0.99, step=0.001),
        "lr": widgets.slider("lr η", 1e-3, 0.1, 0.01, log=True),
        "kappa": widgets.choice(
            "K",
            {
                "‖·‖₁ (Lion)": "l1",
                "‖·‖₂": "l2",
                "‖·‖∞": "linf",
                "½‖·‖²": "sq",
                "Huber": "huber",
                "‖·‖ₚ (Lion-ℓp, p below)": "lp",
            },
            "l1",
        ),
        "p": widgets.slider("p (Lion-ℓp)", 1.0, 2.0, 1.5, step=0.05),
    }
    static = {
        "lam": [0.3, 0.4, 0.5, 0.7, 1.0, 1.4, 2.0, 2.5, 3.0],
        "kappa": ["l1", "l2", "linf", "sq", "huber", "lp"],
    }
    caption = (
        "Lion-K on a 2-D quadratic: the iterates enter the ball of radius 1/lambda and settle "
        "at scipy's constrained optimum (left) while H(x_t, m_t) decreases (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)
