"""Figures of the Lion chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .digits import DigitsRun
    from .experiment import LogRegSweep

__all__ = [
    "plot_sweep",
    "plot_digits_box",
    "plot_digits_accuracy",
    "digits_rows",
    "plot_discrete_time",
]


def plot_sweep(res: LogRegSweep) -> Any:
    """Left: ||w_t||_inf against the step for each lam, with 1/lam dashed. Right: Lion's final
    objective against scipy's box-constrained minimum, over the radius 1/lam."""
    from ..plotting import COLORS, CYCLE, figure

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


def _runs(ax, x, Y, color, label) -> None:
    """Every run faint, the median bold (the spread over seeds is the figure's point)."""
    for y in Y:
        ax.plot(x, y, color=color, lw=0.6, alpha=0.35)
    ax.plot(x, np.nanmedian(Y, 0), color=color, lw=2, label=label)


def plot_digits_box(run: DigitsRun) -> Any:
    """Left: lam ||w||_inf (largest over the network's tensors) against the step, every seed,
    for each lam, with the phase-1 envelope 1 + lam d_0 (1 - lr lam)^t dashed; 1 is the box.
    Right: the fraction of weights on the box boundary."""
    from ..plotting import COLORS, CYCLE, figure

    fig, (ax, axb) = figure(2, width=8.8, height=3.4)
    t = np.arange(run.steps[-1] + 1)
    for i, lam in enumerate(run.lams):
        col = CYCLE[i % len(CYCLE)]
        _runs(ax, run.steps, run.lion_scaled_norm[i], col, f"λ = {lam:g}")
        d0 = max(float(np.median(run.d0[i])), 0.0)
        ax.plot(t[1:], 1 + lam * d0 * (1 - run.lr * lam) ** t[1:], "--", color=col, lw=0.9)
        _runs(axb, run.steps, run.lion_boundary[i], col, f"λ = {lam:g}")
    ax.axhline(1, color=COLORS["constraint"], lw=1.2)
    ax.set(
        xscale="symlog",
        xlabel="step",
        ylabel=r"$\lambda \|w\|_\infty$",
        title="phase 1: into the box at the predicted rate (dashed)",
    )
    axb.set(
        xscale="symlog",
        xlabel="step",
        ylabel="fraction of weights at ±1/λ",
        title="phase 2: most weights sit on the boundary",
    )
    ax.legend(loc="upper right")
    return fig


def plot_digits_accuracy(run: DigitsRun) -> Any:
    """Test accuracy against the step for Lion and AdamW (same start, minibatches and decoupled
    weight decay lam), every seed faint and the median bold, one panel per lam."""
    from ..plotting import COLORS, figure

    fig, axes = figure(len(run.lams), width=8.8, height=3.0)
    for ax, i in zip(axes, range(len(run.lams)), strict=True):
        _runs(ax, run.steps, run.lion_test_acc[i], COLORS["experiment"], "Lion")
        _runs(ax, run.steps, run.adamw_test_acc[i], COLORS["reference"], "AdamW")
        ax.set(xscale="symlog", ylim=(0, 1), xlabel="step", title=f"λ = {run.lams[i]:g}")
    axes[0].set_ylabel("test accuracy")
    axes[0].legend(loc="lower right")
    return fig


def digits_rows(run: DigitsRun) -> list[str]:
    """One line per lam: phase-1 steps measured (over seeds) and the bound, the largest
    lam ||w||_inf after entry, and the median final test accuracy of Lion and AdamW."""
    rows = []
    for i, lam in enumerate(run.lams):
        m, b = run.phase1_measured[i], np.ceil(run.phase1_bound[i])
        rows.append(
            f"lam = {lam:4g}: entry step {int(np.nanmin(m))}-{int(np.nanmax(m))} (bound "
            f"{int(b.min())}-{int(b.max())}), max lam||w||inf after entry "
            f"{np.nanmax(run.stays_inside[i]):.4f}, {len(m)} seeds"
        )
    return rows


def plot_discrete_time(lrs: tuple[float, ...] = (1e-2, 3e-3, 1e-3), lam: float = 1.0) -> Any:
    """§4.1 on a 4-D quadratic with its optimum inside the box. Left: H along constant-step
    sign Lion with the weight decay taken implicitly (lion_step, implicit_decay=True), the steps where it
    rose marked, against the smoothness allowance alpha L/2 ||dx||^2 of those steps. Right: the
    chatter, chatter_amplitude against the step, for that problem and one whose constraint binds,
    with slope 1 dashed."""
    from ..plotting import COLORS, CYCLE, figure
    from .model import (
        chatter_amplitude,
        constrained_optimum,
        discrete_dissipation,
        lyapunov_H,
        ode_params,
    )

    rng = np.random.default_rng(0)
    B = rng.standard_normal((4, 4))
    A = B @ B.T / 4 + 0.2 * np.eye(4)
    L = float(np.linalg.eigvalsh(A).max())
    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    lr = lrs[0]
    p = ode_params(lr, 0.9, 0.99, lam)
    c = rng.standard_normal(4) * 0.3
    x, m = np.zeros(4), np.zeros(4)
    H, allowance = [], []
    for _ in range(600):
        g = A @ (x - c)
        H.append(float(lyapunov_H(x, m, 0.5 * (x - c) @ A @ (x - c), p)))
        x1, m, _, _ = discrete_dissipation(x, m, g, lr=lr, lam=lam)
        allowance.append(p.alpha * L / 2 * float((x1 - x) @ (x1 - x)))
        x = x1
    H = np.array(H)
    up = np.flatnonzero(np.diff(H) > 0)
    a1.plot(np.arange(H.size), H - H.min() + 1e-6, color=COLORS["theory"], lw=1)
    a1.plot(up, H[up] - H.min() + 1e-6, ".", ms=3, color=COLORS["experiment"],
            label=f"{up.size} rises, each <= its allowance: {bool(np.all(np.diff(H)[up] <= np.array(allowance)[up]))}")  # fmt: skip
    a1.set(yscale="log", xlabel="step", ylabel=r"$H_t - \min H$ (+$10^{-6}$)",
           title=f"sign Lion, constant step {lr:g}")  # fmt: skip
    a1.legend(fontsize=7)
    for i, shift in enumerate((0.3, 2.0)):
        centre = np.random.default_rng(i + 1).standard_normal(4) * shift

        def f(x, c=centre):
            return 0.5 * (x - c) @ A @ (x - c)

        def grad(x, c=centre):
            return A @ (x - c)

        x_opt = constrained_optimum(f, grad, np.zeros(4), lam)
        amp = [chatter_amplitude(grad, np.zeros(4), x_opt, lr=r, lam=lam, horizon=40, window=10)
               for r in lrs]  # fmt: skip
        a2.plot(lrs, amp, "o-", color=CYCLE[i],
                label="optimum inside the box" if i == 0 else "constraint active")  # fmt: skip
    a2.plot(lrs, lrs, "--", color="k", lw=0.8, label="slope 1")
    a2.set(xscale="log", yscale="log", xlabel="step size",
           ylabel=r"mean $\|x_t - x^\star\|_\infty$", title="the chatter shrinks with the step")  # fmt: skip
    a2.legend(fontsize=7)
    return fig
