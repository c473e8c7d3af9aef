"""Figures and printed rows of the saddle-to-saddle chapter: multi-head linear attention (§6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._shared.inputs import eigenvalues
from ..linear.closed_forms import (
    deep_mode_trajectory,
)
from ..plateaus import detect_plateaus
from .closed_forms import (
    attention_escape_times,
    attention_loss_curve,
    attention_plateau_losses,
    attention_targets,
)

if TYPE_CHECKING:
    from .training import AttentionRun

__all__ = [
    "attention_rows",
    "plot_attention",
    "plot_specialisation",
    "specialisation_rows",
    "attention_staircase",
    "attention_init_induced",
]


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
    from ...plotting import COLORS, CYCLE, figure

    lam = eigenvalues(lam)
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


def plot_specialisation(spec) -> object:
    """Per seed, the time each component is acquired (its total share reaches 1/2) against the
    transitions found on the loss curve, and the carrying head's part of each component."""
    from ...plotting import CYCLE, figure

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


# --- Book figures: zero-argument, closed forms only (no training), each well under 3 s. ---


def attention_staircase() -> object:
    """Attention (§6), data-induced: the closed-form population loss of three linear-attention
    heads from a balanced aligned start (input variances lam = (1, 0.6, 0.35), context N = 16,
    every head at scale 0.05), with the predicted escape times (dashed, attention_escape_times)
    and plateau levels (dotted); right, each head's product m_i / m_i* (deep_mode_trajectory at
    depth 3, tau = 1/c_i): one head per plateau, in the order of lam."""
    from ...plotting import COLORS, CYCLE, figure

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
    from ...plotting import COLORS, CYCLE, figure

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
