"""Figures and printed rows of the saddle-to-saddle chapter: fully connected linear networks (§2-5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._shared.inputs import spectrum
from ..plateaus import detect_plateaus
from .closed_forms import (
    deep_escape_time,
    loss_curve,
    mode_trajectory,
    plateau_losses,
    steepest_descent_times,
    steepest_fraction,
    width_transition_times,
)
from .training import width_median

if TYPE_CHECKING:
    from .training import LinearRun

__all__ = [
    "experiment_rows",
    "plot_experiment",
    "plot_saddles",
    "saddle_rows",
    "plot_width",
    "width_rows",
    "loss_staircase",
    "saddle_sketch",
    "width_times",
    "depth_times",
]


def experiment_rows(run: LinearRun, s: ArrayLike) -> list[str]:
    """Text rows: predicted vs measured (detect_plateaus) transition times of a two-layer run."""
    s = spectrum(s)
    t = run.steps * run.lr
    rows = [f"{'sigma':>8} {'mode':>4} {'predicted t_k':>14} {'measured t_k':>13} {'error':>7}"]
    for i, sigma in enumerate(run.sigmas):
        found = detect_plateaus(t, run.loss[i]).transition_times
        predicted = steepest_descent_times(s, sigma**2)
        for k, (p, m) in enumerate(zip(predicted, found, strict=False)):
            rows.append(f"{sigma:8.0e} {k + 1:4d} {p:14.3f} {m:13.3f} {100 * (m / p - 1):6.1f}%")
    return rows


def plot_experiment(run: LinearRun, s: ArrayLike) -> object:
    """Loss of the trained networks (thick) against the closed form (dashed), with the
    transitions detect_plateaus finds (dots), one colour per init scale; x in gradient-flow time."""
    from ...plotting import COLORS, CYCLE, figure

    s = spectrum(s)
    t = run.steps * run.lr
    fig, (ax,) = figure(1, width=7.0, height=3.6)
    for i, sigma in enumerate(run.sigmas):
        ax.plot(t, run.loss[i], color=CYCLE[i], lw=3, alpha=0.45, label=f"GD, σ = {sigma:g}")
        ax.plot(t, loss_curve(t, s, sigma**2), color=CYCLE[i], ls="--", lw=1)
        found = detect_plateaus(t, run.loss[i]).transition_times
        ax.plot(found, np.interp(found, t, run.loss[i]), "o", color=CYCLE[i], ms=5)
    for level in plateau_losses(s):
        ax.axhline(level, color=COLORS["muted"], ls=":", lw=0.8)
    ax.set(
        xlabel="time t = steps × lr",
        ylabel="loss",
        title="trained (thick) vs closed form (dashed); dots: detected transitions",
    )
    ax.legend()
    return fig


def plot_saddles(check) -> object:
    """Left: distance of the trained end-to-end map to each truncation M_r at each plateau (one
    point per seed). Right: the most negative Hessian eigenvalue there against -s_{r+1}."""
    from ...plotting import COLORS, figure

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    n, seeds = check.s.size, check.distance.shape[0]
    jitter = np.linspace(-0.15, 0.15, seeds)
    for r in range(n):
        a1.plot(r + jitter, check.distance[:, r], "o", ms=3, color=COLORS["experiment"])
        a2.plot(r + jitter, check.min_eigenvalue[:, r], "o", ms=3, color=COLORS["experiment"])
        a2.plot([r - 0.3, r + 0.3], [check.predicted[r]] * 2, color=COLORS["theory"], lw=2)
    a1.set(yscale="log", xlabel="plateau r (modes learned)", ylabel=r"$\|W_2W_1 - M_r\|/\|M\|$",
           title=f"close to the embedded fixed point ({seeds} seeds)", xticks=range(n))  # fmt: skip
    a2.set(xlabel="plateau r (modes learned)", ylabel="most negative Hessian eigenvalue",
           title=r"a saddle: theory $-s_{r+1}$ (bars)", xticks=range(n))  # fmt: skip
    return fig


def saddle_rows(check) -> list[str]:
    """Per plateau: nearest truncation, largest distance, and the eigenvalues against theory."""
    rows = []
    for r in range(check.s.size):
        e = check.min_eigenvalue[:, r]
        rows.append(
            f"plateau {r}: nearest truncation M_r for {int(np.sum(check.nearest[:, r] == r))}/"
            f"{e.size} seeds, distance <= {check.distance[:, r].max():.3f}; min eigenvalue "
            f"median {np.median(e):.3f} (range {e.min():.3f} to {e.max():.3f}) vs {check.predicted[r]:.0f}"
        )
    return rows


def plot_width(sweep) -> object:
    """Each mode's transition time against the hidden width: every seed (dots), the median over
    seeds (line) and the closed-form median (dashed)."""
    from ...plotting import CYCLE, figure

    fig, (ax,) = figure(1, width=5.5, height=3.4)
    h = sweep.widths
    for k, sk in enumerate(sweep.s):
        for j in range(sweep.transition_times.shape[1]):
            ax.plot(h, sweep.transition_times[:, j, k], ".", ms=3, color=CYCLE[k], alpha=0.5)
        ax.plot(
            h, width_median(sweep)[:, k], "-", color=CYCLE[k], label=f"mode {k + 1} (s = {sk:g})"
        )
        ax.plot(h, sweep.predicted_median[:, k], "--", color="k", lw=1)
    ax.set(xscale="log", xlabel="hidden width", ylabel="transition time (steps x lr)",
           title="wider starts escape sooner (dashed: closed form)")  # fmt: skip
    ax.set_xticks(h, [str(int(w)) for w in h])
    ax.legend(fontsize=7)
    return fig


def width_rows(sweep) -> list[str]:
    """Per width: median measured against predicted transition times, and the worst error."""
    med = width_median(sweep)
    rows = []
    for i, h in enumerate(sweep.widths):
        err = np.abs(med[i] / sweep.predicted_median[i] - 1)
        rows.append(
            f"width {int(h):4d}: median t = {np.array2string(med[i], precision=2)} vs "
            f"{np.array2string(sweep.predicted_median[i], precision=2)} (error <= {err.max():.3f})"
        )
    shift = med[0] - med[-1]
    rows.append(
        f"shift from width {int(sweep.widths[0])} to {int(sweep.widths[-1])}: "
        f"{np.array2string(shift, precision=2)} vs "
        f"{np.array2string(sweep.predicted_median[0] - sweep.predicted_median[-1], precision=2)}"
    )
    return rows


# --- Book figures: zero-argument, closed forms only (no training), each well under 3 s. ---

#: The teacher of the chapter's opening figure: three modes of well separated strengths.
_S_STAIRS = (3.0, 1.5, 0.6)
#: The teacher of the width figure (that of the width experiment).
_S = (3.0, 2.0, 1.0)
#: Initial scale of the opening figures (u_0 = sigma^2).
_SIGMA = 1e-3


def loss_staircase() -> object:
    """The chapter's picture (§2–3): the closed-form loss of a two-layer linear network from a
    small start (teacher s = (3, 1.5, 0.6), sigma = 1e-4) falls in steps, one mode per step. Left:
    the loss with the plateau levels 1/2 sum_{j>=k} s_j^2 (dotted) and the predicted transition
    times (dashed). Right: each mode's strength u_k/s_k and their sum, the rank learned so far."""
    from ...plotting import COLORS, CYCLE, figure

    s = np.array(_S_STAIRS)
    u0 = 1e-8
    t = np.linspace(0, 20, 1000)
    u = mode_trajectory(t, s, u0)
    fig, (ax, axr) = figure(2, width=8.8, height=3.2)
    ax.plot(t, 0.5 * ((s - u) ** 2).sum(1), color=COLORS["theory"], lw=2)
    for k, (level, tk) in enumerate(
        zip(plateau_losses(s)[: s.size], steepest_descent_times(s, u0), strict=True)
    ):
        ax.axhline(level, color=COLORS["muted"], ls=":", lw=1)
        ax.axvline(tk, color=CYCLE[k], ls="--", lw=1)
        ax.text(0.1, level + 0.15, f"saddle {k}: {k} mode{'s' * (k != 1)} learned", fontsize=8)
    ax.set(xlabel="time t (in units of τ)", ylabel="loss", title="the loss falls in steps")
    for k in range(s.size):
        axr.plot(t, u[:, k] / s[k], color=CYCLE[k], lw=1, label=f"mode {k + 1}")
    axr.plot(t, (u / s).sum(1), color="k", lw=2, label="rank learned")
    axr.set(xlabel="time t (in units of τ)", ylabel="u_k / s_k", title="one mode per step")
    axr.legend(loc="upper left", fontsize=8)
    return fig


