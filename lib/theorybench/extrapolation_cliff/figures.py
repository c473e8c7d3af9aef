"""Figures and printed rows of the extrapolation-cliff chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .model import clip_safe_interval, extrapolated_fixed_point, lambda_star

if TYPE_CHECKING:
    from .experiment import PolicySweep

__all__ = ["plot_sweep", "plot_simulation", "sweep_rows"]


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def plot_sweep(sweep: PolicySweep) -> object:
    """Left: final format validity against lambda, with the extrapolated fixed point and lambda*.
    Right: the fraction of masked samples at the end of training."""
    from ..plotting import COLORS, figure

    fig, (ax, axr) = figure(2, width=9.0, height=3.4)
    ax.plot(sweep.lams, sweep.fixed_point, color=COLORS["theory"], lw=1.5, label=r"$q_\lambda$")
    ax.plot(sweep.lams, sweep.validity, "o", color=COLORS["experiment"], ms=4, label="trained")
    axr.plot(sweep.lams, sweep.clip_fraction, "o-", color=COLORS["experiment"], ms=4)
    for a in (ax, axr):
        a.axvline(sweep.lambda_star, color=COLORS["muted"], ls="--", lw=1)
        a.set_xlabel(r"extrapolation coefficient $\lambda$")
    ax.set(
        ylabel="mass on the format token",
        title=r"trained policy vs fixed point; $\lambda^*$ dashed",
    )
    ax.legend(loc="lower right")
    axr.set(ylabel="masked fraction (last 10 %)", title="clip activity at the end of training")
    return fig


def plot_simulation(
    p: float,
    b: float,
    c: float,
    lams: ArrayLike,
    exact: ArrayLike,
    sampled_lams: ArrayLike,
    sampled: ArrayLike,
) -> object:
    """Final modal mass of the simulated dynamics against lambda: expected-gradient runs (line),
    sampled rollouts (mean and standard deviation over seeds), the fixed point q_lambda, the
    clip-safe end q_hi and lambda*."""
    from ..plotting import COLORS, figure

    lams, sampled_lams = np.asarray(lams, dtype=float), np.asarray(sampled_lams, dtype=float)
    sampled = np.atleast_2d(np.asarray(sampled, dtype=float))
    fig, (ax,) = figure(1, width=7.0, height=3.6)
    ax.plot(
        lams,
        extrapolated_fixed_point(p, b, lams),
        color=COLORS["theory"],
        lw=1.5,
        label=r"fixed point $q_\lambda$",
    )
    ax.plot(
        lams,
        np.asarray(exact)[0],
        color=COLORS["experiment"],
        lw=2.5,
        alpha=0.6,
        label="simulated (expected gradient)",
    )
    ax.errorbar(
        sampled_lams,
        sampled.mean(0),
        yerr=sampled.std(0),
        fmt="o",
        ms=3,
        capsize=2,
        color="k",
        label=f"sampled rollouts ({sampled.shape[0]} seeds)",
    )
    _, hi = clip_safe_interval(b, c)
    ax.axhline(float(hi), color=COLORS["muted"], ls=":", lw=1, label="clip-safe end $q_{hi}$")
    ax.axvline(
        float(lambda_star(p, b, c)), color=COLORS["muted"], ls="--", lw=1, label=r"$\lambda^*$"
    )
    ax.set(
        xlabel=r"$\lambda$",
        ylabel="final mass on the modal token",
        title=f"p = {p:g}, b = {b:g}, c = {c:g}",
    )
    ax.legend(fontsize=8)
    return fig


def sweep_rows(sweep: PolicySweep) -> list[str]:
    """Text rows: predicted lambda* against the first lambda whose run ends clipped, and the
    largest gap to the fixed point below lambda*."""
    clipped = sweep.clip_fraction > 1e-3
    first = float(sweep.lams[np.argmax(clipped)]) if clipped.any() else float("inf")
    below = sweep.lams < sweep.lambda_star
    gap = float(np.max(np.abs(sweep.validity - sweep.fixed_point)[below])) if below.any() else 0.0
    return [
        f"predicted lambda* (K-ary closed form):    {sweep.lambda_star:.3f}",
        f"first lambda ending clipped (trained):    {first:.3f}",
        f"max |trained - fixed point| below lambda*: {gap:.1e}",
    ]
