"""The torch experiment: a categorical policy trained by sampled clipped OPD over a grid of lambda."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._checks import integer_at_least as _integer_at_least
from ..training import TrainConfig
from .model import Array, _clip, _lam, _pair, extrapolated_fixed_point_k, lambda_star_k
from .scales import CI, sizes

__all__ = ["PolicySweep", "DEFAULT_TRAIN", "train_categorical_policy"]

#: Adam, step 0.01, 3,000 steps (the ci sizes' config)
DEFAULT_TRAIN = CI.train


# ----------------------------------------------------------------------------------------------
# Torch experiment: a categorical "format token" policy trained by clipped, extrapolated OPD (§7)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicySweep:
    """Result of :func:`train_categorical_policy`: one entry per lambda."""

    lams: Array
    modal_mass: Array  # final mass on the format-valid token 0 (one position; not parse validity)
    fixed_point: Array  # q_lambda, the extrapolated target's mass on token 0
    clip_fraction: Array  # fraction of sampled tokens masked over the last tenth of training
    tail_logit_gap: Array  # final log pi(0) - max_{y>0} log pi(y)
    lambda_star: float  # K-ary threshold of (p, b, c)


def train_categorical_policy(
    p: ArrayLike,
    b: ArrayLike,
    c: float,
    lams: ArrayLike,
    *,
    batch: int = 1024,
    train: TrainConfig | None = None,
) -> PolicySweep:
    """Train a categorical policy over K tokens (token 0 the format-valid one) from the base by
    clipped, extrapolated OPD with Adam, every lambda batched in one tensor program (§7).

    Each step samples ``batch`` tokens per lambda from the current student (on-policy), scores
    them with r_lambda(y) = lambda log p(y) + (1-lambda) log b(y) - log pi(y) (detached), masks
    tokens whose base-relative ratio leaves [1/c, c], and descends
    -mean(mask * r_lambda * log pi(y)), for ``train.steps`` Adam steps of size ``train.lr``.
    The result's ``lambda_star`` is :func:`~theorybench.extrapolation_cliff.model.lambda_star_k`'s: inf when no ratio leaves
    [1/c, c] below lambda = 100 (a very loose clip).
    """
    import torch

    pd, bd = _pair(p, b)
    c = float(_clip(c))
    lams = _lam(np.atleast_1d(np.asarray(lams, dtype=float)))
    if lams.ndim != 1:
        raise ValueError("lams must be a 1-D array of coefficients")
    _integer_at_least(batch, "batch", 1)
    train = TrainConfig.resolve(train, lambda: sizes().train)
    steps, lr = train.require_steps(), train.lr
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    gen = torch.Generator(device=dev).manual_seed(train.seed)
    log_p = torch.tensor(np.log(pd), device=dev, dtype=dtype)
    log_b = torch.tensor(np.log(bd), device=dev, dtype=dtype)
    lam_t = torch.tensor(lams, device=dev, dtype=dtype)[:, None]
    target = (1 - lam_t) * log_b + lam_t * log_p  # (L, K) unnormalised log pi_lambda
    theta = log_b.repeat(lams.size, 1).clone().requires_grad_()
    opt = torch.optim.Adam([theta], lr=lr)
    rows = torch.arange(lams.size, device=dev)[:, None]
    masked, counted = torch.zeros(lams.size, device=dev), 0
    for t in range(steps):
        log_pi = torch.log_softmax(theta, dim=1)
        y = torch.multinomial(log_pi.detach().exp(), batch, replacement=True, generator=gen)
        lp = log_pi[rows, y]  # (L, batch)
        with torch.no_grad():
            ok = (lp - log_b[y]).abs() <= np.log(c)
            reward = target[rows, y] - lp
        loss = -(ok * reward * lp).mean(1).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if t >= steps - max(1, steps // 10):
            masked += (~ok).float().mean(1)
            counted += 1
    with torch.no_grad():
        log_pi = torch.log_softmax(theta, dim=1).cpu().numpy()
    fixed = np.array([extrapolated_fixed_point_k(pd, bd, lam)[0] for lam in lams])
    return PolicySweep(
        lams=lams,
        modal_mass=np.exp(log_pi[:, 0]),
        fixed_point=fixed,
        clip_fraction=(masked / counted).cpu().numpy(),
        tail_logit_gap=log_pi[:, 0] - log_pi[:, 1:].max(1),
        lambda_star=lambda_star_k(pd, bd, c),
    )
