"""Input checks and the array type shared by the chapter's families (not part of the API: each
family's public functions call them and document the ranges they enforce)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ... import _checks

Array = NDArray[np.float64]


#: the largest magnitude a teacher strength, weight or time may have: its square stays finite
BOUND = 1e100


def bounded_array(x: ArrayLike, name: str, **kwargs) -> Array:  # noqa: ANN003
    """_checks.finite_array, and every entry within [-BOUND, BOUND]."""
    arr = _checks.finite_array(x, name, **kwargs)
    if np.any(np.abs(arr) > BOUND):
        raise ValueError(f"{name} must have every entry in [-{BOUND:g}, {BOUND:g}]")
    return arr


def spectrum(s: ArrayLike, *, strictly_decreasing: bool = False) -> Array:
    """Teacher singular values: a non-empty 1-D array of finite numbers in (0, BOUND]."""
    try:
        s = bounded_array(s, "s (teacher singular values)", ndim=1, positive=True)
    except ValueError as err:
        raise ValueError(
            f"{err}: s must be a non-empty 1-D array of finite numbers in (0, {BOUND:g}]"
        ) from None
    if strictly_decreasing and np.any(np.diff(s) >= 0):
        raise ValueError("s (teacher singular values) must be strictly decreasing")
    return s


def eigenvalues(lam: ArrayLike) -> Array:
    """Input covariance eigenvalues of the attention model: 1-D, finite, in (0, 1e100]."""
    lam = np.asarray(lam, dtype=float)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(
            f"lam (input covariance eigenvalues) must be a non-empty 1-D array, got {lam.shape}"
        )
    if not np.all(np.isfinite(lam)) or np.any(lam <= 0) or np.any(lam > 1e100):
        raise ValueError("lam (input covariance eigenvalues) must be finite, > 0 and <= 1e100")
    return lam


def context_length(context: int) -> int:
    """The attention model's context length N, an integer >= 1."""
    return _checks.integer_at_least(context, "context", 1)


def ramps(kinks: ArrayLike, slopes: ArrayLike, sides: ArrayLike) -> tuple[Array, Array, Array]:
    """A ramp teacher's (kinks, slopes, sides): 1-D arrays of one length >= 1, kinks within
    [-BOUND, BOUND], slopes in (0, BOUND], sides +1 or -1."""
    k = np.atleast_1d(np.asarray(kinks, dtype=float))
    s = np.atleast_1d(np.asarray(slopes, dtype=float))
    d = np.atleast_1d(np.asarray(sides, dtype=float))
    if k.ndim != 1 or k.shape != s.shape or k.shape != d.shape or k.size == 0:
        raise ValueError("kinks, slopes and sides must be 1-D arrays of one length >= 1")
    for v, name in ((k, "kinks"), (s, "slopes")):
        if not np.all(np.isfinite(v)) or np.any(np.abs(v) > BOUND):
            raise ValueError(f"{name} must be finite with every entry in [-{BOUND:g}, {BOUND:g}]")
    if not np.all(s > 0):
        raise ValueError("slopes must be > 0")
    if not np.all(np.isin(d, (-1.0, 1.0))):
        raise ValueError("sides must be +1 (ramp rising to the right) or -1 (to the left)")
    return k, s, d
