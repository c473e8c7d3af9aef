"""Figures of the Lion chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .experiment import LogRegSweep

__all__ = ["plot_sweep"]


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
