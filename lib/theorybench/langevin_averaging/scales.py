"""Sizes of the Langevin-averaging experiments at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

from ..device import Sizes, sizes_picker
from ..training import TrainConfig

__all__ = ["LangevinSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class LangevinSizes(Sizes):
    """The chapter's experiments (§4). Sample grids are factors times a power of d: for the
    high-temperature averages, of the closed-form partial-trace threshold (k* = 3) or of d^2
    (k* = 4); for online SGD, of d^{k*/2}; for the warm-start pipeline, of d^{3/2}. The chains
    of the paper's figure run ``trace_train.steps`` steps at inverse temperature ``trace_beta``
    on n = 10 d^{ceil(k*/2)} samples in dimension ``trace_d``."""

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
    trace_ks: tuple[int, ...]
    trace_d: int
    trace_beta: float
    trace_runs: int
    trace_train: TrainConfig


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
    trace_ks=(3, 4),
    trace_d=16,
    trace_beta=8.0,
    trace_runs=4,
    trace_train=TrainConfig(steps=6000, lr=0.05),
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
    trace_ks=(3, 4, 5),
    trace_d=100,
    trace_beta=8.0,
    trace_runs=8,
    trace_train=TrainConfig(steps=100_000, lr=0.05),
)


sizes = sizes_picker(CI, FULL)
