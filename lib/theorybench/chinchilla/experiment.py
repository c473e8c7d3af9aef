"""The torch experiment: an IsoFLOP sweep of small MLPs trained on a teacher, fitted by Approach 2 and VarPro."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _checks
from .._memo import reused
from ..training import TrainConfig
from .fits import Approach2Fit, VarProFit, approach2_fit, varpro_fit
from .model import Array, _positive_array
from .scales import CI, sizes

__all__ = [
    "SweepResult",
    "mlp_params",
    "DEFAULT_TRAIN",
    "torch_isoflop_sweep",
    "SweepFits",
    "fit_sweep",
]


#: Adam with peak step 0.02; steps are set by each compute budget; float32 (the ci sizes' config)
DEFAULT_TRAIN = CI.train


# ----------------------------------------------------------------------------------------------
# A real scaling sweep in torch (§7)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResult:
    """Measured IsoFLOP points of :func:`torch_isoflop_sweep` (one row per trained model)."""

    N: Array  # parameters of each student
    D: Array  # training samples it saw
    loss: Array  # held-out MSE
    budget: Array  # nominal C = 6 N D
    width: Array
    seconds: float
    batch: int


def mlp_params(width: ArrayLike, d_in: int) -> Array:
    """Parameters of a 1-hidden-layer MLP d_in -> width -> 1 (with biases): N = width (d_in + 2) + 1.

    ``width`` holds positive integers, ``d_in`` is an integer >= 1."""
    w = np.asarray(width, dtype=float)
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 1) or np.any(w != np.round(w)):
        raise ValueError(f"width must hold integers >= 1, got {width!r}")
    d_in = _checks.integer_at_least(d_in, "d_in", 1)
    return w.astype(np.int64) * (d_in + 2) + 1


#: the most Adam steps one (budget, width) pair of the sweep may take
MAX_STEPS = 10**7


@reused
def torch_isoflop_sweep(
    budgets: Sequence[float],
    widths: Sequence[int],
    *,
    seeds: int = 2,
    batch: int = 512,
    d_in: int = 8,
    teacher_width: int = 256,
    noise: float = 0.1,
    n_test: int = 8192,
    train: TrainConfig | None = None,
) -> SweepResult:
    """Train a family of students on an IsoFLOP grid and measure their held-out loss.

    Task: y = teacher(x) + noise, x ~ N(0, I_{d_in}), the teacher a fixed random ReLU MLP of width
    ``teacher_width``. Student: ReLU MLP d_in -> width -> 1, N = width (d_in + 2) + 1 parameters,
    trained on D = C / (6N) fresh samples: D / ``batch`` Adam steps, the step size decaying on a
    cosine to 0 at the last step (peak ``train.lr`` scaled by (8 / width)^{1/2}); the reported
    loss is the mean held-out MSE of its ``seeds`` replicas. Pairs with fewer than 20 steps are
    skipped. ``train.steps`` must be ``None``: each budget sets its own number of steps.

    Every student of the grid reads one stream of samples in the same order (one stream per
    seed replica; common random numbers, as in a real sweep, where every model reads the same
    data): step t of each student trains on batch t of its replica's stream. So the whole grid
    trains as one batched tensor program (``_sweep_step``: hand-written gradients and Adam
    with a per-student step size; autograd and ``torch.optim.Adam`` give the same run, which a
    test checks), the teacher labels each batch once for all students, and a student leaves the
    program at its last step, when its held-out loss is measured. Runs in float32 unless
    ``train.dtype`` says otherwise. The result is stored and reused
    (``theorybench._memo.reused``): the notebook's sweep and the test suite's are one
    computation; ``seconds`` is the wall time of the run that computed it.
    """
    import torch
    from tqdm.auto import tqdm

    budgets_arr = _positive_array(budgets, "budgets")
    widths_arr = np.asarray(widths, dtype=int)
    if widths_arr.ndim != 1 or widths_arr.size < 3 or np.any(widths_arr < 1):
        raise ValueError(f"widths must list >= 3 positive integers, got {widths!r}")
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    batch = _checks.integer_at_least(batch, "batch", 1)
    d_in = _checks.integer_at_least(d_in, "d_in", 1)
    teacher_width = _checks.integer_at_least(teacher_width, "teacher_width", 1)
    n_test = _checks.integer_at_least(n_test, "n_test", 1)
    noise = _checks.in_range(noise, "noise", 0.0, 1e3)  # a larger std overflows float32 losses
    most = float(budgets_arr.max()) / (6 * float(mlp_params(widths_arr.min(), d_in)) * batch)
    if most > MAX_STEPS:
        raise ValueError(
            f"budgets must give at most {MAX_STEPS:.0e} steps per (budget, width) pair "
            f"(C / (6 N batch)), got {most:.3g}"
        )
    train = TrainConfig.resolve(train, lambda: sizes().train)
    if train.steps is not None:
        raise ValueError(f"train must be a TrainConfig with steps=None (set by C), got {train!r}")
    start = time.perf_counter()
    dev = train.torch_device()
    dtype = getattr(torch, train.dtype or "float32")
    seed = train.seed
    gen = torch.Generator().manual_seed(seed)
    W1t = (torch.randn(d_in, teacher_width, generator=gen, dtype=dtype) * np.sqrt(2 / d_in)).to(dev)
    W2t = (torch.randn(teacher_width, 1, generator=gen, dtype=dtype) / np.sqrt(teacher_width)).to(
        dev
    )

    def sample(shape: tuple[int, ...], g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(*shape, d_in, generator=g, dtype=dtype).to(dev)
        eps = torch.randn(*shape, generator=g, dtype=dtype).to(dev)
        return x, (torch.relu(x @ W1t) @ W2t)[..., 0] + noise * eps

    xt, yt = sample((n_test,), torch.Generator().manual_seed(seed + 1))
    pairs = [
        (float(c), int(w))
        for c in budgets_arr
        for w in widths_arr
        if c / (6 * mlp_params(w, d_in)) >= 20 * batch
    ]
    steps = np.array([int(c / (6 * mlp_params(w, d_in)) // batch) for c, w in pairs])
    peak = np.array([train.lr * min(1.0, np.sqrt(8 / w)) for _, w in pairs])
    # per student k its initialisation, drawn from its own generator (W1, then W2); the columns
    # of all students side by side: cols[s, j] = (w1_j, b1_j, w2_j) of hidden unit j of replica s
    blocks = []
    for k, (_, w) in enumerate(pairs):
        g = torch.Generator().manual_seed(seed + 10 + k)
        w1 = torch.randn(seeds, d_in, w, generator=g, dtype=dtype) * np.sqrt(2 / d_in)
        w2 = torch.randn(seeds, w, 1, generator=g, dtype=dtype) / np.sqrt(w)
        blocks.append(torch.cat([w1.transpose(1, 2), torch.zeros(seeds, w, 1, dtype=dtype), w2], 2))
    state = _SweepState(
        cols=torch.cat(blocks, 1).to(dev),
        out_bias=torch.zeros(seeds, len(pairs), 1, dtype=dtype, device=dev),
        owner=torch.repeat_interleave(
            torch.arange(len(pairs)), torch.tensor([w for _, w in pairs])
        ).to(dev),
    )
    stream = torch.Generator().manual_seed(seed + 2)
    loss = np.full(len(pairs), np.nan)
    alive = np.arange(len(pairs))  # the students still training, in the order of their columns
    for t in tqdm(range(int(steps.max())), disable=not train.progress, desc="IsoFLOP sweep"):
        x, y = sample((seeds, batch), stream)
        lr = peak[alive] * 0.5 * (1 + np.cos(np.pi * t / steps[alive]))
        _sweep_step(state, x, y, torch.as_tensor(lr, dtype=dtype, device=dev), t + 1)
        done = steps[alive] == t + 1
        if done.any():  # held-out loss of the students that took their last step; they leave
            mask = torch.as_tensor(done, device=dev)
            out = _sweep_forward(state.subset(mask), xt.expand(seeds, n_test, d_in))
            loss[alive[done]] = ((out - yt) ** 2).mean((0, 2)).cpu().numpy()
            state = state.subset(~mask)
            alive = alive[~done]
    C = np.array([c for c, _ in pairs])
    W = np.array([w for _, w in pairs])
    N = mlp_params(W, d_in).astype(float)
    return SweepResult(
        N=N,
        D=C / (6 * N),
        loss=loss,
        budget=C,
        width=W,
        seconds=time.perf_counter() - start,
        batch=batch,
    )


@dataclass
class _SweepState:
    """P students of :func:`torch_isoflop_sweep` side by side: ``cols`` (seeds, J, d_in + 2)
    the (input weights, bias, output weight) of every hidden unit, ``out_bias`` (seeds, P, 1)
    each student's output bias, ``owner`` (J,) the student (0..P-1) of each hidden unit, and
    Adam's two moments of ``cols`` and of ``out_bias`` (empty before the first step)."""

    cols: Any
    out_bias: Any
    owner: Any
    moments: list = field(default_factory=list)

    def subset(self, mask: Any) -> _SweepState:
        """The students where ``mask`` (P,) is true, with their hidden units and moments."""
        import torch

        unit = mask[self.owner]
        moments = [
            (m[:, sel], v[:, sel]) for (m, v), sel in zip(self.moments, (unit, mask), strict=False)
        ]
        owner = (torch.cumsum(mask, 0) - 1)[self.owner[unit]]
        return _SweepState(self.cols[:, unit], self.out_bias[:, mask], owner, moments)


