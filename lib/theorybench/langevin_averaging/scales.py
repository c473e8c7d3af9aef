"""Sizes of the Langevin-averaging experiments at the two scales, and their peak memory."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._checks import integer_at_least as _integer_at_least
from .._checks import positive as _positive
from ..device import Sizes, sizes_picker
from ..training import TrainConfig

__all__ = [
    "LangevinSizes",
    "CI",
    "FULL",
    "sizes",
    "STREAM_CHUNK",
    "GRADIENT_CHUNK",
    "paper_samples",
    "peak_memory",
]

#: samples per block of :class:`~theorybench.langevin_averaging.experiment.SingleIndexStream`
STREAM_CHUNK = 1024
#: samples per slice of a full-batch gradient or a streamed estimator over a resident data set
GRADIENT_CHUNK = 1 << 16
#: the most bytes the warm-start pipeline keeps of its two data sets' blocks, to replay them for
#: every budget of a sweep (beyond it, each budget draws its samples again)
PIPELINE_KEEP_BYTES = 2e9


def _pipeline_kept_bytes(runs: int, d: int, n_max: int) -> int:
    """Bytes of the blocks of the pipeline's two streams (held-out and evaluation) up to
    ``n_max`` samples: 2 x 8 runs (n_max + STREAM_CHUNK) (d + 1)."""
    return 2 * 8 * runs * (n_max + STREAM_CHUNK) * (d + 1)


@dataclass(frozen=True)
class LangevinSizes(Sizes):
    """The chapter's experiments (§4). Sample grids are factors times a power of d: for the
    high-temperature averages, of the closed-form partial-trace threshold (k* = 3) or of d^2
    (k* = 4); for online SGD, of d^{k*/2}; for the warm-start pipeline, of d^{3/2}.

    The paper's figure (§3.4) runs, for each k* in ``paper_ks``, ``paper_runs`` chains in
    dimension ``paper_d`` on n = ``paper_factor`` d^{ceil(k*/2)} samples at inverse temperature
    ``paper_beta``: full-batch Langevin with ``paper_train`` and batch-size-1 updates with
    ``paper_minibatch_train`` (in ``paper_train.dtype``)."""

    runs: int
    k3_ds: tuple[int, ...]
    k3_factors: tuple[float, ...]
    k4_ds: tuple[int, ...]
    k4_factors: tuple[float, ...]
    sgd4_ds: tuple[int, ...]
    sgd4_factors: tuple[float, ...]
    sgd4_lr_factors: tuple[float, ...]
    pipeline_ds: tuple[int, ...]
    pipeline_factors: tuple[float, ...]
    paper_ks: tuple[int, ...]
    paper_d: int
    paper_factor: float
    paper_beta: float
    paper_runs: int
    paper_train: TrainConfig
    paper_minibatch_train: TrainConfig


_FACTORS_D2 = (0.1, 0.14, 0.2, 0.28, 0.4, 0.56, 0.8, 1.13, 1.6)
CI = LangevinSizes(
    runs=32,
    k3_ds=(64, 128, 256),
    k3_factors=(0.5, 0.71, 1.0, 1.41, 2.0),
    k4_ds=(16, 32, 64),
    k4_factors=_FACTORS_D2,
    sgd4_ds=(16, 32),
    sgd4_factors=(0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6),
    sgd4_lr_factors=(1.0, 3.0),
    pipeline_ds=(32, 64, 128),
    pipeline_factors=(0.5, 0.71, 1.0, 1.41, 2.0, 2.83, 4.0),
    paper_ks=(3, 4, 5),
    paper_d=8,
    paper_factor=10.0,
    paper_beta=4.0,
    paper_runs=4,
    paper_train=TrainConfig(steps=3000, lr=0.1, dtype="float32"),
    paper_minibatch_train=TrainConfig(steps=12000, lr=0.025, dtype="float32"),
)
FULL = LangevinSizes(
    runs=64,
    k3_ds=(128, 256, 512, 1024),
    k3_factors=(0.5, 0.71, 1.0, 1.41, 2.0),
    k4_ds=(16, 32, 64, 128, 256),
    k4_factors=_FACTORS_D2 + (2.26, 3.2),
    sgd4_ds=(16, 32, 64, 128),
    sgd4_factors=(0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4),
    sgd4_lr_factors=(0.3, 1.0, 3.0),
    pipeline_ds=(32, 64, 128, 256, 512),
    pipeline_factors=(0.5, 0.71, 1.0, 1.41, 2.0, 2.83, 4.0, 5.66, 8.0),
    paper_ks=(3, 4, 5),
    paper_d=100,
    paper_factor=10.0,
    paper_beta=50.0,
    paper_runs=8,
    paper_train=TrainConfig(steps=20_000, lr=0.05, dtype="float32"),
    paper_minibatch_train=TrainConfig(steps=2_000_000, lr=0.0005, dtype="float32"),
)


sizes = sizes_picker(CI, FULL)


def paper_samples(d: int, k: int, factor: float = 10.0) -> int:
    """n = factor d^{ceil(k*/2)}, the paper's sample size (10 d^{ceil(k*/2)}; §3.4).

    Parameters
    ----------
    d : int
        Dimension (>= 2).
    k : int
        Information exponent (>= 1).
    factor : float
        Multiple of d^{ceil(k/2)} (> 0).

    Returns
    -------
    int
        The sample size (at least 1).
    """
    d, k = _integer_at_least(d, "d", 2), _integer_at_least(k, "k", 1)
    n = _positive(factor, "factor") * float(d) ** math.ceil(k / 2)
    if not n < 1e15:
        raise ValueError(f"factor d^ceil(k/2) must stay below 1e15 samples, got {n:g}")
    return max(1, int(round(n)))


def _stream_bytes(runs: int, d: int) -> int:
    """One block of the stream on the device, float64: X (runs, STREAM_CHUNK, d), its
    transposed copy and y, <= 2 runs STREAM_CHUNK (d + 1) 8 bytes."""
    return 2 * runs * STREAM_CHUNK * (d + 1) * 8


def peak_memory(s: LangevinSizes) -> dict[str, int]:
    """Peak bytes on the device of each experiment at sizes ``s``, from the shapes alone (no
    allocation); for ``make plan-full``. With r runs, dimension d, sample size n, b bytes per
    number of the chain's dtype, c = GRADIENT_CHUNK and m = STREAM_CHUNK:

    * ``estimator_sweep k*=3``: stream blocks 16 r m (d + 1) + two block-sized temporaries
      (the squared block and the weighted product) 16 r m d + the sum 8 r d (max over d);
    * ``estimator_sweep k*=4``: the same for 2 r runs, with the (r, d, d) sum and its
      eigendecomposition, 4 * 8 r d^2;
    * ``sgd_sweep k*=4``: stream blocks only (the pass runs in host numpy; on the host it keeps
      one overlap trajectory (r, n + 1) per step size, 8 r (n + 1) bytes each);
    * ``pipeline_sweep``: ``estimator_sweep k*=3``'s memory, plus the kept blocks of its two
      streams where they fit ``PIPELINE_KEEP_BYTES`` (``_pipeline_kept_bytes``; replayed for
      every budget instead of drawn again);
    * ``paper_figure k*=K``: one resident copy of the data, r n (d + 1) b (filled block by block,
      never concatenated), + the stream block, + the temporaries on one slice of c' = min(n, c)
      samples: the full-batch gradient's, 2 r c' (d + 8) b, and the hot-limit estimator's
      (a float64 copy of the slice, its square and the weighted product), 4 r c' (d + 1) 8, +
      the running mean and second moment and the eigendecomposition at a record, 4 r d^2 b.

    Returns
    -------
    dict
        Peak bytes per experiment name.
    """
    if not isinstance(s, LangevinSizes):
        raise ValueError(f"s must be LangevinSizes, got {s!r}")
    out: dict[str, int] = {}
    r = s.runs
    out["estimator_sweep k*=3"] = max(
        _stream_bytes(r, d) + 16 * r * STREAM_CHUNK * d + 8 * r * d for d in s.k3_ds
    )
    r4 = 2 * r  # the k* = 4 sweep runs twice as many data sets
    out["estimator_sweep k*=4"] = max(
        _stream_bytes(r4, d) + 16 * r4 * STREAM_CHUNK * d + 4 * 8 * r4 * d * d for d in s.k4_ds
    )
    out["sgd_sweep k*=4"] = max(_stream_bytes(r, d) for d in s.sgd4_ds)
    kept = [_pipeline_kept_bytes(r, d, round(max(s.pipeline_factors) * d**1.5) + 1)
            for d in s.pipeline_ds]  # fmt: skip
    out["pipeline_sweep"] = max(
        _stream_bytes(r, d) + 16 * r * STREAM_CHUNK * d + 8 * r * d
        + (b if b <= PIPELINE_KEEP_BYTES else 0)
        for d, b in zip(s.pipeline_ds, kept, strict=True)
    )  # fmt: skip
    b = 4 if s.paper_train.dtype == "float32" else 8
    d, r = s.paper_d, s.paper_runs
    for k in s.paper_ks:
        n = paper_samples(d, k, s.paper_factor)
        c = min(n, GRADIENT_CHUNK)
        out[f"paper_figure k*={k}"] = (
            r * n * (d + 1) * b
            + _stream_bytes(r, d)
            + 2 * r * c * (d + 8) * b
            + 4 * r * c * (d + 1) * 8
            + 4 * r * d * d * b
        )
    return out
