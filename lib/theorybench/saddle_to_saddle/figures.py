"""Figures and printed rows of the saddle-to-saddle chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .attention import (
    _eigenvalues,
    attention_escape_times,
    attention_loss_curve,
    attention_plateau_losses,
    attention_targets,
)
from .convolution import conv_plateau_losses, conv_teacher
from .linear import (
    _spectrum,
    deep_escape_time,
    deep_mode_trajectory,
    loss_curve,
    mode_trajectory,
    plateau_losses,
    steepest_descent_times,
    steepest_fraction,
    width_transition_times,
)
from .plateaus import detect_plateaus
from .quadratic import quadratic_escape_sequence
from .relu import (
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
    from .attention_training import AttentionRun
    from .linear_training import LinearRun

__all__ = [
    "experiment_rows",
    "plot_experiment",
    "attention_rows",
    "plot_attention",
    "plot_saddles",
    "saddle_rows",
    "plot_specialisation",
    "specialisation_rows",
    "plot_conv",
    "conv_rows",
    "plot_width",
    "width_rows",
    "plot_quadratic",
    "quadratic_rows",
    "loss_staircase",
    "saddle_sketch",
    "width_times",
    "depth_times",
    "attention_staircase",
    "attention_init_induced",
    "conv_staircase",
    "quadratic_escapes",
    "relu_profile",
    "relu_curvature",
    "conv_relu_patches",
]


def experiment_rows(run: LinearRun, s: ArrayLike) -> list[str]:
    """Text rows: predicted vs measured (detect_plateaus) transition times of a two-layer run."""
    s = _spectrum(s)
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
    from ..plotting import COLORS, CYCLE, figure

    s = _spectrum(s)
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


def attention_rows(run: AttentionRun, lam: ArrayLike) -> list[str]:
    """Text rows: predicted vs measured (detect_plateaus) transitions of an aligned run."""
    rows = [f"{'sigma':>7} {'head':>4} {'predicted':>10} {'measured':>9} {'error':>7}"]
    for i, sigma in enumerate(run.sigmas):
        found = detect_plateaus(run.times, run.loss[i]).transition_times
        predicted = attention_escape_times(lam, sigma * run.head_scales, run.context)
        for h, m in zip(np.argsort(predicted), found, strict=False):
            p = predicted[h]
            rows.append(f"{sigma:7.3f} {h + 1:4d} {p:10.2f} {m:9.2f} {100 * (m / p - 1):6.1f}%")
    return rows


def plot_attention(run: AttentionRun, lam: ArrayLike) -> object:
    """Left: held-out loss of the trained attention models (thick) against the closed form
    (dashed). Right: each head's norm abs(v) ||k|| ||q||; dashed lines: predicted transitions."""
    from ..plotting import COLORS, CYCLE, figure

    lam = _eigenvalues(lam)
    t = run.times
    fig, (ax, axr) = figure(2, width=9.0, height=3.6)
    for i, sigma in enumerate(run.sigmas):
        a0 = sigma * run.head_scales
        ax.plot(t, run.loss[i], color=CYCLE[i], lw=3, alpha=0.45, label=f"SGD, σ = {sigma:g}")
        ax.plot(
            t[1:], attention_loss_curve(t[1:], lam, a0, run.context), color=CYCLE[i], ls="--", lw=1
        )
        for h in range(run.head_norms.shape[2]):
            label = f"head {h + 1}" if i == 0 else None
            style = "-" if i == 0 else ":"
            axr.plot(t, run.head_norms[i, :, h], color=CYCLE[h], lw=1.5, ls=style, label=label)
        if i == 0:
            for tk in attention_escape_times(lam, a0, run.context):
                axr.axvline(tk, color=COLORS["muted"], ls="--", lw=0.8)
    for level in attention_plateau_losses(lam, run.context):
        ax.axhline(level, color=COLORS["muted"], ls=":", lw=0.8)
    ax.set(
        xlabel="time t = steps × lr", ylabel="held-out loss", title="loss: trained vs closed form"
    )
    ax.legend()
    axr.set(
        xlabel="time t = steps × lr",
        ylabel=r"$|v_h|\,\|k_h\|\,\|q_h\|$",
        title=f"head norms (σ = {run.sigmas[0]:g} solid); predicted onsets dashed",
    )
    axr.legend(loc="lower right")
    return fig


