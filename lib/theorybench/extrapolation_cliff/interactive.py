"""The extrapolation-cliff explorer."""

from __future__ import annotations

import numpy as np

from .model import clip_safe_interval, extrapolated_fixed_point, lambda_star

__all__ = ["explorer"]


def explorer() -> object:
    """Sliders p, b, c, lambda. Left: tail mass 1 - q_lambda against lambda, the clip-safe band
    and lambda*. Right: heat-map of lambda*(p, b) for the chosen c, the current (p, b) marked."""
    from matplotlib.patches import Rectangle

    from .. import widgets
    from ..plotting import COLORS, figure

    lam_grid = np.linspace(0, 4, 400)
    x = np.linspace(0.3, 4.0, 120)  # -log10 of the teacher's tail mass 1 - p
    y = x[:-1] + 0.5 * (x[1] - x[0])  # offset: the grid never hits b = p
    P, B = np.meshgrid(1 - 10.0**-x, 1 - 10.0**-y)
    fig, (ax, axh) = figure(2, width=9.2, height=3.6)
    band = ax.add_patch(Rectangle((0, 1e-9), 4, 1, color=COLORS["theory"], alpha=0.15, lw=0))
    (curve,) = ax.plot([], [], color=COLORS["theory"], label=r"$1 - q_\lambda$ (tail mass)")
    (point,) = ax.plot([], [], "o", color=COLORS["experiment"], ms=7, label=r"current $\lambda$")
    cliff = ax.axvline(1, color=COLORS["muted"], ls="--", lw=1, label=r"$\lambda^*$")
    ax.set(yscale="log", xlim=(0, 4), ylim=(1e-6, 1), xlabel=r"$\lambda$", ylabel="tail mass")
    ax.minorticks_off()  # a log axis' minor ticks were most of each redraw's time
    ax.legend(loc="lower left", fontsize=8)
    image = axh.imshow(
        np.zeros_like(P),
        origin="lower",
        extent=(x[0], x[-1], y[0], y[-1]),
        aspect="auto",
        vmin=0,
        vmax=3,
        cmap="viridis",
        interpolation="nearest",  # the grid is already fine; resampling costs redraw time
    )
    heat: dict[float, np.ndarray] = {}  # lambda*(p, b) depends on c only: one map per c
    fig.colorbar(image, ax=axh, label=r"$\lambda^*$ (clipped at 3)")
    (mark,) = axh.plot([], [], "x", color="white", ms=9, mew=2)
    axh.set(xlabel=r"$-\log_{10}(1-p)$ (teacher)", ylabel=r"$-\log_{10}(1-b)$ (base)")

    def update(tail_p: float, tail_b: float, c: float, lam: float) -> None:
        p, b = 1 - tail_p, 1 - tail_b
        if p == b:
            b = 1 - tail_b * 1.001
        tail = 1 - extrapolated_fixed_point(p, b, lam_grid)
        curve.set_data(lam_grid, tail)
        lo, hi = clip_safe_interval(b, c)
        band.set_y(1 - hi)
        band.set_height(hi - lo)
        star = float(lambda_star(p, b, c))
        cliff.set_xdata([star, star])
        point.set_data([lam], [1 - extrapolated_fixed_point(p, b, lam)])
        if c not in heat:
            heat[c] = np.minimum(lambda_star(P, B, c), 3)
        image.set_data(heat[c])
        mark.set_data([-np.log10(tail_p)], [-np.log10(tail_b)])
        ax.set_title(
            f"λ* = {star:.3g}; λ = {lam:.3g} is {'clip-safe' if lam < star else 'past the cliff'}"
        )
        axh.set_title(f"λ*(p, b) at c = {c:.3g}")

    controls = {
        "tail_p": widgets.slider("1 − p", 1e-4, 0.3, 0.04, log=True),
        "tail_b": widgets.slider("1 − b", 1e-4, 0.3, 0.1, log=True),
        # default: the paper's regime, the teacher clip-safe (lambda = 1 < lambda* = 1.19)
        "c": widgets.slider("c (clip)", 1.05, 5.0, 3.0, log=True),
        "lam": widgets.slider("λ", 0.0, 4.0, 1.0, step=0.05),
    }
    static = {"c": [1.5, 2.0, 3.0], "lam": [0.5, 1.0, 1.5, 2.0, 3.0]}
    caption = (
        "The extrapolated fixed point's tail mass against λ with the clip-safe band (left) and "
        "the threshold λ*(p, b) for the chosen clip strength (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)
