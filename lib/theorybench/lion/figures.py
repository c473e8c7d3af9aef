"""Figures of the Lion chapter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._blas import single_blas_thread

if TYPE_CHECKING:
    from .digits import DigitsRun
    from .experiment import LogRegSweep

__all__ = [
    "plot_sweep",
    "plot_digits_box",
    "plot_digits_accuracy",
    "plot_digits_spectral",
    "digits_rows",
    "digits_comparison_rows",
    "plot_discrete_time",
    "plot_muon_limit",
    "plot_statement",
    "plot_discrete_bound",
]


def plot_sweep(res: LogRegSweep) -> Any:
    """Left: ||w_t||_inf against the step for each lam, with 1/lam dashed. Right: Lion's final
    objective against scipy's box-constrained minimum, over the radius 1/lam."""
    from ..plotting import COLORS, CYCLE, figure

    fig, (ax, axo) = figure(2, width=8.6, height=3.4)
    for i, lam in enumerate(res.lams):
        col = CYCLE[i % len(CYCLE)]
        ax.plot(res.steps, res.norms[i], color=col, label=f"λ = {lam:g}")
        ax.axhline(1 / lam, color=col, ls="--", lw=0.9)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="step $t$",
        ylabel=r"$\|w_t\|_\infty$",
        title=r"iterates enter the box $\|w\|_\infty \leq 1/\lambda$ (dashed)",
    )
    ax.legend(ncol=2, loc="center right", bbox_to_anchor=(1.0, 0.36))
    r = 1 / res.lams
    order = np.argsort(r)
    axo.plot(
        r[order],
        res.optimum[order],
        "-",
        color=COLORS["reference"],
        label="min f on the box (scipy L-BFGS-B)",
    )
    axo.plot(r, res.lion_objective, "o", color=COLORS["experiment"], label="Lion, final $f(w_T)$")
    axo.set(
        xscale="log",
        xlabel=r"box radius $1/\lambda$",
        ylabel="logistic loss",
        title="Lion's limit is the constrained optimum",
    )
    axo.legend()
    return fig


def _runs(ax, x, Y, color, label) -> None:
    """Every run faint, the median bold (the spread over seeds is the figure's point)."""
    for y in Y:
        ax.plot(x, y, color=color, lw=0.6, alpha=0.35)
    ax.plot(x, np.nanmedian(Y, 0), color=color, lw=2, label=label)


def plot_digits_box(run: DigitsRun) -> Any:
    """Sign Lion on the digits network. Left: lam ||w||_inf (largest over the tensors) against
    the step, every seed faint and the median bold, for each lam, with the phase-1 envelope
    1 + e_0 (1 - lr lam)^t dashed; 1 is the box. Right: the share of weights on the box
    boundary +-1/lam."""
    from ..plotting import COLORS, CYCLE, figure

    fig, (ax, axb) = figure(2, width=8.8, height=3.4)
    t = np.arange(run.lion[0].max_abs_weight.shape[1])
    for i, runs in enumerate(run.lion):
        col, lam = CYCLE[i % len(CYCLE)], runs.weight_decay
        _runs(ax, t, lam * runs.max_abs_weight, col, f"λ = {lam:g}")
        e0 = max(float(np.median(lam * runs.max_abs_weight[:, 0] - 1)), 0.0)
        if e0 > 0:
            envelope = 1 + e0 * (1 - runs.per_step_decay) ** t[1:]
            ax.plot(t[1:], envelope, "--", color="k", lw=0.9, zorder=3)
        _runs(axb, run.steps, runs.boundary_fraction, col, f"λ = {lam:g}")
    ax.axhline(1, color=COLORS["constraint"], lw=1.2)
    ax.set(
        xscale="symlog",
        xlim=(0, t[-1]),
        yscale="log",
        xlabel="step",
        ylabel=r"$\lambda \|w\|_\infty$",
        title="into the box no slower than the envelope (dashed)",
    )
    axb.set(
        xscale="symlog",
        xlim=(0, t[-1]),
        xlabel="step",
        ylabel="share of weights at ±1/λ",
        title="the larger λ, the more weights on the boundary",
    )
    ax.legend(loc="upper right", ncol=2)
    return fig


