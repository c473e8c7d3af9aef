r"""Saddle-to-saddle dynamics of linear networks from small initialisation.

Sources: Saxe, McClelland & Ganguli 2014, "Exact solutions to the nonlinear dynamics of learning
in deep linear neural networks" (arXiv 1312.6120) [SMG14]; Jacot et al. 2021, "Saddle-to-saddle
dynamics in deep linear networks" (arXiv 2106.15933); Zhang, Saxe & Latham 2026, "Saddle-to-Saddle
Dynamics Explains A Simplicity Bias Across Neural Network Architectures" (arXiv 2512.20607).
Theory page: ``theory/saddle_to_saddle.md`` (cited as §N).

Setting (§1): whitened inputs (E x x' = I), teacher map M = U diag(s) V' with s_1 > s_2 > ...,
population loss L = 1/2 ||M - W_L ... W_1||_F^2, gradient flow tau dW/dt = -grad L (tau = 1/lr in
units of GD steps). From the small, balanced, aligned initialisation W_1 = sigma Q_1 V',
W_l = sigma Q_l Q_{l-1}' and W_L = sigma U Q_{L-1}' (Q_l orthogonal), the modes decouple: the
strength u_k = u_k' W v_k of mode k evolves alone (§2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate

from ._checks import positive as _positive

__all__ = [
    "LinearRun",
    "Plateaus",
    "deep_escape_time",
    "deep_mode_trajectory",
    "effective_initial_strength",
    "experiment_rows",
    "experiment_size",
    "explorer",
    "loss_curve",
    "detect_plateaus",
    "learning_times",
    "mode_trajectory",
    "plateau_losses",
    "plot_experiment",
    "steepest_fraction",
    "steepest_descent_times",
    "teacher",
    "train_linear_network",
]

Array = NDArray[np.float64]


def _spectrum(s: ArrayLike, *, strictly_decreasing: bool = False) -> Array:
    s = np.asarray(s, dtype=float)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(
            f"s (teacher singular values) must be a non-empty 1-D array, got {s.shape}"
        )
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError("s (teacher singular values) must be finite and > 0")
    if strictly_decreasing and np.any(np.diff(s) >= 0):
        raise ValueError("s (teacher singular values) must be strictly decreasing")
    return s


# ----------------------------------------------------------------------------------------------
# Closed forms, two-layer network (§2-3)
# ----------------------------------------------------------------------------------------------
def mode_trajectory(t: ArrayLike, s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """u_k(t) = s_k e^{2 s_k t/tau} / (e^{2 s_k t/tau} - 1 + s_k/u0)  ([SMG14]; §2, eq. s2s-u).

    The solution of tau du/dt = 2 u (s - u), u(0) = u0 (two layers, balanced). Returns an array of
    shape (len(t), len(s)); computed as s / (1 + (s/u0 - 1) e^{-2 s t/tau}) so that it never
    overflows for long times or tiny u0.
    """
    s = _spectrum(s)
    _positive(u0, "u0")
    _positive(tau, "tau")
    if np.any(s <= u0):
        raise ValueError(f"u0 must be smaller than every s_k (small initialisation), got u0={u0}")
    t = np.atleast_1d(np.asarray(t, dtype=float))[:, None]
    return s / (1 + np.exp(np.log(s / u0 - 1) - 2 * s * t / tau))


def learning_times(s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """t_k at which mode k is half learned, u_k = s_k / 2: (tau / 2 s_k) ln(s_k/u0 - 1) (§3).

    For small u0 this is the familiar (tau / 2 s_k) ln(s_k / u0): smaller initialisation, longer
    plateaus, growing like log(1/sigma) since u0 = sigma^2.
    """
    s = _spectrum(s)
    _positive(u0, "u0")
    _positive(tau, "tau")
    if np.any(s <= 2 * u0):
        raise ValueError(f"u0 must be below s_k / 2 for every mode, got u0={u0}")
    return tau / (2 * s) * np.log(s / u0 - 1)


def steepest_descent_times(s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """Times at which mode k's own loss 1/2 (s_k - u_k)^2 falls fastest, u_k = s_k / 3 (§3):
    (tau / 2 s_k) ln((s_k/u0 - 1) / 2). The loss-curve feature detect_plateaus measures."""
    s = _spectrum(s)
    _positive(u0, "u0")
    _positive(tau, "tau")
    if np.any(s <= 3 * u0):
        raise ValueError(f"u0 must be below s_k / 3 for every mode, got u0={u0}")
    return tau / (2 * s) * np.log((s / u0 - 1) / 2)


def loss_curve(t: ArrayLike, s: ArrayLike, u0: float, tau: float = 1.0) -> Array:
    """L(t) = 1/2 sum_k (s_k - u_k(t))^2 for the two-layer network (§3)."""
    return 0.5 * ((_spectrum(s) - mode_trajectory(t, s, u0, tau)) ** 2).sum(1)


def plateau_losses(s: ArrayLike) -> Array:
    """Loss on plateau k (modes 1..k-1 learned, k.. not yet): 1/2 sum_{j>=k} s_j^2, for
    k = 1..n, followed by 0 (§3). Unit input covariance."""
    s = _spectrum(s, strictly_decreasing=True)
    tail = np.cumsum((s**2)[::-1])[::-1]
    return np.append(0.5 * tail, 0.0)


def steepest_fraction(depth: int) -> float:
    """u/s at which a depth-L mode's loss falls fastest: maximise u^a (s-u)^2, a = 2 - 2/L, so
    u = a s / (a + 2) (1/3 for two layers) (§4)."""
    if not (isinstance(depth, (int, np.integer)) and depth >= 2):
        raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
    a = 2 - 2 / depth
    return a / (a + 2)


def deep_escape_time(
    s: float, sigma: float, depth: int, tau: float = 1.0, fraction: float = 0.5
) -> float:
    """Time for a mode of a depth-L balanced aligned linear network to reach u = fraction * s (§4).

    Each layer's factor w obeys tau dw/dt = w^{L-1}(s - w^L), so u = w^L obeys
    tau du/dt = L u^{2 - 2/L} (s - u), u(0) = sigma^L; the time is the integral
    tau int_{u0}^{f s} du / (L u^{2-2/L} (s - u)) (scipy quad, in log u). For L = 2 and f = 1/2
    it is learning_times; for L > 2 and small sigma it grows like tau sigma^{-(L-2)} / ((L-2) s).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction!r}")
    _positive(s, "s")
    _positive(sigma, "sigma")
    _positive(tau, "tau")
    if not (isinstance(depth, (int, np.integer)) and depth >= 2):
        raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
    u0 = sigma**depth
    if u0 >= fraction * s:
        raise ValueError(f"sigma^depth must be below fraction * s (small init), got {u0}")

    def integrand(log_u: float) -> float:  # du = u dlog_u
        u = np.exp(log_u)
        return u / (depth * u ** (2 - 2 / depth) * (s - u))

    value, _ = integrate.quad(
        integrand, np.log(u0), np.log(fraction * s), limit=200, epsabs=0, epsrel=1e-10
    )
    return float(tau * value)


