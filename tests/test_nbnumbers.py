"""The checked-cell comparison (tools/nbnumbers.py) tolerates what two CPUs round differently
and nothing more: it fails when a printed number moves beyond the cell's stated tolerance, or
when a word changes."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import nbnumbers  # noqa: E402

STORED = "correlation median 0.9914 (10-90 %: 0.9537-0.9982, n = 100)"


def test_a_fourth_decimal_rounded_differently_passes() -> None:
    now = "correlation median 0.9913 (10-90 %: 0.9536-0.9982, n = 100)"
    assert nbnumbers.differences(STORED, now, rtol=1e-3, atol=1e-4) == []


def test_a_number_that_moves_beyond_the_tolerance_fails() -> None:
    now = "correlation median 0.9814 (10-90 %: 0.9537-0.9982, n = 100)"
    diff = nbnumbers.differences(STORED, now, rtol=1e-3, atol=1e-4)
    assert diff == ["0.9914 -> 0.9814 (beyond rtol=0.001, atol=0.0001)"]


def test_a_changed_count_or_word_fails() -> None:
    assert nbnumbers.differences(STORED, STORED.replace("100", "99"), 1e-3, 1e-4)
    assert nbnumbers.differences(STORED, STORED.replace("median", "mean"), 0.5, 1.0)
    assert nbnumbers.differences("a 1 b", "a 1 2 b", 0.5, 1.0)  # one number more


@pytest.mark.parametrize(
    "tol", [None, {"rtol": 0.1}, {"rtol": 2, "atol": 0}, {"rtol": 0, "atol": -1}]
)
def test_a_checked_cell_must_state_a_sane_tolerance(tol) -> None:
    cell = nbformat.v4.new_code_cell("print(1)", metadata={} if tol is None else {"tolerance": tol})
    with pytest.raises(ValueError, match="tolerance"):
        nbnumbers.tolerance(cell)


def test_every_checked_cell_of_every_notebook_states_its_tolerance() -> None:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        checked = [c for c in nb.cells if nbnumbers.is_checked(c)]
        assert checked, f"{path.name}: no checked cell"
        for cell in checked:
            rtol, atol = nbnumbers.tolerance(cell)
            assert rtol <= 0.05, f"{path.name}: rtol {rtol} is too loose to check anything"
