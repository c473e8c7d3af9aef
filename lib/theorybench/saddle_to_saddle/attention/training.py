"""The torch experiment for multi-head linear attention trained by SGD on in-context regression."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ... import _checks
from ..._checks import integer_at_least as _integer_at_least
from ..._memo import reused
from ...training import TrainConfig
from .._shared.inputs import Array, context_length, eigenvalues
from ..scales import CI, sizes

__all__ = [
    "AttentionRun",
    "ATTENTION_TRAIN",
    "train_attention",
    "HeadSpecialisation",
    "SPECIALISATION_TRAIN",
    "head_specialisation",
]

#: SGD, step 0.1, 1,800 steps (the ci sizes' config)
ATTENTION_TRAIN = CI.attention.train
#: SGD, step 0.1, 2,200 steps: the random-start runs of the specialisation measurement
SPECIALISATION_TRAIN = TrainConfig(steps=2200, lr=0.1)


@dataclass(frozen=True)
class AttentionRun:
    """Result of :func:`train_attention`: one row per initialisation scale."""

    sigmas: Array
    head_scales: Array  # (heads,) multipliers of sigma per head
    steps: Array  # recorded step indices
    lr: float
    context: int
    loss: Array  # (len(sigmas), len(steps)) loss on a fixed held-out set of sequences
    head_norms: Array  # (len(sigmas), len(steps), heads): |v_h| ||k_h|| ||q_h||
    head_diagonals: (
        Array  # (len(sigmas), len(steps), heads, d): v_h k_hi q_hi, head h's part of M_ii
    )

    @property
    def times(self) -> Array:
        """Recorded steps in gradient-flow time, steps x lr."""
        return self.steps * self.lr


def _sequences(gen, lam, n_seq, context, torch, dev, dtype):
    x = torch.randn(n_seq, context + 1, lam.size, generator=gen, dtype=torch.float64)
    x = (x * torch.tensor(np.sqrt(lam))).to(dev, dtype)
    w = torch.randn(n_seq, lam.size, generator=gen, dtype=torch.float64).to(dev, dtype)
    y = torch.einsum("bnd,bd->bn", x, w)
    return x, y


@reused
def train_attention(
    lam: ArrayLike,
    sigmas: ArrayLike,
    *,
    heads: int | None = None,
    head_scales: ArrayLike | None = None,
    context: int = 16,
    batch: int = 2048,
    eval_sequences: int = 16384,
    init: str = "aligned",
    record_every: int = 10,
    train: TrainConfig | None = None,
) -> AttentionRun:
    """Train multi-head linear attention on in-context linear regression by SGD on fresh
    sequences, batched over the initialisation scales ``sigmas`` (§6.3).

    Sequence: x_1..x_N, x_q ~ N(0, diag(lam)), y_n = w'x_n, w ~ N(0, I). Head h reads the value
    y_n, scores token n against the query with rank-one key and query, and the model predicts

        y_hat = sum_h v_h (1/N) sum_n y_n (k_h' x_n)(q_h' x_q),

    computed in linear attention's associative order (the keys-times-values state first).
    ``init="aligned"``: v_h = k_hh = q_hh = sigma * head_scales[h] (heads = len(lam));
    ``init="random"``: v ~ N(0, sigma^2), k, q ~ N(0, sigma^2 I / d). Each step draws ``batch``
    new sequences (seeded); the recorded loss is on ``eval_sequences`` fixed held-out sequences.
    ``train``: ``steps`` of SGD with step ``lr``; ``seed`` draws the sequences (and the random
    start from seed + 1).
    """
    import torch

    lam = eigenvalues(lam)
    context = context_length(context)
    d = lam.size
    sig = _checks.positive_array(sigmas, "sigmas", ndim=1)
    if np.any(sig > 10):
        raise ValueError(f"sigmas must be small initial scales in (0, 10], got {sig.tolist()}")
    heads = d if heads is None else heads
    _integer_at_least(heads, "heads", 1)
    if init not in ("aligned", "random"):
        raise ValueError(f"init must be 'aligned' or 'random', got {init!r}")
    if init == "aligned" and heads != d:
        raise ValueError(f"the aligned start needs heads == len(lam) = {d}, got heads={heads}")
    hs = np.ones(heads) if head_scales is None else np.asarray(head_scales, dtype=float)
    if hs.shape != (heads,) or np.any(~(hs > 0)):
        raise ValueError(f"head_scales must hold {heads} positive numbers, got {head_scales!r}")
    for name, value in (
        ("batch", batch),
        ("eval_sequences", eval_sequences),
        ("record_every", record_every),
    ):
        _integer_at_least(value, name, 1)
    train = TrainConfig.resolve(train, lambda: sizes().attention.train)
    steps, lr, seed = train.require_steps(), train.lr, train.seed
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    R = sig.size
    scale = torch.tensor(sig[:, None] * hs[None, :], dtype=torch.float64)  # (R, H)
    if init == "aligned":
        v = scale.clone()
        k = torch.diag_embed(scale)
        q = torch.diag_embed(scale)
    else:
        g0 = torch.Generator().manual_seed(seed + 1)
        v = torch.randn(R, heads, generator=g0, dtype=torch.float64) * scale
        k = torch.randn(R, heads, d, generator=g0, dtype=torch.float64) * scale[..., None] / d**0.5
        q = torch.randn(R, heads, d, generator=g0, dtype=torch.float64) * scale[..., None] / d**0.5
    params = [p.to(dev, dtype).requires_grad_() for p in (v, k, q)]
    gen = torch.Generator().manual_seed(seed)
    x_eval, y_eval = _sequences(gen, lam, eval_sequences, context, torch, dev, dtype)

    def loss_on(x, y):
        v, k, q = params
        state = torch.einsum("bn,bnd->bd", y[:, :-1], x[:, :-1]) / context  # sum_n y_n x_n / N
        keys = torch.einsum("bd,rhd->rbh", state, k)
        queries = torch.einsum("bd,rhd->rbh", x[:, -1], q)
        y_hat = torch.einsum("rbh,rbh,rh->rb", keys, queries, v)
        return 0.5 * ((y[:, -1] - y_hat) ** 2).mean(1)

    record = np.arange(0, steps + 1, record_every)
    loss = np.empty((R, record.size))
    norms = np.empty((R, record.size, heads))
    diagonals = np.empty((R, record.size, heads, d))
    for j in range(record.size):
        with torch.no_grad():
            loss[:, j] = loss_on(x_eval, y_eval).cpu().numpy()
            v, k, q = params
            norms[:, j] = (v.abs() * k.norm(dim=-1) * q.norm(dim=-1)).cpu().numpy()
            diagonals[:, j] = (v[..., None] * k * q).cpu().numpy()
        if j == record.size - 1:
            break
        for _ in range(record_every):
            x, y = _sequences(gen, lam, batch, context, torch, dev, dtype)
            grads = torch.autograd.grad(loss_on(x, y).sum(), params)
            with torch.no_grad():
                for p, g in zip(params, grads, strict=True):
                    p -= lr * g
    return AttentionRun(
        sigmas=sig,
        head_scales=hs,
        steps=record,
        lr=float(lr),
        context=context,
        loss=loss,
        head_norms=norms,
        head_diagonals=diagonals,
    )


@dataclass(frozen=True)
class HeadSpecialisation:
    """Result of :func:`head_specialisation`: arrays indexed (seed, component i)."""

    lam: Array
    times: Array  # (S,) recorded times (steps x lr)
    transitions: list[Array]  # per seed, transition times found on the loss curve alone
    acquired: Array  # (seeds, d) time the components' total share first reaches 1/2 (NaN: never)
    carrier: Array  # (seeds, d) the head carrying most of component i at the end
    carrier_share: Array  # (seeds, d) that head's part of the component's total at the end
    total_share: Array  # (seeds, d) the component's total M_ii / m_i* at the end


@reused
def head_specialisation(
    lam: ArrayLike,
    *,
    seeds: int = 10,
    sigma: float = 0.1,
    context: int = 16,
    batch: int = 512,
    train: TrainConfig = SPECIALISATION_TRAIN,
) -> HeadSpecialisation:
    """Multi-head linear attention from a *random* small start (§6.3), one run per seed: which
    head ends up carrying which component i (its part v_h k_hi q_hi of M_ii, against the
    component's optimum m_i*), when each component is acquired (its total share reaches 1/2),
    and the transitions found on the loss curve alone (``detect_plateaus``)."""
    from ..plateaus import detect_plateaus
    from .closed_forms import attention_targets

    lam_arr = np.asarray(lam, dtype=float)
    seeds = _integer_at_least(seeds, "seeds", 1)
    m_star, _ = attention_targets(lam_arr, context)
    runs = [
        train_attention(lam_arr, [sigma], context=context, init="random", batch=batch,
                        eval_sequences=4096, train=train.replace(seed=train.seed * 1000 + s))
        for s in range(seeds)
    ]  # fmt: skip
    d = lam_arr.size
    acquired, carrier = np.full((seeds, d), np.nan), np.empty((seeds, d), dtype=int)
    carrier_share, total = np.empty((seeds, d)), np.empty((seeds, d))
    transitions = []
    for s, run in enumerate(runs):
        share = run.head_diagonals[0] / m_star  # (S, heads, d)
        tot = share.sum(1)  # (S, d)
        for i in range(d):
            reached = np.nonzero(tot[:, i] >= 0.5)[0]
            if reached.size:
                acquired[s, i] = run.times[reached[0]]
            h = int(np.argmax(np.abs(share[-1, :, i])))
            carrier[s, i], total[s, i] = h, tot[-1, i]
            carrier_share[s, i] = share[-1, h, i] / tot[-1, i] if tot[-1, i] != 0 else np.nan
        transitions.append(detect_plateaus(run.times, run.loss[0]).transition_times)
    return HeadSpecialisation(
        lam=lam_arr,
        times=runs[0].times,
        transitions=transitions,
        acquired=acquired,
        carrier=carrier,
        carrier_share=carrier_share,
        total_share=total,
    )
