"""A real network trained by Lion-K: an MLP on scikit-learn's bundled 8x8 digits (1,797 images,
no download), trained by sign Lion, by AdamW and by Muon (Lion-K with K the nuclear norm) from
the same starts on the same minibatches (theory/lion.md §9).

What the theory predicts for every parameter tensor w and Lion's weight decay lam, with a
constant step lr and lr * lam <= 1 (§6): the excess e_t = lam ||w_t||_inf - 1 obeys
e_{t+1} <= (1 - lr lam) e_t while positive (phase 1: into the box at least geometrically,
:func:`~theorybench.lion.discrete.phase1_envelope`), and once e_t <= 0 it stays <= 0 (phase 2:
the box {abs(w) <= 1/lam} is mapped into itself). For Muon the same holds with the spectral
norm of each weight matrix in place of ||w||_inf (§7).

The seeds of one configuration train as one batched network: every parameter carries a leading
seed axis, and the loss is the sum of the seeds' losses, so each seed gets its own gradient.
Sign Lion and AdamW act entry by entry and Muon matrix by matrix, so batching changes nothing;
likewise every weight decay of one optimizer trains as rows of the same tensors (one
batched program per optimizer instead of one per configuration).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from .. import _checks
from .._memo import reused
from ..training import TrainConfig
from .discrete import _lion_k_update
from .kappa import get_kappa
from .scales import CI, sizes

__all__ = [
    "DigitsRun",
    "OptimizerRuns",
    "PhaseStats",
    "DIGITS_TRAIN",
    "load_digits_split",
    "train_digits",
    "phase_stats",
]

#: sign Lion with constant step 2e-3 for 1,000 minibatch steps (the ci sizes' config)
DIGITS_TRAIN = CI.digits.train

Array = NDArray[np.float64]
#: relative tolerance of "reached the box" for the phase-1 entry step: lam ||w||_inf <= 1 + TOL
TOL = 1e-3
#: float64 rounding allowance of the per-step inequalities, relative to 1/lam (a few ulps of
#: the O(1) quantities lam ||w||_inf that one step combines)
ROUNDING = 1e-12
#: share of the training split held out to pick each optimizer's best decay
VALIDATION_FRACTION = 0.2


def load_digits_split(seed: int = 0, test_fraction: float = 0.2) -> tuple[Array, ...]:
    """scikit-learn's bundled digits (no download), pixels scaled to [0, 1], split at random.

    Parameters
    ----------
    seed : int
        Seed of the random split.
    test_fraction : float
        Share of the 1,797 images held out as the test set (0.2: 359 images).

    Returns
    -------
    tuple of ndarray
        ``(X_train, y_train, X_test, y_test)``.
    """
    from sklearn.datasets import load_digits

    _checks.in_range(test_fraction, "test_fraction", 0.0, 1.0, lo_open=True, hi_open=True)
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(_checks.integer_at_least(seed, "seed", 0)).permutation(y.size)
    n_test = int(round(test_fraction * y.size))
    test, train = order[:n_test], order[n_test:]
    return X[train] / 16.0, y[train], X[test] / 16.0, y[test]


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptimizerRuns:
    """One optimizer at one weight decay, over seeds (axis 0) and recorded steps (axis 1).

    ``weight_decay`` is the optimizer's own argument: lam for Lion and Muon, ``weight_decay``
    for torch's AdamW. Each shrinks the weights by the factor 1 - ``per_step_decay`` per step.
    """

    optimizer: str
    lr: float
    weight_decay: float
    test_accuracy: Array  # (seeds, records)
    train_loss: Array  # (seeds, records)
    validation_accuracy: Array  # (seeds,) at the last step
    max_abs_weight: Array  # (seeds, steps + 1): max over tensors of ||w||_inf at every step
    boundary_fraction: Array  # (seeds, records): share of weights with lam abs(w) >= 1 - TOL
    spectral_norms: Array  # (seeds, records, matrices): ||W||_op of each weight matrix

    @property
    def per_step_decay(self) -> float:
        """lr * weight_decay: the factor by which the decay alone shrinks the weights per step."""
        return self.lr * self.weight_decay

    @property
    def final_test_accuracy(self) -> Array:
        """Test accuracy at the last step, per seed."""
        return self.test_accuracy[:, -1]


@dataclass(frozen=True)
class DigitsRun:
    """Result of :func:`train_digits`.

    ``lion[i]`` and ``adamw[i]`` are sign Lion at ``lams[i]`` and AdamW at the same per-step
    decay (``weight_decay = lams[i] * lion_lr / adamw_lr``); ``muon[j]`` is Muon at
    ``muon_lams[j]``; ``adamw_low`` is AdamW at the lower decays ``adamw_low_decays`` (below
    the matched ones, so that AdamW's best decay is bracketed). All start from the same
    initialisations and see the same minibatches.
    """

    lams: Array
    muon_lams: Array
    steps: Array  # the recorded steps
    lion: tuple[OptimizerRuns, ...]
    adamw: tuple[OptimizerRuns, ...]
    muon: tuple[OptimizerRuns, ...]
    adamw_low: tuple[OptimizerRuns, ...]
    n_test: int
    n_validation: int
    seconds: float

    @property
    def seeds(self) -> int:
        return self.lion[0].test_accuracy.shape[0]

    def best(self, optimizer: str) -> OptimizerRuns:
        """The optimizer's runs at the decay of highest median validation accuracy."""
        if optimizer not in ("lion", "adamw", "muon"):
            raise ValueError(f"optimizer must be 'lion', 'adamw' or 'muon', got {optimizer!r}")
        runs = {"lion": self.lion, "adamw": self.adamw_low + self.adamw, "muon": self.muon}[
            optimizer
        ]
        return max(runs, key=lambda r: float(np.median(r.validation_accuracy)))


@dataclass(frozen=True)
class PhaseStats:
    """Sign Lion's two phases on one weight decay, per seed (:func:`phase_stats`)."""

    start_excess: Array  # e_0 = lam ||w_0||_inf - 1 (> 0: starts outside the box)
    entry_step: Array  # first step with e_t <= TOL (NaN: never)
    entry_bound: Array  # ceil(log(TOL / e_0) / log(1 - lr lam)): the envelope's entry step
    envelope_excess: Array  # max_t (e_t - e_0+ (1 - lr lam)^t), in units of 1: <= ROUNDING
    contraction_excess: Array  # max_t (e_{t+1}+ - (1 - lr lam) e_t+): <= ROUNDING
    max_after_inside: Array  # max of e_t after the first step with e_t <= 0 (NaN: never inside)


def phase_stats(runs: OptimizerRuns) -> PhaseStats:
    """Phase 1 and 2 of §6 measured on sign Lion's runs: the excess e_t = lam ||w_t||_inf - 1
    (largest over the network's tensors) against the envelope e_0 (1 - lr lam)^t.

    Parameters
    ----------
    runs : OptimizerRuns
        Sign Lion's runs at one weight decay.

    Returns
    -------
    PhaseStats
    """
    if not isinstance(runs, OptimizerRuns) or runs.optimizer != "lion":
        raise ValueError(
            "runs must be sign Lion's OptimizerRuns (the box ||w||_inf <= 1/lam is Lion's), got "
            f"{getattr(runs, 'optimizer', type(runs).__name__)!r}"
        )
    lam, rate = runs.weight_decay, 1 - runs.lr * runs.weight_decay
    e = lam * runs.max_abs_weight - 1  # (seeds, steps + 1)
    pos = np.maximum(e, 0.0)
    t = np.arange(e.shape[1])
    envelope = pos[:, :1] * rate**t
    entered = e <= TOL
    entry = np.where(entered.any(1), entered.argmax(1), np.nan)
    bound = np.ceil(np.log(TOL / np.maximum(e[:, 0], TOL)) / np.log(rate))  # 0 if e_0 <= TOL
    inside = e <= 0
    after = np.full(e.shape[0], np.nan)
    for s in np.flatnonzero(inside.any(1)):
        after[s] = e[s, inside[s].argmax() :].max()
    return PhaseStats(
        start_excess=e[:, 0],
        entry_step=entry,
        entry_bound=bound,
        envelope_excess=(e - envelope).max(1),
        contraction_excess=(pos[:, 1:] - rate * pos[:, :-1]).max(1),
        max_after_inside=after,
    )


# ----------------------------------------------------------------------------------------------
# The batched network
# ----------------------------------------------------------------------------------------------
def _init_params(
    sizes_: tuple[int, ...], seeds: int, master: int, dtype: torch.dtype, dev: torch.device
) -> list[torch.Tensor]:
    """torch.nn.Linear's default initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights
    and biases, drawn per seed from its own generator (the global generator is left alone).
    Weights have shape (seeds, out, in), biases (seeds, out, 1): a bias is a column."""
    params: list[list[torch.Tensor]] = []
    for s in range(seeds):
        gen = torch.Generator().manual_seed(master * 100_003 + s)
        one = []
        for fan_in, fan_out in zip(sizes_[:-1], sizes_[1:], strict=True):
            bound = fan_in**-0.5
            for shape in ((fan_out, fan_in), (fan_out, 1)):
                draw = torch.rand(shape, generator=gen, dtype=torch.float64)
                one.append((2 * draw - 1) * bound)
        params.append(one)
    return [torch.stack(ts).to(dev, dtype) for ts in zip(*params, strict=True)]


def _forward(params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """Logits of every seed's MLP: X is (n, d) shared or (seeds, n, d); returns (seeds, n, 10)."""
    h = X
    for i in range(0, len(params), 2):
        W, b = params[i], params[i + 1]
        h = torch.matmul(h, W.transpose(1, 2)) + b.transpose(1, 2)
        if i + 2 < len(params):
            h = torch.relu(h)
    return h


def _losses(params: list[torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per seed, shape (seeds,); y is (n,) shared or (seeds, n)."""
    logits = _forward(params, X)
    y = y.expand(logits.shape[:2])
    ce = torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
    return ce.view(logits.shape[:2]).mean(1)


def _accuracy(params: list[torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    return (_forward(params, X).argmax(-1) == y).double().mean(1).cpu().numpy()


@dataclass(frozen=True)
class _Data:
    fit: tuple[torch.Tensor, torch.Tensor]
    validation: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]


def _load(seed: int, dtype: torch.dtype, dev: torch.device) -> _Data:
    """The test split of :func:`load_digits_split`, and its training split cut into the images
    the networks fit and a validation set that picks each optimizer's best decay."""
    Xtr, ytr, Xte, yte = load_digits_split(seed)
    n_val = int(round(VALIDATION_FRACTION * ytr.size))

    def pair(X: Array, y: Array) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.as_tensor(X, dtype=dtype, device=dev), torch.as_tensor(y, device=dev)

    return _Data(
        fit=pair(Xtr[n_val:], ytr[n_val:]),
        validation=pair(Xtr[:n_val], ytr[:n_val]),
        test=pair(Xte, yte),
    )


def _minibatches(n: int, seeds: int, batch: int, steps: int, master: int) -> torch.Tensor:
    """Minibatch indices (steps, seeds, batch): one order per seed, shared by every optimizer."""
    out = torch.empty((steps, seeds, batch), dtype=torch.long)
    for s in range(seeds):
        gen = torch.Generator().manual_seed(master * 7919 + s)
        out[:, s] = torch.randint(0, n, (steps, batch), generator=gen)
    return out


class _RowDecayLionK:
    """Lion-K (:class:`~theorybench.lion.optimizer.LionK`'s update, the very
    ``_lion_k_update``) with one weight decay per leading row of every parameter: rows are
    (configuration, seed) pairs, so several weight decays train as one batched program. Each row
    gets exactly the arithmetic of ``LionK`` at its own lam (the update is entry- or
    matrix-wise, so rows never mix)."""

    def __init__(self, params: list[torch.Tensor], lr: float, lams: torch.Tensor, kappa: str):
        self.params, self.lr, self.lams = params, lr, lams
        self.kappa = get_kappa(kappa)
        self.m = [torch.zeros_like(p) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for p, m in zip(self.params, self.m, strict=True):
            lam = self.lams.view(-1, *([1] * (p.dim() - 1)))
            x_next, m_next, _, _ = _lion_k_update(
                p, m, p.grad, lr=self.lr, beta1=0.9, beta2=0.99, lam=lam, kappa=self.kappa,
                xp=torch,
            )  # fmt: skip
            p.copy_(x_next)
            m.copy_(m_next)


class _RowDecayAdamW:
    """torch's AdamW with one (decoupled) weight decay per leading row: AdamW multiplies each
    parameter by 1 - lr wd and then takes Adam's step, which is what this does, row by row."""

    def __init__(self, params: list[torch.Tensor], lr: float, decays: torch.Tensor):
        self.params = params
        self.adam = torch.optim.Adam(params, lr=lr)
        self.keep = 1 - lr * decays

    def zero_grad(self) -> None:
        self.adam.zero_grad()

    @torch.no_grad()
    def step(self) -> None:
        for p in self.params:
            p.mul_(self.keep.view(-1, *([1] * (p.dim() - 1))))
        self.adam.step()


def _train(
    make_optimizer: Callable[[list[torch.Tensor], torch.Tensor], Any],
    init: list[torch.Tensor],
    data: _Data,
    batches: torch.Tensor,
    record: np.ndarray,
    lams: list[float],
) -> list[dict[str, np.ndarray]]:
    """Train every seed's copy of ``init`` for len(batches) steps at each decay of ``lams``, all
    as one batched program (row c * seeds + s: decay c, seed s; the loss is the sum of the rows'
    losses, so each row gets its own gradient); record, per decay, what OptimizerRuns holds
    (``lams`` set the box of the boundary fraction; the largest weight at every step)."""
    k, seeds = len(lams), init[0].shape[0]
    params = [p.repeat(k, *([1] * (p.dim() - 1))).requires_grad_(True) for p in init]
    lam_rows = torch.tensor(lams, dtype=torch.float64).repeat_interleave(seeds)
    lam_rows = lam_rows.to(init[0].device, init[0].dtype)
    opt = make_optimizer(params, lam_rows)
    (X, y), steps = data.fit, batches.shape[0]
    rows = {k: [] for k in ("test_accuracy", "train_loss", "boundary_fraction", "spectral_norms")}
    max_abs = np.empty((k * seeds, steps + 1))
    recorded = set(record.tolist())
    box = lam_rows.view(-1, 1, 1)
    for t in range(steps + 1):
        with torch.no_grad():
            tops = torch.stack([p.abs().flatten(1).amax(1) for p in params])
            max_abs[:, t] = tops.amax(0).cpu()
            if t in recorded:
                rows["test_accuracy"].append(_accuracy(params, *data.test))
                rows["train_loss"].append(_losses(params, X, y).cpu().numpy())
                on = sum((box * p.abs() >= 1 - TOL).flatten(1).sum(1) for p in params)
                rows["boundary_fraction"].append((on / sum(p[0].numel() for p in params)).cpu())
                norms = [torch.linalg.matrix_norm(p, ord=2) for p in params[::2]]
                rows["spectral_norms"].append(torch.stack(norms, 1).cpu().numpy())
        if t == steps:
            break
        idx = batches[t].repeat(k, 1).to(X.device)
        opt.zero_grad()
        _losses(params, X[idx], y[idx]).sum().backward()
        opt.step()
    with torch.no_grad():
        val = _accuracy(params, *data.validation)
    out = {k: np.stack([np.asarray(r, dtype=float) for r in v], 1) for k, v in rows.items()}
    out |= {"max_abs_weight": max_abs, "validation_accuracy": val}
    return [{name: a[c * seeds : (c + 1) * seeds] for name, a in out.items()} for c in range(k)]


@reused
def train_digits(
    *,
    lams: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0, 30.0),
    muon_lams: tuple[float, ...] = (0.3, 1.0, 3.0),
    adamw_low_decays: tuple[float, ...] = (0.0, 0.02),
    hidden: int = 32,
    seeds: int = 5,
    adamw_lr: float = 1e-2,
    muon_lr: float = 2e-2,
    batch: int = 128,
    records: int = 40,
    train: TrainConfig | None = None,
) -> DigitsRun:
    """Train the MLP 64 -> hidden -> 10 on the digits, ``seeds`` times per configuration:
    sign Lion (:class:`~theorybench.lion.optimizer.LionK`, step ``train.lr``) at each weight
    decay of ``lams``; AdamW (step ``adamw_lr``) at the same per-step decays
    (``weight_decay = lam * train.lr / adamw_lr``); Muon (:class:`~theorybench.lion.optimizer.Muon`,
    step ``muon_lr``) at each of ``muon_lams``. All take ``train.steps`` steps from the same
    starts on the same minibatches of the fitting images; each optimizer's best decay is the
    one of highest median accuracy on a held-out validation share of the training split.

    Parameters
    ----------
    lams : tuple of float
        Lion's weight decays (> 0, with train.lr * lam <= 1); they set AdamW's too.
    muon_lams : tuple of float
        Muon's weight decays (> 0, with muon_lr * lam <= 1).
    adamw_low_decays : tuple of float
        AdamW's ``weight_decay`` values (>= 0, adamw_lr * wd <= 1) below the matched ones, taking part only in the
        choice of AdamW's best decay (two more configurations: about 2/13 more training).
    hidden : int
        Hidden width.
    seeds : int
        Initialisations (and minibatch orders) per configuration.
    adamw_lr, muon_lr : float
        Step sizes of AdamW and Muon in (0, 1] (Lion's is ``train.lr``).
    batch : int
        Minibatch size.
    records : int
        Recorded steps (log-spaced, plus step 0).
    train : TrainConfig
        Steps, Lion's step size, the master seed, device and dtype.

    Returns
    -------
    DigitsRun
    """
    lams_arr = _checks.positive_array(lams, "lams", ndim=1)
    muon_arr = _checks.positive_array(muon_lams, "muon_lams", ndim=1)
    hidden = _checks.integer_at_least(hidden, "hidden", 1)
    train = TrainConfig.resolve(train, lambda: sizes().digits.train)
    steps, lr, seed = train.require_steps(), train.lr, train.seed
    seeds = _checks.integer_at_least(seeds, "seeds", 1)
    low_arr = _checks.finite_array(adamw_low_decays, "adamw_low_decays", ndim=1, min_size=0)
    if np.any(low_arr < 0):
        raise ValueError(f"adamw_low_decays must be >= 0, got {adamw_low_decays!r}")
    batch = _checks.integer_at_least(batch, "batch", 1)
    records = _checks.integer_at_least(records, "records", 2)
    adamw_lr = _checks.in_range(adamw_lr, "adamw_lr", 0.0, 1.0, lo_open=True)
    muon_lr = _checks.in_range(muon_lr, "muon_lr", 0.0, 1.0, lo_open=True)
    if low_arr.size and adamw_lr * low_arr.max() > 1:
        raise ValueError(
            f"adamw_low_decays must be <= 1/adamw_lr = {1 / adamw_lr:g} (decay per step <= 1), "
            f"got {adamw_low_decays!r}"
        )
    if lr * lams_arr.max() > 1 or muon_lr * muon_arr.max() > 1:
        raise ValueError(
            "train.lr * lam (every lam) and muon_lr * lam (every muon_lam) must be <= 1"
        )
    dev = train.torch_device()
    dtype = train.torch_dtype(dev)
    data = _load(seed, dtype, dev)
    n_fit = int(data.fit[1].numel())
    if batch > n_fit:
        raise ValueError(f"batch must lie in [1, {n_fit}] (the fitting images), got {batch}")
    init = _init_params((data.fit[0].shape[1], hidden, 10), seeds, seed, dtype, dev)
    batches = _minibatches(n_fit, seeds, batch, steps, seed)
    record = np.unique(np.r_[0, np.geomspace(1, steps, records - 1).astype(int)])

    def runs(name: str, step: float, decays: list[float], make) -> tuple[OptimizerRuns, ...]:
        if not decays:
            return ()
        outs = _train(make, init, data, batches, record, decays)
        return tuple(
            OptimizerRuns(optimizer=name, lr=step, weight_decay=decay, **out)
            for decay, out in zip(decays, outs, strict=True)
        )

    start = time.perf_counter()
    # one batched program per optimizer: every decay's seeds are rows of one set of tensors
    lion = runs("lion", lr, [float(lam) for lam in lams_arr],
                lambda ps, lam: _RowDecayLionK(ps, lr, lam, "l1"))  # fmt: skip
    adamw_all = runs(
        "adamw",
        adamw_lr,
        [float(lam) * lr / adamw_lr for lam in lams_arr] + [float(wd) for wd in low_arr],
        lambda ps, wd: _RowDecayAdamW(ps, adamw_lr, wd),
    )
    adamw, adamw_low = adamw_all[: lams_arr.size], adamw_all[lams_arr.size :]
    muon = runs("muon", muon_lr, [float(lam) for lam in muon_arr],
                lambda ps, lam: _RowDecayLionK(ps, muon_lr, lam, "nuclear"))  # fmt: skip
    return DigitsRun(
        lams=lams_arr,
        muon_lams=muon_arr,
        steps=record.astype(float),
        lion=lion,
        adamw=adamw,
        muon=muon,
        adamw_low=adamw_low,
        n_test=int(data.test[1].numel()),
        n_validation=int(data.validation[1].numel()),
        seconds=time.perf_counter() - start,
    )
