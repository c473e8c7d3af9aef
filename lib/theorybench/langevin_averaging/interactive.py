"""The Langevin-averaging explorer (re-runs the chains on release)."""

from __future__ import annotations

import numpy as np

from .._memo import reused
from ..training import TrainConfig
from .experiment import _sgd_step_sizes, langevin, single_index_data

__all__ = ["EXPLORER_MAX_N", "EXPLORER_TRAIN", "EXPLORER_SGD_FACTORS", "explorer"]

EXPLORER_MAX_N = 4096  # the n slider's upper end
#: the explorer's chains: 3,000 steps of size 0.1, enough at d = 16 for the running estimate to
#: settle (its change over the last quarter of the window is a few hundredths); at d = 32 the
#: window is too short and the frame shows an estimate still climbing
EXPLORER_TRAIN = TrainConfig(steps=3000, lr=0.1)
#: online SGD's step sizes a / d^{k*/2}: the frame shows the best of them (generous to SGD)
EXPLORER_SGD_FACTORS = (0.3, 1.0, 3.0)


@reused  # the static book's frames: computed once for the notebook and the test that reads them
def _frame(k: int, d: int, n: int, beta_per_d: float, burn: float) -> tuple[np.ndarray, ...]:
    """One frame's curves: the recorded steps, the mean over the 8 chains of the iterate's and
    of the running estimate's overlap, and online SGD's mean overlap after each sample (the best
    step size by final mean overlap)."""
    X, y, w_star = single_index_data(n, d, k, runs=8, seed=0)
    steps = EXPLORER_TRAIN.require_steps()
    run = langevin(
        X, y, w_star, k, beta=beta_per_d * d, burn_in=min(int(burn * steps), steps - 1),
        moment=1 if k % 2 else 2, records=101, train=EXPLORER_TRAIN,
    )  # fmt: skip
    # every step size in one batched pass over the same samples (online_sgd with seed 0)
    sgd = max(_sgd_step_sizes(n, d, k, [a * d ** (-k / 2) for a in EXPLORER_SGD_FACTORS], 8, 0),
              key=lambda tr: tr[:, -1].mean())  # fmt: skip
    return run.steps, run.iterate_overlap.mean(0), run.average_overlap.mean(0), sgd.mean(0)


def explorer() -> object:
    """Controls k* in {3, 4}, d, the number of samples n, the inverse temperature beta / d and
    the burn-in: one batched Langevin run (8 data sets, ``EXPLORER_TRAIN``) whose running
    estimate is the mean of the iterates for k* = 3 and the top eigenvector of their second
    moment for k* = 4, against one pass of online SGD over the same n samples (the best of the
    step sizes ``EXPLORER_SGD_FACTORS`` / d^{k*/2}); overlap against time. The default frame
    (k* = 3, d = 16, n = 256, beta = d / 2) shows the chapter's point: the chain starts at a
    random overlap, its iterates keep wandering, and its running mean ends above online SGD."""
    from .. import widgets
    from ..plotting import COLORS, figure

    fig, (ax,) = figure(1, width=7.5, height=3.4)
    (it,) = ax.plot([], [], color=COLORS["muted"], lw=1, label="Langevin iterate")
    (av,) = ax.plot([], [], color=COLORS["experiment"], lw=2, label="running estimate")
    (sg,) = ax.plot([], [], color=COLORS["theory"], lw=1.5, ls="--", label="online SGD")
    ax.set(xlabel="step (Langevin) / samples seen (SGD)", ylabel="mean overlap", ylim=(0, 1))
    ax.legend(fontsize=8, loc="upper left")

    def update(k: int, d: int, n: float, beta_per_d: float, burn: float) -> None:
        n = min(EXPLORER_MAX_N, max(2, int(round(n))))
        steps, iterate, estimate, sgd = _frame(k, d, n, beta_per_d, burn)
        it.set_data(steps, iterate)
        av.set_data(steps, estimate)
        sg.set_data(np.arange(n + 1) * EXPLORER_TRAIN.require_steps() / n, sgd)
        ax.set_xlim(0, EXPLORER_TRAIN.require_steps())
        ax.set_title(
            f"k* = {k}, d = {d}, n = {n}: running estimate "
            f"{estimate[-1]:.2f}, online SGD {sgd[-1]:.2f}"
        )

    controls = {
        "k": widgets.choice("k*", [3, 4], 3),
        "d": widgets.choice("d", [16, 24, 32], 16),
        "n": widgets.slider(
            "samples n", 64.0, float(EXPLORER_MAX_N), 256.0, log=True, readout=".0f"
        ),
        "beta_per_d": widgets.slider("β / d", 0.0625, 4.0, 0.5, log=True),
        "burn": widgets.slider("burn-in fraction", 0.0, 0.9, 0.25, step=0.05),
    }
    static = {"k": [3, 4], "n": [64.0, 256.0, 1024.0]}
    caption = (
        "Spherical Langevin dynamics on the empirical objective, 8 data sets: single iterates "
        "(grey) against their running estimate (orange; the mean for k* = 3, the second "
        "moment's top eigenvector for k* = 4) and one pass of online SGD over the same n samples "
        "(blue, time rescaled to the same width)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)
