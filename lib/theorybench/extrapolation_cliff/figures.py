"""Figures and printed rows of the extrapolation-cliff chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .model import (
    clip_for_threshold,
    clip_safe_interval,
    critical_clip,
    extrapolated_fixed_point,
    lambda_star,
)

if TYPE_CHECKING:
    from .experiment import PolicySweep

__all__ = [
    "plot_sweep",
    "plot_simulation",
    "sweep_rows",
    "plot_lambda_star_map",
    "paper_setting_rows",
    "PAPER_PARSE_RATES",
    "plot_fall_width",
    "random_validity_instance",
    "steep_validity_instance",
    "STEEP_EXAMPLE",
    "plot_cliff_overview",
    "plot_base_clip_window",
    "plot_cliff_family",
    "cliff_family_rows",
    "plot_validity_family",
    "validity_family_rows",
]

#: The steep example of §8.4 (L = 20): the base's validity 0.335 (the paper's SFT parse rate),
#: a format-breaking token the base almost never emits (b_B = 1e-18, teacher 1e-5, log rho_B = 29.9).
STEEP_EXAMPLE = (
    np.array([0.997, 0.00299, 1e-5]),
    np.array([0.335 ** (1 / 20), 1 - 0.335 ** (1 / 20) - 1e-18, 1e-18]),
    20,
)

#: The paper's reported strict parse rates (project page): SFT student 33.5 %, OPD just below
#: lambda* 94.8 %. Reading them as per-position masses needs assumptions (§3.2).
PAPER_PARSE_RATES = (0.335, 0.948)


def _paper_tail_ratio() -> float:
    """kappa = (1 - b)/(1 - p) ~ log V_b / log V_p for L identical independent positions whose
    base and teacher validities are the paper's two parse rates (an assumed reading, §3.2)."""
    vb, vp = PAPER_PARSE_RATES
    return float(np.log(vb) / np.log(vp))


def paper_setting_rows() -> list[str]:
    """Where lambda* = 1.22 lies in Model 1 for the readings of the paper's setting of §3.2."""
    rows = []
    for p, c in [(0.99, 1.2), (0.99, 2.0)]:
        from scipy import optimize

        b = optimize.brentq(lambda x, p=p, c=c: float(lambda_star(p, x, c)) - 1.22, 0.5, p - 1e-12)
        rows.append(
            f"p = {p:g}, c = {c:g}: lambda* = 1.22 needs b = {b:.4f} "
            f"(base tail {(1 - b) / (1 - p):.3f} x the teacher's)"
        )
    vb, vp = PAPER_PARSE_RATES
    for L in (5, 20, 100):
        b, p = vb ** (1 / L), vp ** (1 / L)
        rows.append(
            f"parse rates as validities, L = {L:3d}: critical clip {float(critical_clip(p, b)):.1f}, "
            f"lambda* = 1.22 at c = {float(clip_for_threshold(p, b, 1.22)):.1f}"
        )
    return rows


