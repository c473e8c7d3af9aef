"""Light chapter packages: each ``theorybench.<chapter>`` imports its closed forms (numpy/scipy)
eagerly and everything else -- the torch experiment, figures, the explorer widget -- on first use.

A chapter's ``__init__`` ends with::

    __getattr__, __dir__, __all__ = lazy_exports(__name__, model.__all__, {
        "experiment": experiment_names, "figures": [...], "explorer": ["explorer"]})

so ``theorybench.lion.LionK`` still works while ``import theorybench.lion`` loads neither torch
nor matplotlib nor ipywidgets (tests/test_structure.py checks it in a subprocess).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, eager: Iterable[str], lazy: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Module ``__getattr__``/``__dir__``/``__all__`` that import ``lazy`` names on first use.

    Parameters
    ----------
    package
        The chapter package's ``__name__``.
    eager
        Names already bound in the package (its closed forms).
    lazy
        Submodule name (relative to ``package``) -> the public names it provides.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__, __all__)`` for the package module.
    """
    where = {name: sub for sub, names in lazy.items() for name in names}
    public = sorted({*eager, *where})

    def __getattr__(name: str) -> Any:
        sub = where.get(name)
        if sub is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{sub}"), name)

    def __dir__() -> list[str]:
        return public

    return __getattr__, __dir__, public
