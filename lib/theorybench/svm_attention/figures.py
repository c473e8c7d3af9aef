"""Figures and printed rows of the Attention = SVM chapter."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..stats import spread
from ..training import TrainConfig
from .experiment import DirectionStats, OverparamResult, RankGrid, train_gd
from .model import att_svm, attention_loss, optimal_tokens, selection_loss, synthetic_instance

__all__ = [
    "plot_2d_picture",
    "plot_direction_stats",
    "direction_rows",
    "plot_spectra",
    "plot_overparam",
    "overparam_rows",
    "plot_rank_grid",
    "figure_token_selection",
    "RAY_INSTANCE",
    "ray_selections",
    "figure_ray_loss",
    "SPECTRA_INSTANCE",
    "figure_svm_spectra",
]

_STYLE = {("W", "self"): ("-", 0), ("W", "cross"): ("--", 0), ("KQ", "self"): ("-", 1),
          ("KQ", "cross"): ("--", 1)}  # fmt: skip


def _label(st: DirectionStats) -> str:
    return f"{'W' if st.param == 'W' else '(K, Q)'}, {st.query}-attention"


def plot_2d_picture(seed: int = 30, steps: int = 400) -> object:
    """One sample with five unit tokens in the plane (d = 2): points coloured by score, the
    optimal token starred, the Att-SVM direction u = W^mm z with its margin lines (solid through
    the optimal token, dashed through the support tokens), and the directions W(t) z that
    normalised GD takes. The default seed draws five well-separated tokens whose best score stands
    clear of the others, so no marker hides another and the two margin lines lie apart."""
    from .._checks import integer_at_least
    from ..plotting import COLORS, figure

    rng = np.random.default_rng(integer_at_least(seed, "seed", 0))
    steps = integer_at_least(steps, "steps", 1)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 5))
    X = np.stack([np.cos(angles), np.sin(angles)], 1)[None]
    v = np.array([1.0, 0.3]) / np.linalg.norm([1.0, 0.3])
    Y, Z = np.array([1.0]), X[:, 0].copy()
    gamma, opt = optimal_tokens(X, Y, v)
    sol = att_svm(X, Z, opt)
    run = train_gd(X, Y, Z, v, train=TrainConfig(steps=steps, lr=0.1))
    u = sol.W @ Z[0]
    fig, (ax,) = figure(1, width=5.2, height=4.6)
    sc = ax.scatter(X[0, :, 0], X[0, :, 1], c=gamma[0], cmap="viridis", s=60, zorder=3)
    fig.colorbar(sc, ax=ax, label=r"score $\gamma_t = Y v^\top x_t$")
    xo = X[0, opt[0]]
    ax.plot(*xo, "*", ms=18, color=COLORS["experiment"], zorder=4, label="opt token")
    ax.annotate(
        "",
        xy=xo + u / np.linalg.norm(u) * 0.6,
        xytext=xo,
        arrowprops={"arrowstyle": "->", "color": COLORS["theory"], "lw": 2},
    )
    perp = np.array([-u[1], u[0]]) / np.linalg.norm(u)
    for level, style in ((0.0, "-"), (1.0, "--")):
        base = xo - level * u / (u @ u)
        ax.plot(
            *np.stack([base - 2 * perp, base + 2 * perp]).T, color=COLORS["theory"], ls=style, lw=1
        )
    picks = np.unique(np.linspace(1, len(run.steps) - 1, 6).astype(int))
    for j, k in enumerate(picks):
        w = run.W[0, k] @ Z[0]
        if np.linalg.norm(w) > 0:
            ax.plot(
                *np.stack([xo, xo + 0.5 * w / np.linalg.norm(w)]).T,
                color="k",
                alpha=0.2 + 0.8 * j / max(1, len(picks) - 1),
                lw=1.5,
            )
    ax.set(
        xlim=(-1.6, 1.6),
        ylim=(-1.6, 1.6),
        aspect="equal",
        title="tokens, SVM direction (blue), GD directions (grey)",
    )
    ax.legend(loc="lower left", fontsize=8)
    return fig


def plot_direction_stats(stats: Sequence[DirectionStats]) -> object:
    """The authors' direction figure as statistics: mean ± one standard deviation over instances
    of the correlation with the Att-SVM of the selected tokens (Frobenius for W, nuclear for
    (K, Q)) and of the softmax mass on the selected token, against the GD step."""
    from ..plotting import COLORS, figure

    fig, (a1, a2) = figure(2, width=10.0, height=3.4)
    colors = (COLORS["experiment"], COLORS["theory"])
    for st in stats:
        ls, c = _STYLE[(st.param, st.query)]
        t = np.maximum(st.steps, 1)
        for ax, y in ((a1, st.correlation), (a2, st.selected_probability)):
            m, sd = np.nanmean(y, 0), np.nanstd(y, 0)
            ax.plot(t, m, ls=ls, color=colors[c], label=_label(st))
            ax.fill_between(t, m - sd, np.minimum(m + sd, 1), color=colors[c], alpha=0.12, lw=0)
    n = stats[0].instances
    a1.set(
        xscale="log",
        ylim=(-0.1, 1.02),
        xlabel="GD step t",
        ylabel="correlation with the Att-SVM",
        title=f"direction (mean ± std, {n} instances)",
    )
    a2.set(xscale="log", ylim=(0, 1.02), xlabel="GD step t", ylabel="softmax mass on selected token",
           title="attention selects one token")  # fmt: skip
    a1.legend(fontsize=8, loc="lower right")
    return fig


def direction_rows(stats: Sequence[DirectionStats]) -> list[str]:
    """One row per setting: the global / locally optimal / neither breakdown and the spread of
    the final correlation with the Att-SVM (and, for (K, Q), with the Frobenius one)."""
    rows = []
    for st in stats:
        c = st.counts()
        row = (f"{_label(st)}: global {c['global']}, local {c['local']}, neither {c['neither']}; "
               f"correlation {spread(st.final())}")  # fmt: skip
        if st.param == "KQ":
            row += f"; with the Frobenius SVM: median {np.nanmedian(st.correlation_fro[:, -1]):.3f}"
        rows.append(row)
    return rows


def plot_spectra(w_stats: DirectionStats, kq_stats: DirectionStats) -> object:
    """Normalised singular values (mean ± std over instances) of W after GD on W, of K Q' after
    GD on (K, Q), and of the nuclear-norm Att-SVM: (K, Q) is low rank like the nuclear norm."""
    from ..plotting import COLORS, figure

    def normalised(Ms):
        s = np.linalg.svd(Ms[np.all(np.isfinite(Ms), axis=(1, 2))], compute_uv=False)
        return s / np.linalg.norm(s, axis=1, keepdims=True)

    fig, (ax,) = figure(1, width=6.5, height=3.3)
    series = (
        (normalised(w_stats.W), "GD on W", COLORS["muted"], -0.27),
        (normalised(kq_stats.W), "GD on (K, Q)", COLORS["experiment"], 0.0),
        (normalised(kq_stats.svm_W), "nuclear-norm SVM", COLORS["theory"], 0.27),
    )
    for s, label, color, off in series:
        k = np.arange(1, s.shape[1] + 1)
        ax.bar(k + off, s.mean(0), yerr=s.std(0), width=0.27, color=color, label=label)
    ax.set(xlabel="singular value index", ylabel=r"$\sigma_k / \|\sigma\|$",
           title=f"{kq_stats.query}-attention, {kq_stats.instances} instances")  # fmt: skip
    ax.legend()
    return fig


def plot_overparam(res: OverparamResult) -> object:
    """Fraction of instances reaching the global Att-SVM against d, with Wilson 95 % intervals
    and the fitted logistic trend in log d."""
    from ..plotting import COLORS, figure

    fig, (ax,) = figure(1, width=5.8, height=3.4)
    f = res.fractions
    ax.errorbar(res.ds, f, yerr=[f - res.lo, res.hi - f], fmt="o", capsize=3,
                color=COLORS["experiment"], label="measured (95 % Wilson)")  # fmt: skip
    grid = np.geomspace(res.ds.min(), res.ds.max(), 100)
    ax.plot(
        grid, res.trend.predict(np.log(grid)), color=COLORS["theory"], label="logistic fit in log d"
    )
    ax.set(xscale="log", xlabel="embedding dimension d", ylabel="fraction global", ylim=(0, 1.05),
           title=f"{res.instances} instances per d")  # fmt: skip
    ax.set_xticks(res.ds, [str(int(d)) for d in res.ds])
    ax.legend(fontsize=8, loc="lower right")
    return fig


def overparam_rows(res: OverparamResult) -> list[str]:
    """The fractions with their intervals, and the logistic slope with its interval."""
    rows = [f"d = {int(d):>2}: {f:.2f} [{lo:.2f}, {hi:.2f}]"
            for d, f, lo, hi in zip(res.ds, res.fractions, res.lo, res.hi, strict=True)]  # fmt: skip
    tr = res.trend
    rows.append(f"logistic slope in log d: {tr.slope:.2f} [{tr.slope_lo:.2f}, {tr.slope_hi:.2f}]")
    return rows


def plot_rank_grid(grid: RankGrid) -> object:
    """Mean effective rank of the Frobenius (dashed) and nuclear-norm (solid) Att-SVM of the
    optimal tokens against d, one colour per (n, T)."""
    from ..plotting import figure

    fig, (ax,) = figure(1, width=6.5, height=3.4)
    cmap = __import__("matplotlib").colormaps["viridis"]
    pairs = [(i, j) for i in range(grid.ns.size) for j in range(grid.Ts.size)]
    for k, (i, j) in enumerate(pairs):
        color = cmap(k / max(1, len(pairs) - 1) * 0.9)
        label = f"n = {int(grid.ns[i])}, T = {int(grid.Ts[j])}"
        ax.plot(grid.ds, grid.rank_fro[i, j], "--", color=color)
        ax.plot(grid.ds, grid.rank_nuc[i, j], "o-", ms=3, color=color, label=label)
    ax.plot(grid.ds, grid.ds, ":", color="grey", lw=1, label="rank = d")
    ax.set(xlabel="d", ylabel="mean effective rank",
           title=f"solid: nuclear norm, dashed: Frobenius ({grid.instances} per cell)")  # fmt: skip
    ax.legend(fontsize=7, ncol=2)
    return fig


def figure_token_selection() -> object:
    """The theory page's opening figure (build time, < 3 s): :func:`plot_2d_picture` at its
    defaults, one sample of five tokens in the plane, the Att-SVM direction and GD's directions."""
    return plot_2d_picture()