# ----------------------------------------------------------------------------------------------
# Torch experiment (§5)
# ----------------------------------------------------------------------------------------------
def teacher(s: ArrayLike, d_in: int, d_out: int, seed: int = 0) -> tuple[Array, Array, Array]:
    """A teacher map M = U diag(s) V' with random orthonormal U (d_out x n), V (d_in x n)."""
    s = _spectrum(s)
    if d_in < s.size or d_out < s.size:
        raise ValueError(f"d_in and d_out must be >= len(s) = {s.size}")
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((d_out, s.size)))
    V, _ = np.linalg.qr(rng.standard_normal((d_in, s.size)))
    return U * s @ V.T, U, V


@dataclass(frozen=True)
class LinearRun:
    """Result of :func:`train_linear_network`: one row per initialisation scale."""

    sigmas: Array
    steps: Array  # recorded step indices
    loss: Array  # (len(sigmas), len(steps)) population loss
    singular_values: Array  # (len(sigmas), len(steps), n) of the end-to-end map
    lr: float
    u0: Array  # (len(sigmas), n): effective initial strength of each mode (two layers; else NaN)


def train_linear_network(
    s: ArrayLike,
    sigmas: ArrayLike,
    *,
    depth: int = 2,
    hidden: int = 16,
    d_in: int = 12,
    d_out: int = 10,
    lr: float = 0.05,
    steps: int = 4000,
    init: str = "aligned",
    record_every: int = 5,
    seed: int = 0,
    device: str | None = None,
) -> LinearRun:
    """Gradient descent on L = 1/2 ||M - W_L...W_1||_F^2 (whitened inputs), batched over the
    initialisation scales ``sigmas`` as one tensor program (§5).

    ``init="aligned"``: the balanced aligned start of the theory (u_k(0) = sigma^depth for every
    mode, hidden rotations random); ``init="random"``: i.i.d. N(0, sigma^2) entries, scaled so that
    each layer's typical gain is sigma. Records the loss and the singular values of the
    end-to-end map every ``record_every`` steps.
    """
    import torch

    from .device import device as pick_device

    s = _spectrum(s)
    sig = np.asarray(sigmas, dtype=float)
    if sig.ndim != 1 or sig.size == 0 or np.any(sig <= 0):
        raise ValueError(
            f"sigmas must be a non-empty 1-D array of positive numbers, got {sigmas!r}"
        )
    if not (isinstance(depth, int) and depth >= 2):
        raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
    if hidden < s.size:
        raise ValueError(f"hidden must be >= len(s) = {s.size}, got {hidden}")
    _positive(lr, "lr")
    if init not in ("aligned", "random"):
        raise ValueError(f"init must be 'aligned' or 'random', got {init!r}")
    M, U, V = teacher(s, d_in, d_out, seed)
    rng = np.random.default_rng(seed + 1)
    B, n = sig.size, s.size
    dims = [d_in] + [hidden] * (depth - 1) + [d_out]
    layers = []
    if init == "aligned":
        Qs = [np.linalg.qr(rng.standard_normal((hidden, hidden)))[0] for _ in range(depth - 1)]
        # first layer maps V's columns to Q_1's first n columns, last maps Q_{L-1} back onto U
        first = Qs[0][:, :n] @ V.T
        mats = [first] + [Qs[i][:, :n] @ Qs[i - 1][:, :n].T for i in range(1, depth - 1)]
        mats.append(U @ Qs[-1][:, :n].T)
        for m in mats:
            layers.append(np.stack([g * m for g in sig]))
    else:
        for i in range(depth):
            w = rng.standard_normal((B, dims[i + 1], dims[i])) / np.sqrt(dims[i])
            layers.append(w * sig[:, None, None])
    u0 = (
        effective_initial_strength(layers[0], layers[1], U, V)
        if depth == 2
        else np.full((B, n), np.nan)
    )
    dev = pick_device(device)
    Ws = [torch.tensor(w, dtype=torch.float64, device=dev, requires_grad=True) for w in layers]
    Mt = torch.tensor(M, dtype=torch.float64, device=dev)
    record = np.arange(0, steps + 1, record_every)
    loss = np.empty((B, record.size))
    svals = np.empty((B, record.size, n))
    j = 0
    for t in range(steps + 1):
        W = Ws[0]
        for w in Ws[1:]:
            W = w @ W
        L = 0.5 * ((Mt - W) ** 2).sum(dim=(1, 2))
        if t == record[j]:
            with torch.no_grad():
                loss[:, j] = L.cpu().numpy()
                svals[:, j] = torch.linalg.svdvals(W)[:, :n].cpu().numpy()
            j += 1
            if j == record.size:
                break
        grads = torch.autograd.grad(L.sum(), Ws)
        with torch.no_grad():
            for w, g in zip(Ws, grads, strict=True):
                w -= lr * g
    return LinearRun(sigmas=sig, steps=record, loss=loss, singular_values=svals, lr=lr, u0=u0)


