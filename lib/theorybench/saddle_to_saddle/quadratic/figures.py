"""Figures and printed rows of the saddle-to-saddle chapter: the quadratic network (§8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .closed_forms import quadratic_escape_sequence

if TYPE_CHECKING:
    pass

from .analysis import (
    quadratic_measured_times,
    quadratic_plateau_fixed_points,
    quadratic_predicted,
)

__all__ = [
    "plot_quadratic",
    "quadratic_rows",
    "quadratic_escapes",
]


def plot_quadratic(run) -> object:
    """Left: every seed's loss, with the escape times predicted from its own start (ticks).
    Right: measured against predicted transition times, all seeds."""
    from ...plotting import COLORS, CYCLE, figure

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    predicted, measured = quadratic_predicted(run), quadratic_measured_times(run)
    for L, (times, _, _) in zip(run.loss, predicted, strict=True):
        a1.plot(run.time, L, color=COLORS["experiment"], lw=0.8, alpha=0.6)
        a1.plot(times, np.interp(times, run.time, L), "|", ms=10, color=COLORS["theory"])
    a1.set(xlabel="time (steps x lr)", ylabel=r"loss $\|A - M\|_F^2$",
           title="one unit per plateau (ticks: predicted escapes)")  # fmt: skip
    top = 0.0
    for (times, _, _), found in zip(predicted, measured, strict=True):
        m = min(times.size, found.size)
        for r in range(m):
            a2.plot(times[r], found[r], "o", ms=4, color=CYCLE[r])
        top = max(top, float(np.max(times[:m], initial=0)), float(np.max(found[:m], initial=0)))
    a2.plot([0, top * 1.05], [0, top * 1.05], color="k", lw=0.8)
    for r in range(3):
        a2.plot([], [], "o", color=CYCLE[r], label=f"plateau {r + 1}")
    a2.set(xlabel="predicted from the start", ylabel="measured on the loss curve",
           title=f"transition times, {len(run.loss)} seeds")  # fmt: skip
    a2.legend(fontsize=7)
    return fig


def quadratic_rows(run) -> list[str]:
    """Per seed: predicted escape order and times against the measured transitions, and the
    units that carry the teacher at the end."""
    rows = []
    dist = quadratic_plateau_fixed_points(run)
    for i, ((times, units, _), found) in enumerate(
        zip(quadratic_predicted(run), quadratic_measured_times(run), strict=True)
    ):
        carriers = np.flatnonzero(run.carried[i] > 0.5).tolist()
        rows.append(
            f"seed {i}: units {units.tolist()} predicted at {np.array2string(times, precision=1)}, "
            f"measured {np.array2string(found, precision=1)}; carriers {carriers}; "
            f"distance to the selected fixed point <= {np.nanmax(dist[i]):.4f}"
        )
    return rows


# --- Book figures: zero-argument, closed forms only (no training), each well under 3 s. ---


def quadratic_escapes() -> object:
    """The quadratic network (§8): from one random start (d = 3, s = 1, four units with output
    weights (1, 0.6, 0.35, 0.2) x 0.01 and balanced input weights in random directions), the
    escape sequence predicted from the initialisation alone (quadratic_escape_sequence). The loss
    steps from d s^2 down by s^2 at each escape, one unit per plateau; each step names the unit
    that escapes."""
    from ...plotting import COLORS, CYCLE, figure

    a0 = np.array([1.0, 0.6, 0.35, 0.2]) * 0.01
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 3))
    W *= (a0 / np.linalg.norm(W, axis=1))[:, None] * np.sqrt(2)
    times, units, _ = quadratic_escape_sequence(a0, W, 1.0)
    fig, (ax,) = figure(1, width=6.0, height=3.2)
    edges = np.concatenate([[0.0], times, [times[-1] * 1.3]])
    levels = 3.0 - np.arange(times.size + 1)
    ax.step(edges, np.concatenate([levels, levels[-1:]]), where="post", color=COLORS["theory"],
            lw=2)  # fmt: skip
    for k, (tk, i) in enumerate(zip(times, units, strict=True)):
        ax.axvline(tk, color=CYCLE[k], ls="--", lw=1)
        ax.text(tk, levels[k] - 0.5, f" unit {i + 1} escapes", color=CYCLE[k], fontsize=8)
    ax.set(xlabel="time", ylabel="loss (d − r) s²", title="the initialisation orders the units")
    return fig
