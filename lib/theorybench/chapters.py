"""The one list of chapters. The book's Sphinx extension, ``bench/run.py`` and the tests read it;
``tests/test_structure.py`` checks that the table of contents, the theory pages, the notebooks
and this registry name the same chapters.

Each entry satisfies :class:`ChapterSpec`: a ``name`` (the package ``theorybench.<name>``, the
theory page ``theory/<name>.md`` and the notebook ``notebooks/<name>.ipynb``), a ``title``, an
explorer factory and the chapter's sizes at either scale. Nothing is imported until asked for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

__all__ = ["ChapterSpec", "Chapter", "CHAPTERS", "chapter", "names"]


class ChapterSpec(Protocol):
    """What the book, the benchmark and the tests need from a chapter."""

    name: str
    title: str

    def module(self) -> ModuleType: ...

    def explorer(self) -> Any: ...

    def sizes(self, which: str | None = None) -> Any: ...


@dataclass(frozen=True)
class Chapter:
    """A chapter of the book, backed by the package ``theorybench.<name>``.

    ``retrains``: whether moving its explorer's sliders re-runs a training (seconds) rather than
    a closed form (milliseconds); the benchmark times the two kinds against different budgets.
    """

    name: str
    title: str
    retrains: bool = False

    def module(self) -> ModuleType:
        """The chapter's package (closed forms only; the rest loads on first use)."""
        return importlib.import_module(f"theorybench.{self.name}")

    def explorer(self) -> Any:
        """A new :class:`~theorybench.widgets.Explorer` of the chapter at its default values."""
        return self.module().explorer()

    def sizes(self, which: str | None = None) -> Any:
        """The chapter's frozen sizes dataclass at scale ``which`` (default ``$THEORYBENCH_SCALE``)."""
        return self.module().sizes(which)


#: reading order of the book
CHAPTERS: tuple[Chapter, ...] = (
    Chapter("svm_attention", "Attention ≡ SVM", retrains=True),
    Chapter("lion", "Lion as constrained optimisation"),
    Chapter("chinchilla", "Chinchilla fits"),
    Chapter("saddle_to_saddle", "Saddle-to-saddle dynamics"),
    Chapter("extrapolation_cliff", "The extrapolation cliff"),
    Chapter("langevin_averaging", "Langevin with weight averaging", retrains=True),
)


def names() -> list[str]:
    """Chapter names in reading order."""
    return [c.name for c in CHAPTERS]


def chapter(name: str) -> Chapter:
    """The chapter called ``name``; ValueError naming the known chapters otherwise."""
    for c in CHAPTERS:
        if c.name == name:
            return c
    raise ValueError(f"name must be one of {names()}, got {name!r}")