def plot_lambda_star_map() -> object:
    """Model 1's threshold over the (b, c) plane for three teachers p (§3.1): colour lambda*
    (log scale), the closed-form boundary c = c_1(p, b) of the region lambda* > 1 (white line),
    and the contour lambda* = 1.22 (dashed). Points mark readings of the paper's setting (§3.2):
    PPO's eps = 0.2 read as c = 1.2, and per-position masses read from the paper's parse rates
    (kappa = (1-b)/(1-p) ~ 20.5) at the clip that puts lambda* at 1.22."""
    from matplotlib.colors import LogNorm

    from ..plotting import COLORS, figure

    tails_p = (1e-1, 1e-2, 1e-3)
    x = np.logspace(-4.5, np.log10(0.5), 241)  # 1 - b
    y = np.logspace(np.log10(1.01), 3, 201)  # c
    X, Y = np.meshgrid(x, y)
    fig, axes = figure(3, width=11.0, height=3.6, sharey=True)
    norm = LogNorm(0.05, 20)
    image = None
    for ax, tp in zip(axes, tails_p, strict=True):
        p = 1 - tp
        B = 1 - X
        with np.errstate(all="ignore"):
            lam = np.where(np.isclose(B, p, rtol=0, atol=1e-13), np.inf, 0.0)
            ok = ~np.isinf(lam)
            lam[ok] = lambda_star(p, B[ok], Y[ok])
        image = ax.pcolormesh(X, Y, np.clip(lam, 0.05, 20), norm=norm, shading="auto")
        ax.contour(X, Y, lam, levels=[1.22], colors="k", linestyles="--", linewidths=1)
        ax.plot(x, critical_clip(p, 1 - x), color="white", lw=2, label=r"$c_1(p,b)$: $\lambda^*=1$")
        ax.axvline(tp, color=COLORS["muted"], lw=1, ls=":")
        ax.set(xscale="log", yscale="log", xlim=(x[0], x[-1]), ylim=(y[0], y[-1]),
               xlabel=r"base tail mass $1-b$", title=f"teacher $1-p$ = {tp:g}")  # fmt: skip
        ax.invert_xaxis()
    axes[0].set_ylabel("clip strength $c$")
    # readings of the paper's setting at p = 0.99 (middle panel), both assumed (§3.2)
    from scipy import optimize

    p = 0.99
    b = optimize.brentq(lambda v: float(lambda_star(p, v, 1.2)) - 1.22, 0.5, p - 1e-12)
    axes[1].plot([1 - b], [1.2], "o", color=COLORS["experiment"], ms=6,
                 label=r"$\lambda^*=1.22$ at $c = 1.2$")  # fmt: skip
    kappa = _paper_tail_ratio()
    c_paper = float(clip_for_threshold(p, 1 - kappa * (1 - p), 1.22))
    axes[1].plot([kappa * (1 - p)], [c_paper], "s", color=COLORS["accent"], ms=6,
                 label="parse rates read as validities")  # fmt: skip
    axes[1].plot([], [], "k--", lw=1, label=r"$\lambda^* = 1.22$")
    fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=4,
               facecolor="lightgrey", frameon=True)  # fmt: skip
    axes[2].text(1e-3, 200, r"$\lambda^* > 1$", color="white", ha="center", fontsize=9)
    fig.colorbar(image, ax=axes, label=r"$\lambda^*(p, b, c)$")
    return fig


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------
def plot_sweep(sweep: PolicySweep) -> object:
    """Left: final modal-token mass against lambda, with the extrapolated fixed point and lambda*.
    Right: the fraction of masked samples at the end of training."""
    from ..plotting import COLORS, figure

    fig, (ax, axr) = figure(2, width=9.0, height=3.4)
    ax.plot(sweep.lams, sweep.fixed_point, color=COLORS["theory"], lw=1.5, label=r"$q_\lambda$")
    ax.plot(sweep.lams, sweep.modal_mass, "o", color=COLORS["experiment"], ms=4, label="trained")
    axr.plot(sweep.lams, sweep.clip_fraction, "o-", color=COLORS["experiment"], ms=4)
    for a in (ax, axr):
        a.axvline(sweep.lambda_star, color=COLORS["muted"], ls="--", lw=1)
        a.set_xlabel(r"extrapolation coefficient $\lambda$")
    ax.set(
        ylabel="mass on the format token",
        title=r"trained policy vs fixed point; $\lambda^*$ dashed",
    )
    ax.legend(loc="lower right")
    axr.set(ylabel="masked fraction (last 10 %)", title="clip activity at the end of training")
    return fig