def _sweep_forward(state: _SweepState, x: Any) -> Any:
    """Outputs (seeds, P, B) of every student still training on inputs x (seeds, B, d_in)."""
    import torch

    d = x.shape[-1]
    pre = torch.baddbmm(state.cols[..., d : d + 1], state.cols[..., :d], x.transpose(1, 2))
    z = torch.relu(pre).mul_(state.cols[..., d + 1 :])
    out = torch.zeros(
        x.shape[0], state.out_bias.shape[1], x.shape[1], dtype=x.dtype, device=x.device
    )
    return out.index_add_(1, state.owner, z).add_(state.out_bias)


#: Adam's constants (torch.optim.Adam's defaults)
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8


def _sweep_step(state: _SweepState, x: Any, y: Any, lr: Any, t: int) -> None:
    """One Adam step (step number ``t`` >= 1, step size ``lr`` (P,) per student) of every student
    on its loss sum over replicas of mean_b (f(x_b) - y_b)^2, x (seeds, B, d_in), y (seeds, B).
    The gradients by hand: with r = 2 (f - y) / B, dL/d(output bias) = sum_b r_b; per hidden unit
    j of student p with h_jb = relu(w1_j . x_b + b1_j): dL/dw2_j = sum_b r_pb h_jb, and with
    e_jb = r_pb w2_j [h_jb > 0], dL/db1_j = sum_b e_jb, dL/dw1_j = sum_b e_jb x_b."""
    import torch

    d = x.shape[-1]
    cols = state.cols
    pre = torch.baddbmm(cols[..., d : d + 1], cols[..., :d], x.transpose(1, 2))  # (S, J, B)
    h = torch.relu(pre)
    out = torch.zeros(
        x.shape[0], state.out_bias.shape[1], x.shape[1], dtype=x.dtype, device=x.device
    )
    out.index_add_(1, state.owner, h * cols[..., d + 1 :]).add_(state.out_bias)
    r = (out - y[:, None, :]).mul_(2.0 / x.shape[1])  # (S, P, B)
    e = r.index_select(1, state.owner)  # (S, J, B)
    g_w2 = (e * h).sum(2, keepdim=True)
    e.mul_(cols[..., d + 1 :]).mul_(pre > 0)
    x1 = torch.cat([x, torch.ones_like(x[..., :1])], 2)  # (S, B, d + 1): inputs and the bias's 1
    grads = [torch.cat([torch.bmm(e, x1), g_w2], 2), r.sum(2, keepdim=True)]
    params = [state.cols, state.out_bias]
    if not state.moments:
        state.moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    bc1, bc2 = 1 - _BETA1**t, 1 - _BETA2**t
    lr_unit = lr[state.owner][None, :, None]
    for p, g, (m, v), lr_p in zip(
        params, grads, state.moments, (lr_unit, lr[None, :, None]), strict=True
    ):
        m.mul_(_BETA1).add_(g, alpha=1 - _BETA1)
        v.mul_(_BETA2).addcmul_(g, g, value=1 - _BETA2)
        denom = (v.sqrt() / np.sqrt(bc2)).add_(_EPS)
        p.sub_(m / denom * (lr_p / bc1))


@dataclass(frozen=True)
class SweepFits:
    """Approach 2 and VarPro on measured sweep losses; ``varpro`` is None when the data do not
    identify the surface, with the reason in ``varpro_message``."""

    approach2: Approach2Fit | None
    approach2_message: str
    varpro: VarProFit | None
    varpro_message: str


def fit_sweep(res: SweepResult, objective: str = "huber") -> SweepFits:
    """Fit both approaches to a :func:`torch_isoflop_sweep`; a fit that fails says why."""
    try:
        a2, a2_msg = approach2_fit(res.N, res.D, res.loss, res.budget), "ok"
    except ValueError as err:
        a2, a2_msg = None, str(err)
    try:
        vp, vp_msg = varpro_fit(res.N, res.D, res.loss, objective=objective), "ok"
    except RuntimeError as err:
        vp, vp_msg = None, str(err)
    return SweepFits(a2, a2_msg, vp, vp_msg)