def saddle_sketch() -> object:
    """The saddle of one unlearned mode (§3): the loss 1/2 (s - a b)^2 of a scalar two-layer
    network (s = 1) over its two weights, with gradient-flow paths. The origin is a saddle
    (curvatures +s and -s); the minima form the hyperbola a b = s. Paths that start near the
    stable direction a = -b fall towards the saddle, linger there, and leave along the unstable
    direction a = b (or -a = -b) to a minimum; the closer they start to a = -b, the longer they
    linger."""
    from ...plotting import COLORS, CYCLE, figure

    s = 1.0
    g = np.linspace(-1.8, 1.8, 241)
    A, B = np.meshgrid(g, g)
    fig, (ax,) = figure(1, width=4.6, height=4.2)
    ax.contourf(A, B, np.log10(0.5 * (s - A * B) ** 2 + 1e-3), levels=18, cmap="Greys")
    h = np.linspace(0.56, 1.8, 100)
    for sign in (1, -1):
        ax.plot(sign * h, sign * s / h, color=COLORS["constraint"], lw=2)
    dt = 0.01
    starts = [(sg * 1.5, -sg * 1.5 + e) for sg in (1, -1) for e in (0.003, -0.003, 0.1, -0.1)]
    for k, start in enumerate(starts):
        path = [np.array(start)]
        for _ in range(1200):
            a, b = path[-1]
            r = s - a * b
            path.append(np.array([a + dt * r * b, b + dt * r * a]))
        path = np.array(path)
        ax.plot(path[:, 0], path[:, 1], color=CYCLE[k % len(CYCLE)], lw=1.2)
    ax.plot([0], [0], "o", color=COLORS["experiment"], ms=8)
    ax.annotate("saddle: a = b = 0", (0, 0), (0.15, -0.9), fontsize=9)
    ax.annotate("minima: a b = s", (1.2, s / 1.2), (0.35, 1.55), fontsize=9)
    ax.set(xlabel="first-layer weight a", ylabel="second-layer weight b", aspect="equal",
           xlim=(-1.8, 1.8), ylim=(-1.8, 1.8), title="loss ½(s − ab)²: a saddle at 0")  # fmt: skip
    return fig


