"""The torch experiment of the validity model: policies over L structural positions trained by
sampled, PPO-clipped, extrapolated OPD, batched over instances, lambdas and seeds (§8.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from .. import _checks
from .._memo import reused
from ..training import TrainConfig
from .model import Array
from .scales import sizes
from .simulator import onset

__all__ = [
    "ValidityTraining",
    "VALIDITY_TRAIN",
    "train_structured_policy",
    "train_validity_family",
]

#: Adam, step 0.05, 150 outer steps of 4 PPO epochs each
VALIDITY_TRAIN = TrainConfig(steps=150, lr=0.05)  #: the ci sizes' validity_train


@dataclass(frozen=True)
class ValidityTraining:
    """Result of :func:`train_structured_policy` (one instance)."""

    lams: Array
    steps: Array  # (R,) recorded outer steps
    validity: Array  # (seeds, len(lams), R): prod_l pi_l(0), the probability a sample parses
    parse_rate: Array  # (seeds, len(lams)): fraction of final sampled outputs that parse

    def cliffs(self, drop: float = 0.5, at: int = -1) -> Array:
        """Per seed, the lambda past the largest validity where it falls to ``drop`` of it."""
        return np.array([onset(self.lams, v[:, at], drop) for v in self.validity])


@reused
def train_validity_family(
    instances: Sequence[tuple],
    lams: Sequence[ArrayLike],
    *,
    seeds: int = 1,
    batch: int = 128,
    epochs: int = 4,
    eps: float | Sequence[float] = 0.2,
    records: int = 16,
    train: TrainConfig | None = None,
) -> tuple[ValidityTraining, ...]:
    """Train, for each instance (p, b, L) and each lambda of its grid, independent logits for L
    structural positions from the base by on-policy distillation with the extrapolated per-token
    reward r_lambda(y) = lambda log p(y) + (1 - lambda) log b(y) - log pi_old(y) as advantage and
    PPO's clipped surrogate min(rho A, clip(rho, 1 - eps, 1 + eps) A), rho = pi(y)/pi_old(y) the
    ratio to the behaviour policy of the outer step, ``epochs`` Adam steps per batch of
    ``batch`` sampled outputs (drawn as each position's multinomial token counts, since the
    surrogate depends on the batch only through them; the final parse rate draws whole outputs).
    Every position of every (instance, seed, lambda) is one row of one tensor program (§8.3). Validity is prod_l pi_l(0); the parse rate is measured on ``batch``
    final samples.

    Parameters
    ----------
    instances : sequence of (p, b, L)
        Teacher and base over the same K >= 2 tokens (token 0 valid; K the same for every
        instance) and the number of positions L >= 1.
    lams : sequence of array_like
        One 1-D grid of extrapolation coefficients (>= 0) per instance.
    seeds : int
        Independent runs per (instance, lambda) (>= 1).
    batch, epochs : int
        Sampled outputs per outer step, and Adam steps per batch (>= 1).
    eps : float or sequence of float
        PPO's clip range, in (0, 1): one for every instance, or one per instance.
    records : int
        Recorded outer steps (>= 2, evenly spaced).
    train : TrainConfig, optional
        Outer steps, step size, seed and device; the sizes' ``validity_train`` by default.

    Returns
    -------
    tuple of ValidityTraining
        One per instance.
    """
    import torch

    from .experiment import _family_inputs, _multinomial_counts

    checked, grids = _family_inputs(
        instances, lams, "(p, b, L)",
        lambda L: _checks.integer_at_least(L, "L (structural positions)", 1),
    )  # fmt: skip
    K = checked[0][0].size
    if any(pd.size != K for pd, _, _ in checked):
        raise ValueError("instances must all have the same number of tokens K")
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    batch = _checks.integer_at_least(batch, "batch", 1)
    epochs = _checks.integer_at_least(epochs, "epochs", 1)
    eps_i = _checks.finite_array(eps, "eps")
    if eps_i.ndim == 0:
        eps_i = np.full(len(checked), float(eps_i))
    elif eps_i.shape != (len(checked),):
        raise ValueError(f"eps must be one number or one per instance, got shape {eps_i.shape}")
    for e in eps_i:
        _checks.in_range(e, "eps", 0, 1, lo_open=True, hi_open=True)
    records = _checks.integer_at_least(records, "records", 2)
    train = TrainConfig.resolve(train, lambda: sizes().validity_train)
    steps = train.require_steps()
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    # rows: (instance, seed, lambda, position), in that order; groups: (instance, seed, lambda)
    log_b_rows, target_rows, group_of_row, eps_rows, n_groups = [], [], [], [], 0
    for (pd, bd, L), g, e in zip(checked, grids, eps_i, strict=True):
        tgt = g[:, None] * np.log(pd) + (1 - g[:, None]) * np.log(bd)  # (G, K)
        tgt = np.repeat(np.tile(tgt, (seeds, 1)), L, axis=0)  # (S G L, K)
        target_rows.append(tgt)
        log_b_rows.append(np.broadcast_to(np.log(bd), tgt.shape))
        group_of_row.append(n_groups + np.repeat(np.arange(seeds * g.size), L))
        eps_rows.append(np.full(tgt.shape[0], e))
        n_groups += seeds * g.size
    logb = torch.tensor(np.concatenate(log_b_rows), dtype=dtype, device=dev)  # (R, K)
    target = torch.tensor(np.concatenate(target_rows), dtype=dtype, device=dev)
    group = torch.tensor(np.concatenate(group_of_row), device=dev)
    eps_t = torch.tensor(np.concatenate(eps_rows), dtype=dtype, device=dev)[:, None]
    theta = logb.clone().requires_grad_()
    opt = torch.optim.Adam([theta], lr=train.lr)
    gen = torch.Generator(device=dev).manual_seed(train.seed)
    record = np.unique(np.linspace(0, steps, records).round().astype(int))
    out = np.empty((n_groups, record.size))
    j = 0
    for t in tqdm(range(steps + 1), disable=not train.progress, desc="OPD", leave=False):
        with torch.no_grad():
            log_old = torch.log_softmax(theta, dim=-1)
            if t == record[j]:
                log_v = torch.zeros(n_groups, dtype=dtype, device=dev)
                out[:, j] = log_v.index_add_(0, group, log_old[:, 0]).exp().cpu().numpy()
                j += 1
            if t == steps:
                break
            # the batch enters the surrogate only through each token's count: its mean over
            # samples is the sum over tokens of (count / batch) times the token's term
            share = _multinomial_counts(log_old.exp(), batch, gen) / batch
            adv = target - log_old  # (R, K)
        for _ in range(epochs):
            rho = torch.exp(torch.log_softmax(theta, dim=-1) - log_old)
            surrogate = torch.minimum(rho * adv, torch.clamp(rho, 1 - eps_t, 1 + eps_t) * adv)
            loss = -(share * surrogate).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pi = torch.softmax(theta, dim=-1)
        y = torch.multinomial(pi, batch, replacement=True, generator=gen)  # (R, batch)
        broken = torch.zeros(n_groups, batch, dtype=dtype, device=dev)
        broken.index_add_(0, group, (y != 0).to(dtype))
        parses = (broken == 0).to(dtype).mean(-1).cpu().numpy()
    result, start = [], 0
    for g in grids:
        n = seeds * g.size
        result.append(
            ValidityTraining(
                lams=g,
                steps=record.astype(float),
                validity=out[start : start + n].reshape(seeds, g.size, record.size),
                parse_rate=parses[start : start + n].reshape(seeds, g.size),
            )
        )
        start += n
    return tuple(result)


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
    distillation with the extrapolated per-token reward and PPO's clipped surrogate, ``seeds``
    independent runs per lambda: one instance of :func:`train_validity_family` (§8.3).
    Validity is prod_l pi_l(0); the parse rate is measured on ``batch`` final samples.
    """
    L = _checks.integer_at_least(L, "L (structural positions)", 1)
    return train_validity_family(
        [(p, b, L)], [lams], seeds=seeds, batch=batch, epochs=epochs, eps=eps, records=records,
        train=train,
    )[0]  # fmt: skip