def _paired(a: Any, b: Any) -> str:
    d = 100 * (a.final_test_accuracy - b.final_test_accuracy)
    return f"{np.median(d):+.1f} [{d.min():+.1f}, {d.max():+.1f}]"


def plot_digits_accuracy(run: DigitsRun) -> Any:
    """Final test accuracy of sign Lion and AdamW against the per-step decay lr x weight decay
    (the same for both at each point), every seed a dot and the median a line; the two
    optimizers' best decays (by validation accuracy) are ringed. Right: Muon's final test
    accuracy against its lam, beside."""
    from ..plotting import COLORS, figure

    fig, (ax, axm) = figure(2, width=8.8, height=3.3)
    for runs, col, label in ((run.lion, COLORS["experiment"], "Lion"),
                             (run.adamw, COLORS["reference"], "AdamW")):  # fmt: skip
        rho = np.array([r.per_step_decay for r in runs])
        acc = np.array([r.final_test_accuracy for r in runs])
        for k in range(acc.shape[1]):
            ax.plot(rho, acc[:, k], ".", color=col, alpha=0.4, ms=4)
        ax.plot(rho, np.median(acc, 1), "-o", color=col, ms=4, label=label)
        best = max(range(len(runs)), key=lambda i: float(np.median(runs[i].validation_accuracy)))
        ax.plot(rho[best], np.median(acc[best]), "o", ms=11, mfc="none", color=col)
    ax.set(
        xscale="log",
        ylim=(0, 1.02),
        xlabel="per-step decay lr × weight decay",
        ylabel="test accuracy",
        title=f"matched per-step decay ({run.n_test} test images)",
    )
    ax.legend(loc="lower left")
    lams = np.array([r.weight_decay for r in run.muon])
    acc = np.array([r.final_test_accuracy for r in run.muon])
    for k in range(acc.shape[1]):
        axm.plot(lams, acc[:, k], ".", color=COLORS["theory"], alpha=0.4, ms=4)
    axm.plot(lams, np.median(acc, 1), "-o", color=COLORS["theory"], ms=4, label="Muon")
    axm.set(
        xscale="log", ylim=(0, 1.02), xlabel="Muon's λ", title="Muon (Lion-K, K = nuclear norm)"
    )
    axm.legend(loc="lower left")
    return fig


def plot_digits_spectral(run: DigitsRun) -> Any:
    """lam ||W||_op of every weight matrix against the step, for Muon, sign Lion and AdamW at
    one lam each (Muon's and Lion's lam; AdamW at Lion's per-step decay), every seed and matrix
    faint; Muon's constraint is lam ||W||_op <= 1."""
    from ..plotting import COLORS, figure

    lam = float(run.muon_lams[min(1, len(run.muon) - 1)])
    muon = run.muon[list(run.muon_lams).index(lam)]
    i = int(np.argmin(np.abs(run.lams - lam)))
    fig, axes = figure(3, width=9.5, height=3.1)
    for ax, runs, col, name in ((axes[0], muon, COLORS["theory"], "Muon"),
                                (axes[1], run.lion[i], COLORS["experiment"], "Lion"),
                                (axes[2], run.adamw[i], COLORS["reference"], "AdamW")):  # fmt: skip
        scaled = lam * runs.spectral_norms  # (seeds, records, matrices)
        for s in range(scaled.shape[0]):
            for j in range(scaled.shape[2]):
                ax.plot(run.steps, scaled[s, :, j], color=col, lw=0.7, alpha=0.5)
        ax.axhline(1, color=COLORS["constraint"], lw=1.2)
        decay = "wd" if name == "AdamW" else "λ"
        ax.set(xscale="symlog", xlim=(0, run.steps[-1]), xlabel="step",
               title=f"{name} ({decay} = {runs.weight_decay:.3g})")  # fmt: skip
    axes[0].set_ylabel(rf"$\lambda \|W\|_{{op}}$ with λ = {lam:g}")
    return fig