def effective_initial_strength(W1: ArrayLike, W2: ArrayLike, U: ArrayLike, V: ArrayLike) -> Array:
    """u_k(0)_eff = ||a_k + b_k||^2 / 4 with a_k = W1 v_k, b_k = W2' u_k (§3, random starts).

    Early on, tau da/dt = s b and tau db/dt = s a, so a + b grows like e^{s t/tau}, a - b decays,
    and u_k = b'a ~ ||a_0 + b_0||^2 e^{2 s t/tau} / 4: the logistic with this u0. For the aligned
    start it equals sigma^2. Batched over a leading axis of W1 (B, H, D) and W2 (B, O, H).
    """
    W1, W2 = np.asarray(W1, dtype=float), np.asarray(W2, dtype=float)
    a = W1 @ np.asarray(V, dtype=float)  # (B, H, n)
    b = np.swapaxes(W2, -1, -2) @ np.asarray(U, dtype=float)  # (B, H, n)
    return 0.25 * ((a + b) ** 2).sum(-2)


# ----------------------------------------------------------------------------------------------
# Reading plateaus off a loss curve, without the theory (§5)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plateaus:
    """Transitions (times of steepest loss descent) and the plateau levels between them."""

    transition_times: Array
    levels: Array  # loss on each plateau: before the first transition, between, after the last

    @property
    def count(self) -> int:
        return int(self.transition_times.size)


