"""Where and how big: device choice, the ``THEORYBENCH_SCALE`` knob, and seeds.

Every experiment asks this module three things:

* :func:`device` -- the torch device to run on (cuda, then mps, then cpu; nothing assumes a GPU);
* :func:`by_scale` -- its sizes at the current scale, so that one call site says how big the
  experiment is at ``ci`` scale (seconds on a 2-core CPU) and at ``full`` (paper) scale;
* :func:`seed_everything` -- fixed seeds, so notebooks give the same figures on every run.

The scale is read from the environment variable ``THEORYBENCH_SCALE`` (``ci`` by default).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

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


@dataclasses.dataclass(frozen=True)
class Sizes:
    """Base of each chapter's sizes: a frozen dataclass with one ``ci`` and one ``full`` instance
    of the same fields (``theorybench.<chapter>.sizes``). :meth:`kwargs` gives the fields as
    keyword arguments of the experiment they size (nested sizes stay objects)."""

    def __post_init__(self) -> None:
        """Every number a size holds (counts, steps, scales, the entries of a tuple) is finite
        and positive: a ValueError names the field otherwise."""
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            for x in value if isinstance(value, tuple) else (value,):
                if isinstance(x, bool) or not isinstance(x, numbers.Real):
                    continue
                if not (math.isfinite(x) and x > 0):
                    raise ValueError(
                        f"{type(self).__name__}.{f.name} must be finite and > 0, got {value!r}"
                    )

    def kwargs(self) -> dict[str, Any]:
        """The fields as a dict, e.g. ``train_linear_network(s, **sizes().linear.kwargs())``, whose ``train`` field is a
        :class:`~theorybench.training.TrainConfig`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def sizes_for(ci: T, full: T, which: str | None = None) -> T:
    """``ci`` or ``full`` by ``which`` (default: :func:`scale`); both must be the same type."""
    if type(ci) is not type(full):
        raise ValueError(f"ci and full sizes must be the same type, got {type(ci)}, {type(full)}")
    which = scale() if which is None else which
    if which not in SCALES:
        raise ValueError(f"which must be one of {SCALES}, got {which!r}")
    return ci if which == "ci" else full


def sizes_picker(ci: T, full: T) -> Callable[[str | None], T]:
    """A chapter's ``sizes(which=None)``: ``ci`` or ``full`` by ``which`` (default
    ``$THEORYBENCH_SCALE``), documented and reported as a function of the chapter's module."""
    sizes_for(ci, full, "ci")  # its same-type check, at definition time

    def sizes(which: str | None = None) -> T:
        return sizes_for(ci, full, which)

    name = type(ci).__name__
    sizes.__module__, sizes.__qualname__ = type(ci).__module__, "sizes"
    sizes.__doc__ = f"""``CI`` or ``FULL`` by ``which`` (default ``$THEORYBENCH_SCALE``).

    Parameters
    ----------
    which : {{"ci", "full"}}, optional
        The scale; ``None`` reads ``$THEORYBENCH_SCALE`` (``ci`` if unset).

    Returns
    -------
    {name}
    """
    return sizes


#: intra-op threads torch uses (``$THEORYBENCH_TORCH_THREADS`` overrides): see :func:`torch_threads`
THREADS_ENV = "THEORYBENCH_TORCH_THREADS"


def torch_threads() -> int:
    """Threads for torch's intra-op pool: ``$THEORYBENCH_TORCH_THREADS``, else half the cores
    (at least 1). Half, so that two torch processes -- a notebook beside a test run, or two
    notebooks of a parallel build -- do not oversubscribe the machine (on 2 cores two processes
    of 2 threads each turned a 12 s notebook into 578 s)."""
    value = os.environ.get(THREADS_ENV)
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"{THREADS_ENV} must be a positive integer, got {value!r}")
        return int(value)
    return max(1, (os.cpu_count() or 2) // 2)


def dtype_for(dev: torch.device | str) -> torch.dtype:
    """The floating dtype experiments use on ``dev``: float64 (exact comparisons with closed
    forms), except on Apple MPS, which has no float64 (float32 there)."""
    import torch

    kind = torch.device(dev).type
    return torch.float32 if kind == "mps" else torch.float64


def device(prefer: str | torch.device | None = None) -> torch.device:
    """The torch device experiments run on: cuda if available, then mps, then cpu.

    ``prefer`` (or ``$THEORYBENCH_DEVICE``) forces one, e.g. ``"cpu"`` for an exact comparison.
    """
    import torch

    if torch.get_num_threads() != torch_threads():
        torch.set_num_threads(torch_threads())
    if isinstance(prefer, torch.device):
        return prefer
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