def digits_rows(run: DigitsRun) -> list[str]:
    """One line per Lion lam: the phase-1 entry step (lam ||w||_inf <= 1 + 1e-3) over the seeds
    against the envelope's bound, and whether the excess lam ||w||_inf - 1 grew beyond the
    contraction (1 - lr lam) at any step (beyond float64 rounding; never, if the theory holds:
    the box, once reached, is kept)."""
    from .digits import ROUNDING, phase_stats

    rows = []
    for runs in run.lion:
        ps = phase_stats(runs)
        m, b = ps.entry_step, ps.entry_bound
        grew = int((ps.contraction_excess > ROUNDING).sum())
        rows.append(
            f"lam = {runs.weight_decay:4g}: entry step {int(np.nanmin(m))}-{int(np.nanmax(m))} "
            f"(bound {int(b.min())}-{int(b.max())}), excess grew in {grew} of {len(m)} seeds"
        )
    return rows


def _spread(values: Any) -> str:
    """min-max of values, 1 decimal."""
    return f"{np.min(values):.1f}-{np.max(values):.1f}"


def digits_comparison_rows(run: DigitsRun) -> list[str]:
    """Median final test accuracy (in %) of Lion and AdamW at each matched per-step decay, with
    the paired difference Lion - AdamW over seeds (median [min, max], in points) and how far
    out AdamW's weights end (lam max|w|, min-max over seeds; Lion's box is lam max|w| <= 1),
    then each at its best decay (by validation accuracy; AdamW's sweep includes the lower
    decays ``run.adamw_low``), then Muon's largest lam ||W||_op at the end."""

    def pct(runs: Any) -> str:
        return f"{100 * np.median(runs.final_test_accuracy):.1f} %"

    rows = []
    for lion_runs, adamw_runs in zip(run.lion, run.adamw, strict=True):
        rows.append(
            f"decay/step {lion_runs.per_step_decay:.4f} (Lion lam {lion_runs.weight_decay:g}, "
            f"AdamW wd {adamw_runs.weight_decay:.3g}): Lion {pct(lion_runs)}, AdamW "
            f"{pct(adamw_runs)}, paired {_paired(lion_runs, adamw_runs)} points; AdamW's "
            f"lam max|w| at the end {_spread(lion_runs.weight_decay * adamw_runs.max_abs_weight[:, -1])}"
        )
    bl, ba = run.best("lion"), run.best("adamw")
    rows.append(
        f"best decays: Lion lam {bl.weight_decay:g} {pct(bl)}, AdamW wd {ba.weight_decay:.3g} "
        f"{pct(ba)}, paired {_paired(bl, ba)} points ({run.n_test} test images, 1 image = "
        f"{100 / run.n_test:.2f} points)"
    )
    for runs in run.muon:
        worst = float((runs.weight_decay * runs.spectral_norms[:, -1]).max())
        rows.append(
            f"Muon lam {runs.weight_decay:g}: max lam ||W||_op at the end {worst:.4f} "
            f"(every matrix, {runs.spectral_norms.shape[0]} seeds), test accuracy {pct(runs)}"
        )
    return rows


def _quadratic(d: int, seed: int, shift: float) -> tuple[Any, Any, Any]:
    """f(x) = 1/2 (x - c)' A (x - c) with A = B B'/d + 0.2 I, B and c/shift standard normal."""
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((d, d))
    A = B @ B.T / d + 0.2 * np.eye(d)
    c = rng.standard_normal(d) * shift

    def f(x, c=c):
        return 0.5 * (x - c) @ A @ (x - c)

    def grad(x, c=c):
        return A @ (x - c)

    return f, grad, A