#: the instance of :func:`figure_ray_loss`: ``synthetic_instance(4, 6, 8, seed=4, query="cross")``
RAY_INSTANCE = {"n": 4, "T": 6, "d": 8, "seed": 4, "query": "cross"}


def ray_selections() -> dict[str, np.ndarray]:
    """The two selections of :func:`figure_ray_loss` on :data:`RAY_INSTANCE`: the optimal tokens,
    and a locally optimal selection (sample 3 attends to token 2 instead); the test suite checks
    that the second is locally optimal."""
    X, Y, _, v = synthetic_instance(**RAY_INSTANCE)
    opt = optimal_tokens(X, Y, v)[1]
    local = opt.copy()
    local[3] = 2
    return {"optimal tokens": opt, "a locally optimal selection": local}


def figure_ray_loss() -> object:
    """The loss along the rays R W^mm_alpha / ||W^mm_alpha|| (R = ||W||) of two selections alpha
    (§3): both fall all the way, each towards its own limit L_alpha (dashed), never reached; only
    the optimal selection's limit is the infimum of the loss."""
    from ..plotting import COLORS, figure

    X, Y, Z, v = synthetic_instance(**RAY_INSTANCE)
    R = np.linspace(0.0, 25.0, 100)
    fig, (ax,) = figure(1, width=5.8, height=3.4)
    colors = (COLORS["theory"], COLORS["experiment"])
    for (name, alpha), color in zip(ray_selections().items(), colors, strict=True):
        W = att_svm(X, Z, alpha).W
        W = W / np.linalg.norm(W)
        ax.plot(R, [attention_loss(X, Y, v, Z, r * W) for r in R], color=color, label=name)
        ax.axhline(selection_loss(X, Y, v, alpha), color=color, ls="--", lw=1)
    ax.set(xlabel=r"$R = \|W\|_F$ along the SVM direction", ylabel=r"loss $\mathcal{L}(W)$",
           title=r"loss along two SVM directions; dashed: their limits $L_\alpha$")  # fmt: skip
    ax.legend(fontsize=8)
    return fig


