"""Argument checks shared by every chapter: each returns the cleaned value or raises a
``ValueError`` that names the argument and the allowed range.

Scalars may be Python or numpy numbers (``np.int64(3)`` is an integer); booleans are not numbers
here; NaN and ±inf are rejected everywhere. ``tests/test_validation.py`` walks the public API with
NaN, inf, negative, zero and numpy-integer arguments and accepts only a result or a ValueError.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "finite",
    "positive",
    "non_negative",
    "in_range",
    "probability",
    "integer_at_least",
    "finite_array",
    "positive_array",
    "one_of",
]


def finite(value: Any, name: str) -> float:
    """``value`` as a float if it is a finite real number; else ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a finite number, got the boolean {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number, got {value!r}") from None
    if not np.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return x


def positive(value: Any, name: str) -> float:
    """``value`` as a float if it is finite and > 0; else ValueError naming ``name``."""
    x = finite(value, name) if _is_number(value) else None
    if x is None or not x > 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return x


def non_negative(value: Any, name: str) -> float:
    """``value`` as a float if it is finite and >= 0; else ValueError naming ``name``."""
    x = finite(value, name) if _is_number(value) else None
    if x is None or not x >= 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return x


def in_range(
    value: Any, name: str, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False
) -> float:
    """``value`` as a float if it lies in the interval from ``lo`` to ``hi`` (open ends as
    asked); else ValueError naming ``name`` and the interval."""
    interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    x = finite(value, name) if _is_number(value) else None
    if x is None or (x <= lo if lo_open else x < lo) or (x >= hi if hi_open else x > hi):
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return x


def probability(value: Any, name: str) -> float:
    """``value`` as a float strictly inside (0, 1); else ValueError naming ``name``."""
    return in_range(value, name, 0.0, 1.0, lo_open=True, hi_open=True)


def integer_at_least(value: Any, name: str, lo: int) -> int:
    """``value`` as an int if it is an integer (Python or numpy) >= ``lo``; else ValueError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    if value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def finite_array(
    x: ArrayLike,
    name: str,
    *,
    ndim: int | None = None,
    min_size: int = 1,
    positive: bool = False,
    non_negative: bool = False,
) -> NDArray[np.float64]:
    """``x`` as a float array if all entries are finite (and > 0 / >= 0 if asked), with
    ``ndim`` dimensions and at least ``min_size`` entries; else ValueError naming ``name``."""
    try:
        arr = np.array(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of finite numbers, got {x!r}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} entries, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0")
    if non_negative and np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0")
    return arr


def positive_array(x: ArrayLike, name: str, *, ndim: int | None = None) -> NDArray[np.float64]:
    """:func:`finite_array` with every entry > 0."""
    return finite_array(x, name, ndim=ndim, positive=True)


def one_of(value: Any, name: str, options: Iterable[Any]) -> Any:
    """``value`` if it is one of ``options``; else ValueError listing them."""
    options = tuple(options)
    try:
        ok = value in options
    except TypeError:  # unhashable / incomparable
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )
