"""The torch experiment of the validity model: a policy over L structural positions trained by
sampled, PPO-clipped, extrapolated OPD, batched over lambdas and seeds (§8.3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from .. import _checks
from .._memo import reused
from ..training import TrainConfig
from .model import Array, _lam, _pair
from .scales import sizes
from .simulator import onset

__all__ = ["ValidityTraining", "VALIDITY_TRAIN", "train_structured_policy"]

#: Adam, step 0.05, 150 outer steps of 4 PPO epochs each
VALIDITY_TRAIN = TrainConfig(steps=150, lr=0.05)  #: the ci sizes' validity_train


@dataclass(frozen=True)
class ValidityTraining:
    """Result of :func:`train_structured_policy`."""

    lams: Array
    steps: Array  # (R,) recorded outer steps
    validity: Array  # (seeds, len(lams), R): prod_l pi_l(0), the probability a sample parses
    parse_rate: Array  # (seeds, len(lams)): fraction of final sampled outputs that parse

    def cliffs(self, drop: float = 0.5, at: int = -1) -> Array:
        """Per seed, the lambda past the largest validity where it falls to ``drop`` of it."""
        return np.array([onset(self.lams, v[:, at], drop) for v in self.validity])


@reused
def train_structured_policy(
    p: ArrayLike,
    b: ArrayLike,
    lams: ArrayLike,
    *,
    L: int = 20,
    seeds: int = 10,
    batch: int = 128,
    epochs: int = 4,
    eps: float = 0.2,
    records: int = 16,
    train: TrainConfig | None = None,
) -> ValidityTraining:
    """Train independent logits for L structural positions from the base by on-policy
    distillation with the extrapolated per-token reward r_lambda(y) = lambda log p(y) +
    (1 - lambda) log b(y) - log pi_old(y) as advantage and PPO's clipped surrogate
    min(rho A, clip(rho, 1 - eps, 1 + eps) A), rho = pi(y)/pi_old(y) the ratio to the behaviour
    policy of the outer step, ``epochs`` Adam steps per batch of ``batch`` sampled outputs; every
    (seed, lambda) pair is one slice of one tensor program (§8.3). Validity is prod_l pi_l(0);
    the parse rate is measured on ``batch`` final samples.
    """
    import torch

    p, b = _pair(p, b)
    lams = _lam(np.atleast_1d(np.asarray(lams, dtype=float)))
    L = _checks.integer_at_least(L, "L (structural positions)", 1)
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    batch = _checks.integer_at_least(batch, "batch", 1)
    epochs = _checks.integer_at_least(epochs, "epochs", 1)
    eps = _checks.in_range(eps, "eps", 0, 1, lo_open=True, hi_open=True)
    records = _checks.integer_at_least(records, "records", 2)
    train = TrainConfig.resolve(train, lambda: sizes().validity_train)
    steps = train.require_steps()
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    S, G, K = seeds, lams.size, p.size
    logp = torch.tensor(np.log(p), dtype=dtype, device=dev)
    logb = torch.tensor(np.log(b), dtype=dtype, device=dev)
    lam = torch.tensor(lams, dtype=dtype, device=dev)[None, :, None, None]  # (1, G, 1, 1)
    target = lam * logp + (1 - lam) * logb  # (1, G, 1, K)
    theta = logb.expand(S, G, L, K).clone().requires_grad_()
    opt = torch.optim.Adam([theta], lr=train.lr)
    gen = torch.Generator(device=dev).manual_seed(train.seed)
    record = np.unique(np.linspace(0, steps, records).round().astype(int))
    out = np.empty((S, G, record.size))
    j = 0
    for t in tqdm(range(steps + 1), disable=not train.progress, desc="OPD", leave=False):
        with torch.no_grad():
            log_old = torch.log_softmax(theta, dim=-1)
            if t == record[j]:
                out[:, :, j] = log_old[..., 0].sum(-1).exp().cpu().numpy()
                j += 1
            if t == steps:
                break
            y = torch.multinomial(
                log_old.exp().reshape(-1, K), batch, replacement=True, generator=gen
            ).reshape(S, G, L, batch)
            lp_old = torch.gather(log_old, -1, y)  # (S, G, L, batch)
            adv = torch.gather(target.expand(S, G, L, K), -1, y) - lp_old
        for _ in range(epochs):
            lp = torch.gather(torch.log_softmax(theta, dim=-1), -1, y)
            rho = torch.exp(lp - lp_old)
            surrogate = torch.minimum(rho * adv, torch.clamp(rho, 1 - eps, 1 + eps) * adv)
            loss = -surrogate.mean(-1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pi = torch.softmax(theta, dim=-1).reshape(-1, K)
        y = torch.multinomial(pi, batch, replacement=True, generator=gen).reshape(S, G, L, batch)
        parses = (y == 0).all(dim=2).double().mean(-1).cpu().numpy()
    return ValidityTraining(lams=lams, steps=record.astype(float), validity=out, parse_rate=parses)
