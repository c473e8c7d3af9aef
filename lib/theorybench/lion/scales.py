"""Sizes of the Lion chapter's experiments at the two scales (``THEORYBENCH_SCALE``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..device import Sizes, sizes_picker
from ..training import TrainConfig

__all__ = ["LogisticSizes", "DigitsSizes", "LionSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class LogisticSizes(Sizes):
    """Logistic regression trained by Lion: ``n`` samples in ``d`` dimensions, ``steps`` steps
    (keyword arguments of :func:`~theorybench.lion.experiment.logistic_regression_lam_sweep`)."""

    n: int
    d: int
    train: TrainConfig


@dataclass(frozen=True)
class DigitsSizes(Sizes):
    """The digits network (keyword arguments of :func:`~theorybench.lion.digits.train_digits`):
    hidden width, seeds, Lion's weight decays (AdamW runs at the same per-step decays), Muon's
    weight decays and Lion's training configuration."""

    hidden: int
    seeds: int
    lams: tuple[float, ...]
    muon_lams: tuple[float, ...]
    train: TrainConfig


@dataclass(frozen=True)
class LionSizes(Sizes):
    """The chapter's two experiments."""

    logistic: LogisticSizes
    digits: DigitsSizes


CI = LionSizes(
    logistic=LogisticSizes(n=2_000, d=20, train=TrainConfig(steps=3_000, lr=0.05)),
    digits=DigitsSizes(
        hidden=32,
        seeds=5,
        lams=(0.3, 1.0, 3.0, 10.0, 30.0),
        muon_lams=(0.3, 1.0, 3.0),
        train=TrainConfig(steps=1000, lr=2e-3),
    ),
)
FULL = LionSizes(
    logistic=LogisticSizes(n=200_000, d=500, train=TrainConfig(steps=30_000, lr=0.05)),
    digits=DigitsSizes(
        hidden=512,
        seeds=10,
        lams=(0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
        muon_lams=(0.3, 1.0, 3.0, 10.0),
        train=TrainConfig(steps=20_000, lr=2e-3),
    ),
)


sizes = sizes_picker(CI, FULL)
