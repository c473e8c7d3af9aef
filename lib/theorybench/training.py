"""One training configuration for every experiment: steps, step size, seed, device, dtype, progress.

Each chapter's torch experiment takes ``train: TrainConfig`` where it used to take the same block
of keywords; its sizes (``theorybench.<chapter>.sizes()``) carry a ``TrainConfig`` at each scale.
This module does not import torch: :meth:`TrainConfig.torch_device` and
:meth:`TrainConfig.torch_dtype` import it when an experiment runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _checks

if TYPE_CHECKING:
    import torch

__all__ = ["TrainConfig", "DTYPES"]

#: dtype names a configuration accepts (``None``: :func:`theorybench.device.dtype_for`)
DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class TrainConfig:
    """How an experiment trains, separate from what it trains.

    Parameters
    ----------
    steps : int, optional
        Optimisation steps (>= 1). ``None`` where the experiment sets them itself (the Chinchilla
        sweep derives them from each compute budget; online SGD takes one step per sample).
    lr : float
        Step size (> 0); its meaning (plain, normalised, peak of a schedule) is the experiment's.
    seed : int
        Master seed (>= 0); every generator of the run derives from it.
    device : {"cuda", "mps", "cpu"}, optional
        ``None`` picks cuda, then mps, then cpu (:func:`theorybench.device.device`).
    dtype : {"float32", "float64"}, optional
        ``None`` uses :func:`theorybench.device.dtype_for` (float64 except on mps).
    progress : bool
        Show a tqdm progress bar.
    """

    steps: int | None
    lr: float
    seed: int = 0
    device: str | None = None
    dtype: str | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        if self.steps is not None:
            object.__setattr__(self, "steps", _checks.integer_at_least(self.steps, "steps", 1))
        object.__setattr__(self, "lr", _checks.positive(self.lr, "lr"))
        object.__setattr__(self, "seed", _checks.integer_at_least(self.seed, "seed", 0))
        if self.device is not None:
            _checks.one_of(self.device, "device", ("cuda", "mps", "cpu"))
        if self.dtype is not None:
            _checks.one_of(self.dtype, "dtype", DTYPES)
        if not isinstance(self.progress, bool):
            raise ValueError(f"progress must be True or False, got {self.progress!r}")

    @staticmethod
    def check(train: Any) -> TrainConfig:
        """``train`` itself if it is a TrainConfig, else a ValueError naming the argument (every
        experiment's ``train=`` goes through this)."""
        if not isinstance(train, TrainConfig):
            raise ValueError(f"train must be a TrainConfig, got {train!r}")
        return train

    @staticmethod
    def resolve(train: Any, default: Callable[[], TrainConfig]) -> TrainConfig:
        """``train`` checked, or, for ``None``, ``default()`` -- evaluated now, so an experiment's
        default follows ``THEORYBENCH_SCALE`` at call time (not at import)."""
        return default() if train is None else TrainConfig.check(train)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (validated again), e.g. ``cfg.replace(steps=500)``."""
        return dataclasses.replace(self, **changes)

    def require_steps(self) -> int:
        """``steps``, or a ValueError for an experiment that needs them."""
        if self.steps is None:
            raise ValueError("train.steps must be an integer >= 1 for this experiment, got None")
        return self.steps

    def torch_device(self) -> torch.device:
        """The torch device (also sets torch's thread count, see :func:`theorybench.device.device`)."""
        from .device import device

        return device(self.device)

    def torch_dtype(self, dev: torch.device | str | None = None) -> torch.dtype:
        """``dtype`` as a torch dtype; ``None`` means :func:`theorybench.device.dtype_for` of ``dev``."""
        import torch

        from .device import dtype_for

        if self.dtype is not None:
            return getattr(torch, self.dtype)
        return dtype_for(self.torch_device() if dev is None else dev)
