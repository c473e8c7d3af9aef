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


def _sequences(rng: np.random.Generator, lam: Array, n_seq: int, context: int) -> tuple:
    """``n_seq`` sequences, as the model reads them: (state, x_q, y_q), state = (1/N) sum_n y_n x_n.

    With x_n ~ N(0, diag(lam)) and y_n = w'x_n, state = C w with C = X'X / N the context's
    empirical covariance: a Wishart matrix, drawn exactly by the Bartlett decomposition
    X'X = L A A' L (L = diag(sqrt(lam)); A lower triangular, A_ii^2 ~ chi^2(N - i), i = 0..d-1,
    A_ij ~ N(0, 1) below the diagonal): (d^2 + 5d)/2 draws per sequence with x_q and w (12 for
    d = 3) instead of (N + 2) d (for N < d, where C is singular, the tokens themselves are
    drawn). x_q ~ N(0, diag(lam)), w ~ N(0, I)."""
    d = lam.size
    root = np.sqrt(lam)
    z = rng.standard_normal((n_seq, 2 * d + d * (d - 1) // 2))
    w, x_q = z[:, :d], z[:, d : 2 * d] * root
    if context >= d:
        A = np.zeros((n_seq, d, d))
        below = np.tril_indices(d, -1)
        A[:, below[0], below[1]] = z[:, 2 * d :]
        A[:, np.arange(d), np.arange(d)] = np.sqrt(
            rng.chisquare(context - np.arange(d), (n_seq, d))
        )
        v = np.einsum("bji,bj->bi", A, w * root)  # A' L w
        state = np.einsum("bij,bj->bi", A, v) * root / context  # L A A' L w / N
    else:
        x = rng.standard_normal((n_seq, context, d)) * root
        state = np.einsum("bnd,bn->bd", x, np.einsum("bnd,bd->bn", x, w)) / context
    return state, x_q, np.einsum("bd,bd->b", x_q, w)


def _attention_runs(
    lam: Array,
    scale: Array,
    seeds: list[int],
    *,
    heads: int,
    context: int,
    batch: int,
    eval_sequences: int,
    init: str,
    record_every: int,
    train: TrainConfig,
) -> tuple:
    """The SGD loop of :func:`train_attention`, batched over runs r = 0..R-1 (initial scales
    ``scale`` (R, heads)). One seed: every run reads the same sequences (drawn from
    default_rng(seed); the random start from torch's generator at seed + 1). R seeds: run r reads
    its own, from seeds[r] (and seeds[r] + 1), as it would alone. Returns the recorded steps,
    loss (R, T), head norms (R, T, heads) and head diagonals (R, T, heads, d). The SGD step's
    gradient is written out by hand (no autograd graph)."""
    import torch

    steps, lr = train.require_steps(), train.lr
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    R, d = scale.shape[0], lam.size
    sc = torch.tensor(scale, dtype=torch.float64)  # (R, H)
    if init == "aligned":
        v, k, q = sc.clone(), torch.diag_embed(sc), torch.diag_embed(sc)
    else:
        groups = [(seeds[0], slice(0, R))] if len(seeds) == 1 else [
            (s, slice(r, r + 1)) for r, s in enumerate(seeds)
        ]  # fmt: skip
        parts = []
        for s, rows in groups:
            g0 = torch.Generator().manual_seed(s + 1)
            n = rows.stop - rows.start
            parts.append((torch.randn(n, heads, generator=g0, dtype=torch.float64),
                          torch.randn(n, heads, d, generator=g0, dtype=torch.float64),
                          torch.randn(n, heads, d, generator=g0, dtype=torch.float64)))  # fmt: skip
        v, k, q = (torch.cat(p) for p in zip(*parts, strict=True))
        v, k, q = v * sc, k * sc[..., None] / d**0.5, q * sc[..., None] / d**0.5
    params = [p.to(dev, dtype) for p in (v, k, q)]
    rngs = [np.random.default_rng(s) for s in seeds]

    def draw(n):  # (G, n, ...) tensors, G = number of sequence streams (1 or R)
        cols = zip(*(_sequences(g, lam, n, context) for g in rngs), strict=True)
        return [torch.tensor(np.stack(c), dtype=dtype, device=dev) for c in cols]

    def per_run(x):  # (G, b, d) -> an einsum operand and its label: shared ("bd") or own ("rbd")
        return (x[0], "bd") if x.shape[0] == 1 else (x, "rbd")

    def forward(state, x_q, y_q):  # the keys, queries and errors y_hat - y_q
        v, k, q = params
        (s_, ls), (xq, lq) = per_run(state), per_run(x_q)
        keys = torch.einsum(f"{ls},rhd->rbh", s_, k)
        queries = torch.einsum(f"{lq},rhd->rbh", xq, q)
        return keys, queries, torch.einsum("rbh,rbh,rh->rb", keys, queries, v) - y_q

    def gradients(state, x_q, y_q):
        """Of the summed per-run losses L_r = mean_b (y_hat - y_q)^2 / 2, by hand: with
        e = (y_hat - y_q)/b, dL/dv_h = sum_b e K_h Q_h, dL/dk_h = v_h sum_b e Q_h state,
        dL/dq_h = v_h sum_b e K_h x_q (K_h = k_h'state, Q_h = q_h'x_q)."""
        v, k, q = params
        keys, queries, err = forward(state, x_q, y_q)
        e = err[..., None] / err.shape[1]  # (R, b, 1)
        (s_, ls), (xq, lq) = per_run(state), per_run(x_q)
        gv = (e * keys * queries).sum(1)
        gk = torch.einsum(f"rbh,{ls}->rhd", e * queries, s_) * v[..., None]
        gq = torch.einsum(f"rbh,{lq}->rhd", e * keys, xq) * v[..., None]
        return gv, gk, gq

    evaluation = draw(eval_sequences)
    record = np.arange(0, steps + 1, record_every)
    loss = np.empty((R, record.size))
    norms = np.empty((R, record.size, heads))
    diagonals = np.empty((R, record.size, heads, d))
    for j in range(record.size):
        v, k, q = params
        loss[:, j] = (0.5 * (forward(*evaluation)[2] ** 2).mean(1)).cpu().numpy()
        norms[:, j] = (v.abs() * k.norm(dim=-1) * q.norm(dim=-1)).cpu().numpy()
        diagonals[:, j] = (v[..., None] * k * q).cpu().numpy()
        if j == record.size - 1:
            break
        block = draw(batch * record_every)  # the block's sequences in one draw per stream
        for i in range(record_every):
            part = [x[:, i * batch : (i + 1) * batch] for x in block]
            for p, g in zip(params, gradients(*part), strict=True):
                p -= lr * g
    return record, loss, norms, diagonals


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

    computed in linear attention's associative order (the keys-times-values state
    (1/N) sum_n y_n x_n first, drawn directly from its exact law: see ``_sequences``).
    ``init="aligned"``: v_h = k_hh = q_hh = sigma * head_scales[h] (heads = len(lam));
    ``init="random"``: v ~ N(0, sigma^2), k, q ~ N(0, sigma^2 I / d). Each step reads ``batch``
    new sequences (seeded; drawn ``record_every`` steps at a time); the recorded loss is on
    ``eval_sequences`` fixed held-out sequences.
    ``train``: ``steps`` of SGD with step ``lr``; ``seed`` draws the sequences (and the random
    start from seed + 1).
    """
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
    record, loss, norms, diagonals = _attention_runs(
        lam, sig[:, None] * hs[None, :], [train.seed], heads=heads, context=context, batch=batch,
        eval_sequences=eval_sequences, init=init, record_every=record_every, train=train,
    )  # fmt: skip
    return AttentionRun(
        sigmas=sig,
        head_scales=hs,
        steps=record,
        lr=float(train.lr),
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

    lam_arr = eigenvalues(lam)
    context = context_length(context)
    seeds = _integer_at_least(seeds, "seeds", 1)
    sigma = _checks.positive(sigma, "sigma")
    if sigma > 10:
        raise ValueError(f"sigma must be a small initial scale in (0, 10], got {sigma}")
    _integer_at_least(batch, "batch", 1)
    train = TrainConfig.check(train)
    m_star, _ = attention_targets(lam_arr, context)
    # one batched model, run s reading its own sequences and start: what train_attention with
    # init="random", sigmas=[sigma], train seed train.seed * 1000 + s gives alone
    record, loss, _, diagonals = _attention_runs(
        lam_arr, np.full((seeds, lam_arr.size), float(sigma)),
        [train.seed * 1000 + s for s in range(seeds)], heads=lam_arr.size, context=context,
        batch=batch, eval_sequences=4096, init="random", record_every=10, train=train,
    )  # fmt: skip
    times = record * train.lr
    d = lam_arr.size
    acquired, carrier = np.full((seeds, d), np.nan), np.empty((seeds, d), dtype=int)
    carrier_share, total = np.empty((seeds, d)), np.empty((seeds, d))
    transitions = []
    for s in range(seeds):
        share = diagonals[s] / m_star  # (S, heads, d)
        tot = share.sum(1)  # (S, d)
        for i in range(d):
            reached = np.nonzero(tot[:, i] >= 0.5)[0]
            if reached.size:
                acquired[s, i] = times[reached[0]]
            h = int(np.argmax(np.abs(share[-1, :, i])))
            carrier[s, i], total[s, i] = h, tot[-1, i]
            carrier_share[s, i] = share[-1, h, i] / tot[-1, i] if tot[-1, i] != 0 else np.nan
        transitions.append(detect_plateaus(times, loss[s]).transition_times)
    return HeadSpecialisation(
        lam=lam_arr,
        times=times,
        transitions=transitions,
        acquired=acquired,
        carrier=carrier,
        carrier_share=carrier_share,
        total_share=total,
    )