def plot_saddles(check) -> object:
    """Left: distance of the trained end-to-end map to each truncation M_r at each plateau (one
    point per seed). Right: the most negative Hessian eigenvalue there against -s_{r+1}."""
    from ..plotting import COLORS, figure

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


def plot_specialisation(spec) -> object:
    """Per seed, the time each component is acquired (its total share reaches 1/2) against the
    transitions found on the loss curve, and the carrying head's part of each component."""
    from ..plotting import CYCLE, figure

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    seeds, d = spec.acquired.shape
    for i in range(d):
        a1.plot(spec.acquired[:, i], np.arange(seeds), "o", ms=4, color=CYCLE[i],
                label=f"component {i + 1} (lam = {spec.lam[i]:g})")  # fmt: skip
        a2.plot(np.arange(seeds), spec.carrier_share[:, i], "o", ms=4, color=CYCLE[i])
    for sd, tr in enumerate(spec.transitions):
        a1.plot(tr, np.full(tr.size, sd), "|", ms=12, color="k")
    a1.set(
        xlabel="time (steps x lr)", ylabel="seed", title="acquired (dots) at a transition (bars)"
    )
    a1.legend(fontsize=7, loc="lower right")
    a2.set(xlabel="seed", ylabel="carrying head's part", ylim=(0, 1.05),
           title="one head per component")  # fmt: skip
    return fig


def specialisation_rows(spec) -> list[str]:
    """Per component: seeds that acquired it, the carrying head's part, distinct heads."""
    rows = []
    for i in range(spec.lam.size):
        got = np.isfinite(spec.acquired[:, i])
        part = spec.carrier_share[got, i]
        rows.append(
            f"component {i + 1} (lam = {spec.lam[i]:g}): acquired in {int(got.sum())}/{got.size} "
            f"seeds; carrying head's part median {np.median(part) if part.size else np.nan:.3f}, "
            f"min {part.min() if part.size else np.nan:.3f}"
        )
    distinct = [len(set(c[np.isfinite(a)].tolist())) == int(np.isfinite(a).sum())
                for c, a in zip(spec.carrier, spec.acquired, strict=True)]  # fmt: skip
    rows.append(
        f"acquired components carried by distinct heads in {sum(distinct)}/{len(distinct)} seeds"
    )
    return rows


def plot_conv(run) -> object:
    """Left: the loss of every seed's convolutional network against the closed-form plateau
    levels (dashed). Right: each frequency's strength abs(P_k) / s_k for every seed, against the
    logistic from that seed's own start (thin)."""
    from ..plotting import COLORS, CYCLE, figure
    from .linear import mode_trajectory

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    for L in run.loss:
        a1.plot(run.time, L, color=COLORS["experiment"], lw=0.8, alpha=0.6)
    for lev in run.predicted_levels()[:-1]:
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
    measured, predicted = run.measured_times(), run.predicted_times()
    rel = np.abs(measured / predicted - 1)
    levels, want = run.levels(), run.predicted_levels()
    nearest, dist, _ = run.plateau_fixed_points()
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


def plot_width(sweep) -> object:
    """Each mode's transition time against the hidden width: every seed (dots), the median over
    seeds (line) and the closed-form median (dashed)."""
    from ..plotting import CYCLE, figure

    fig, (ax,) = figure(1, width=5.5, height=3.4)
    h = sweep.widths
    for k, sk in enumerate(sweep.s):
        for j in range(sweep.transition_times.shape[1]):
            ax.plot(h, sweep.transition_times[:, j, k], ".", ms=3, color=CYCLE[k], alpha=0.5)
        ax.plot(h, sweep.median()[:, k], "-", color=CYCLE[k], label=f"mode {k + 1} (s = {sk:g})")
        ax.plot(h, sweep.predicted_median[:, k], "--", color="k", lw=1)
    ax.set(xscale="log", xlabel="hidden width", ylabel="transition time (steps x lr)",
           title="wider starts escape sooner (dashed: closed form)")  # fmt: skip
    ax.set_xticks(h, [str(int(w)) for w in h])
    ax.legend(fontsize=7)
    return fig


