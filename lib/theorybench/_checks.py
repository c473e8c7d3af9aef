"""Argument checks shared by the chapter modules (each raises ValueError naming the argument)."""

from __future__ import annotations

import numpy as np


def positive(value: float, name: str) -> float:
    """``value`` as a float if it is finite and > 0; else ValueError naming ``name``."""
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def integer_at_least(value: int, name: str, lo: int) -> int:
    """``value`` as an int if it is an integer >= ``lo``; else ValueError naming ``name``."""
    if not (isinstance(value, (int, np.integer)) and value >= lo):
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)