@single_blas_thread
def plot_discrete_time() -> Any:
    """§4.1 on a 4-D quadratic with its optimum inside the box, for constant-step sign Lion with
    the weight decay taken implicitly. Left: H along the run, the steps where it rose marked.
    Middle: the summed dissipation sum_t lr (T1 + T2) against its telescoped bound
    H_0 - H_T + sum_t alpha L/2 ||dx||^2. Right: the chatter, chatter_amplitude against the
    step, for that problem and one whose constraint binds, with slope 1 dashed."""
    from ..plotting import COLORS, CYCLE, figure
    from .constrained import constrained_optimum
    from .discrete import chatter_amplitude
    from .ode import discrete_lyapunov_run

    lrs, lam = (1e-2, 3e-3, 1e-3), 1.0
    fig, (a1, a2, a3) = figure(3, width=10.5, height=3.3)
    f, grad, A = _quadratic(4, 0, 0.3)
    L = float(np.linalg.eigvalsh(A).max())
    lr = lrs[0]
    run = discrete_lyapunov_run(f, grad, np.zeros(4), np.zeros(4), steps=600, lr=lr, lam=lam,
                                smoothness=L)  # fmt: skip
    H = run.H
    up = np.flatnonzero(np.diff(H) > 0)
    a1.plot(np.arange(H.size), H - H.min() + 1e-6, color=COLORS["theory"], lw=1)
    a1.plot(up, H[up] - H.min() + 1e-6, ".", ms=3, color=COLORS["experiment"],
            label=f"{up.size} steps where H rose")  # fmt: skip
    a1.set(yscale="log", xlabel="step", ylabel=r"$H_t - \min H$ (+$10^{-6}$)",
           title=f"sign Lion, constant step {lr:g}")  # fmt: skip
    a1.legend(fontsize=7)
    t = np.arange(1, H.size)
    a2.plot(t, np.cumsum(run.dissipation), color=COLORS["experiment"],
            label=r"$\sum_{s<t} \eta (T_1 + T_2)$")  # fmt: skip
    a2.plot(t, H[0] - H[1:] + np.cumsum(run.allowance), "--", color=COLORS["theory"],
            label=r"$H_0 - H_t + \sum_{s<t} \frac{\alpha L}{2}\|\Delta x_s\|^2$")  # fmt: skip
    a2.set(xlabel="step t", title="the summed bound of Theorem 4.1")
    a2.legend(fontsize=7)
    problems = [_quadratic(4, i + 1, shift) for i, shift in enumerate((0.3, 2.0))]
    x_opt = np.concatenate([constrained_optimum(f, g, np.zeros(4), lam) for f, g, _ in problems])

    def grad_both(x):  # the two problems side by side: sign Lion runs them as one (blocks=2)
        return np.concatenate([g(x[4 * i : 4 * i + 4]) for i, (_, g, _) in enumerate(problems)])

    amps = np.array([chatter_amplitude(grad_both, np.zeros(8), x_opt, lr=r, lam=lam,
                                       horizon=40, window=10, blocks=2) for r in lrs]).T  # fmt: skip
    for i, amp in enumerate(amps):
        a3.plot(lrs, amp, "o-", color=CYCLE[i],
                label="optimum inside the box" if i == 0 else "constraint active")  # fmt: skip
    a3.plot(lrs, lrs, "--", color="k", lw=0.8, label="slope 1")
    a3.set(xscale="log", yscale="log", xlabel="step size",
           ylabel=r"mean $\|x_t - x^\star\|_\infty$", title="the chatter shrinks with the step")  # fmt: skip
    a3.legend(fontsize=7)
    return fig


@single_blas_thread
def plot_muon_limit() -> Any:
    """Muon as Lion-K with K the nuclear norm on a 3 x 2 matrix quadratic whose unconstrained
    minimiser has spectral norm above 1/lam. Left: the singular values of X_t against the step
    (decaying step size), with 1/lam; right: the distance of X_t to the minimiser of f on the
    spectral-norm ball ||X||_op <= 1/lam found by projected gradient (an independent solver)."""
    from ..plotting import COLORS, CYCLE, figure
    from .constrained import constrained_optimum
    from .discrete import lion_run
    from .kappa import Kappa

    lam, steps = 1.5, 6000
    k = Kappa("nuclear", shape=(3, 2))
    f, grad, _ = _quadratic(6, 6, 1.0)
    lrs = 0.01 * (1 - np.arange(steps) / steps)
    tr = lion_run(grad, np.zeros(6), steps=steps, lr=lrs, lam=lam, kappa=k)
    x_opt = constrained_optimum(f, grad, np.zeros(6), lam, k)
    sv = np.linalg.svd(tr.xs.reshape(-1, 3, 2), compute_uv=False)
    fig, (a1, a2) = figure(2, width=8.6, height=3.2)
    t = np.arange(steps + 1)
    for j in range(2):
        a1.plot(t, sv[:, j], color=CYCLE[j], label=f"$\\sigma_{j + 1}(X_t)$")
    a1.axhline(1 / lam, color=COLORS["constraint"], lw=1.2, label="1/λ")
    a1.set(xscale="symlog", xlim=(0, steps), xlabel="step", ylabel="singular value",
           title="Muon: the largest singular value stops at 1/λ")  # fmt: skip
    a1.legend(fontsize=8)
    dist = np.linalg.norm(tr.xs - x_opt, axis=1)
    a2.plot(t[1:], dist[1:], color=COLORS["experiment"])
    a2.set(xscale="log", yscale="log", xlabel="step", ylabel=r"$\|X_t - X^\star\|_F$",
           title="to the constrained optimum (projected gradient)")  # fmt: skip
    return fig