def width_rows(sweep) -> list[str]:
    """Per width: median measured against predicted transition times, and the worst error."""
    med = sweep.median()
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


def plot_quadratic(run) -> object:
    """Left: every seed's loss, with the escape times predicted from its own start (ticks).
    Right: measured against predicted transition times, all seeds."""
    from ..plotting import COLORS, CYCLE, figure

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    predicted, measured = run.predicted(), run.measured_times()
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
    dist = run.plateau_fixed_points()
    for i, ((times, units, _), found) in enumerate(
        zip(run.predicted(), run.measured_times(), strict=True)
    ):
        carriers = np.flatnonzero(run.carried[i] > 0.5).tolist()
        rows.append(
            f"seed {i}: units {units.tolist()} predicted at {np.array2string(times, precision=1)}, "
            f"measured {np.array2string(found, precision=1)}; carriers {carriers}; "
            f"distance to the selected fixed point <= {np.nanmax(dist[i]):.4f}"
        )
    return rows


def _relu_loss_panel(ax, run, unit: str, *, top: float, title: str) -> float:  # noqa: ANN001
    """Every seed's loss of a ReLU run on a log axis, with the origin's and the single-unit fixed
    point's levels dashed (the latter labelled ``unit``), up to twice the latest transition.
    Returns that right edge of the time axis."""
    from ..plotting import COLORS

    for L in run.loss:
        ax.plot(run.time, L, color=COLORS["experiment"], lw=0.8, alpha=0.6)
    last = max((found[-1] for found in run.measured_times() if found.size), default=run.time[-1])
    right = min(run.time[-1], 2 * last)
    ax.set_xlim(0, right)
    for level, name in zip(run.predicted_levels()[:2], ["origin", unit], strict=True):
        ax.axhline(level, ls="--", lw=0.8, color=COLORS["theory"])
        ax.text(0.98 * right, level, name, ha="right", va="bottom", fontsize=7)
    ax.set(xlabel="time (steps x lr)", ylabel="loss", yscale="log", ylim=(1e-4, top), title=title)
    return float(right)


def plot_relu(run) -> object:
    """Left: every seed's loss with the fixed points' levels (dashed). Right: the network's
    function on the single-ramp plateau and at the end (every seed that escapes), with the
    teacher and the best single ramp."""
    from ..plotting import COLORS, figure

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    _relu_loss_panel(a1, run, "single ramp", top=1,
                     title="kinks enter one at a time (dashed: fixed points)")  # fmt: skip
    ramp = run.fixed_point_functions()[1]
    a2.plot(run.x, run.y, color="k", lw=2, label="teacher")
    a2.plot(run.x, ramp, "--", color=COLORS["theory"], lw=1.5, label="best single ramp")
    for i in np.flatnonzero(run.escaped()):
        j = run._unit_plateau(i, 0.5)
        a2.plot(run.x, run._function(i, j), color=COLORS["experiment"], lw=0.8, alpha=0.5)
    a2.plot([], [], color=COLORS["experiment"], label="networks, single-ramp plateau")
    a2.set(xlabel="x", ylabel="f(x)", title="the last plateau sits at a width-1 fixed point")
    a2.legend(fontsize=7)
    return fig


