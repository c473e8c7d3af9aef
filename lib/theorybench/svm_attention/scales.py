"""Sizes of the Attention = SVM experiments at the two scales."""

from __future__ import annotations

from dataclasses import dataclass

from ..device import Sizes, sizes_for

__all__ = ["SVMSizes", "CI", "FULL", "sizes"]


@dataclass(frozen=True)
class SVMSizes(Sizes):
    """Normalised-GD steps for W (the paper's instance: n = 6, T = 8, d = 10, 2,000 steps) and
    for (K, Q); instances and dimensions of the over-parameterisation sweep."""

    steps: int
    kq_steps: int
    instances: int
    ds: tuple[int, ...]


CI = SVMSizes(steps=2000, kq_steps=6000, instances=24, ds=(4, 6, 8, 12, 16, 24))
FULL = SVMSizes(steps=2000, kq_steps=20000, instances=100, ds=(4, 6, 8, 10, 12, 16, 24, 32))


def sizes(which: str | None = None) -> SVMSizes:
    """``CI`` or ``FULL`` by ``which`` (default ``$THEORYBENCH_SCALE``).

    Parameters
    ----------
    which : {"ci", "full"}, optional
        The scale; ``None`` reads ``$THEORYBENCH_SCALE`` (``ci`` if unset).

    Returns
    -------
    SVMSizes
    """
    return sizes_for(CI, FULL, which)