def plot_simulation(
    p: float,
    b: float,
    c: float,
    lams: ArrayLike,
    exact: ArrayLike,
    sampled_lams: ArrayLike,
    sampled: ArrayLike,
) -> object:
    """Final modal mass of the simulated dynamics against lambda: expected-gradient runs (line),
    sampled rollouts (mean and standard deviation over seeds), the fixed point q_lambda, the
    clip-safe end q_hi and lambda*."""
    from ..plotting import COLORS, figure

    lams, sampled_lams = np.asarray(lams, dtype=float), np.asarray(sampled_lams, dtype=float)
    sampled = np.atleast_2d(np.asarray(sampled, dtype=float))
    fig, (ax,) = figure(1, width=7.0, height=3.6)
    ax.plot(
        lams,
        extrapolated_fixed_point(p, b, lams),
        color=COLORS["theory"],
        lw=1.5,
        label=r"fixed point $q_\lambda$",
    )
    ax.plot(
        lams,
        np.asarray(exact)[0],
        color=COLORS["experiment"],
        lw=2.5,
        alpha=0.6,
        label="simulated (expected gradient)",
    )
    ax.errorbar(
        sampled_lams,
        sampled.mean(0),
        yerr=sampled.std(0),
        fmt="o",
        ms=3,
        capsize=2,
        color="k",
        label=f"sampled rollouts ({sampled.shape[0]} seeds)",
    )
    _, hi = clip_safe_interval(b, c)
    ax.axhline(float(hi), color=COLORS["muted"], ls=":", lw=1, label="clip-safe end $q_{hi}$")
    ax.axvline(
        float(lambda_star(p, b, c)), color=COLORS["muted"], ls="--", lw=1, label=r"$\lambda^*$"
    )
    ax.set(
        xlabel=r"$\lambda$",
        ylabel="final mass on the modal token",
        title=f"p = {p:g}, b = {b:g}, c = {c:g}",
    )
    ax.legend(fontsize=8)
    return fig


def sweep_rows(sweep: PolicySweep) -> list[str]:
    """Text rows: predicted lambda* against the first lambda whose run ends clipped, and the
    largest gap to the fixed point below lambda*."""
    clipped = sweep.clip_fraction > 1e-3
    first = float(sweep.lams[np.argmax(clipped)]) if clipped.any() else float("inf")
    below = sweep.lams < sweep.lambda_star
    gap = float(np.max(np.abs(sweep.modal_mass - sweep.fixed_point)[below])) if below.any() else 0.0
    return [
        f"predicted lambda* (K-ary closed form):    {sweep.lambda_star:.3f}",
        f"first lambda ending clipped (trained):    {first:.3f}",
        f"max |trained - fixed point| below lambda*: {gap:.1e}",
    ]


# ----------------------------------------------------------------------------------------------
# The validity model (§8)
# ----------------------------------------------------------------------------------------------
def plot_validity_model(p, b, L: int, runs: dict, budgets: tuple[int, ...]) -> object:
    """Left: validity of the fixed point (line) and of the expected dynamics at the end of long
    runs for each clip definition (points). Right: the PPO-clipped dynamics after each budget of
    outer steps: the cliff moves towards the fixed point's as the budget grows."""
    from ..plotting import COLORS, CYCLE, figure
    from .validity_model import validity, validity_cliff

    prev = runs["previous"]
    for T in budgets:
        if not (isinstance(T, (int, np.integer)) and 0 <= T <= prev.steps[-1]):
            raise ValueError(
                f"budgets must be integers in [0, {int(prev.steps[-1])}] (the run's steps), "
                f"got {budgets!r}"
            )
    fig, (a1, a2) = figure(2, width=10.0, height=3.5)
    a1.plot(prev.lams, validity(p, b, prev.lams, L), color=COLORS["theory"], lw=2,
            label="fixed point")  # fmt: skip
    markers = {"previous": "o", "base": "s", "base-symmetric": "x"}
    for i, (name, run) in enumerate(runs.items()):
        a1.plot(run.lams[::3], run.validity[::3, -1], markers[name], ms=4, color=CYCLE[i + 1],
                label=f"clip: {name}")  # fmt: skip
    a1.set(xlabel=r"$\lambda$", ylabel="validity V", ylim=(0, 1.02),
           title=f"L = {L} positions, long runs")  # fmt: skip
    a1.legend(fontsize=7)
    cliff = validity_cliff(p, b, L)
    for i, T in enumerate(budgets):
        j = int(np.searchsorted(prev.steps, T))
        a2.plot(prev.lams, prev.validity[:, j], color=CYCLE[i], label=f"after {T} steps")
    for ax in (a1, a2):
        ax.axvline(cliff, color=COLORS["muted"], ls="--", lw=1)
    a2.set(xlabel=r"$\lambda$", ylabel="validity V", ylim=(0, 1.02),
           title="PPO clip (previous policy): finite budgets")  # fmt: skip
    a2.legend(fontsize=7)
    return fig


