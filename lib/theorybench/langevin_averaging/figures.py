"""Figures and printed rows of the Langevin-averaging chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .model import partial_trace_overlap, partial_trace_threshold, predicted_exponents

if TYPE_CHECKING:
    from .experiment import LangevinRun, ThresholdSweep
    from .paper_figure import PaperFigure

__all__ = [
    "plot_paper_figure",
    "paper_figure_rows",
    "paper_figure_ci",
    "population_signal_figure",
    "partial_trace_figure",
    "plot_thresholds",
    "plot_pipeline",
    "exponent_rows",
]


def _mean_over_runs(a: np.ndarray) -> np.ndarray:
    """Mean over runs (axis 0) ignoring NaN, NaN (without a warning) where all runs are NaN
    (the running estimates during the burn-in)."""
    ok = ~np.isnan(a)
    return np.where(ok.any(0), np.where(ok, a, 0).sum(0) / np.maximum(ok.sum(0), 1), np.nan)


def _chain_panel(ax, run: LangevinRun, limit: float, title: str, colors: dict) -> None:
    """One chain panel: the iterate, the running mean and the running second moment's top
    eigenvector (mean over runs; the reported estimate bold), and the hot limit (dashed)."""
    ax.plot(run.steps, run.iterate_overlap.mean(0), color=colors["muted"], lw=1,
            label="current iterate")  # fmt: skip
    for m, over, label in ((1, run.mean_overlap, "running mean"),
                           (2, run.second_moment_overlap, "running 2nd moment")):  # fmt: skip
        ax.plot(run.steps, _mean_over_runs(over), lw=2.2 if m == run.moment else 1,
                ls="-" if m == run.moment else ":",
                color=colors["experiment"] if m == 1 else colors["constraint"], label=label)  # fmt: skip
    if np.isfinite(limit):
        ax.axhline(limit, color=colors["theory"], ls="--", lw=1, label="hot limit, same data")
    ax.set(ylim=(0, 1), title=title)


def plot_paper_figure(result: PaperFigure) -> object:
    """The paper's figure: per k* (columns), the overlap with w* of the current iterate, of the
    running mean and of the running second moment's top eigenvector (the estimator of the
    theorem for that k* bold), against the step, mean over chains; top row full-batch Langevin,
    bottom row batch-size-1 updates; the hot limit on the same data dashed (k* = 3, 4)."""
    from ..plotting import COLORS, figure

    ks = list(result.full_batch)
    fig, axes = figure(len(ks), 2, width=3.6 * len(ks), height=5.6)
    axes = np.asarray(axes).reshape(2, len(ks))
    for j, k in enumerate(ks):
        for i, (runs, name) in enumerate(((result.full_batch, "full batch"),
                                          (result.minibatch, "batch size 1"))):  # fmt: skip
            _chain_panel(axes[i, j], runs[k], result.hot_limit[k],
                         f"k* = {k}, {name}, n = {result.n[k]:,}", COLORS)  # fmt: skip
            axes[i, j].set(
                xlabel="step" if i == 1 else "", ylabel="overlap with w*" if j == 0 else ""
            )
    axes[0, 0].legend(fontsize=6, loc="upper left")
    return fig


def paper_figure_rows(result: PaperFigure) -> list[str]:
    """One line per k*: for full batch and batch size 1, the final overlap of the reported
    estimate (its change over the last quarter of the window in brackets) and of the other
    running estimate, then the current iterate and the hot limit."""
    rows = []
    for k in result.full_batch:
        parts = []
        for name, run in (("full batch", result.full_batch[k]), ("batch 1", result.minibatch[k])):
            other = run.second_moment_overlap if run.moment == 1 else run.mean_overlap
            est, alt = ("mean", "2nd moment") if run.moment == 1 else ("2nd moment", "mean")
            parts.append(
                f"{name}: {est} {run.average_overlap[:, -1].mean():.2f} "
                f"(Δ {run.tail_change():.2f}), {alt} {other[:, -1].mean():.2f}, "
                f"iterate {run.iterate_overlap[:, -1].mean():.2f}"
            )
        hot = result.hot_limit[k]
        rows.append(
            f"k* = {k}: "
            + "; ".join(parts)
            + (f"; hot limit {hot:.2f}" if np.isfinite(hot) else "")
        )
    return rows


def paper_figure_ci() -> object:
    """The theory page's opening figure (build time, a few seconds): the paper's figure at
    d = 8 for k* = 3 and 4, full-batch chains only (4 chains each, the ci figure's 3,000 steps:
    long enough for the running estimates to come within about 0.1 of the hot limit)."""
    from ..plotting import COLORS, figure
    from ..training import TrainConfig
    from .paper_figure import reproduce_paper_figure

    res = reproduce_paper_figure(
        (3, 4), 8, beta=4.0, runs=4, train=TrainConfig(steps=3000, lr=0.1, dtype="float32"),
        minibatch_train=TrainConfig(steps=2, lr=0.01, dtype="float32"),
    )  # fmt: skip
    fig, axes = figure(2, width=8.0, height=3.2)
    for ax, k in zip(np.atleast_1d(axes), (3, 4), strict=True):
        _chain_panel(ax, res.full_batch[k], res.hot_limit[k], f"k* = {k}, d = 8, n = {res.n[k]}",
                     COLORS)  # fmt: skip
        ax.set(xlabel="Langevin step")
    np.atleast_1d(axes)[0].set(ylabel="overlap with w*")
    np.atleast_1d(axes)[0].legend(fontsize=6, loc="upper left")
    return fig


def plot_thresholds(k3: ThresholdSweep, k4: ThresholdSweep, sgd4: ThresholdSweep) -> object:
    """Left: k* = 3, the averaged estimate's mean overlap against n (points) and the closed form
    (lines). Right: k* = 4, the averaged second moment (solid) and online SGD (dashed) against
    n / d^2: the average's curves stay together, online SGD's move right as d grows."""
    from ..plotting import COLORS, CYCLE, figure

    fig, (a1, a2) = figure(2, width=10.0, height=3.6)
    for i, (d, n, m) in enumerate(zip(k3.ds, k3.ns, k3.mean(), strict=True)):
        grid = np.geomspace(n[0], n[-1], 60)
        a1.plot(grid, partial_trace_overlap(grid, d), color=CYCLE[i], lw=1)
        a1.plot(n, m, "o", color=CYCLE[i], ms=4, label=f"d = {d}")
    a1.set(xscale="log", xlabel="n", ylabel="mean overlap", ylim=(0, 1),
           title="k* = 3: averaged estimate vs closed form")  # fmt: skip
    for sweep, style in ((k4, "o-"), (sgd4, "s--")):
        for d, n, m in zip(sweep.ds, sweep.ns, sweep.mean(), strict=True):
            i = sorted(set(k4.ds) | set(sgd4.ds)).index(d)
            a2.plot(n / d**2, m, style, ms=3, color=CYCLE[i], label=f"{sweep.method}, d = {d}")
    a2.set(xscale="log", xlabel="n / d$^2$", ylabel="mean overlap", ylim=(0, 1),
           title="k* = 4: second moment (solid) vs online SGD (dashed)")  # fmt: skip
    for ax in (a1, a2):
        ax.axhline(0.5, color=COLORS["muted"], lw=0.8)
    a1.legend(fontsize=7)
    a2.legend(fontsize=6)
    return fig


def plot_pipeline(pipeline: ThresholdSweep, alone: ThresholdSweep) -> object:
    """k* = 3: mean overlap of the warm-start pipeline (solid) and of the average alone on all n
    samples (dashed) against n / d^{3/2}."""
    from ..plotting import COLORS, CYCLE, figure

    fig, (ax,) = figure(1, width=6.5, height=3.5)
    for i, d in enumerate(pipeline.ds):
        for sweep, style in ((pipeline, "o-"), (alone, "s--")):
            ax.plot(sweep.ns[i] / d**1.5, sweep.mean()[i], style, ms=3, color=CYCLE[i],
                    label=f"{sweep.method}, d = {d}")  # fmt: skip
    ax.axhline(0.5, color=COLORS["muted"], lw=0.8)
    ax.set(xscale="log", xlabel="n / d$^{3/2}$", ylabel="mean overlap", ylim=(0, 1),
           title="k* = 3: warm start + online SGD vs the average alone")  # fmt: skip
    ax.legend(fontsize=6)
    return fig


def exponent_rows(*sweeps: ThresholdSweep, target: float = 0.5) -> list[str]:
    """Per sweep: n at which the mean overlap reaches ``target`` for each d, the fitted exponent
    with its 95 % bootstrap interval over runs, and what the theory page predicts."""
    rows = []
    for sw in sweeps:
        e = sw.exponent(target)
        shown = ", ".join("not reached" if not np.isfinite(t) else f"{t:.0f}" for t in e.thresholds)
        pred = predicted_exponents(sw.k)
        expected = {
            "online SGD": f"{pred['online SGD']:g} asymptotically",
            "warm start + online SGD": f"{pred['warm start + online SGD']:g} asymptotically",
        }.get(sw.method, f"{pred['averaged Langevin']:g} asymptotically")
        if sw.k == 3 and sw.method != "warm start + online SGD":
            cf = np.polyfit(np.log(sw.ds), np.log(partial_trace_threshold(np.array(sw.ds))), 1)[0]
            expected += f"; closed form at these d: {cf:.2f}"
        rows.append(
            f"k* = {sw.k}, {sw.method}: n(overlap {target}) = [{shown}] at d = {sw.ds}; "
            f"exponent {e} (predicted {expected})"
        )
    return rows


def population_signal_figure() -> object:
    """The population objective E Phi = m^k against the overlap m (§1), k = 1..5, with the
    overlap of a random start in d = 100 (about d^{-1/2}) shaded: for k* >= 3 the signal there
    is nearly zero (closed form, instant)."""
    from ..plotting import COLORS, CYCLE, figure

    fig, (ax,) = figure(1, width=6.0, height=3.2)
    m = np.linspace(0, 1, 201)
    for i, k in enumerate(range(1, 6)):
        ax.plot(m, m**k, color=CYCLE[i], label=f"k* = {k}")
    ax.axvspan(0, 0.1, color=COLORS["muted"], alpha=0.25, label="random start, d = 100")
    ax.set(
        xlabel="overlap m = <w, w*>", ylabel="population objective m^k*", xlim=(0, 1), ylim=(0, 1)
    )
    ax.legend(fontsize=7, loc="upper left")
    return fig


def partial_trace_figure() -> object:
    """The partial trace's closed-form overlap (la-overlap, §3.1) against n / d^2 for
    d = 16, 64, 256, 1024: the curves approach one limit as d grows (closed form, instant)."""
    from ..plotting import COLORS, CYCLE, figure

    fig, (ax,) = figure(1, width=6.0, height=3.2)
    x = np.geomspace(0.01, 10, 200)
    for i, d in enumerate((16, 64, 256, 1024)):
        ax.plot(x, partial_trace_overlap(x * d**2, d), color=CYCLE[i], label=f"d = {d}")
    ax.axhline(0.5, color=COLORS["muted"], lw=0.8)
    ax.set(xscale="log", xlabel="n / d²", ylabel="overlap of the partial trace", ylim=(0, 1))
    ax.legend(fontsize=7)
    return fig
