"""Results reused between notebooks and tests (theorybench._memo)."""

from __future__ import annotations

import pytest
from theorybench import _memo

calls: list[tuple] = []


@_memo.reused
def _square(x: int, *, offset: int = 0) -> int:
    calls.append((x, offset))
    return x * x + offset


def test_a_second_identical_call_loads_the_stored_result(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(_memo.RESULTS_ENV, str(tmp_path))
    calls.clear()
    assert _square(3) == 9 and _square(3, offset=0) == 9  # the default bound: one key
    assert calls == [(3, 0)]
    assert _square(3, offset=1) == 10 and calls == [(3, 0), (3, 1)]  # new arguments compute
    assert len(list(tmp_path.glob("*.pkl"))) == 2


def test_without_the_variable_nothing_is_stored(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(_memo.RESULTS_ENV, raising=False)
    calls.clear()
    _square(2)
    _square(2)
    assert calls == [(2, 0), (2, 0)]


def test_the_key_changes_with_the_library_source(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(_memo.RESULTS_ENV, str(tmp_path))
    calls.clear()
    _square(5)
    monkeypatch.setattr(_memo, "library_digest", lambda: "another library")
    _square(5)
    assert calls == [(5, 0), (5, 0)]


def test_errors_are_not_stored(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(_memo.RESULTS_ENV, str(tmp_path))

    @_memo.reused
    def fails(x: int) -> int:
        raise ValueError("x")

    with pytest.raises(ValueError):
        fails(1)
    assert not list(tmp_path.glob("*.pkl"))
