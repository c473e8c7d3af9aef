"""Where and how big: device choice, the ``THEORYBENCH_SCALE`` knob, and seeds.

Every experiment asks this module three things:

* :func:`device` -- the torch device to run on (cuda, then mps, then cpu; nothing assumes a GPU);
* :func:`by_scale` -- its sizes at the current scale, so that one call site says how big the
  experiment is at ``ci`` scale (seconds on a 2-core CPU) and at ``full`` (paper) scale;
* :func:`seed_everything` -- fixed seeds, so notebooks give the same figures on every run.

The scale is read from the environment variable ``THEORYBENCH_SCALE`` (``ci`` by default).
"""

from __future__ import annotations

import os
import random
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:  # torch is imported lazily: closed-form modules never pay for it
    import torch

SCALES = ("ci", "full")
SCALE_ENV = "THEORYBENCH_SCALE"
DEFAULT_SEED = 0

T = TypeVar("T")


def scale() -> str:
    """The experiment scale, ``"ci"`` (default) or ``"full"``, from ``$THEORYBENCH_SCALE``."""
    value = os.environ.get(SCALE_ENV, "ci").strip().lower() or "ci"
    if value not in SCALES:
        raise ValueError(f"{SCALE_ENV} must be one of {SCALES}, got {value!r}")
    return value


def by_scale(*, ci: T, full: T) -> T:
    """Return ``ci`` or ``full`` according to :func:`scale`.

    The one place an experiment states its size at each scale, e.g.
    ``steps = by_scale(ci=2_000, full=200_000)``.
    """
    return ci if scale() == "ci" else full


def device(prefer: str | None = None) -> torch.device:
    """The torch device experiments run on: cuda if available, then mps, then cpu.

    ``prefer`` (or ``$THEORYBENCH_DEVICE``) forces one, e.g. ``"cpu"`` for an exact comparison.
    """
    import torch

    choice = prefer or os.environ.get("THEORYBENCH_DEVICE")
    if choice:
        if choice not in ("cuda", "mps", "cpu"):
            raise ValueError(f"prefer must be 'cuda', 'mps' or 'cpu', got {choice!r}")
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = DEFAULT_SEED) -> np.random.Generator:
    """Seed Python's, numpy's and (if imported) torch's generators; return a numpy Generator.

    Torch is seeded only when it is already imported, so a closed-form notebook stays torch-free.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 -- legacy global state, for third-party code
    import sys

    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)
    return np.random.default_rng(seed)