def width_times() -> object:
    """Width (§3.1): each mode's median transition time against the hidden width h, with the
    band from the 10 % to the 90 % quantile of random starts (width_transition_times; teacher
    s = (3, 2, 1), layer gain sigma = 1e-3, input dimension 8). Wider starts leave every saddle
    sooner, by about (tau / 2 s_k) ln 2 per doubling once h is large; narrow starts spread."""
    from ...plotting import CYCLE, figure

    s = np.array(_S)
    widths = np.unique(np.geomspace(1, 1024, 40).astype(int))
    q = {p: np.array([width_transition_times(s, _SIGMA, h, 8, q=p) for h in widths])
         for p in (0.1, 0.5, 0.9)}  # fmt: skip
    fig, (ax,) = figure(1, width=6.0, height=3.4)
    for k in range(s.size):
        ax.fill_between(widths, q[0.9][:, k], q[0.1][:, k], color=CYCLE[k], alpha=0.2, lw=0)
        ax.plot(widths, q[0.5][:, k], color=CYCLE[k], lw=2, label=f"mode {k + 1} (s = {s[k]:g})")
    ax.set(xscale="log", xlabel="hidden width h", ylabel="transition time (units of τ)",
           title="wider networks leave each saddle sooner")  # fmt: skip
    ax.legend(fontsize=8)
    return fig


def depth_times() -> object:
    """Depth (§4): the escape time of one mode (s = 1, tau = 1) against the initial scale sigma,
    for depth L = 2, 3 and 4 (deep_escape_time at the steepest fraction), on log-log axes. Two
    layers grow like log(1/sigma) (almost flat here); deeper networks like sigma^-(L-2), slope
    -(L - 2), dotted."""
    from ...plotting import CYCLE, figure

    sigmas = np.geomspace(1e-3, 0.2, 25)
    fig, (ax,) = figure(1, width=6.0, height=3.4)
    for k, L in enumerate((2, 3, 4)):
        frac = steepest_fraction(L)
        t = np.array([deep_escape_time(1.0, sg, L, fraction=frac) for sg in sigmas])
        ax.plot(sigmas, t, color=CYCLE[k], lw=2, label=f"L = {L}")
        if L > 2:
            ax.plot(sigmas, sigmas ** (-(L - 2)) / (L - 2), ":", color=CYCLE[k], lw=1)
    ax.plot([], [], ":", color="k", lw=1, label="σ^−(L−2) / (L−2)")
    ax.set(xscale="log", yscale="log", xlabel="initial scale σ", ylabel="escape time (units of τ)",
           title="depth turns log(1/σ) into a power of σ")  # fmt: skip
    ax.legend(fontsize=8)
    return fig