def detect_plateaus(t: ArrayLike, loss: ArrayLike, *, min_drop: float = 0.02) -> Plateaus:
    """Find the drops of a loss curve and the plateaus between them, from the curve alone.

    A transition is a local maximum of the descent rate -dL/dt (finite differences) whose drop
    -- the loss fallen between the two neighbouring minima of the rate -- is at least
    ``min_drop`` of the total drop; its time is that of the maximum (refined by a parabola through
    three samples). Plateau levels are the loss at the minima of the rate between transitions
    (and at the ends of the curve).
    """
    t = np.asarray(t, dtype=float)
    L = np.asarray(loss, dtype=float)
    if t.ndim != 1 or t.shape != L.shape or t.size < 5:
        raise ValueError("t and loss must be 1-D arrays of one length >= 5")
    if not (np.all(np.isfinite(L)) and np.all(np.diff(t) > 0)):
        raise ValueError("loss must be finite and t strictly increasing")
    if not 0 < min_drop < 1:
        raise ValueError(f"min_drop must lie in (0, 1), got {min_drop!r}")
    rate = -np.gradient(L, t)
    peaks = [i for i in range(1, rate.size - 1) if rate[i] >= rate[i - 1] and rate[i] > rate[i + 1]]
    total = L[0] - L.min()
    times, bounds = [], [0]
    for i in peaks:
        left = bounds[-1] + int(np.argmin(rate[bounds[-1] : i + 1]))
        nxt = [p for p in peaks if p > i]
        right = i + int(np.argmin(rate[i : (nxt[0] if nxt else rate.size)]))
        if total > 0 and L[left] - L[right] >= min_drop * total:
            a, b, c = rate[i - 1], rate[i], rate[i + 1]
            shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
            times.append(t[i] + shift * (t[i + 1] - t[i - 1]) / 2)
            bounds.append(right)
    levels = np.array([L[0]] + [L[b] for b in bounds[1:]])
    return Plateaus(transition_times=np.array(times), levels=levels)


def deep_mode_trajectory(
    t: ArrayLike, s: ArrayLike, sigma: float, depth: int, tau: float = 1.0
) -> Array:
    """u_k(t) for a depth-L balanced aligned network, u(0) = sigma^L (§4).

    tau du/dt = L u^{2-2/L} (s - u) has no elementary solution for L > 2. In the logit
    v = log(u / (s - u)) the inverse is smooth, dt/dv = tau u^{2/L - 1} / (L s) (constant for
    L = 2, where this is exact), so t(v) is integrated cumulatively (trapezoid, 4,000 points) and
    inverted by interpolation. Shape (len(t), len(s)); for L = 2 it reproduces mode_trajectory.
    """
    s = _spectrum(s)
    _positive(sigma, "sigma")
    _positive(tau, "tau")
    if not (isinstance(depth, (int, np.integer)) and depth >= 2):
        raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
    u0 = sigma**depth
    if np.any(u0 >= s):
        raise ValueError("sigma^depth must be below every s_k (small initialisation)")
    t = np.atleast_1d(np.asarray(t, dtype=float))
    out = np.empty((t.size, s.size))
    for k, sk in enumerate(s):
        v = np.linspace(np.log(u0 / (sk - u0)), 40.0, 4000)
        u = sk / (1 + np.exp(-v))
        dt = tau * u ** (2 / depth - 1) / (depth * sk)
        times = np.concatenate([[0.0], np.cumsum(0.5 * (dt[1:] + dt[:-1]) * np.diff(v))])
        out[:, k] = sk / (1 + np.exp(-np.interp(t, times, v)))
    return out


def explorer() -> object:
    """Sliders for the init scale sigma, the spectral gap, the learning rate and the depth.

    Teacher s = (3, 3g, 3g^2). Left: the closed-form loss against GD steps, with the predicted
    transition times (dashed) and plateau levels (dotted). Right: the rank staircase -- the number
    of learned modes sum_k u_k/s_k, and each mode's u_k/s_k.
    """
    from . import widgets
    from .plotting import COLORS, CYCLE, figure

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

    controls = {
        # ranges keep the initialisation small against the weakest mode (sigma^2 < s_3 / 3)
        "sigma": widgets.slider("σ (init)", 1e-5, 0.1, 1e-3, log=True),
        "gap": widgets.slider("gap s₂/s₁", 0.3, 0.9, 0.5, step=0.05),
        "lr": widgets.slider("lr", 1e-3, 0.1, 0.01, log=True),
        "depth": widgets.choice("depth L", [2, 3, 4], 2),
    }
    static = {"sigma": [1e-5, 1e-4, 1e-3, 1e-2, 0.03, 0.1], "depth": [2, 3, 4]}
    caption = (
        "Closed-form loss of a linear network from small initialisation with the predicted "
        "transition times (left) and the rank staircase (right)."
    )
    return widgets.Explorer(fig, update, controls, static=static, caption=caption)


def experiment_size() -> dict[str, object]:
    """Sizes of the chapter's torch experiment at the current ``THEORYBENCH_SCALE``."""
    from .device import by_scale

    return by_scale(
        ci={"sigmas": [1e-2, 1e-3, 1e-4], "steps": 1200, "lr": 0.01},
        full={"sigmas": list(np.geomspace(1e-2, 1e-6, 9)), "steps": 6000, "lr": 0.005},
    )


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
    from .plotting import COLORS, CYCLE, figure

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
