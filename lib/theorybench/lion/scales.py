"""Sizes of the Lion chapter's experiment at the two scales (``THEORYBENCH_SCALE``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..device import Sizes, sizes_for

__all__ = ["LionSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class LionSizes(Sizes):
    """Logistic regression trained by Lion: ``n`` samples in ``d`` dimensions, ``steps`` steps
    (keyword arguments of :func:`~theorybench.lion.experiment.logistic_regression_lam_sweep`)."""

    n: int
    d: int
    steps: int


CI = LionSizes(n=2_000, d=20, steps=3_000)
FULL = LionSizes(n=200_000, d=500, steps=30_000)


def sizes(which: str | None = None) -> LionSizes:
    """``CI`` or ``FULL`` by ``which`` (default ``$THEORYBENCH_SCALE``).

    Parameters
    ----------
    which : {"ci", "full"}, optional
        The scale; ``None`` reads ``$THEORYBENCH_SCALE`` (``ci`` if unset).

    Returns
    -------
    LionSizes
    """
    return sizes_for(CI, FULL, which)
