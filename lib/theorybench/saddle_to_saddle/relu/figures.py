"""Figures and printed rows of the saddle-to-saddle chapter: ReLU networks, fully connected and convolutional (§9-10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .analysis import (
    conv_relu_kernel_strengths,
    escape_alignment,
    escape_growth,
    hessian_min_eigenvalue,
    plateau_distance,
    relu_fixed_point_functions,
    relu_plateau_fixed_points,
    unit_plateau_level,
    unit_plateau_record,
    unit_run_escaped,
    unit_run_plateaus,
    unit_run_predicted_levels,
)
from .closed_forms import (
    best_single_unit,
    circular_patches,
    first_fixed_point,
    ramp_teacher,
    relu_correlation,
    relu_escape,
    relu_unit_curvature,
    single_unit_profile,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "plot_relu",
    "relu_rows",
    "plot_conv_relu",
    "conv_relu_rows",
    "plot_relu_family",
    "relu_family_rows",
    "relu_profile",
    "relu_curvature",
    "conv_relu_patches",
]


def _relu_loss_panel(ax, run, unit: str, *, top: float, title: str) -> float:  # noqa: ANN001
    """Every seed's loss of a ReLU run on a log axis, with the origin's and the single-unit fixed
    point's levels dashed (the latter labelled ``unit``), up to twice the latest transition.
    Returns that right edge of the time axis."""
    from ...plotting import COLORS

    for L in run.loss:
        ax.plot(run.time, L, color=COLORS["experiment"], lw=0.8, alpha=0.6)
    last = max((p.transition_times[-1] for p in unit_run_plateaus(run) if p.count),
               default=run.time[-1])  # fmt: skip
    right = min(run.time[-1], 2 * last)
    ax.set_xlim(0, right)
    for level, name in zip(unit_run_predicted_levels(run)[:2], ["origin", unit], strict=True):
        ax.axhline(level, ls="--", lw=0.8, color=COLORS["theory"])
        ax.text(0.98 * right, level, name, ha="right", va="bottom", fontsize=7)
    ax.set(xlabel="time (steps x lr)", ylabel="loss", yscale="log", ylim=(1e-4, top), title=title)
    return float(right)


def plot_relu(run) -> object:
    """Left: every seed's loss with the fixed points' levels (dashed). Right: the network's
    function on the single-ramp plateau and at the end (every seed that escapes), with the
    teacher and the best single ramp."""
    from ...plotting import COLORS, figure

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    _relu_loss_panel(a1, run, "single ramp", top=1,
                     title="kinks enter one at a time (dashed: fixed points)")  # fmt: skip
    ramp = relu_fixed_point_functions(run)[1]
    a2.plot(run.x, run.y, color="k", lw=2, label="teacher")
    a2.plot(run.x, ramp, "--", color=COLORS["theory"], lw=1.5, label="best single ramp")
    for i in np.flatnonzero(unit_run_escaped(run)):
        j = unit_plateau_record(run, i, 0.5)
        f = np.maximum(run.Z @ run.W[i, j].T, 0.0) @ run.a[i, j]
        a2.plot(run.x, f, color=COLORS["experiment"], lw=0.8, alpha=0.5)
    a2.plot([], [], color=COLORS["experiment"], label="networks, single-ramp plateau")
    a2.set(xlabel="x", ylabel="f(x)", title="the single-ramp plateau sits at a width-1 fixed point")
    a2.legend(fontsize=7)
    return fig


def relu_rows(run) -> list[str]:
    """Per seed: transitions, plateau levels, kinks inside the data on each plateau, and the
    escape growth and Hessian eigenvalue on the single-ramp plateau."""
    rows = []
    _, dist, kinks = relu_plateau_fixed_points(run)
    growth, hess = escape_growth(run) / 2, hessian_min_eigenvalue(run, at=0.5)
    for i, p in enumerate(unit_run_plateaus(run)):
        found, levels = p.transition_times, p.levels
        where = "; ".join(
            f"{', '.join(f'{c:.3f}' for c in np.unique(np.round(k, 3))) or '-'}" for k in kinks[i]
        )
        rows.append(
            f"seed {i}: transitions {np.array2string(found, precision=1)}, levels "
            f"[{', '.join(f'{v:.4f}' for v in levels)}]; kinks by plateau [{where}]; "
            f"growth/2 {growth[i]:.4f}, Hessian {hess[i]:.4f}, distance {dist[i, 1]:.4f}"
        )
    return rows


def plot_conv_relu(run) -> object:
    """Left: every seed's loss with the origin and single-unit levels (dashed). Right: how much
    of each teacher kernel the channels carry over time (every seed)."""
    from ...plotting import CYCLE, figure

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    right = _relu_loss_panel(a1, run, "single unit", top=10,
                             title="one kernel per plateau (dashed: fixed points)")  # fmt: skip
    strengths = conv_relu_kernel_strengths(run)
    for k in range(strengths.shape[-1]):
        for row in strengths[..., k]:
            a2.plot(run.time, row, color=CYCLE[k], lw=0.8, alpha=0.6)
        a2.plot([], [], color=CYCLE[k], label=f"teacher kernel {k + 1}")
    a2.set_xlim(0, right)
    a2.set(xlabel="time (steps x lr)", ylabel="carried / teacher strength",
           title=f"kernels learned one at a time, {len(run.loss)} seeds")  # fmt: skip
    a2.legend(fontsize=7)
    return fig


def conv_relu_rows(run) -> list[str]:
    """Per seed: transitions, the single-unit plateau's level and distance, the escaping unit's
    growth, alignment with the fastest direction, and the Hessian's most negative eigenvalue."""
    growth, hess = escape_growth(run) / 2, hessian_min_eigenvalue(run, at=0.5)
    level, dist, align = unit_plateau_level(run), plateau_distance(run), escape_alignment(run)
    return [
        f"seed {i}: transitions {np.array2string(found, precision=1)}; single-unit plateau at "
        f"{level[i]:.4f}, distance {dist[i]:.4f}; escaping unit cos {align[i]:.3f}, growth/2 "
        f"{growth[i]:.4f}; Hessian {hess[i]:.4f}"
        for i, found in enumerate(p.transition_times for p in unit_run_plateaus(run))
    ]


