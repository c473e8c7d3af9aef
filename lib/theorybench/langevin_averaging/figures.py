"""Figures and printed rows of the Langevin-averaging chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .model import partial_trace_overlap, partial_trace_threshold, predicted_exponents

if TYPE_CHECKING:
    from .experiment import LangevinRun, ThresholdSweep

__all__ = ["plot_traces", "trace_rows", "plot_thresholds", "plot_pipeline", "exponent_rows"]


def plot_traces(traces: dict[int, tuple[LangevinRun, float]]) -> object:
    """The paper's figure: per k*, the overlap of the running estimate (mean for odd k*, top
    eigenvector of the second moment for even k*) and of the current iterate against the step,
    mean over runs, with the overlap of the high-temperature limit on the same data (dashed)."""
    from ..plotting import COLORS, figure

    fig, axes = figure(len(traces), width=4.6 * len(traces), height=3.3)
    for ax, (k, (run, limit)) in zip(np.atleast_1d(axes), traces.items(), strict=True):
        ax.plot(run.steps, run.iterate_overlap.mean(0), color=COLORS["muted"], label="iterate")
        label = "running mean" if run.moment == 1 else "running 2nd moment (top eigvec)"
        ax.plot(run.steps, np.nanmean(run.average_overlap, 0), color=COLORS["experiment"],
                lw=2, label=label)  # fmt: skip
        if np.isfinite(limit):
            ax.axhline(limit, color=COLORS["theory"], ls="--", lw=1, label="hot limit, same data")
        ax.set(xlabel="Langevin step", ylabel="overlap with w*", ylim=(0, 1), title=f"k* = {k}")
        ax.legend(fontsize=7, loc="upper left")
    return fig


def trace_rows(traces: dict[int, tuple[LangevinRun, float]]) -> list[str]:
    """Final overlaps of the running estimate and the iterate, and the hot limit, per k*."""
    rows = []
    for k, (run, limit) in traces.items():
        avg = np.nanmean(run.average_overlap[:, -1])
        half = np.nanmean(run.average_overlap[:, np.searchsorted(run.steps, run.steps[-1] / 2)])
        rows.append(
            f"k* = {k}: running estimate {avg:.2f} (at half the window {half:.2f}), "
            f"iterate {run.iterate_overlap[:, -1].mean():.2f}, hot limit {limit:.2f}"
        )
    return rows


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
