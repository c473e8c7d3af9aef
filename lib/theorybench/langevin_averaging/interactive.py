"""The Langevin-averaging explorer (re-runs the chains on release)."""

from __future__ import annotations

import numpy as np

from ..training import TrainConfig
from .experiment import LANGEVIN_TRAIN, langevin, online_sgd, single_index_data

__all__ = ["EXPLORER_MAX_N", "explorer"]

EXPLORER_MAX_N = 4096  # keeps one re-run of the explorer near a second on a laptop CPU


def explorer() -> object:
    """Sliders k* in {3, 4}, d, n / d^{k*/2} (n capped at EXPLORER_MAX_N; the title shows n),
    inverse temperature beta / d and burn-in: one batched Langevin run (8 data sets) whose
    running estimate is the mean of the iterates for k* = 3 and the top eigenvector of their
    second moment for k* = 4 (the even-k* estimator), against online SGD with the same n;
    overlap against time."""
    from .. import widgets
    from ..plotting import COLORS, figure

    fig, (ax,) = figure(1, width=7.5, height=3.4)
    (it,) = ax.plot([], [], color=COLORS["muted"], lw=1, label="Langevin iterate")
    (av,) = ax.plot([], [], color=COLORS["experiment"], lw=2, label="running average")
    (sg,) = ax.plot([], [], color=COLORS["theory"], lw=1.5, ls="--", label="online SGD")
    ax.set(xlabel="step (Langevin) / samples seen (SGD)", ylabel="mean overlap", ylim=(0, 1))
    ax.legend(fontsize=8, loc="upper left")

    def update(k: int, d: int, factor: float, beta_per_d: float, burn: float) -> None:
        n = min(EXPLORER_MAX_N, max(2, int(round(factor * d ** (k / 2)))))
        X, y, w_star = single_index_data(n, d, k, runs=8, seed=0)
        steps = 500
        run = langevin(
            X, y, w_star, k, beta=beta_per_d * d, burn_in=min(int(burn * steps), steps - 1),
            moment=1 if k % 2 else 2, records=101, train=LANGEVIN_TRAIN.replace(steps=steps),
        )  # fmt: skip
        sgd, _, _ = online_sgd(n, d, k, runs=8, train=TrainConfig(steps=None, lr=d ** (-k / 2)))
        it.set_data(run.steps, run.iterate_overlap.mean(0))
        av.set_data(run.steps, run.average_overlap.mean(0))
        sg.set_data(np.arange(n + 1) * steps / n, sgd.mean(0))
        ax.set_xlim(0, steps)
        ax.set_title(
            f"k* = {k}, d = {d}, n = {n}: average {run.average_overlap[:, -1].mean():.2f}, "
            f"SGD {sgd[:, -1].mean():.2f}"
        )

    controls = {
        "k": widgets.choice("k*", [3, 4], 3),
        "d": widgets.choice("d", [16, 32, 64], 32),
        "factor": widgets.slider("n / d^{k*/2}", 0.25, 16.0, 4.0, log=True),
        "beta_per_d": widgets.slider("β / d", 0.0625, 4.0, 0.25, log=True),
        "burn": widgets.slider("burn-in fraction", 0.0, 0.9, 0.25, step=0.05),
    }
    static = {"d": [16, 32], "factor": [1.0, 4.0, 16.0]}
    caption = (
        "Spherical Langevin dynamics on the empirical objective: single iterates (grey) "
        "against their running estimate (orange; the mean for k* = 3, the second moment's top "
        "eigenvector for k* = 4) and online SGD on the same number of samples (blue, time "
        "rescaled)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)
