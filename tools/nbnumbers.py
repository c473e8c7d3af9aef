"""Compare a checked notebook cell's printed text with the stored one, numbers within a tolerance.

A cell whose output is checked (nbval's ``nbval-check-output`` tag, or its ``# NBVAL_CHECK_OUTPUT``
comment) states its tolerance in its metadata, ``{"tolerance": {"rtol": 1e-3, "atol": 1e-4}}``:
two printed texts agree when their words are identical and each pair of numbers satisfies
``|new - old| <= atol + rtol * |old|``. A statistic over 100 training runs may then round its
fourth decimal differently on another CPU, and the check still fails when a number really moves.
nbval itself runs with ``tools/nbval_sanitize.cfg``, which replaces every number by ``<num>``: it
compares the words, this module the numbers.
"""

from __future__ import annotations

import math
import re

#: a printed number: sign, digits with an optional fraction, optional exponent (1,234 is two)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
CHECK_TAG = "nbval-check-output"
CHECK_COMMENT = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell: dict) -> bool:
    """Whether nbval compares this cell's output (tag or comment marker)."""
    if cell.get("cell_type") != "code":
        return False
    tags = cell.get("metadata", {}).get("tags", [])
    return CHECK_TAG in tags or any(
        line.strip() == CHECK_COMMENT for line in "".join(cell.get("source", "")).splitlines()
    )


def tolerance(cell: dict) -> tuple[float, float]:
    """``(rtol, atol)`` stated in the cell's metadata; a ValueError if it states none."""
    tol = cell.get("metadata", {}).get("tolerance")
    if not isinstance(tol, dict) or not {"rtol", "atol"} <= set(tol):
        raise ValueError("a checked cell must state metadata.tolerance = {rtol, atol}")
    rtol, atol = float(tol["rtol"]), float(tol["atol"])
    if not (0 <= rtol < 1 and 0 <= atol and math.isfinite(atol)):
        raise ValueError(f"tolerance must have 0 <= rtol < 1 and atol >= 0, got {tol!r}")
    return rtol, atol


def differences(old: str, new: str, rtol: float, atol: float) -> list[str]:
    """What differs between two printed texts beyond the tolerance (empty: they agree)."""
    if NUMBER.sub("<num>", old) != NUMBER.sub("<num>", new):
        return [f"the text differs:\n--- stored\n{old}\n--- now\n{new}"]
    out = []
    for a, b in zip(NUMBER.findall(old), NUMBER.findall(new), strict=True):
        x, y = float(a), float(b)
        if not abs(y - x) <= atol + rtol * abs(x):
            out.append(f"{a} -> {b} (beyond rtol={rtol:g}, atol={atol:g})")
    return out