def _family_summary(run) -> dict:  # noqa: ANN001
    """family_visits of the run (memoised: the tests read the same), as a dict."""
    from dataclasses import asdict

    from .family import family_visits

    return asdict(family_visits(run, tol_cap=0.05, merge=0.01))


def plot_relu_family(run) -> object:  # noqa: ANN001
    """Left: each run's loss at the middle of its first plateau against the loss of the first
    fixed point predicted from its teacher alone (affine fixed points and ramps marked apart).
    Right: three teachers, their predicted first fixed points (dashed) and the networks'
    functions at the middle of the first plateau."""
    from ...plotting import COLORS, CYCLE, figure
    from .family import family_functions

    info = _family_summary(run)
    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    T, S = info["mid"].shape
    for affine, marker, name in ((True, "s", "kink outside the data (affine)"),
                                 (False, "o", "kink inside the data")):  # fmt: skip
        pred, got = [], []
        for t, i in np.ndindex(T, S):
            if info["affine"][t] == affine:
                pred.append(info["fps"][t, 2])
                got.append(run.loss[t, i, info["mid"][t, i]])
        a1.loglog(pred, got, marker, ms=4, alpha=0.7, label=name)
    lims = np.array([info["fps"][:, 2].min() / 2, info["fps"][:, 2].max() * 2])
    a1.plot(lims, lims, "--", color=COLORS["theory"], lw=0.8)
    a1.set(xlabel="predicted first-plateau loss (teacher alone)", ylabel="measured plateau loss",
           title=f"{T} teachers x {S} start(s)")  # fmt: skip
    a1.legend(fontsize=7)
    for k, t in enumerate([int(np.flatnonzero(info["affine"])[0]),
                           *np.flatnonzero(~info["affine"])[:2].tolist()]):  # fmt: skip
        a2.plot(run.x, run.y[t], color=CYCLE[k], lw=2)
        a2.plot(run.x, info["funcs"][t], "--", color="k", lw=1)
        for i in range(S):
            a2.plot(run.x, family_functions(run, t, i, info["mid"][t, i])[0], color=CYCLE[k], lw=0.8,
                    alpha=0.6)  # fmt: skip
    a2.plot([], [], "--", color="k", lw=1, label="predicted first fixed point")
    a2.set(xlabel="x", ylabel="f(x)", title="teachers (thick) and first plateaus (thin)")
    a2.legend(fontsize=7)
    return fig


def relu_family_rows(run) -> list[str]:  # noqa: ANN001
    """One line per teacher: ramps, lambda_1, the predicted first fixed point's kink and loss,
    and the runs' largest distance from it (over ||y||) and shortest stay (in 1/lambda_1)."""
    info = _family_summary(run)
    rows = []
    for t, (kinks, _, _) in enumerate(run.teachers):
        kink = -np.tan(info["fps"][t, 0])
        where = "outside" if info["affine"][t] else "inside"
        rows.append(
            f"teacher {t}: {len(kinks)} ramps; lambda_1 {info['lam'][t]:.3f}; first fixed point "
            f"kink {f'{kink:.2f}' if abs(kink) < 100 else 'beyond 100'} ({where} the data), "
            f"loss {info['fps'][t, 2]:.5f}; runs within "
            f"{info['dist'][t].max():.4f} of it, for >= "
            f"{(info['dwell'][t] * info['lam'][t]).min():.0f}/lambda_1"
        )
    return rows


# --- Book figures: zero-argument, closed forms only (no training), each well under 3 s. ---

#: The two-ramp teacher of the ReLU figures (the notebook's teacher).
_RAMPS = ((0.3, -0.3), (3.0, 0.5), (1, -1))


