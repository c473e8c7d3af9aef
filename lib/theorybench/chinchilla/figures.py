"""Figures and printed rows of the Chinchilla chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .model import EPOCH, HOFFMANN, LossSurface, isoflop_grid, vertex_shift

if TYPE_CHECKING:
    from .experiment import SweepFits, SweepResult

__all__ = ["fit_rows", "plot_sweep", "bias_figure", "profile_figure"]


def fit_rows(fits: dict[str, LossSurface]) -> list[str]:
    """Aligned text rows (name, E, A, B, alpha, beta) for printing a table of surfaces."""
    out = [f"{'':<22}{'E':>8}{'A':>10}{'B':>10}{'α':>8}{'β':>8}"]
    for name, s in fits.items():
        out.append(f"{name:<22}{s.E:8.3f}{s.A:10.1f}{s.B:10.1f}{s.alpha:8.4f}{s.beta:8.4f}")
    return out


def plot_sweep(res: SweepResult, fits: SweepFits) -> object:
    """Measured IsoFLOP curves of the torch sweep with each budget's parabola and vertex."""
    from ..plotting import CYCLE, figure

    fig, (ax,) = figure(1, width=6.4, height=3.6)
    for i, c in enumerate(np.unique(res.budget)):
        sel = res.budget == c
        ax.plot(res.N[sel], res.loss[sel], "o", color=CYCLE[i], label=f"C = {c:.0e} FLOP")
        if fits.approach2 is not None:
            NN = np.geomspace(res.N[sel].min(), res.N[sel].max(), 80)
            ax.plot(NN, fits.approach2.parabola(i, NN), "-", color=CYCLE[i], lw=1)
            ax.axvline(fits.approach2.n_vertex[i], color=CYCLE[i], ls=":", lw=1)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="student parameters N",
        ylabel="held-out MSE",
        title="a real IsoFLOP sweep: MLP students of a random teacher",
    )
    ax.legend()
    return fig


def bias_figure() -> object:
    """The chapter's picture (theory page, first figure): left, one IsoFLOP curve of the
    Hoffmann surface in w = log10(N / N*), g(w) = beta/alpha 10^{-alpha w} + 10^{beta w}, the
    least-squares parabola through 15 points of a +-16x grid and its vertex, off the true minimum
    w = 0 by dw (§4); right, the error of Approach 2's D* against the grid's width for both
    published surfaces and for alpha = beta (no error), the paper's XS and XL grids marked."""
    from ..plotting import CYCLE, figure

    fig, (left, right) = figure(2, width=9.0, height=3.4)
    a, b = HOFFMANN.alpha, HOFFMANN.beta
    half = np.log10(16.0)
    w = np.linspace(-half, half, 15)
    g = b / a * 10 ** (-a * w) + 10 ** (b * w)
    coef = np.polyfit(w, g, 2)
    fine = np.linspace(-1.3 * half, 1.3 * half, 200)
    left.plot(fine, b / a * 10 ** (-a * fine) + 10 ** (b * fine), color=CYCLE[0], label="loss")
    left.plot(fine, np.polyval(coef, fine), "--", color=CYCLE[1], label="fitted parabola")
    left.plot(w, g, "o", color=CYCLE[0], ms=3.5)
    vertex = -coef[1] / (2 * coef[0])
    left.axvline(0.0, color=CYCLE[0], lw=1, ls=":")
    left.axvline(vertex, color=CYCLE[1], lw=1, ls=":")
    left.annotate(
        f"vertex off by δw = {vertex:+.3f}",
        (vertex, np.polyval(coef, vertex)),
        xytext=(0.1, 0.85),
        textcoords="axes fraction",
        arrowprops={"arrowstyle": "->", "lw": 0.8},
    )
    left.set(
        xlabel="w = log10(N / N*) along one IsoFLOP curve",
        ylabel="loss above E (scaled)",
        title="the loss is not a parabola in log N",
    )
    left.legend(loc="lower right")
    widths = np.linspace(0.05, 3.0, 120)
    for i, (name, surf) in enumerate([("Hoffmann et al.", HOFFMANN), ("Epoch AI", EPOCH)]):
        err = [vertex_shift(surf.alpha, surf.beta, x, 15).d_star_error for x in widths]
        right.plot(widths, 100 * np.asarray(err), color=CYCLE[i], label=name)
    right.axhline(0.0, color="0.4", lw=1, ls="--", label="α = β: no error")
    for label, k in (("XS", 2.0), ("XL", 16.0)):
        width = 2 * np.log10(k)
        err = 100 * vertex_shift(HOFFMANN.alpha, HOFFMANN.beta, width, 15).d_star_error
        right.plot([width], [err], "o", color=CYCLE[0])
        right.annotate(f" {label}: {err:+.2f} %", (width, err), fontsize=8)
    right.set(
        xlabel="grid width W (decades of N per IsoFLOP curve)",
        ylabel="error of Approach 2's D* (%)",
        title="the error grows with the grid",
    )
    right.legend(loc="lower left")
    return fig


def profile_figure() -> object:
    """Variable Projection's landscape (§5): for noise-free IsoFLOP data of the Hoffmann surface
    (four budgets, a +-4x grid), the profiled objective rho(alpha, beta) -- the best residual over
    (E, A, B) at each (alpha, beta) -- on a grid, with its minimum at the true exponents."""
    from ..plotting import figure
    from .fits import _design, _inner_squared

    data = isoflop_grid(HOFFMANN, [1e19, 1e20, 1e21, 1e22], n_points=9, width=2 * np.log10(4))
    logN, logD = np.log(data.N), np.log(data.D)
    alphas, betas = np.linspace(0.15, 0.6, 61), np.linspace(0.12, 0.55, 61)
    rho = np.array(
        [[_inner_squared(_design(logN, logD, x, y), data.loss)[1] for x in alphas] for y in betas]
    )
    fig, (ax,) = figure(1, width=5.2, height=3.8)
    levels = np.linspace(np.log10(rho.min() + 1e-30), np.log10(rho.max()), 14)
    cs = ax.contourf(alphas, betas, np.log10(rho + 1e-30), levels=levels, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="log10 of the profiled residual ρ")
    ax.plot([HOFFMANN.alpha], [HOFFMANN.beta], "*", color="white", ms=12, label="true (α, β)")
    ax.set(xlabel="α", ylabel="β", title="VarPro searches two variables, not five")
    ax.legend(loc="upper right")
    return fig
