"""Every notebook runs top to bottom without error, and the cells whose output is checked print
what is stored in the notebook: the same words, and numbers within the tolerance each such cell
states in its metadata (tools/nbnumbers.py). nbval runs the notebooks too (``make unit``), with
every number sanitised: it checks the words, this module the numbers.

The notebooks are executed once per change of notebook or library, into the jupyter-cache that
the book build reads (tools/nbcache.py). In ``make test`` that one execution is nbval's: the same
checks run on nbval's outputs (tests/nbval_book.py) and tests/conftest.py deselects these tests
for the notebooks nbval runs; run alone (``pytest tests/test_notebooks.py``), they execute what
is not cached. ``make book`` after either executes nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import nbcache  # noqa: E402
import nbnumbers  # noqa: E402
from nbval_book import checked_cell_problems, has_static_explorer, missing_widget_models  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def executed() -> dict[str, nbformat.NotebookNode]:
    """Each notebook with its outputs, executed unless already cached: as many kernels at a time
    as fit the cores at torch_threads() threads each (two on a 2-core machine), or one at a time
    in a pytest-xdist worker (the other workers keep the other cores busy)."""
    from theorybench.device import torch_threads

    cache = nbcache.prepare()
    jobs = max(1, (os.cpu_count() or 2) // torch_threads())
    nbcache.run(nbcache.NOTEBOOKS, jobs=1 if os.environ.get("PYTEST_XDIST_WORKER") else jobs)
    return {p.name: nbcache.executed(p, cache)[0] for p in nbcache.NOTEBOOKS}


@pytest.mark.parametrize("path", nbcache.NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_without_errors(executed: dict, path: Path) -> None:
    nb = executed[path.name]
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
    assert all(c.get("outputs") is not None for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", nbcache.NOTEBOOKS, ids=lambda p: p.name)
def test_checked_cells_print_the_stored_numbers(executed: dict, path: Path) -> None:
    stored = nbformat.read(path, as_version=4)
    fresh = executed[path.name]
    pairs = [
        (i, old, new)
        for i, (old, new) in enumerate(zip(stored.cells, fresh.cells, strict=True))
        if nbnumbers.is_checked(old)
    ]
    assert pairs, f"{path.name}: no checked cell"
    for i, old, new in pairs:
        problems = checked_cell_problems(old, new.outputs)
        assert not problems, f"{path.name} cell {i}: " + "; ".join(problems)


@pytest.mark.parametrize("path", nbcache.NOTEBOOKS, ids=lambda p: p.name)
def test_explorer_carries_its_static_view_for_the_book(executed: dict, path: Path) -> None:
    assert has_static_explorer(executed[path.name]), f"{path.name}: no static explorer view"


@pytest.mark.parametrize("path", nbcache.NOTEBOOKS, ids=lambda p: p.name)
def test_widget_state_holds_every_model_the_outputs_refer_to(executed: dict, path: Path) -> None:
    """The static book renders widgets from the notebook's stored state: a model referenced by a
    view or by another model but missing from the state breaks the page ("widget model not
    found"), as a Layout created at import time once did."""
    missing = missing_widget_models(executed[path.name])
    assert not missing, f"missing widget models: {sorted(missing)}"
