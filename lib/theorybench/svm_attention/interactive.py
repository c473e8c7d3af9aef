"""The Attention = SVM explorer (re-trains on release)."""

from __future__ import annotations

import numpy as np

from ..training import TrainConfig
from .experiment import train_gd
from .model import att_svm, direction_correlation, optimal_tokens, synthetic_instance

__all__ = ["explorer"]


def explorer() -> object:
    """Sliders d, T, n, step size and init scale: each change re-trains normalised GD on a fresh
    synthetic instance (2,000 steps, about a second) and redraws the correlation with the
    Att-SVM of the selected tokens and the norm ||W(t)||."""
    from .. import widgets
    from ..plotting import COLORS, figure

    fig, (ax, axn) = figure(2, width=8.8, height=3.4)
    (corr,) = ax.plot([], [], color=COLORS["experiment"])
    ax.axhline(1, color=COLORS["muted"], ls=":", lw=1)
    ax.set(
        xscale="log",
        xlim=(1, 2000),
        ylim=(-0.1, 1.05),
        xlabel="GD step t",
        ylabel="correlation with $W^{mm}$",
    )
    (norm,) = axn.plot([], [], color=COLORS["experiment"])
    axn.set(xscale="log", yscale="log", xlim=(1, 2000), xlabel="GD step t", ylabel=r"$\|W(t)\|_F$")

    def update(d: int, T: int, n: int, lr: float, init: float) -> None:
        X, Y, Z, v = synthetic_instance(n, T, d, seed=0)
        run = train_gd(X, Y, Z, v, init_scale=init, train=TrainConfig(steps=2000, lr=lr))
        ref = att_svm(X, Z, run.selected()[0])
        t = run.steps[1:]
        c = direction_correlation(run.W[0, 1:], ref.W)
        corr.set_data(t, c)
        w = np.linalg.norm(run.W[0, 1:], axis=(1, 2))
        norm.set_data(t, w)
        axn.set_ylim(max(w.min(), 1e-3) / 2, w.max() * 2)
        _, opt = optimal_tokens(X, Y, v)
        kind = "global" if np.all(run.selected()[0] == opt) else "local"
        ax.set_title(f"final correlation {c[-1]:.4f} ({kind} SVM)")
        axn.set_title("normalised GD: ||W|| grows linearly")

    controls = {
        "d": widgets.choice("d", [4, 6, 8, 10, 16], 10),
        "T": widgets.choice("T", [4, 6, 8, 12], 8),
        "n": widgets.choice("n", [2, 4, 6, 8], 6),
        "lr": widgets.slider("step size", 0.01, 1.0, 0.1, log=True),
        "init": widgets.slider("init scale", 0.0, 0.5, 0.0, step=0.05),
    }
    static = {"d": [4, 10, 16], "lr": [0.03, 0.1, 0.3]}
    caption = (
        "Normalised gradient descent on a one-layer attention model: the direction of W "
        "converges to the Att-SVM (left) while its norm diverges (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)