def relu_rows(run) -> list[str]:
    """Per seed: transitions, plateau levels, kinks inside the data on each plateau, and the
    escape growth and Hessian eigenvalue on the single-ramp plateau."""
    rows = []
    _, dist, kinks = run.plateau_fixed_points()
    growth, hess = run.escape_growth() / 2, run.hessian_min_eigenvalue(at=0.5)
    for i, (found, levels) in enumerate(zip(run.measured_times(), run.levels(), strict=True)):
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
    from ..plotting import CYCLE, figure

    fig, (a1, a2) = figure(2, width=9.5, height=3.3)
    right = _relu_loss_panel(a1, run, "single unit", top=10,
                             title="one kernel per plateau (dashed: fixed points)")  # fmt: skip
    strengths = run.kernel_strengths()
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
    growth, hess = run.escape_growth() / 2, run.hessian_min_eigenvalue(at=0.5)
    level, dist, align = run.unit_plateau_level(), run.plateau_distance(), run.escape_alignment()
    return [
        f"seed {i}: transitions {np.array2string(found, precision=1)}; single-unit plateau at "
        f"{level[i]:.4f}, distance {dist[i]:.4f}; escaping unit cos {align[i]:.3f}, growth/2 "
        f"{growth[i]:.4f}; Hessian {hess[i]:.4f}"
        for i, found in enumerate(run.measured_times())
    ]


_FAMILY_SUMMARIES: dict = {}


def _family_summary(run, tol_cap: float = 0.05) -> dict:  # noqa: ANN001
    """Predictions from each teacher alone and each run's visit of the first fixed point
    (kept for the last run asked about: the figure and the rows share it)."""
    from .relu_family import family_first_fixed_points, first_plateau_visits, fixed_point_gaps

    key = (id(run), tol_cap)
    if key in _FAMILY_SUMMARIES and _FAMILY_SUMMARIES[key][0] is run:
        return _FAMILY_SUMMARIES[key][1]

    lam, fps, funcs = family_first_fixed_points(run)
    tol = np.minimum(tol_cap, 0.5 * fixed_point_gaps(run))
    dist, dwell, mid = first_plateau_visits(run, tol)
    affine = np.array([np.all(np.cos(g) * run.x + np.sin(g) > 0) for g in fps[:, 0]])
    info = dict(lam=lam, fps=fps, funcs=funcs, tol=tol, dist=dist, dwell=dwell, mid=mid,
                affine=affine)  # fmt: skip
    _FAMILY_SUMMARIES.clear()
    _FAMILY_SUMMARIES[key] = (run, info)
    return info


