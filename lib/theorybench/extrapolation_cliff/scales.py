"""Sizes of the extrapolation-cliff torch experiment at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..device import Sizes, sizes_picker
from ..training import TrainConfig

__all__ = ["CliffSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class CliffSizes(Sizes):
    """The lambda grid, batch and training configuration of :func:`~theorybench.extrapolation_cliff.experiment.train_categorical_policy`."""

    lams: tuple[float, ...]
    batch: int
    train: TrainConfig
    #: the validity model (§8): its lambda grid, seeds, sampled outputs per step and training
    validity_lams: tuple[float, ...]
    validity_seeds: int
    validity_batch: int
    validity_train: TrainConfig
    #: instances drawn from each torch claim's family (one seed each; families.py)
    cliff_instances: int = 20
    validity_instances: int = 20


CI = CliffSizes(
    lams=tuple(np.round(np.arange(0.8, 2.01, 0.05), 2).tolist()),
    batch=1024,
    train=TrainConfig(steps=3000, lr=0.01),
    validity_lams=tuple(np.round(np.arange(0.05, 2.61, 0.05), 2).tolist()),
    validity_seeds=10,
    validity_batch=128,
    validity_train=TrainConfig(steps=150, lr=0.05),
)
FULL = CliffSizes(
    lams=tuple(np.round(np.arange(0.8, 2.001, 0.01), 3).tolist()),
    batch=8192,
    train=TrainConfig(steps=6000, lr=0.01),
    validity_lams=tuple(np.round(np.arange(0.01, 2.601, 0.01), 3).tolist()),
    validity_seeds=20,
    validity_batch=512,
    validity_train=TrainConfig(steps=1000, lr=0.05),
    cliff_instances=40,
    validity_instances=40,
)


sizes = sizes_picker(CI, FULL)