def plot_validity_training(run, cliff: float) -> object:
    """The torch experiment: validity (mean ± std over seeds) against lambda at the end of
    training, the sampled parse rate, and the fixed point's cliff (dashed)."""
    from ..plotting import COLORS, figure

    fig, (ax,) = figure(1, width=6.5, height=3.4)
    v = run.validity[:, :, -1]
    ax.plot(run.lams, v.mean(0), color=COLORS["experiment"], label="validity, mean over seeds")
    ax.fill_between(run.lams, v.mean(0) - v.std(0), v.mean(0) + v.std(0),
                    color=COLORS["experiment"], alpha=0.2, lw=0)  # fmt: skip
    ax.plot(run.lams, run.parse_rate.mean(0), "o", ms=3, color=COLORS["muted"],
            label="sampled parse rate")  # fmt: skip
    ax.axvline(cliff, color=COLORS["theory"], ls="--", lw=1, label="fixed point's cliff")
    ax.set(xlabel=r"$\lambda$", ylabel="validity", ylim=(0, 1.02),
           title=f"{run.validity.shape[0]} seeds, {int(run.steps[-1])} PPO steps")  # fmt: skip
    ax.legend(fontsize=7)
    return fig


def validity_rows(p, b, L: int, runs: dict, training, budgets: tuple[int, ...]) -> list[str]:
    """The model's thresholds, the simulator's, and (unless ``training`` is None) the torch
    experiment's onset with its spread."""
    from .simulator import simulated_cliff
    from .validity_model import validity_cliff, validity_peak

    prev = runs["previous"]
    rows = [
        f"fixed point: validity peaks at lambda = {validity_peak(p, b):.3f}, "
        f"falls to half its peak at lambda = {validity_cliff(p, b, L):.3f}",
        "expected dynamics, long runs: "
        + ", ".join(f"{k} {simulated_cliff(r):.3f}" for k, r in runs.items()),
        "PPO clip, finite budgets: "
        + ", ".join(
            f"{T} steps {simulated_cliff(prev, at=int(np.searchsorted(prev.steps, T))):.3f}"
            for T in budgets
        ),
    ]
    if training is None:
        return rows
    c = training.cliffs()
    fin = c[np.isfinite(c)]
    lo, hi = np.quantile(fin, [0.1, 0.9]) if fin.size else (np.nan, np.nan)
    mean_curve = training.validity[:, :, -1].mean(0)
    i = int(np.argmax(mean_curve))
    below = np.nonzero(mean_curve[i:] <= 0.5 * mean_curve[i])[0]
    grid = (training.lams[i + below[0] - 1], training.lams[i + below[0]]) if below.size else None
    rows.append(
        f"torch, {c.size} seeds: onset median {np.median(c):.3f} (10-90 %: {lo:.3f}-{hi:.3f}); "
        + (f"mean curve crosses half its peak in [{grid[0]:.2f}, {grid[1]:.2f}]" if grid else "")
    )
    return rows