@single_blas_thread
def plot_statement() -> Any:
    """The chapter's result in one picture: sign Lion (lam = 1) on the explorer's 2-D quadratic.
    Left: the iterates enter the box ||x||_inf <= 1 and settle at the minimiser of f on the box
    (scipy); right: H(x_t, m_t), infinite until the iterates are inside, then falling, up to
    rises of order lr once the iterates chatter near the optimum (constant step)."""
    from ..plotting import COLORS, figure
    from .interactive import EXPLORER_X0, explorer_frame, explorer_problem

    fr = explorer_frame(1.0, 0.9, 0.99, 0.01, "l1")
    f, _ = explorer_problem()
    fig, (ax, axh) = figure(2, width=8.6, height=3.4)
    g = np.linspace(-3, 3, 121)
    ax.contour(g, g, f(np.stack(np.meshgrid(g, g), -1)), levels=14, colors=COLORS["muted"],
               linewidths=0.6)  # fmt: skip
    ax.plot(
        *fr["outline"].T,
        color=COLORS["constraint"],
        lw=2,
        label=r"box $\|x\|_\infty \leq 1/\lambda$",
    )
    ax.plot(*fr["xs"].T, color=COLORS["experiment"], lw=1, label="sign Lion's iterates")
    ax.plot(*EXPLORER_X0, "o", color=COLORS["experiment"], ms=5)
    ax.plot(*fr["optimum"], "*", color=COLORS["reference"], ms=13, label="min f on the box (scipy)")
    ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="upper right", fontsize=7)
    axh.plot(fr["t"], fr["H"], color=COLORS["theory"])
    axh.axvline(fr["entry_t"], color=COLORS["constraint"], ls="--", lw=1, label="enters the box")
    axh.set(xscale="log", xlabel=r"$t$ = step $\times$ lr", ylabel="$H(x_t, m_t)$",
            title="H: infinite outside the box, then falling")  # fmt: skip
    axh.legend(loc="upper right")
    return fig


@single_blas_thread
def plot_discrete_bound() -> Any:
    """§4.1, sign Lion with the weight decay taken implicitly, constant step 0.01, on a 4-D
    quadratic with its optimum inside the box. Left: H_t with the steps where it rose; right:
    the summed dissipation against the telescoped bound of Theorem 4.1."""
    from ..plotting import COLORS, figure
    from .ode import discrete_lyapunov_run

    f, grad, A = _quadratic(4, 0, 0.3)
    run = discrete_lyapunov_run(f, grad, np.zeros(4), np.zeros(4), steps=600, lr=0.01, lam=1.0,
                                smoothness=float(np.linalg.eigvalsh(A).max()))  # fmt: skip
    fig, (a1, a2) = figure(2, width=8.6, height=3.2)
    H = run.H
    up = np.flatnonzero(np.diff(H) > 0)
    a1.plot(np.arange(H.size), H - H.min() + 1e-6, color=COLORS["theory"], lw=1)
    a1.plot(up, H[up] - H.min() + 1e-6, ".", ms=3, color=COLORS["experiment"],
            label="steps where H rose")  # fmt: skip
    a1.set(yscale="log", xlabel="step", ylabel=r"$H_t - \min H$ (+$10^{-6}$)",
           title="H falls, up to small rises near the optimum")  # fmt: skip
    a1.legend(fontsize=7)
    t = np.arange(1, H.size)
    a2.plot(t, np.cumsum(run.dissipation), color=COLORS["experiment"],
            label=r"$\sum_{s<t} \eta\,(T_1 + T_2)$")  # fmt: skip
    a2.plot(t, H[0] - H[1:] + np.cumsum(run.allowance), "--", color=COLORS["theory"],
            label=r"$H_0 - H_t + \sum_{s<t} \frac{\alpha L}{2}\|x_{s+1} - x_s\|^2$")  # fmt: skip
    a2.set(xlabel="step t", title="the summed bound")
    a2.legend(fontsize=7)
    return fig