def relu_profile() -> object:
    """ReLU networks (§9): left, the teacher (two ramps) on 101 points of [-1, 1], the width-1
    fixed point the first escape leads to (first_fixed_point) and the best single unit. Right,
    over the direction angle of a unit's (weight, bias), the correlation abs(G) with the
    residual at the origin (its maximiser is the escape direction) and the width-1 loss profile
    P, whose local minima are the width-1 fixed points."""
    from ...plotting import COLORS, CYCLE, figure

    x = np.linspace(-1, 1, 101)
    y = ramp_teacher(x, *_RAMPS)
    phi = np.linspace(-np.pi, np.pi, 1441)
    G = relu_correlation(phi, x, y)
    P, _ = single_unit_profile(phi, x, y)
    _, escape_angle, _ = relu_escape(x, y)
    first, a1, _ = first_fixed_point(x, y, grid=4000)
    fig, (ax, axr) = figure(2, width=8.8, height=3.2)
    ax.plot(x, y, color="k", lw=2, label="teacher")
    unit = a1 * np.maximum(np.cos(first) * x + np.sin(first), 0)
    ax.plot(x, unit, "--", color=CYCLE[0], lw=1.5, label="first fixed point (one ray)")
    ax.set(xlabel="x", ylabel="y", title="the first plateau: one ray fitted")
    ax.legend(fontsize=8)
    axr.plot(phi, np.abs(G), color=COLORS["experiment"], lw=1.5, label="|G(θ)| at the origin")
    axr.axvline(escape_angle, color=COLORS["experiment"], ls="--", lw=1)
    twin = axr.twinx()
    twin.plot(phi, P, color=COLORS["theory"], lw=1.5)
    twin.plot([first], [single_unit_profile(first, x, y)[0]], "o", color=COLORS["theory"])
    twin.set_ylabel("width-1 loss P(θ)", color=COLORS["theory"])
    axr.set(xlabel="direction angle of (w, b)", ylabel="|G|",
            title="escape direction (dashed) → fixed point (dot)")  # fmt: skip
    axr.legend(fontsize=8, loc="upper left")
    return fig


def relu_curvature() -> object:
    """ReLU curvature (§9.2): at the teacher's first fixed point, the escape rate abs(G) along
    each direction's own ray against the curvature sqrt(G^2 + G'^2) a tiny unit in that
    direction adds to the Hessian (relu_unit_curvature). The two meet only where G' = 0, e.g.
    at the maximiser of abs(G) (dashed); elsewhere the Hessian sees more than the escape rate."""
    from ...plotting import COLORS, figure

    x = np.linspace(-1, 1, 101)
    y = ramp_teacher(x, *_RAMPS)
    first, a1, _ = first_fixed_point(x, y, grid=4000)
    r = y - a1 * np.maximum(np.cos(first) * x + np.sin(first), 0)
    phi = np.linspace(-np.pi, np.pi, 1441)
    _, top, _ = relu_escape(x, r)
    fig, (ax,) = figure(1, width=6.0, height=3.2)
    ax.plot(phi, np.abs(relu_correlation(phi, x, r)), color=COLORS["experiment"], lw=2,
            label="|G(θ)|: growth rate along the ray")  # fmt: skip
    ax.plot(phi, relu_unit_curvature(phi, x, r), color=COLORS["theory"], lw=1.5,
            label="√(G² + G′²): Hessian eigenvalue size")  # fmt: skip
    ax.axvline(top, color="k", ls="--", lw=1)
    ax.set(xlabel="direction angle of (w, b)", ylabel="rate / curvature",
           title="at the first fixed point")  # fmt: skip
    ax.legend(fontsize=8)
    return fig


def conv_relu_patches() -> object:
    """ReLU convolution (§10): the patches (x_p, x_{p+1}) of 32 Gaussian signals of length 8,
    coloured by the teacher's output (kernels (1, -1) with bias -0.5 and (1, 1) with bias -1,
    output weights 3 and 1). Each kernel is active on one side of its line (dashed); the best
    single unit's line (solid) is tilted between them, because the two kernels overlap."""
    from ...plotting import COLORS, CYCLE, figure

    signals = np.random.default_rng(0).normal(size=(32, 8))
    Z = circular_patches(signals, 2)
    kernels = np.array([[1.0, -1.0, -0.5], [1.0, 1.0, -1.0]])
    y = np.maximum(Z @ kernels.T, 0) @ np.array([3.0, 1.0])
    theta, _, _ = best_single_unit(Z, y, count=4000)
    fig, (ax,) = figure(1, width=5.0, height=4.2)
    sc = ax.scatter(Z[:, 0], Z[:, 1], c=y, s=8, cmap="viridis")
    fig.colorbar(sc, ax=ax, label="teacher output")
    g = np.linspace(-3, 3, 2)
    for k, (w1, w2, b) in enumerate(kernels):
        ax.plot(g, -(w1 * g + b) / w2, "--", color=CYCLE[k + 1], lw=1.5, label=f"kernel {k + 1}")
    w1, w2, b = theta
    ax.plot(g, -(w1 * g + b) / w2, color=COLORS["theory"], lw=2, label="best single unit")
    ax.set(xlim=(-3, 3), ylim=(-3, 3), xlabel="x at p", ylabel="x at p + 1", aspect="equal",
           title="patches: one ray per plateau")  # fmt: skip
    ax.legend(fontsize=8, loc="lower right")
    return fig