#: the instance of :func:`figure_svm_spectra`: ``synthetic_instance(6, 8, 10, seed=4)``
SPECTRA_INSTANCE = {"n": 6, "T": 8, "d": 10, "seed": 4}


def figure_svm_spectra() -> object:
    """The singular values of the Frobenius and the nuclear-norm Att-SVM of one instance's optimal
    tokens (§5), each divided by its largest: the nuclear norm concentrates on a few directions,
    the Frobenius norm spreads over all d."""
    from ..plotting import COLORS, figure

    X, Y, Z, v = synthetic_instance(**SPECTRA_INSTANCE)
    opt = optimal_tokens(X, Y, v)[1]
    fig, (ax,) = figure(1, width=5.8, height=3.2)
    k = np.arange(1, X.shape[2] + 1)
    for norm, color, ls, name in (("fro", COLORS["theory"], "--", "Frobenius"),
                                  ("nuc", COLORS["experiment"], "-", "nuclear norm")):  # fmt: skip
        s = np.linalg.svd(att_svm(X, Z, opt, norm=norm).W, compute_uv=False)
        ax.semilogy(k, np.maximum(s / s[0], 1e-12), ls, marker="o", ms=4, color=color,
                    label=f"{name} Att-SVM")  # fmt: skip
    ax.set(xlabel="index of the singular value", ylabel="singular value / largest",
           ylim=(1e-10, 2), title="singular values of the two Att-SVMs (d = 10)")  # fmt: skip
    ax.legend(fontsize=8)
    return fig
