"""An experiment's default ``train=`` follows ``THEORYBENCH_SCALE`` when it is called, not when
the library was imported: with ``THEORYBENCH_SCALE=full`` set after import, every experiment
whose default comes from its chapter's sizes resolves to the ``full`` configuration (and one
whose default is a fixed configuration, no size of either scale, gets the same at both)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

import pytest
from theorybench.chapters import CHAPTERS
from theorybench.training import TrainConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))


class _Resolved(Exception):
    def __init__(self, config: TrainConfig) -> None:
        self.config = config


def _train_configs(tree: Any) -> list[TrainConfig]:
    """Every TrainConfig inside a (nested) sizes dataclass."""
    if isinstance(tree, TrainConfig):
        return [tree]
    if dataclasses.is_dataclass(tree):
        return [c for f in dataclasses.fields(tree) for c in _train_configs(getattr(tree, f.name))]
    return []


def _experiments() -> list[tuple[str, Any, dict]]:
    """(name, function, example without train) for every public function with ``train=None``."""
    out = []
    for chapter in CHAPTERS:
        examples = importlib.import_module(f"api_examples.{chapter.name}").EXAMPLES
        for fn, kwargs in examples.items():
            if inspect.isclass(fn):
                continue
            p = inspect.signature(fn).parameters.get("train")
            if p is not None and p.default is None:
                rest = {k: v for k, v in kwargs.items() if k != "train"}
                out.append((f"{chapter.name}.{fn.__name__}", fn, rest))
    return out


EXPERIMENTS = _experiments()


def test_there_are_experiments_to_check() -> None:
    assert len(EXPERIMENTS) >= 10


@pytest.mark.parametrize("name, fn, kwargs", EXPERIMENTS, ids=[e[0] for e in EXPERIMENTS])
def test_default_train_follows_the_scale_at_call_time(monkeypatch, name, fn, kwargs) -> None:
    chapter = importlib.import_module(f"theorybench.{name.split('.')[0]}")
    original = TrainConfig.resolve

    def capture(train, default):
        raise _Resolved(original(train, default))

    monkeypatch.setattr(TrainConfig, "resolve", staticmethod(capture))
    # a stored result (theorybench._memo) would answer before the default is resolved
    monkeypatch.delenv("THEORYBENCH_RESULTS", raising=False)
    seen = {}
    for scale in ("ci", "full"):
        monkeypatch.setenv("THEORYBENCH_SCALE", scale)
        with pytest.raises(_Resolved) as got:
            fn(**kwargs)
        seen[scale] = got.value.config
    ci, full = _train_configs(chapter.sizes("ci")), _train_configs(chapter.sizes("full"))
    if seen["ci"] in ci or seen["full"] in full:  # a default taken from the sizes ...
        assert seen["ci"] in ci and seen["full"] in full, seen  # ... is the called scale's
    else:  # a fixed default that is no size: the same at both scales, never the ci one by accident
        assert seen["ci"] == seen["full"], seen
