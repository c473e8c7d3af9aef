"""Figures and printed rows of the Chinchilla chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .model import LossSurface

if TYPE_CHECKING:
    from .experiment import SweepFits, SweepResult

__all__ = ["fit_rows", "plot_sweep"]


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