# ----------------------------------------------------------------------------------------------
# Why the validity model's cliff is neither sharp nor placed by c (§8.4)
# ----------------------------------------------------------------------------------------------
def random_validity_instance(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """One draw of the broad family of §8.4: K in {3, ..., 6} tokens, base valid mass
    U(0.5, 0.999), teacher valid mass U(0.9, 0.9999), tails split by flat Dirichlet draws,
    L in {1, ..., 299}. Instances without a format-breaking token (all rho_y <= 1) are kept:
    callers skip them."""
    k = int(rng.integers(3, 7))
    b = rng.dirichlet(np.ones(k - 1)) * (1 - rng.uniform(0.5, 0.999))
    p = rng.dirichlet(np.ones(k - 1)) * (1 - rng.uniform(0.9, 0.9999))
    return np.r_[1 - p.sum(), p], np.r_[1 - b.sum(), b], int(rng.integers(1, 300))


def steep_validity_instance(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """One draw of the steep family of §8.4: three tokens, base valid mass U(0.93, 0.97), a
    format-breaking token the base almost never emits (b_B log-uniform in [1e-19, 1e-16]; the
    teacher's p_B log-uniform in [10^-5.5, 10^-4.5]), teacher valid mass U(0.995, 0.999),
    L in {10, ..., 40}. Callers keep the draws whose cliff lies in (1.1, 2.5)."""
    b0, b_b = rng.uniform(0.93, 0.97), 10 ** rng.uniform(-19, -16)
    p0, p_b = rng.uniform(0.995, 0.999), 10 ** rng.uniform(-5.5, -4.5)
    b = np.array([b0, 1 - b0 - b_b, b_b])
    p = np.array([p0, 1 - p0 - p_b, p_b])
    return p, b, int(rng.integers(10, 41))


def plot_cliff_overview() -> object:
    """The chapter in one picture. Left, Model 1 (§1-§6): the tail's ratio to the base at the end
    of simulated clipped runs against lambda, with the fixed point's; it follows the fixed point
    until it reaches the clip band's edge at lambda*, then jumps. Right, Model 2 (§8): parse
    validity against lambda for the steep example (a format-breaking token the base almost never
    emits) and the gradual one, fixed point (lines) and PPO-clipped expected dynamics (dots)."""
    from ..plotting import COLORS, CYCLE, figure
    from .simulator import simulate_opd, simulate_validity
    from .validity_model import validity, validity_cliff

    fig, (a1, a2) = figure(2, width=10.5, height=3.6)
    p, b, c = 0.99, 0.985, 2.0
    star = float(lambda_star(p, b, c))
    lams = np.linspace(0, 2.5, 400)
    q = extrapolated_fixed_point(p, b, lams)
    a1.semilogy(lams, (1 - q) / (1 - b), color=COLORS["theory"], lw=2, label="fixed point")
    grid = np.linspace(0.05, 2.5, 30)
    end = [1 - simulate_opd(p, b, c, x, steps=200).modal_mass[-1] for x in grid]
    a1.semilogy(grid, np.array(end) / (1 - b), "o", ms=3, color=COLORS["experiment"],
                label="clipped run, end")  # fmt: skip
    a1.axhline(1 / c, color=COLORS["muted"], ls="--", lw=1, label=f"clip edge 1/c, c = {c:g}")
    a1.axvline(star, color="k", ls=":", lw=1)
    a1.set(xlabel=r"$\lambda$", ylabel="tail mass / base tail mass",
           title=f"Model 1: clip-safety threshold $\\lambda^* = {star:.2f}$")  # fmt: skip
    a1.legend(fontsize=7)
    lv = np.round(np.arange(0.0, 2.5, 0.01), 3)
    for i, (name, (pv, bv, L)) in enumerate(
        {"steep": STEEP_EXAMPLE,
         "gradual": (np.array([0.99, 0.002, 0.008]), np.array([0.95, 0.0495, 0.0005]), 20)}.items()
    ):  # fmt: skip
        run = simulate_validity(pv, bv, lv[::5], L=L, steps=100, records=2)
        a2.plot(lv, validity(pv, bv, lv, L), color=CYCLE[i], lw=2,
                label=f"{name}: fixed point, cliff {validity_cliff(pv, bv, L):.2f}")  # fmt: skip
        a2.plot(lv[::5], run.validity[:, -1], "o", ms=3, color=CYCLE[i])
    a2.axvline(1, color=COLORS["muted"], lw=1, ls=":")
    a2.set(xlabel=r"$\lambda$", ylabel="parse validity V", ylim=(0, 1.02),
           title="Model 2: validity rises, peaks, falls")  # fmt: skip
    a2.legend(fontsize=7, title="dots: PPO-clipped runs", title_fontsize=7)
    return fig


def plot_fall_width() -> object:
    """Left: validity against lambda from the base (lambda = 0) for the gradual example of §8.1:
    the fixed point, PPO-clipped dynamics after 8 and 20 steps and converged, and sign-aware base
    clips c = 200 and 1000 (long runs); none falls faster than the fixed point; and the steep
    example's fixed point (:data:`STEEP_EXAMPLE`). Right: over random instances of the broad
    family and of the steep family (:func:`steep_validity_instance`), the fixed point's fall width
    (90 % to 10 % of the peak) against its lower bound :func:`~theorybench.extrapolation_cliff.validity_model.fall_width_bound` (every point on or above the diagonal)."""
    from ..plotting import COLORS, CYCLE, figure
    from .simulator import simulate_validity
    from .validity_model import (
        fall_width_bound,
        tail_ratios,
        validity,
        validity_fall_width,
        validity_peak,
    )

    pv, bv, L = [0.99, 0.002, 0.008], [0.95, 0.0495, 0.0005], 20
    lams = np.round(np.arange(0.0, 4.0, 0.04), 3)
    fig, (a1, a2) = figure(2, width=10.5, height=3.6)
    a1.plot(lams, validity(pv, bv, lams, L), color="k", lw=2.5, label="fixed point")
    prev = simulate_validity(pv, bv, lams, L=L, steps=60, records=61)
    for i, t in enumerate((8, 20, 60)):
        a1.plot(lams, prev.validity[:, t], color=CYCLE[i], lw=1.2,
                label=f"PPO clip, {t} steps")  # fmt: skip
    for i, c in enumerate((200.0, 1000.0)):
        run = simulate_validity(pv, bv, lams, L=L, clip="base", c=c, steps=200, records=2)
        a1.plot(lams, run.validity[:, -1], ls="--", color=CYCLE[3 + i], lw=1.2,
                label=f"base clip c = {c:g}")  # fmt: skip
    ps, bs, ls_ = STEEP_EXAMPLE
    a1.plot(lams, validity(ps, bs, lams, ls_), color=CYCLE[5], lw=2.5, ls="-.",
            label="steep example, fixed point")  # fmt: skip
    a1.axvline(1, color=COLORS["muted"], lw=1, ls=":")
    a1.set(xlabel=r"$\lambda$", ylabel="validity V", ylim=(0, 1.02),
           title=f"L = {L}: gradual and steep falls")  # fmt: skip
    a1.legend(fontsize=7)
    rng = np.random.default_rng(0)
    bound, width = [], []
    while len(bound) < 120:
        p, b, n = random_validity_instance(rng)
        _, rho = tail_ratios(p, b)
        if np.all(rho <= 1):
            continue
        v_pk = float(validity(p, b, validity_peak(p, b), n))
        bound.append(float(fall_width_bound(v_pk, np.log(rho).max(), n)))
        width.append(validity_fall_width(p, b, n))
    a2.loglog(bound, width, "o", ms=3, color=COLORS["experiment"], label="broad family")
    sb, sw = [], []
    while len(sb) < 30:
        p, b, n = steep_validity_instance(rng)
        _, rho = tail_ratios(p, b)
        v_pk = float(validity(p, b, validity_peak(p, b), n))
        sb.append(float(fall_width_bound(v_pk, np.log(rho).max(), n)))
        sw.append(validity_fall_width(p, b, n))
    a2.loglog(sb, sw, "s", ms=3, color=CYCLE[5], label="steep family (rare breaking token)")
    bound, width = bound + sb, width + sw
    ends = np.array([min(bound), max(bound)])
    a2.loglog(ends, ends, color=COLORS["theory"], label="width = bound")
    a2.set(xlabel="lower bound of §8.4", ylabel=r"fall width $\lambda_{10\%} - \lambda_{90\%}$",
           title="no fixed point falls faster than the bound")  # fmt: skip
    a2.legend(fontsize=7)
    return fig


def plot_base_clip_window() -> object:
    """Validity against lambda for the gradual example of §8.1 under a sign-aware base clip at a
    finite step (lr = 0.1, four epochs), for c = 0.7, 0.95, 1.1 and 10 times c_V, with the fixed
    point (§8.2): the clip holds the breaking token near c b_B, so validity levels off at a floor
    that falls as c grows; above c_V the run follows the fixed point down to half its peak at the
    fixed point's cliff, below c_V the floor lies near or above half the peak, and where the
    noisy finite-step curve first dips below it moves with c."""
    from ..plotting import CYCLE, figure
    from .simulator import simulate_validity
    from .validity_model import validity, validity_cliff_clip

    pv, bv, L = np.array([0.99, 0.002, 0.008]), np.array([0.95, 0.0495, 0.0005]), 20
    c_v = validity_cliff_clip(pv, bv, L)
    lams = np.round(np.arange(0.0, 3.5, 0.05), 3)
    fig, (ax,) = figure(1, width=6.0, height=3.4)
    ax.plot(lams, validity(pv, bv, lams, L), color="k", lw=2.5, label="fixed point")
    for i, f in enumerate((0.7, 0.95, 1.1, 10.0)):
        run = simulate_validity(pv, bv, lams, L=L, clip="base", c=f * c_v, steps=300, records=2)
        ax.plot(lams, run.validity[:, -1], color=CYCLE[i], lw=1.3, ls="--",
                label=f"base clip c = {f:g} $c_V$")  # fmt: skip
    peak = float(validity(pv, bv, np.array(0.8), L))
    ax.axhline(peak / 2, color="grey", lw=0.8, ls=":", label="half the peak")
    ax.set(xlabel=r"$\lambda$", ylabel="validity V", ylim=(0, 1.02),
           title=f"sign-aware base clip, $c_V$ = {c_v:.0f}")  # fmt: skip
    ax.legend(fontsize=7)
    return fig


# ----------------------------------------------------------------------------------------------
# The torch experiments over random instances of their families (§7, §8.3)
# ----------------------------------------------------------------------------------------------
def _cliff_excess(p, b, c: float, lam: float) -> float:
    """The fixed point's largest |log(pi_lambda(y)/b(y))| minus log c (> 0: outside the band)."""
    from scipy import special

    z = (1 - lam) * np.log(b) + lam * np.log(p)
    return float(np.max(np.abs(z - special.logsumexp(z) - np.log(b))) - np.log(c))


def plot_cliff_family(instances, sweeps) -> object:
    """The categorical experiment over random instances (§7): for every trained (instance,
    lambda), the fraction of sampled tokens masked at the end of training against how far the
    fixed point's largest log-ratio to the base lies outside the band (log c at 0)."""
    from ..plotting import COLORS, figure

    fig, (ax,) = figure(1, width=6.5, height=3.4)
    for i, ((p, b, c), sweep) in enumerate(zip(instances, sweeps, strict=True)):
        x = [_cliff_excess(p, b, c, lam) for lam in sweep.lams]
        ax.plot(x, sweep.clip_fraction, "o-", ms=3, lw=0.8, alpha=0.8,
                color=COLORS["experiment"], label="trained runs" if i == 0 else None)  # fmt: skip
    ax.axvline(
        0.0, color=COLORS["theory"], ls="--", lw=1, label=r"band edge ($\lambda = \lambda^*_K$)"
    )
    ax.set(xlabel=r"fixed point's largest $|\log \pi_\lambda(y)/b(y)| - \log c$",
           ylabel="masked fraction (last 10 %)",
           title=f"{len(sweeps)} random instances, one seed each")  # fmt: skip
    ax.legend(fontsize=7, loc="upper left")
    return fig


def cliff_family_rows(instances, sweeps, step: float) -> list[str]:
    """One summary line: over the instances, the first masked lambda minus lambda*_K (min /
    median / max), runs masked more than ``step`` inside the band, runs unmasked past it."""
    from .. import _checks

    step = _checks.positive(step, "step")
    firsts, early, late = [], 0, 0
    for (p, b, c), sweep in zip(instances, sweeps, strict=True):
        masked = sweep.clip_fraction > 0
        inside = np.array([_cliff_excess(p, b, c, lam) < -step for lam in sweep.lams])
        early += int(np.sum(masked & inside))
        late += int(np.sum(~masked & (sweep.lams >= sweep.lambda_star)))
        firsts.append(sweep.lams[np.argmax(masked)] - sweep.lambda_star if masked.any() else np.inf)
    f = np.array(firsts)
    return [
        f"{len(sweeps)} instances: first masked lambda - lambda*_K min {f.min():+.3f}, "
        f"median {np.median(f):+.3f}, max {f.max():+.3f}; masked inside the band: {early}, "
        f"unmasked at or past lambda*_K: {late}"
    ]


def _family_onsets(instances, runs) -> tuple[np.ndarray, np.ndarray]:
    from .simulator import onset
    from .validity_model import validity

    fixed = np.array([onset(r.lams, validity(p, b, r.lams, L))
                      for (p, b, L), r in zip(instances, runs, strict=True)])  # fmt: skip
    trained = np.array([float(r.cliffs()[0]) for r in runs])
    return fixed, trained


def plot_validity_family(instances, runs) -> object:
    """The validity experiment over random instances (§8.3). Left: trained validity (points) and
    the fixed point's (lines) against lambda for three instances. Right: every instance's
    trained onset against the fixed point's cliff read on the same grid, coloured by the base's
    mass on the breaking token; onsets past the grid sit at its top."""
    from ..plotting import COLORS, CYCLE, figure
    from .validity_model import validity

    fixed, trained = _family_onsets(instances, runs)
    fig, (a1, a2) = figure(2, width=10.0, height=3.6)
    for i, ((p, b, L), r) in enumerate(list(zip(instances, runs, strict=True))[:3]):
        a1.plot(r.lams, validity(p, b, r.lams, L), color=CYCLE[i], lw=1.5)
        a1.plot(r.lams, r.validity[0, :, -1], "o", ms=3, color=CYCLE[i], label=f"L = {L}")
    a1.set(xlabel=r"$\lambda$", ylabel="validity", ylim=(0, 1.02),
           title="fixed point (lines), trained (points)")  # fmt: skip
    a1.legend(fontsize=7)
    top = max(float(r.lams[-1]) for r in runs)
    ok = np.isfinite(fixed)  # an instance whose fixed point never halves on its grid is left out
    shown = np.where(np.isfinite(trained), trained, top)
    bB = np.array([float(b[-1]) for _, b, _ in instances])
    sc = a2.scatter(fixed[ok], shown[ok], c=np.log10(bB[ok]), cmap="viridis", s=22, zorder=3)
    lim = (min(fixed[ok].min(initial=1.0), 1.0), top + 0.05)
    a2.plot(lim, lim, color=COLORS["theory"], lw=1, ls="--", label="onset = fixed point's cliff")
    a2.set(xlabel="fixed point's cliff (same grid)", ylabel="trained onset", xlim=lim, ylim=lim,
           title=f"{len(runs)} random instances, one seed each")  # fmt: skip
    fig.colorbar(sc, ax=a2, label=r"$\log_{10}$ base mass of the breaking token")
    a2.legend(fontsize=7, loc="upper left")
    return fig


def validity_family_rows(instances, runs) -> list[str]:
    """One summary line: trained onset minus the fixed point's cliff (same grid) over the
    instances (min / median / max), and how many fell beyond the grid."""
    fixed, trained = _family_onsets(instances, runs)
    ok = np.isfinite(fixed)
    gap = trained[ok] - fixed[ok]
    fin = gap[np.isfinite(gap)]
    if fin.size == 0:
        return [
            f"{len(runs)} instances: no onset on the grid ({ok.sum()} with a fixed-point cliff)"
        ]
    return [
        f"{len(runs)} instances: onset - fixed point's cliff min {fin.min():+.3f}, median "
        f"{np.median(gap):+.3f}, max {fin.max():+.3f} ({gap.size - fin.size} beyond the grid)"
    ]
