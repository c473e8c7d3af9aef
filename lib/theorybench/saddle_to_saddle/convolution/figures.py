"""Figures and printed rows of the saddle-to-saddle chapter: linear convolutional networks (§7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..linear.closed_forms import (
    mode_trajectory,
)
from .closed_forms import conv_plateau_losses, conv_teacher

if TYPE_CHECKING:
    pass

from .analysis import (
    conv_levels,
    conv_measured_times,
    conv_plateau_fixed_points,
    conv_predicted_levels,
    conv_predicted_times,
)

__all__ = [
    "plot_conv",
    "conv_rows",
    "conv_staircase",
]


def plot_conv(run) -> object:
    """Left: the loss of every seed's convolutional network against the closed-form plateau
    levels (dashed). Right: each frequency's strength abs(P_k) / s_k for every seed, against the
    logistic from that seed's own start (thin)."""
    from ...plotting import COLORS, CYCLE, figure
    from ..linear.closed_forms import mode_trajectory

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    for L in run.loss:
        a1.plot(run.time, L, color=COLORS["experiment"], lw=0.8, alpha=0.6)
    for lev in conv_predicted_levels(run)[:-1]:
        a1.axhline(lev, color=COLORS["theory"], ls="--", lw=1)
    a1.set(yscale="log", ylim=(max(run.loss.min(), 1e-4), None), xlabel="time (steps x lr)",
           ylabel="loss", title=f"{len(run.loss)} seeds; levels " + r"$\frac{1}{d}\sum_{j>r} s_j^2$")  # fmt: skip
    for k, sk in enumerate(run.s):
        for i in range(len(run.loss)):
            a2.plot(run.time, run.strengths[i, :, k] / sk, color=CYCLE[k], lw=0.8, alpha=0.5)
            a2.plot(run.time, mode_trajectory(run.time, [sk], run.u0[i, k])[:, 0] / sk,
                    color="k", lw=0.4, alpha=0.5)  # fmt: skip
        a2.plot([], [], color=CYCLE[k], label=f"frequency {run.freqs[k]} (s = {sk:g})")
    a2.set(xlabel="time (steps x lr)", ylabel=r"$|\hat p_k| / s_k$",
           title="one frequency per plateau (black: logistic)")  # fmt: skip
    a2.legend(fontsize=7, loc="lower right")
    return fig


def conv_rows(run) -> list[str]:
    """Per frequency: predicted and measured transition times over seeds, the plateau level, and
    the embedded fixed point the network sits at on each plateau."""
    measured, predicted = conv_measured_times(run), conv_predicted_times(run)
    rel = np.abs(measured / predicted - 1)
    levels, want = conv_levels(run), conv_predicted_levels(run)
    nearest, dist, _ = conv_plateau_fixed_points(run)
    rows = []
    for k in range(run.s.size):
        rows.append(
            f"frequency {run.freqs[k]} (s = {run.s[k]:g}): t median {np.median(measured[:, k]):.2f} "
            f"vs {np.median(predicted[:, k]):.2f}, error median {np.median(rel[:, k]):.3f}, "
            f"max {rel[:, k].max():.3f}; level after {np.median(levels[:, k + 1]):.4f} "
            f"vs {want[k + 1]:.4f}"
        )
    for r in range(run.s.size):
        rows.append(
            f"plateau {r}: nearest the {r}-frequency truncation for "
            f"{int(np.sum(nearest[:, r] == r))}/{nearest.shape[0]} seeds, distance <= "
            f"{dist[:, r].max():.3f}"
        )
    return rows


# --- Book figures: zero-argument, closed forms only (no training), each well under 3 s. ---


def conv_staircase() -> object:
    """Linear convolution (§7): left, the teacher kernel's spectrum abs(t_hat_k) (strengths 4, 2, 1
    at frequencies 1, 3, 5 of d = 16, each with its mirror d - k); right, the closed-form loss of
    the two-layer convolutional network from a small aligned start (each frequency a two-layer
    mode, u_0 = 1e-6) with the rank of the end-to-end circulant map, which grows by two per
    plateau (a frequency and its mirror)."""
    from ...plotting import COLORS, CYCLE, figure

    d = 16
    spec = np.abs(np.fft.fft(conv_teacher((4.0, 2.0, 1.0), d, (1, 3, 5))))
    fig, (ax, axr) = figure(2, width=8.8, height=3.2)
    ax.bar(np.arange(d), spec, color=COLORS["theory"])
    ax.set(xlabel="frequency k", ylabel="|t̂_k|", title="teacher kernel: three strengths, mirrored")
    live = spec > 1e-9
    t = np.linspace(0, 10, 800)
    u = mode_trajectory(t, spec[live], 1e-6)
    axr.plot(t, ((spec[live] - u) ** 2).sum(1) / (2 * d), color=COLORS["theory"], lw=2)
    for level in conv_plateau_losses((4.0, 2.0, 1.0), d):
        axr.axhline(level, color=COLORS["muted"], ls=":", lw=1)
    axr.set(xlabel="time (units of τ)", ylabel="loss", title="one frequency pair per plateau")
    twin = axr.twinx()
    twin.plot(t, (u / spec[live] > 0.5).sum(1), color=CYCLE[1], lw=1.2)
    twin.set_ylabel("rank of the circulant map", color=CYCLE[1])
    twin.set_yticks([0, 2, 4, 6])
    return fig
