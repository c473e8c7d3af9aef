"""Figures and printed rows of the Langevin-averaging chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .model import Array, predicted_exponents, threshold_exponent

if TYPE_CHECKING:
    from .experiment import LangevinRun, SweepResult

__all__ = ["threshold_rows", "plot_collapse", "plot_trajectories"]


def threshold_rows(result: SweepResult, target: float = 0.5) -> list[str]:
    """Text rows: the fitted exponent of each algorithm against the predicted ones."""
    pred = predicted_exponents(result.k)
    rows = [f"k* = {result.k}; predicted: " + ", ".join(f"{m} {a:g}" for m, a in pred.items())]
    for name, over in result.overlaps.items():
        a, thr = threshold_exponent(result.ds, result.ns, over, target)
        shown = ", ".join("never" if not np.isfinite(t) else f"{t:.0f}" for t in thr)
        fitted = f"{a:.2f}" if np.isfinite(thr).all() else "not fitted (not reached at every d)"
        rows.append(f"{name:>22}: n for overlap {target} = [{shown}], exponent {fitted}")
    return rows


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def plot_collapse(result: SweepResult) -> object:
    """Mean overlap against n / d^{k/2} (left) and n / d^{k-1} (right) for every d: curves that
    collapse in one scaling share that sample-complexity exponent."""
    from ..plotting import COLORS, CYCLE, figure

    fig, axes = figure(2, width=10.0, height=3.6)
    styles = {"averaged Langevin": "-", "Langevin last iterate": ":", "online SGD": "--"}
    for ax, power, label in (
        (axes[0], result.k / 2, r"$n / d^{k^*/2}$"),
        (axes[1], result.k - 1, r"$n / d^{k^*-1}$"),
    ):
        for i, d in enumerate(result.ds):
            for name, style in styles.items():
                ax.plot(
                    result.ns[i] / d**power,
                    result.overlaps[name][i],
                    style,
                    marker="o",
                    ms=3,
                    color=CYCLE[i],
                    label=f"{name}, d = {d}" if ax is axes[0] else None,
                )
        ax.axhline(0.5, color=COLORS["muted"], lw=0.8)
        ax.set(xscale="log", xlabel=label, ylabel="overlap |<w, w*>|", ylim=(0, 1))
    axes[0].legend(fontsize=6, ncol=3, loc="upper left")
    axes[0].set_title("scaled by the averaged-Langevin rate")
    axes[1].set_title("scaled by the online-SGD rate")
    return fig


def plot_trajectories(run: LangevinRun, sgd_overlap: Array, lr: float) -> object:
    """Overlap against time for one data set: Langevin iterates, their running average, and
    online SGD (x: samples seen for SGD, Langevin steps for Langevin)."""
    from ..plotting import COLORS, figure

    fig, (ax,) = figure(1, width=7.0, height=3.4)
    t = np.arange(run.last_overlap.shape[1])
    ax.plot(t, run.last_overlap.mean(0), color=COLORS["muted"], lw=1, label="Langevin iterate")
    ax.plot(
        t,
        run.average_overlap.mean(0),  # NaN during the burn-in, for every run alike
        color=COLORS["experiment"],
        lw=2,
        label="running average",
    )
    s = np.arange(sgd_overlap.shape[1])
    ax.plot(
        s,
        sgd_overlap.mean(0),
        color=COLORS["theory"],
        lw=1.5,
        ls="--",
        label="online SGD (samples seen)",
    )
    ax.set(xlabel="step", ylabel="mean overlap", ylim=(0, 1), title="one sample size")
    ax.legend(fontsize=8)
    return fig
