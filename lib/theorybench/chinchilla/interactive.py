"""The Chinchilla explorer: Approach 2's bias on a noise-free IsoFLOP grid."""

from __future__ import annotations

import numpy as np

from .fits import approach2_fit
from .model import HOFFMANN, LossSurface, isoflop_grid, vertex_shift

__all__ = ["EXPLORER_BUDGETS", "EXPLORER_POINTS", "explorer"]

# ----------------------------------------------------------------------------------------------
# Notebook helpers (notebooks/chinchilla.ipynb only calls these)
# ----------------------------------------------------------------------------------------------
EXPLORER_BUDGETS = np.array([1e19, 1e20, 1e21, 1e22])


EXPLORER_POINTS = 15


def explorer() -> object:
    """Sliders for alpha, beta, grid width, offset and drift over synthetic IsoFLOP data
    (E, A, B of Hoffmann et al.). Left: the sampled IsoFLOP curves, their fitted parabolas, true
    optima (stars) and fitted vertices (crosses). Right: Approach 2's error in N* against the
    grid width -- the closed form :func:`~theorybench.chinchilla.model.vertex_shift` (line) and the numerical fit (dots)."""
    from .. import widgets
    from ..plotting import COLORS, CYCLE, figure

    fig, (ax, axe) = figure(2, width=8.8, height=3.7)
    k = len(EXPLORER_BUDGETS)
    pts = [ax.plot([], [], "o", ms=3, color=CYCLE[i])[0] for i in range(k)]
    fits = [
        ax.plot([], [], "-", lw=1.2, color=CYCLE[i], label=f"C = {c:.0e}")[0]
        for i, c in enumerate(EXPLORER_BUDGETS)
    ]
    (true_opt,) = ax.plot([], [], "*", ms=11, color=COLORS["reference"], label="true optimum")
    (vertex,) = ax.plot([], [], "x", ms=8, mew=2, color="k", label="Approach 2 vertex")
    ax.set(xscale="log", xlabel="parameters N", ylabel="loss L", title="IsoFLOP curves")
    ax.legend(loc="lower left", ncol=2, fontsize=7.5)
    widths_line = np.linspace(0.3, 3.0, 55)
    widths_pts = np.linspace(0.4, 2.8, 7)
    (closed,) = axe.plot([], [], color=COLORS["theory"], label="closed form $10^{\\delta w}-1$")
    (numer,) = axe.plot([], [], "o", color=COLORS["experiment"], label="numerical fit")
    now = axe.axvline(1.0, color=COLORS["constraint"], ls="--", lw=1, label="current grid")
    axe.axhline(0, color=COLORS["muted"], lw=0.8)
    axe.set(xlabel="grid width W (decades of N)", ylabel="error of N* intercept (%)", xlim=(0.3, 3))
    axe.legend(loc="upper left")

    def update(alpha: float, beta: float, width: float, offset: float, drift: float) -> None:
        s = LossSurface(E=HOFFMANN.E, A=HOFFMANN.A, B=HOFFMANN.B, alpha=alpha, beta=beta)
        d = isoflop_grid(
            s, EXPLORER_BUDGETS, n_points=EXPLORER_POINTS, width=width, offset=offset, drift=drift
        )
        fit = approach2_fit(d.N, d.D, d.loss, d.budget)
        n_true, d_true = s.optimal_allocation(EXPLORER_BUDGETS)
        lo, hi = np.inf, -np.inf
        for i, c in enumerate(EXPLORER_BUDGETS):
            sel = d.budget == c
            pts[i].set_data(d.N[sel], d.loss[sel])
            NN = np.geomspace(d.N[sel].min(), d.N[sel].max(), 60)
            fits[i].set_data(NN, fit.parabola(i, NN))
            lo, hi = min(lo, d.loss[sel].min()), max(hi, d.loss[sel].max())
        true_opt.set_data(n_true, s.optimal_loss(EXPLORER_BUDGETS))
        vertex.set_data(fit.n_vertex, s.loss(fit.n_vertex, d_true * n_true / fit.n_vertex))
        ax.set_xlim(d.N.min() / 2, d.N.max() * 2)
        ax.set_ylim(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
        line = [
            vertex_shift(alpha, beta, w, EXPLORER_POINTS, offset).n_star_error for w in widths_line
        ]
        numerical = []
        for w in widths_pts:
            dd = isoflop_grid(
                s, EXPLORER_BUDGETS[:2], n_points=EXPLORER_POINTS, width=w, offset=offset
            )
            numerical.append(
                10 ** (approach2_fit(dd.N, dd.D, dd.loss, dd.budget).a0 - s.intercepts()[0]) - 1
            )
        closed.set_data(widths_line, 100 * np.asarray(line))
        numer.set_data(widths_pts, 100 * np.asarray(numerical))
        now.set_xdata([width, width])
        allv = 100 * np.concatenate([line, numerical])
        axe.set_ylim(min(allv.min(), 0) - 0.5, max(allv.max(), 0) + 0.5)
        axe.set_title(f"exponent a: true {s.a:.3f}, Approach 2 {fit.a:.3f}")

    controls = {
        "alpha": widgets.slider("α", 0.15, 0.6, HOFFMANN.alpha, step=0.01),
        "beta": widgets.slider("β", 0.15, 0.6, HOFFMANN.beta, step=0.01),
        "width": widgets.slider("W", 0.3, 3.0, 2 * np.log10(4), step=0.05, units="decades"),
        "offset": widgets.slider("offset", 0.25, 4.0, 1.0, log=True, units="× N*"),
        "drift": widgets.slider("drift", -0.2, 0.2, 0.0, step=0.01, units="dec/dec C"),
    }
    static = {
        "alpha": [0.16, 0.22, 0.28, 0.34, 0.40, 0.46, 0.52, 0.58],
        "width": [2 * np.log10(k) for k in (2, 4, 8, 16)],
    }
    caption = (
        "IsoFLOP curves with Approach 2's parabolas and vertices (left); the error of its N* "
        "intercept against the grid width, closed form and numerical fit (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)
