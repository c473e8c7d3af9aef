"""The torch experiment: an IsoFLOP sweep of small MLPs trained on a teacher, fitted by Approach 2 and VarPro."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

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
    cosine to 0 at the last step (peak ``train.lr`` scaled by (8 / width)^{1/2}). The ``seeds``
    replicas of each (budget, width) train as one batched tensor program; the reported loss is
    their mean held-out MSE. Pairs with fewer than 20 steps are skipped. ``train.steps`` must be
    ``None``: each budget sets its own number of steps. Runs in float32 unless ``train.dtype``
    says otherwise. The result is stored and reused (``theorybench._memo.reused``): the
    notebook's sweep and the test suite's are one computation; ``seconds`` is the wall time of
    the run that computed it.
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
    lr, seed, progress = train.lr, train.seed, train.progress
    start = time.perf_counter()
    dev = train.torch_device()
    dtype = getattr(torch, train.dtype or "float32")
    gen = torch.Generator().manual_seed(seed)
    W1t = (torch.randn(d_in, teacher_width, generator=gen, dtype=dtype) * np.sqrt(2 / d_in)).to(dev)
    W2t = (torch.randn(teacher_width, 1, generator=gen, dtype=dtype) / np.sqrt(teacher_width)).to(
        dev
    )

    def sample(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(n, d_in, generator=g, dtype=dtype).to(dev)
        return x, (torch.relu(x @ W1t) @ W2t)[:, 0] + noise * torch.randn(
            n, generator=g, dtype=dtype
        ).to(dev)

    xt, yt = sample(n_test, torch.Generator().manual_seed(seed + 1))
    pairs = [
        (c, int(w))
        for c in budgets_arr
        for w in widths_arr
        if c / (6 * mlp_params(w, d_in)) >= 20 * batch
    ]
    rows = []
    for k, (c, w) in enumerate(tqdm(pairs, disable=not progress, desc="IsoFLOP sweep")):
        g = torch.Generator().manual_seed(seed + 10 + k)
        params = [
            (torch.randn(seeds, d_in, w, generator=g, dtype=dtype) * np.sqrt(2 / d_in)).to(dev),
            torch.zeros(seeds, 1, w, device=dev, dtype=dtype),
            (torch.randn(seeds, w, 1, generator=g, dtype=dtype) / np.sqrt(w)).to(dev),
            torch.zeros(seeds, 1, 1, device=dev, dtype=dtype),
        ]
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.Adam(params, lr=lr * min(1.0, np.sqrt(8 / w)))
        steps = int(c / (6 * mlp_params(w, d_in)) // batch)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t, n=steps: 0.5 * (1 + np.cos(np.pi * t / n))
        )

        def forward(x: torch.Tensor, params: list = params) -> torch.Tensor:  # (S, B)
            h = torch.relu(x @ params[0] + params[1])
            return (h @ params[2] + params[3])[..., 0]

        for _ in range(steps):
            x, y = sample(batch * seeds, g)
            loss = ((forward(x.view(seeds, batch, d_in)) - y.view(seeds, batch)) ** 2).mean(1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        with torch.no_grad():
            rows.append((c, w, float(((forward(xt) - yt) ** 2).mean().cpu())))
    C = np.array([r[0] for r in rows])
    W = np.array([r[1] for r in rows])
    N = mlp_params(W, d_in).astype(float)
    return SweepResult(
        N=N,
        D=C / (6 * N),
        loss=np.array([r[2] for r in rows]),
        budget=C,
        width=W,
        seconds=time.perf_counter() - start,
        batch=batch,
    )


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
