"""The torch experiment: categorical policies trained by sampled clipped OPD over grids of lambda."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._checks import integer_at_least as _integer_at_least
from .._memo import reused
from ..training import TrainConfig
from .model import Array, _clip, _lam, _pair, extrapolated_fixed_point_k, lambda_star_k
from .scales import CI, sizes

__all__ = ["PolicySweep", "DEFAULT_TRAIN", "train_categorical_policy", "train_categorical_family"]

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


def _lams(lams: ArrayLike) -> Array:
    lams = _lam(np.atleast_1d(np.asarray(lams, dtype=float)))
    if lams.ndim != 1:
        raise ValueError("lams must be a 1-D array of coefficients")
    return lams


def _family_inputs(
    instances: Sequence[tuple], lams: Sequence[ArrayLike], shape: str, third: Callable
) -> tuple[list[tuple], list[Array]]:
    """The instances of a family run, each (p, b, x) checked (``third`` checks x), and each
    one's lambda grid; ``shape`` names the triple in the errors."""
    if isinstance(instances, (str, bytes)) or len(instances) == 0:
        raise ValueError(f"instances must be a non-empty sequence of {shape}, got {instances!r}")
    if len(lams) != len(instances):
        raise ValueError(
            f"lams must hold one grid per instance, got {len(lams)} for {len(instances)}"
        )
    checked = []
    for inst in instances:
        if len(inst) != 3:
            raise ValueError(f"instances must be {shape} triples, got {inst!r}")
        pd, bd = _pair(inst[0], inst[1])
        checked.append((pd, bd, third(inst[2])))
    return checked, [_lams(g) for g in lams]


def _multinomial_counts(pi, n: int, gen):
    """Counts of ``n`` draws from each row of ``pi`` (R, K), exactly multinomial: token k's
    count is binomial in the draws left, with its probability given the tokens before it."""
    import torch

    tail = pi.flip(1).cumsum(1).flip(1)  # sum_{j >= k} pi_j: the last real token's is its own
    cond = torch.where(tail > 0, pi / tail, torch.zeros_like(pi)).clamp(0, 1)
    left = torch.full_like(pi[:, 0], float(n))
    counts = torch.zeros_like(pi)
    for k in range(pi.shape[1]):
        counts[:, k] = torch.binomial(left, cond[:, k], generator=gen)
        left = left - counts[:, k]
    return counts