def plot_relu_family(run) -> object:  # noqa: ANN001
    """Left: each run's loss at the middle of its first plateau against the loss of the first
    fixed point predicted from its teacher alone (affine fixed points and ramps marked apart).
    Right: three teachers, their predicted first fixed points (dashed) and the networks'
    functions at the middle of the first plateau."""
    from ..plotting import COLORS, CYCLE, figure

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
           title=f"{T} random teachers x {S} starts")  # fmt: skip
    a1.legend(fontsize=7)
    for k, t in enumerate([int(np.flatnonzero(info["affine"])[0]),
                           *np.flatnonzero(~info["affine"])[:2].tolist()]):  # fmt: skip
        a2.plot(run.x, run.y[t], color=CYCLE[k], lw=2)
        a2.plot(run.x, info["funcs"][t], "--", color="k", lw=1)
        for i in range(S):
            a2.plot(run.x, run.functions(t, i, info["mid"][t, i])[0], color=CYCLE[k], lw=0.8,
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
            f"kink {kink:.2f} ({where} the data), loss {info['fps'][t, 2]:.5f}; runs within "
            f"{info['dist'][t].max():.4f} of it, for >= "
            f"{(info['dwell'][t] * info['lam'][t]).min():.0f}/lambda_1"
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
    from ..plotting import COLORS, CYCLE, figure

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
    from ..plotting import COLORS, CYCLE, figure

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
    from ..plotting import CYCLE, figure

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
    from ..plotting import CYCLE, figure

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


def attention_staircase() -> object:
    """Attention (§6), data-induced: the closed-form population loss of three linear-attention
    heads from a balanced aligned start (input variances lam = (1, 0.6, 0.35), context N = 16,
    every head at scale 0.05), with the predicted escape times (dashed, attention_escape_times)
    and plateau levels (dotted); right, each head's product m_i / m_i* (deep_mode_trajectory at
    depth 3, tau = 1/c_i): one head per plateau, in the order of lam."""
    from ..plotting import COLORS, CYCLE, figure

    lam, a0, N = np.array([1.0, 0.6, 0.35]), 0.05, 16
    times = attention_escape_times(lam, a0, N)
    t = np.linspace(0, 1.6 * times.max(), 800)
    m_star, curv = attention_targets(lam, N)
    fig, (ax, axr) = figure(2, width=8.8, height=3.2)
    ax.plot(t, attention_loss_curve(t, lam, a0, N), color=COLORS["theory"], lw=2)
    for level in attention_plateau_losses(lam, N):
        ax.axhline(level, color=COLORS["muted"], ls=":", lw=1)
    for k, tk in enumerate(times):
        ax.axvline(tk, color=CYCLE[k], ls="--", lw=1)
        m = deep_mode_trajectory(t * curv[k], [m_star[k]], a0, 3)[:, 0]
        axr.plot(t, m / m_star[k], color=CYCLE[k], lw=1.5, label=f"head {k + 1} (λ = {lam[k]:g})")
    ax.set(xlabel="time (steps × lr)", ylabel="population loss", title="one drop per head")
    axr.set(xlabel="time (steps × lr)", ylabel="m_i / m_i*", title="heads switch on one by one")
    axr.legend(fontsize=8)
    return fig


def attention_init_induced() -> object:
    """Attention (§6.2), init-induced: isotropic inputs (lam = 0.6 for all three), head scales
    (0.25, 1, 0.5) x 0.1; the closed-form loss with the predicted escape time of each head
    (dashed) and the plateau levels (dotted). The largest head goes first."""
    from ..plotting import COLORS, CYCLE, figure

    lam, a0, N = (0.6, 0.6, 0.6), np.array([0.25, 1.0, 0.5]) * 0.1, 16
    times = attention_escape_times(lam, a0, N)
    t = np.linspace(0, 1.6 * times.max(), 800)
    fig, (ax,) = figure(1, width=6.0, height=3.2)
    ax.plot(t, attention_loss_curve(t, lam, a0, N), color=COLORS["theory"], lw=2)
    for level in attention_plateau_losses(lam, N):
        ax.axhline(level, color=COLORS["muted"], ls=":", lw=1)
    for k, tk in enumerate(times):
        ax.axvline(tk, color=CYCLE[k], ls="--", lw=1, label=f"head {k + 1}: scale {a0[k]:g}")
    ax.set(xlabel="time (steps × lr)", ylabel="population loss",
           title="isotropic inputs: the start orders the heads")  # fmt: skip
    ax.legend(fontsize=8)
    return fig


def conv_staircase() -> object:
    """Linear convolution (§7): left, the teacher kernel's spectrum abs(t_hat_k) (strengths 4, 2, 1
    at frequencies 1, 3, 5 of d = 16, each with its mirror d - k); right, the closed-form loss of
    the two-layer convolutional network from a small aligned start (each frequency a two-layer
    mode, u_0 = 1e-6) with the rank of the end-to-end circulant map, which grows by two per
    plateau (a frequency and its mirror)."""
    from ..plotting import COLORS, CYCLE, figure

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


def quadratic_escapes() -> object:
    """The quadratic network (§8): from one random start (d = 3, s = 1, four units with output
    weights (1, 0.6, 0.35, 0.2) x 0.01 and balanced input weights in random directions), the
    escape sequence predicted from the initialisation alone (quadratic_escape_sequence). The loss
    steps from d s^2 down by s^2 at each escape, one unit per plateau; each step names the unit
    that escapes."""
    from ..plotting import COLORS, CYCLE, figure

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


#: The two-ramp teacher of the ReLU figures (the notebook's teacher).
_RAMPS = ((0.3, -0.3), (3.0, 0.5), (1, -1))


def relu_profile() -> object:
    """ReLU networks (§9): left, the teacher (two ramps) on 101 points of [-1, 1], the width-1
    fixed point the first escape leads to (first_fixed_point) and the best single unit. Right,
    over the direction angle of a unit's (weight, bias), the correlation abs(G) with the
    residual at the origin (its maximiser is the escape direction) and the width-1 loss profile
    P, whose local minima are the width-1 fixed points."""
    from ..plotting import COLORS, CYCLE, figure

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
    from ..plotting import COLORS, figure

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
    from ..plotting import COLORS, CYCLE, figure

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
