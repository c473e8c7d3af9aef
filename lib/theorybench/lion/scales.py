"""Sizes of the Lion chapter's experiments at the two scales (``THEORYBENCH_SCALE``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..device import Sizes, sizes_picker

__all__ = ["LogisticSizes", "DigitsSizes", "LionSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class LogisticSizes(Sizes):
    """Logistic regression trained by Lion: ``n`` samples in ``d`` dimensions, ``steps`` steps
    (keyword arguments of :func:`~theorybench.lion.experiment.logistic_regression_lam_sweep`)."""

    n: int
    d: int
    steps: int


@dataclass(frozen=True)
class DigitsSizes(Sizes):
    """The digits network (keyword arguments of :func:`~theorybench.lion.digits.train_digits`):
    hidden width, steps, seeds and the weight decays compared."""

    hidden: int
    steps: int
    seeds: int
    lams: tuple[float, ...]


@dataclass(frozen=True)
class LionSizes(Sizes):
    """The chapter's two experiments."""

    logistic: LogisticSizes
    digits: DigitsSizes


CI = LionSizes(
    logistic=LogisticSizes(n=2_000, d=20, steps=3_000),
    digits=DigitsSizes(hidden=32, steps=1000, seeds=5, lams=(3.0, 10.0, 30.0)),
)
FULL = LionSizes(
    logistic=LogisticSizes(n=200_000, d=500, steps=30_000),
    digits=DigitsSizes(hidden=512, steps=20_000, seeds=10, lams=(1.0, 3.0, 10.0, 30.0, 100.0)),
)


sizes = sizes_picker(CI, FULL)
