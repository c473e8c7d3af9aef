"""The torch experiment: (normalised) gradient descent on the attention weights W or (K, Q), batched over instances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from .._checks import finite_array
from .._checks import in_range as _in_range
from .._checks import integer_at_least as _integer_at_least
from .._checks import one_of as _one_of
from .._memo import reused
from ..stats import LogisticTrend, binomial_interval, logistic_trend
from ..training import TrainConfig
from .model import QUERIES, Array, _tokens, optimal_tokens, synthetic_instance

__all__ = [
    "attention_output",
    "GDRun",
    "DEFAULT_TRAIN",
    "train_gd",
    "OUTCOMES",
    "DirectionStats",
    "direction_experiment",
    "OverparamResult",
    "global_fraction",
    "RankGrid",
    "svm_rank_grid",
]


def _integer_grid(values: ArrayLike, name: str, lo: int) -> NDArray[np.int64]:
    """``values`` as a 1-D array of integers >= ``lo`` (finite, whole); else ValueError."""
    arr = finite_array(values, name).ravel()
    if np.any(arr != np.round(arr)) or np.any(arr < lo) or np.any(arr > 10_000):
        raise ValueError(f"{name} must hold whole numbers in [{lo}, 10000], got {values!r}")
    return arr.astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Torch model and gradient descent (§3, §5)
# ----------------------------------------------------------------------------------------------
def attention_output(X, Z, v, W):
    """f(X_i) = v' X_i' softmax(X_i W z_i), batched: X (..., n, T, d), Z (..., n, d), v (..., d),
    W (..., d, d) torch tensors; returns (..., n)."""
    import torch

    scores = torch.einsum("...ntd,...de,...ne->...nt", X, W, Z)
    return torch.einsum("...nt,...ntd,...d->...n", torch.softmax(scores, dim=-1), X, v)


def _constants(X, Y, v):
    """What the gradient needs of the data alone, computed once per run: the scores
    gamma_t = Y v' x_t (..., n, T), their gaps gamma_t - gamma_s (..., n, T, T), and a mask that
    is -inf where a gap is zero (those terms vanish and must not set the scale M)."""
    import torch

    gamma = Y[..., None] * torch.matmul(X, v[..., None, :, None])[..., 0]
    gap = gamma[..., :, None] - gamma[..., None, :]  # gamma_t - gamma_s
    mask = torch.zeros_like(gap).masked_fill(gap == 0, -torch.inf)
    return gamma, gap, mask


def _gradient(X, Y, Z, v, W, constants=None, with_loss=True):
    """dL/dW of the logistic loss in the log domain (§3), returned as (G e^{-M}, M, loss, a) with
    M the per-instance log of its largest term, so that a saturated softmax never underflows it.

    With a = softmax(X W z), gamma_t = Y v' x_t and margin m = sum_t a_t gamma_t,

        dL/dW = -(1/n) sum_{i,t,s} sigma(-m_i) a_it a_is (gamma_it - gamma_is) x_it z_i',

    and every weight sigma(-m_i) a_it a_is is formed as exp(log sigma(-m_i) + log a_it + log a_is
    - M). Normalised GD needs only the direction, which this keeps exact after the true gradient
    (of order e^{-margin ||W||}) has left the floating-point range. ``constants`` is
    ``_constants(X, Y, v)`` when the caller keeps it across steps; ``with_loss=False`` skips
    the loss (returned as None) on steps that do not record it. The contractions are batched
    matrix products: scores x_t' (W z), and G = sum_i (sum_t c_it x_it) z_i'."""
    import torch

    gamma, gap, mask = _constants(X, Y, v) if constants is None else constants
    Wz = torch.matmul(Z, W.transpose(-1, -2))  # (..., n, d): W z_i
    log_a = torch.log_softmax(torch.matmul(X, Wz[..., None])[..., 0], dim=-1)
    a = log_a.exp()
    margin = (a * gamma).sum(-1)  # Y_i f(X_i)
    log_w = (
        torch.nn.functional.logsigmoid(-margin)[..., None, None]
        + log_a[..., :, None]
        + log_a[..., None, :]
        + mask
    )  # (..., n, T, T); zero terms (t = s) are -inf
    M = log_w.amax(dim=(-3, -2, -1))
    c = (torch.exp(log_w - M[..., None, None, None]) * gap).sum(-1)  # (..., n, T)
    cx = torch.matmul(c[..., None, :], X)[..., 0, :]  # (..., n, d): sum_t c_it x_it
    grad = torch.matmul(cx.transpose(-1, -2), Z) / -X.shape[-3]
    loss = torch.nn.functional.softplus(-margin).mean(-1) if with_loss else None
    return grad, M, loss, a


@dataclass(frozen=True)
class GDRun:
    """Result of :func:`train_gd`: recorded at log-spaced steps, batched over instances."""

    steps: Array  # (S,) recorded step indices
    W: Array  # (B, S, d, d) W(t) (= K Q' for the (K, Q) parametrisation)
    loss: Array  # (B, S)
    attention: Array  # (B, S, n, T) softmax scores
    stopped: Array  # (B,) step at which the step could not be represented (else the step budget)

    def completed(self) -> NDArray[np.bool_]:
        """(B,) whether each instance ran every step of its budget."""
        return self.stopped == self.steps[-1]

    def selected(self) -> NDArray[np.int64]:
        """(B, n) the token each sample attends to most at the end."""
        return np.argmax(self.attention[:, -1], axis=-1)


#: largest step :func:`train_gd` accepts (larger steps overflow W = K Q' within a few steps)
TRAIN_LR_MAX = 1e6

#: normalised GD with step 0.1 for 2,000 steps: the authors' setting (§3)
DEFAULT_TRAIN = TrainConfig(steps=2000, lr=0.1)


def train_gd(
    X: ArrayLike,
    Y: ArrayLike,
    Z: ArrayLike,
    v: ArrayLike,
    *,
    param: str = "W",
    normalized: bool = True,
    kq_normalization: str = "joint",
    init_scale: float = 0.0,
    init: str = "normal",
    width: int | None = None,
    records: int = 60,
    train: TrainConfig = DEFAULT_TRAIN,
) -> GDRun:
    """Gradient descent on the logistic loss of one-layer attention (§3, §5), batched over
    instances (leading axis B of X, Y, Z, v; a single instance gets B = 1) and samples in one
    tensor program, float64 unless ``train.dtype`` says otherwise.

    ``param="W"``: W itself; ``param="KQ"``: W = K Q' with K, Q in R^{d x width} (default d),
    gradients dL/dK = G Q, dL/dQ = G' K. ``normalized=True``: each step moves by ``train.lr``
    along the negative gradient divided by its norm (per instance) -- the norm of (dL/dK, dL/dQ)
    together (``kq_normalization="joint"``) or of each factor's gradient on its own
    (``"separate"``, the authors' choice); else plain GD with step ``train.lr``. The gradient is
    computed in the log domain (``_gradient``), so normalised runs never underflow.
    Initialisation: entries N(0, init_scale^2) (``init="normal"``) or U(-init_scale, init_scale)
    (``init="uniform"``; init_scale = 1/sqrt(d) is torch's default ``nn.Linear`` initialisation);
    ``init_scale = 0`` starts W at 0 ((K, Q) needs init_scale > 0, 0 is a saddle).

    ``train.lr`` must lie in (0, 1e6]. A run stops only when its step cannot be represented (plain
    GD whose gradient underflows to 0, a non-finite gradient, or a step that would overflow W); ``GDRun.stopped`` reports the step, :meth:`GDRun.completed` whether
    every instance ran all ``train.steps``, and its later records repeat the last state.
    """
    X = np.asarray(X, dtype=float)
    single = X.ndim == 3
    Xb = _tokens(X)[None] if single else finite_array(X, "X")
    if Xb.ndim != 4:
        raise ValueError(f"X must have shape (n, T, d) or (B, n, T, d), got {X.shape}")
    B, n, T, d = Xb.shape
    Yb, Zb, vb = finite_array(Y, "Y"), finite_array(Z, "Z"), finite_array(v, "v")
    if Yb.size != B * n or not np.all(np.abs(Yb) == 1):
        raise ValueError(f"Y must hold {B * n} labels in {{-1, +1}}, got {Y!r}")
    if Zb.size != B * n * d or vb.size != B * d:
        raise ValueError(
            f"Z and v must have {B * n * d} and {B * d} entries for X of shape {X.shape}"
        )
    if max(np.abs(Xb).max(), np.abs(Zb).max(), np.abs(vb).max()) > 1e6:
        raise ValueError("X, Z and v must have entries of magnitude <= 1e6 (tokens are unit-norm)")
    Yb, Zb, vb = Yb.reshape(B, n), Zb.reshape(B, n, d), vb.reshape(B, d)
    _one_of(param, "param", ("W", "KQ"))
    _one_of(kq_normalization, "kq_normalization", ("joint", "separate"))
    _one_of(init, "init", ("normal", "uniform"))
    TrainConfig.check(train)
    train.require_steps()
    lr = train.lr
    _in_range(lr, "train.lr", 0.0, TRAIN_LR_MAX, lo_open=True)
    init_scale = _in_range(init_scale, "init_scale", 0.0, 100.0)
    if param == "KQ" and init_scale == 0:
        raise ValueError("init_scale must be > 0 for the (K, Q) parametrisation (0 is a saddle)")
    width = d if width is None else _integer_at_least(width, "width", 1)
    records = _integer_at_least(records, "records", 2)
    return _descend(
        Xb, Yb, Zb, vb, lr, param=param, normalized=normalized,
        kq_normalization=kq_normalization, init_scale=init_scale, init=init, width=width,
        records=records, train=train,
    )  # fmt: skip


def _descend(
    Xb: Array,
    Yb: Array,
    Zb: Array,
    vb: Array,
    lr: float | Array,
    *,
    param: str,
    normalized: bool,
    kq_normalization: str,
    init_scale: float,
    init: str,
    width: int,
    records: int,
    train: TrainConfig,
    init_seeds: tuple[int, ...] | None = None,
) -> GDRun:
    """The loop of :func:`train_gd` on checked arrays (B, n, T, d), (B, n), (B, n, d), (B, d);
    ``lr`` is one step size or one per instance (B,) (what ``train.lr`` is ignored for), so that
    runs at several step sizes share one batched program. ``init_seeds`` splits the B instances
    into equal consecutive blocks whose initialisations are drawn from one seed each, exactly as
    separate runs with those ``train.seed`` would draw them (default: one block, ``train.seed``),
    so that runs of several master seeds share one batched program."""
    import torch

    B, n, T, d = Xb.shape
    steps = train.require_steps()
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    t = {
        k: torch.tensor(a, dtype=dtype, device=dev)
        for k, a in (("X", Xb), ("Y", Yb), ("Z", Zb), ("v", vb))
    }
    init_seeds = (train.seed,) if init_seeds is None else init_seeds
    rows = B // len(init_seeds)
    shapes = [(rows, d, d)] if param == "W" else [(rows, d, width), (rows, d, width)]

    def draw(shape, gen):
        if init == "normal":
            return torch.randn(shape, generator=gen, dtype=torch.float64) * init_scale
        return (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * init_scale

    blocks = []  # per seed, its draws in the order a single run makes them (K, then Q)
    for seed in init_seeds:
        gen = torch.Generator().manual_seed(seed)
        blocks.append([draw(shape, gen) for shape in shapes])
    params = [torch.cat(ps).to(dev, dtype) for ps in zip(*blocks, strict=True)]
    if not np.isscalar(lr):  # one step size per instance: it scales each instance's step
        lr = torch.as_tensor(np.asarray(lr, dtype=float), device=dev).to(dtype)
    record = np.unique(np.round(np.geomspace(1, steps, records)).astype(int))
    record = np.concatenate([[0], record])
    Ws = np.empty((B, record.size, d, d))
    losses = np.empty((B, record.size))
    att = np.empty((B, record.size, n, T))
    alive = torch.ones(B, dtype=torch.bool, device=dev)
    stopped = np.full(B, steps)
    j = 0
    all_alive = True
    constants = _constants(t["X"], t["Y"], t["v"])
    for step in tqdm(range(steps + 1), disable=not train.progress, desc="GD", leave=False):
        W = params[0] if param == "W" else params[0] @ params[1].transpose(-1, -2)
        rec = step == record[j]
        G, log_scale, loss, a = _gradient(t["X"], t["Y"], t["Z"], t["v"], W, constants, rec)
        if rec:
            Ws[:, j], losses[:, j], att[:, j] = W.cpu().numpy(), loss.cpu().numpy(), a.cpu().numpy()
            j += 1
            if j == record.size:
                break
        grads = [G] if param == "W" else [G @ params[1], G.transpose(-1, -2) @ params[0]]
        norms = [torch.sqrt((g**2).sum((-2, -1))) for g in grads]
        joint = torch.sqrt(sum(nrm**2 for nrm in norms))
        if normalized:
            ok = torch.isfinite(joint) & (joint > 0)
            if kq_normalization == "separate":
                ok &= torch.stack([nrm > 0 for nrm in norms]).all(0)
                scales = [lr / nrm for nrm in norms]
            else:
                scales = [lr / joint] * len(grads)
        else:  # plain GD: the true gradient is (scaled gradient) e^M
            true_scale = torch.exp(log_scale)
            ok = torch.isfinite(joint) & (joint * true_scale > 0)
            scales = [lr * true_scale] * len(grads)
        if all_alive and bool(ok.all()):  # the usual step: every instance moves (no masking)
            new = [
                p - sc[:, None, None] * g for p, g, sc in zip(params, grads, scales, strict=True)
            ]
            W_new = new[0] if param == "W" else new[0] @ new[1].transpose(-1, -2)
            if bool(torch.isfinite(W_new).all()):  # bitwise the masked step below, in fewer ops
                params = new
                continue
        new = []
        for p, g, sc in zip(params, grads, scales, strict=True):
            sc = torch.nan_to_num(sc * (alive & ok), nan=0.0, posinf=0.0)
            new.append(p - sc[:, None, None] * torch.nan_to_num(g))
        W_new = new[0] if param == "W" else new[0] @ new[1].transpose(-1, -2)
        ok &= torch.isfinite(W_new).all(-1).all(-1)  # a step that overflows W is not taken
        for i in torch.nonzero(alive & ~ok).flatten().tolist():
            stopped[i] = step
        alive &= ok
        all_alive = bool(alive.all())
        params = [torch.where(alive[:, None, None], q, p) for p, q in zip(params, new, strict=True)]
    return GDRun(steps=record, W=Ws, loss=losses, attention=att, stopped=stopped)


# ----------------------------------------------------------------------------------------------
# Experiments and figures (§6)
# ----------------------------------------------------------------------------------------------


OUTCOMES = ("global", "local", "neither")


@dataclass(frozen=True)
class DirectionStats:
    """Result of :func:`direction_experiment`: one row per random instance."""

    param: str  # "W" or "KQ"
    query: str  # "self" or "cross"
    steps: Array  # (S,) recorded steps
    correlation: Array  # (B, S) with the Att-SVM of the finally selected tokens (nuclear for KQ)
    correlation_fro: Array  # (B, S) with the Frobenius Att-SVM of the same tokens
    selected_probability: Array  # (B, S) softmax mass on the finally selected token, mean over i
    outcome: NDArray[np.str_]  # (B,) "global", "local" (locally optimal) or "neither"
    rank: Array  # (B,) effective rank of the final W
    svm_rank: Array  # (B,) effective rank of the SVM it is compared with (-1: infeasible)
    W: Array  # (B, d, d) the final W (= K Q')
    svm_W: Array  # (B, d, d) the SVM it is compared with (NaN: infeasible)
    norm: Array  # (B, S) ||W(t)||_F
    log_unselected: (
        Array  # (B, S) log of the largest, over samples, softmax mass off the selected token
    )
    loss: Array  # (B,) the final loss L(W(T))
    limit_loss: Array  # (B,) L_alpha: the loss of attention entirely on the selected tokens
    infimum: Array  # (B,) L_opt: the loss of attention entirely on the optimal tokens (inf of L)
    selected: NDArray[np.int64]  # (B, n) the token each sample attends to most at the end

    @property
    def instances(self) -> int:
        """Number of instances B."""
        return int(self.correlation.shape[0])

    def counts(self) -> dict[str, int]:
        """How many instances ended at the global SVM, a locally optimal one, or neither."""
        return {o: int(np.sum(self.outcome == o)) for o in OUTCOMES}

    def concentration_rate(self, start: int = 200) -> Array:
        """(B,) how fast attention leaves the unselected tokens, in units of the SVM margin (§3):

            rho = [log u(t0) - log u(t1)] ||W^mm|| / (||W(t1)|| - ||W(t0)||),

        with u(t) the largest, over samples, softmax mass off the selected token, t0 the first
        record at or after ``start`` and t1 the last record where u(t) is still above the
        floating-point range (the run's end for W; earlier for (K, Q), whose norm grows like t^2).
        If W(t) ~ ||W(t)|| W^mm / ||W^mm||, the smallest score gap is ||W(t)|| / ||W^mm|| (the
        SVM margin is 1), so u ~ e^{-||W|| / ||W^mm||} and rho -> 1. NaN where the SVM is
        infeasible or fewer than two records lie in the window."""
        k = int(np.searchsorted(self.steps, start))
        M = np.linalg.norm(self.svm_W, axis=(-2, -1))
        rho = np.full(self.instances, np.nan)
        for b in range(self.instances):
            finite = np.flatnonzero(np.isfinite(self.log_unselected[b]))
            end = int(finite.max()) if finite.size else -1
            if end <= k or not np.isfinite(M[b]):
                continue
            drop = self.log_unselected[b, k] - self.log_unselected[b, end]
            rho[b] = drop * M[b] / (self.norm[b, end] - self.norm[b, k])
        return rho

    def final(self) -> Array:
        """(B,) the correlation at the last recorded step (NaN where the SVM is infeasible)."""
        return self.correlation[:, -1]


@reused
def direction_experiment(
    param: str = "W",
    query: str = "cross",
    *,
    instances: int = 100,
    n: int = 6,
    T: int = 8,
    d: int = 10,
    init_scale: float | None = None,
    kq_normalization: str = "joint",
    records: int = 40,
    train: TrainConfig = DEFAULT_TRAIN,
) -> DirectionStats:
    """The authors' direction experiment as statistics over random instances (§3, §5): normalised
    GD on W or (K, Q) from torch's default ``nn.Linear`` initialisation (U(-1/sqrt(d), 1/sqrt(d))
    entries unless ``init_scale`` is given), all instances in one batched run. After training the
    Att-SVM is solved for the tokens attention selects (Frobenius for W; nuclear and Frobenius for
    (K, Q)), and each instance is classed as ``global`` (the optimal token of every sample),
    ``local`` (a locally optimal selection,
    :func:`~theorybench.svm_attention.model.is_locally_optimal`) or ``neither``.

    Instance k is ``synthetic_instance(n, T, d, seed=train.seed * 100_003 + k, query=query)``; the
    initialisation is drawn from ``train.seed``. Raises RuntimeError if a run could not take every
    step of ``train.steps`` (a result never comes from a shorter run).
    """
    return _direction_experiments(
        param, query, (train.seed,), instances=instances, n=n, T=T, d=d, init_scale=init_scale,
        kq_normalization=kq_normalization, records=records, train=train,
    )[0]  # fmt: skip


def _check_gd(train: TrainConfig, init_scale: float, param: str) -> None:
    """:func:`train_gd`'s checks of the training configuration and the initial scale."""
    TrainConfig.check(train)
    train.require_steps()
    _in_range(train.lr, "train.lr", 0.0, TRAIN_LR_MAX, lo_open=True)
    _in_range(init_scale, "init_scale", 0.0, 100.0)
    if param == "KQ" and init_scale == 0:
        raise ValueError("init_scale must be > 0 for the (K, Q) parametrisation (0 is a saddle)")


def _direction_experiments(
    param: str,
    query: str,
    masters: tuple[int, ...],
    *,
    instances: int,
    n: int,
    T: int,
    d: int,
    init_scale: float | None,
    kq_normalization: str,
    records: int,
    train: TrainConfig,
) -> tuple[DirectionStats, ...]:
    """:func:`direction_experiment` for each master seed of ``masters`` (``train.seed``
    replaced by it), the instances of all masters trained as one batched program; each result
    is the one the single call makes (instances and initialisations drawn alike)."""
    _one_of(param, "param", ("W", "KQ"))
    _one_of(query, "query", QUERIES)
    _one_of(kq_normalization, "kq_normalization", ("joint", "separate"))
    instances = _integer_at_least(instances, "instances", 1)
    records = _integer_at_least(records, "records", 2)
    init_scale = 1 / np.sqrt(d) if init_scale is None else init_scale
    _check_gd(train, init_scale, param)
    data = [
        synthetic_instance(n, T, d, seed=m * 100_003 + k, query=query)
        for m in masters
        for k in range(instances)
    ]
    X, Y, Z, v = (np.stack(arrs) for arrs in zip(*data, strict=True))
    run = _descend(
        X, Y, Z, v, train.lr, param=param, normalized=True, kq_normalization=kq_normalization,
        init_scale=float(init_scale), init="uniform", width=d, records=records, train=train,
        init_seeds=tuple(masters),
    )  # fmt: skip
    if not run.completed().all():
        bad = np.flatnonzero(~run.completed())
        raise RuntimeError(f"instances {bad.tolist()} stopped early at steps {run.stopped[bad]}")
    out = []
    for i in range(len(masters)):
        rows = slice(i * instances, (i + 1) * instances)
        part = GDRun(run.steps, run.W[rows], run.loss[rows], run.attention[rows], run.stopped[rows])
        out.append(_direction_stats(param, query, X[rows], Y[rows], Z[rows], v[rows], part))
    return tuple(out)


def _direction_stats(param, query, X, Y, Z, v, run: GDRun) -> DirectionStats:
    """The statistics of :func:`direction_experiment` from its instances and its run."""
    from .model import (
        _support_scores_lower,
        att_svm,
        direction_correlation,
        effective_rank,
        selection_loss,
    )

    instances, d = X.shape[0], X.shape[-1]
    sel = run.selected()
    S = run.steps.size
    corr, corr_fro = np.full((instances, S), np.nan), np.full((instances, S), np.nan)
    outcome = np.empty(instances, dtype="<U7")
    svm_rank = np.full(instances, -1)
    svm_W = np.full((instances, d, d), np.nan)
    for b in range(instances):
        gamma, opt = optimal_tokens(X[b], Y[b], v[b])
        is_global = np.array_equal(sel[b], opt)
        outcome[b] = "global" if is_global else "neither"
        try:
            fro = att_svm(X[b], Z[b], sel[b])
        except ValueError:  # infeasible selection: no SVM to compare with, not locally optimal
            continue
        if not is_global and _support_scores_lower(fro, gamma, sel[b]):  # is_locally_optimal
            outcome[b] = "local"
        ref = att_svm(X[b], Z[b], sel[b], norm="nuc") if param == "KQ" else fro
        corr[b] = direction_correlation(run.W[b], ref.W)
        corr_fro[b] = direction_correlation(run.W[b], fro.W)
        svm_rank[b], svm_W[b] = effective_rank(ref.W), ref.W
    p_sel = np.take_along_axis(run.attention, sel[:, None, :, None], axis=-1)[..., 0].mean(-1)
    off = run.attention.copy()  # the small masses themselves: 1 - a_sel would round to 0
    np.put_along_axis(off, sel[:, None, :, None], 0.0, axis=-1)
    with np.errstate(divide="ignore"):
        log_off = np.log(off.sum(-1).max(-1))
    limit = np.array([selection_loss(X[b], Y[b], v[b], sel[b]) for b in range(instances)])
    inf = np.array([selection_loss(X[b], Y[b], v[b], optimal_tokens(X[b], Y[b], v[b])[1])
                    for b in range(instances)])  # fmt: skip
    return DirectionStats(
        param=param,
        query=query,
        steps=run.steps,
        correlation=corr,
        correlation_fro=corr_fro,
        selected_probability=p_sel,
        outcome=outcome,
        rank=np.array([effective_rank(w) for w in run.W[:, -1]]),
        svm_rank=svm_rank,
        W=run.W[:, -1],
        svm_W=svm_W,
        norm=np.linalg.norm(run.W, axis=(-2, -1)),
        log_unselected=log_off,
        loss=run.loss[:, -1],
        limit_loss=limit,
        infimum=inf,
        selected=sel,
    )


@dataclass(frozen=True)
class OverparamResult:
    """Result of :func:`global_fraction`: per d, how many of the instances reached the global
    Att-SVM, with Wilson intervals, and the logistic trend of success on log d."""

    ds: Array
    successes: Array  # (len(ds),) instances whose attention ends on every optimal token
    instances: int
    lo: Array  # Wilson 95 % interval of the fraction
    hi: Array
    trend: LogisticTrend  # P(global) = sigmoid(a + b log d), b with its 95 % Wald interval

    @property
    def fractions(self) -> Array:
        """successes / instances per d."""
        return self.successes / self.instances


@reused
def global_fraction(
    n: int,
    T: int,
    ds: ArrayLike,
    *,
    instances: int = 100,
    query: str = "cross",
    train: TrainConfig = DEFAULT_TRAIN,
) -> OverparamResult:
    """Over-parameterisation (§4): for each d, the number of random instances on which normalised
    GD from ``nn.Linear``'s default initialisation selects the optimal token of every sample (so
    converges to the global Att-SVM, not a local one). The instances of one d are trained together
    as one batched program; instance k of dimension d is ``synthetic_instance(n, T, d,
    seed=train.seed * 100_003 + 1000 d + k, query=query)``. The trend is a logistic regression of
    success on log d over all instances (:func:`theorybench.stats.logistic_trend`)."""
    return _global_fractions(n, T, ds, (train.seed,), instances=instances, query=query,
                             train=train)[0]  # fmt: skip


def _global_fractions(
    n: int,
    T: int,
    ds: ArrayLike,
    masters: tuple[int, ...],
    *,
    instances: int,
    query: str,
    train: TrainConfig,
) -> tuple[OverparamResult, ...]:
    """:func:`global_fraction` for each master seed of ``masters`` (``train.seed`` replaced by
    it), the instances of all masters at one d trained as one batched program; each result is
    the one the single call makes."""
    ds_arr = _integer_grid(ds, "ds", 2)
    if np.unique(ds_arr).size < 2:
        raise ValueError(f"ds must hold at least two distinct dimensions >= 2, got {ds!r}")
    instances = _integer_at_least(instances, "instances", 2)
    _one_of(query, "query", QUERIES)
    _check_gd(train, 0.5, "W")
    M = len(masters)
    wins = np.zeros((M, ds_arr.size))
    ys = np.zeros((M, ds_arr.size, instances))
    for j, d in enumerate(tqdm(ds_arr.tolist(), desc="d", leave=False, disable=not train.progress)):
        data = [
            synthetic_instance(n, T, d, seed=m * 100_003 + 1000 * d + k, query=query)
            for m in masters
            for k in range(instances)
        ]
        X, Y, Z, v = (np.stack(arrs) for arrs in zip(*data, strict=True))
        run = _descend(
            X, Y, Z, v, train.lr, param="W", normalized=True, kq_normalization="joint",
            init_scale=float(1 / np.sqrt(d)), init="uniform", width=d, records=2, train=train,
            init_seeds=tuple(masters),
        )  # fmt: skip
        if not run.completed().all():
            raise RuntimeError(f"a run at d = {d} stopped early at step {run.stopped.min()}")
        opt = np.stack([optimal_tokens(x, y, w)[1] for x, y, w in zip(X, Y, v, strict=True)])
        ok = np.all(run.selected() == opt, axis=1).reshape(M, instances)
        wins[:, j] = ok.sum(1)
        ys[:, j] = ok
    x = np.repeat(np.log(ds_arr.astype(float)), instances)
    out = []
    for i in range(M):
        lo, hi = binomial_interval(wins[i], instances)
        try:
            trend = logistic_trend(x, ys[i].ravel())
        except ValueError:  # every instance alike, or success separated by d
            raise ValueError(
                "the logistic trend in log d cannot be fitted to these runs (every instance had "
                "the same outcome, or the outcome is separated by d); take more "
                f"instances (got {instances}) or a wider range of ds (got {ds_arr.tolist()})"
            ) from None
        out.append(OverparamResult(ds_arr.astype(float), wins[i], instances, lo, hi, trend))
    return tuple(out)


@dataclass(frozen=True)
class RankGrid:
    """Result of :func:`svm_rank_grid`: arrays indexed (n, T, d)."""

    ns: Array
    Ts: Array
    ds: Array
    instances: int
    feasible: Array  # fraction of random instances whose optimal tokens are separable
    rank_fro: Array  # mean effective rank of the Frobenius Att-SVM over the feasible ones
    rank_nuc: Array  # mean effective rank of the nuclear-norm Att-SVM


@reused
def svm_rank_grid(
    ns: ArrayLike, Ts: ArrayLike, ds: ArrayLike, *, instances: int = 100, seed: int = 0,
    progress: bool = False,
) -> RankGrid:  # fmt: skip
    """The authors' rank experiment (§5): for random instances (unit Gaussian tokens, head and
    cross-attention queries), the effective rank (:func:`~theorybench.svm_attention.model.effective_rank`) of the Frobenius and of
    the nuclear-norm Att-SVM of the optimal tokens, averaged over the instances whose Att-SVM is
    feasible, on a grid of n, T and d. One draw per instance (no redraws), so ``feasible`` is the
    fraction of separable instances."""
    from .model import _feasible, att_svm, effective_rank

    grids = [
        _integer_grid(g, name, lo) for g, name, lo in ((ns, "ns", 1), (Ts, "Ts", 2), (ds, "ds", 2))
    ]
    instances = _integer_at_least(instances, "instances", 1)
    seed = _integer_at_least(seed, "seed", 0)
    shape = tuple(g.size for g in grids)
    feasible, r_fro, r_nuc = np.zeros(shape), np.full(shape, np.nan), np.full(shape, np.nan)
    cells = list(np.ndindex(shape))
    for idx in tqdm(cells, desc="rank grid", leave=False, disable=not progress):
        n, T, d = (int(g[i]) for g, i in zip(grids, idx, strict=True))
        rng = np.random.default_rng([seed, n, T, d])
        ranks = []
        for _ in range(instances):
            X = rng.standard_normal((n, T, d))
            X /= np.linalg.norm(X, axis=2, keepdims=True)
            v, Z = rng.standard_normal(d), rng.standard_normal((n, d))
            Z /= np.linalg.norm(Z, axis=1, keepdims=True)
            opt = optimal_tokens(X, rng.choice([-1.0, 1.0], size=n), v)[1]
            if not _feasible(X, Z, opt):
                continue
            ranks.append([effective_rank(att_svm(X, Z, opt, norm=m).W) for m in ("fro", "nuc")])
        feasible[idx] = len(ranks) / instances
        if ranks:
            r_fro[idx], r_nuc[idx] = np.mean(ranks, axis=0)
    return RankGrid(*(g.astype(float) for g in grids), instances, feasible, r_fro, r_nuc)