@reused
def train_categorical_family(
    instances: Sequence[tuple],
    lams: Sequence[ArrayLike],
    *,
    batch: int = 1024,
    train: TrainConfig | None = None,
) -> tuple[PolicySweep, ...]:
    """Train categorical policies of several instances (p, b, c), each over its own grid of
    lambda, by sampled, clipped, extrapolated OPD with Adam: every (instance, lambda) pair is one
    row of one tensor program (§7); instances with fewer tokens are padded with tokens of mass 0,
    which are never sampled and never move.

    Each step samples ``batch`` tokens per row from the current student (on-policy; drawn as
    multinomial counts, since the loss depends on the batch only through them), scores
    them with r_lambda(y) = lambda log p(y) + (1-lambda) log b(y) - log pi(y) (detached), masks
    tokens whose base-relative ratio leaves [1/c, c], and descends
    -mean(mask * r_lambda * log pi(y)), for ``train.steps`` Adam steps of size ``train.lr``.

    Parameters
    ----------
    instances : sequence of (p, b, c)
        Teacher and base distributions over K >= 2 tokens (token 0 the format token; K may differ
        between instances) and the clip strength c > 1.
    lams : sequence of array_like
        One 1-D grid of extrapolation coefficients (>= 0) per instance.
    batch : int
        Sampled tokens per row and step (>= 1).
    train : TrainConfig, optional
        Steps, step size, seed and device; the ci or full sizes' ``train`` by default.

    Returns
    -------
    tuple of PolicySweep
        One per instance. Its ``lambda_star`` is
        :func:`~theorybench.extrapolation_cliff.model.lambda_star_k`'s: inf when no ratio leaves
        [1/c, c] below lambda = 100 (a very loose clip).
    """
    import torch

    checked, grids = _family_inputs(instances, lams, "(p, b, c)", lambda c: float(_clip(c)))
    _integer_at_least(batch, "batch", 1)
    train = TrainConfig.resolve(train, lambda: sizes().train)
    steps, lr = train.require_steps(), train.lr
    K = max(pd.size for pd, _, _ in checked)
    rows = [(i, lam) for i, g in enumerate(grids) for lam in g]
    R = len(rows)
    log_p, log_b = np.full((R, K), -np.inf), np.full((R, K), -np.inf)
    log_c, lam_r = np.empty(R), np.empty(R)
    for r, (i, lam) in enumerate(rows):
        pd, bd, c = checked[i]
        log_p[r, : pd.size], log_b[r, : bd.size] = np.log(pd), np.log(bd)
        log_c[r], lam_r[r] = np.log(c), lam
    real = np.isfinite(log_b)
    target = np.where(real, (1 - lam_r[:, None]) * np.where(real, log_b, 0)
                      + lam_r[:, None] * np.where(real, log_p, 0), 0.0)  # fmt: skip
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    gen = torch.Generator(device=dev).manual_seed(train.seed)
    log_b_t = torch.tensor(log_b, device=dev, dtype=dtype)
    log_c_t = torch.tensor(log_c, device=dev, dtype=dtype)[:, None]
    target_t = torch.tensor(target, device=dev, dtype=dtype)  # (R, K) unnormalised log pi_lambda
    theta = log_b_t.clone().requires_grad_()
    opt = torch.optim.Adam([theta], lr=lr)
    masked, counted = torch.zeros(R, device=dev, dtype=dtype), 0
    real = torch.tensor(np.isfinite(log_b), device=dev)
    zero = torch.zeros((), device=dev, dtype=dtype)
    for t in range(steps):
        log_pi = torch.log_softmax(theta, dim=1)
        with torch.no_grad():
            # the batch enters the loss only through each token's count: the mean over samples
            # of ok * reward * log pi(y) is the sum over tokens of (count / batch) times it
            share = _multinomial_counts(log_pi.exp(), batch, gen) / batch
            ok = real & ((log_pi - log_b_t).abs() <= log_c_t)
            coef = torch.where(ok, share * (target_t - log_pi), zero)
        loss = -(coef * torch.where(real, log_pi, zero)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if t >= steps - max(1, steps // 10):
            masked += torch.where(real & ~ok, share, zero).sum(1)
            counted += 1
    with torch.no_grad():
        final = torch.log_softmax(theta, dim=1).cpu().numpy()
    frac = (masked / counted).cpu().numpy()
    out, start = [], 0
    for (pd, bd, c), g in zip(checked, grids, strict=True):
        sl = slice(start, start + g.size)
        start += g.size
        lp_i = final[sl, : pd.size]
        out.append(
            PolicySweep(
                lams=g,
                modal_mass=np.exp(lp_i[:, 0]),
                fixed_point=np.array([extrapolated_fixed_point_k(pd, bd, lam)[0] for lam in g]),
                clip_fraction=frac[sl],
                tail_logit_gap=lp_i[:, 0] - lp_i[:, 1:].max(1),
                lambda_star=lambda_star_k(pd, bd, c),
            )
        )
    return tuple(out)


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
    clipped, extrapolated OPD with Adam, every lambda batched in one tensor program (§7): one
    instance of :func:`train_categorical_family`.

    The result's ``lambda_star`` is :func:`~theorybench.extrapolation_cliff.model.lambda_star_k`'s:
    inf when no ratio leaves [1/c, c] below lambda = 100 (a very loose clip).
    """
    return train_categorical_family([(p, b, c)], [lams], batch=batch, train=train)[0]
