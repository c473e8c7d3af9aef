"""The saddle-to-saddle explorer."""

from __future__ import annotations

import numpy as np

from .linear.closed_forms import (
    deep_escape_time,
    deep_mode_trajectory,
    mode_trajectory,
    plateau_losses,
    steepest_fraction,
)

__all__ = ["explorer"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _tick_label(value: float, _pos: object = None) -> str:
    """A compact label for a tick of a log axis of steps: 50, 200, 3000, then 3×10⁴, 10⁵."""
    if value <= 0:
        return ""
    exponent = int(np.floor(np.log10(value) + 1e-9))
    if exponent < 4:
        return f"{value:g}"
    mantissa = round(value / 10**exponent, 3)
    power = f"10{str(exponent).translate(_SUPERSCRIPT)}"
    return power if mantissa == 1 else f"{mantissa:g}×{power}"


def _log_ticks(axis: object, lo: float, hi: float) -> None:
    """Few major ticks on a log axis, labelled compactly, and unlabelled minor ticks: at 1, 2
    and 5 per decade over a short window, 1 and 3 over a few decades, only powers of ten beyond
    (matplotlib would otherwise label the minor ticks too, and the labels run together)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    decades = np.log10(hi / lo)
    subs = (1.0, 2.0, 5.0) if decades < 1.5 else (1.0, 3.0) if decades < 3 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(_tick_label))
    axis.set_minor_formatter(NullFormatter())


def explorer() -> object:
    """Sliders for the init scale sigma, the spectral gap, the learning rate and the depth.

    Teacher s = (3, 3g, 3g^2). Left: the closed-form loss against GD steps, with the predicted
    transition times (dashed) and plateau levels (dotted). Right: the rank staircase -- the number
    of learned modes sum_k u_k/s_k, and each mode's u_k/s_k.
    """
    from .. import widgets
    from ..plotting import COLORS, CYCLE, figure

    fig, (ax, axr) = figure(2, width=8.8, height=3.6)
    (curve,) = ax.plot([], [], color=COLORS["theory"], label="closed-form loss")
    marks = [ax.axvline(1, color=CYCLE[k], ls="--", lw=1) for k in range(3)]
    levels = [ax.axhline(0, color=COLORS["muted"], ls=":", lw=1) for _ in range(3)]
    ax.set(
        xscale="log",
        xlabel="GD steps",
        ylabel="loss",
        xlim=(1, 1e6),
        title="loss; predicted transitions dashed, plateau levels dotted",
    )
    ax.legend(loc="upper right")
    (stair,) = axr.plot([], [], color="k", lw=2, label=r"$\sum_k u_k/s_k$ (modes learned)")
    modes = [
        axr.plot([], [], color=CYCLE[k], lw=1, label=f"$u_{k + 1}/s_{k + 1}$")[0] for k in range(3)
    ]
    axr.set(
        xscale="log", xlabel="GD steps", ylim=(-0.05, 3.1), xlim=(1, 1e6), title="rank staircase"
    )
    axr.legend(loc="upper left")

    def update(sigma: float, gap: float, lr: float, depth: int) -> None:
        s = 3.0 * gap ** np.arange(3)
        tau = 1 / lr
        frac = steepest_fraction(depth)
        tks = [deep_escape_time(sk, sigma, depth, tau, fraction=frac) for sk in s]
        window = (tks[0] / 4, tks[-1] * 4)
        steps = np.geomspace(*window, 600)
        u = (
            mode_trajectory(steps, s, sigma**2, tau)
            if depth == 2
            else deep_mode_trajectory(steps, s, sigma, depth, tau)
        )
        curve.set_data(steps, 0.5 * ((s - u) ** 2).sum(1))
        lv = plateau_losses(s)
        for k in range(3):
            marks[k].set_xdata([tks[k], tks[k]])
            modes[k].set_data(steps, u[:, k] / s[k])
            levels[k].set_ydata([lv[k], lv[k]])
        stair.set_data(steps, (u / s).sum(1))
        ax.set(xlim=window, ylim=(-0.3, lv[0] * 1.08))
        axr.set_xlim(window)
        for a in (ax, axr):
            _log_ticks(a.xaxis, *window)

    controls = {
        # ranges keep the initialisation small against the weakest mode (sigma^2 < s_3 / 3)
        "sigma": widgets.slider("σ (init)", 1e-5, 0.1, 1e-4, log=True),
        "gap": widgets.slider("gap s₂/s₁", 0.3, 0.9, 0.4, step=0.05),
        "lr": widgets.slider("lr", 1e-3, 0.1, 0.01, log=True),
        "depth": widgets.choice("depth L", [2, 3, 4], 2),
    }
    static = {"sigma": [1e-5, 1e-4, 1e-3, 1e-2, 0.03, 0.1], "depth": [2, 3, 4]}
    caption = (
        "Closed-form loss of a linear network from small initialisation with the predicted "
        "transition times (left) and the rank staircase (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)
