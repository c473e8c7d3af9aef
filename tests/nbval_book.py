"""nbval's run of a notebook is the one execution per change (issue 25: nbval in ``make test``,
within the time budget): the same checks as tests/test_notebooks.py, on nbval's outputs, and the
executed notebook stored in the jupyter-cache the book build reads (tools/nbcache.py).

tests/conftest.py registers this module as a pytest plugin when nbval runs notebooks (``make
unit``):

- after each cell nbval ran, :func:`after_cell` keeps its outputs and, for a checked cell
  (``nbval-check-output``), compares its numbers with the stored ones within the cell's tolerance
  (nbval itself compares the words, every number sanitised: tools/nbval_sanitize.cfg);
- :class:`NotebookForBook`, one item after each notebook's last cell (the same notebook file, so
  the same pytest-xdist worker and the same live kernel), reads the widget state from the kernel,
  assembles the executed notebook, checks that the explorer carries its static view and that the
  widget state holds every model the outputs refer to, and stores it for the book.

nbval's kernel runs in the book's IPython profile (``nbcache.kernel_env``), as nbclient's would.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import nbcache  # noqa: E402
import nbnumbers  # noqa: E402

#: the item name, after a notebook's cells, that stores it for the book
ITEM_NAME = "executed notebook for the book"
_MARK = "TB-WIDGET-STATE:"
_STATE_CODE = (
    "import json as _tb_json\n"
    "try:\n"
    "    from ipywidgets import Widget as _TbWidget\n"
    "    _tb_state = _TbWidget.get_manager_state(drop_defaults=False)['state']\n"
    "except ImportError:\n"
    "    _tb_state = {}\n"
    f"print({_MARK!r} + _tb_json.dumps(_tb_state))\n"
)


# ---- the checks, shared with tests/test_notebooks.py ------------------------------------------
def output_texts(outputs: list) -> list[str]:
    """What nbval compares in lax mode, as text: streams (consecutive chunks of one stream
    joined, as nbval does) and text/plain results."""
    out: list[str] = []
    last = None
    for o in outputs:
        if o.output_type == "stream":
            if last == o.name:
                out[-1] += o.text
            else:
                out.append(f"{o.name}: {o.text}")
            last = o.name
            continue
        last = None
        if o.output_type in ("execute_result", "display_data") and "text/plain" in o.data:
            out.append(o.data["text/plain"])
        elif o.output_type == "error":
            out.append(f"error: {o.ename}: {o.evalue}")
    return out


def checked_cell_problems(stored: nbformat.NotebookNode, fresh_outputs: list) -> list[str]:
    """How the fresh outputs of a checked cell differ from the stored ones: the same number of
    outputs, the same words, numbers within the cell's tolerance (empty list: they agree)."""
    rtol, atol = nbnumbers.tolerance(stored)
    old, new = output_texts(stored.outputs), output_texts(fresh_outputs)
    if len(old) != len(new):
        return [f"outputs {old} -> {new}"]
    return [
        d for a, b in zip(old, new, strict=True) for d in nbnumbers.differences(a, b, rtol, atol)
    ]


def has_static_explorer(nb: nbformat.NotebookNode) -> bool:
    """Does an output carry the explorer's kernel-free view (theorybench.static_view)?"""
    return any(
        "tb-static-explorer" in o.data["text/html"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    )


def missing_widget_models(nb: nbformat.NotebookNode) -> set[str]:
    """Widget models referenced by an output or another model but absent from the stored state
    (the static book renders widgets from that state: a missing one breaks the page)."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = state.get("state", {})
    text = json.dumps(models) + json.dumps([c.get("outputs", []) for c in nb.cells])
    referenced = set(re.findall(r"IPY_MODEL_([0-9a-f]{32})", text))
    referenced |= set(re.findall(r'"model_id": "([0-9a-f]{32})"', text))
    return referenced - set(models)


# ---- the nbval side ---------------------------------------------------------------------------
def is_nbval_cell(item: pytest.Item) -> bool:
    return type(item).__name__ == "IPyNbCell" and type(item.parent).__name__ == "IPyNbFile"


def _ran(nbfile: pytest.Item) -> dict:
    if not hasattr(nbfile, "_tb_ran"):
        nbfile._tb_ran = {"outputs": {}, "seconds": 0.0}
    return nbfile._tb_ran


def _stored_cell(item: pytest.Item) -> nbformat.NotebookNode:
    """The cell as the notebook file stores it. Not ``item.cell``: nbval's comparison joins
    stream chunks into the first chunk in place (``coalesce_streams``), so after nbval ran a cell
    its ``outputs`` hold some text twice."""
    ran = _ran(item.parent)
    if "stored" not in ran:
        nb = nbformat.read(str(item.parent.fspath), as_version=4)
        ran["stored"] = [c for c in nb.cells if c.cell_type == "code"]
    return ran["stored"][item.cell_num]


def after_cell(item: pytest.Item, seconds: float) -> None:
    """Keep the outputs of a cell nbval ran; fail it if it is checked and a number moved."""
    ran = _ran(item.parent)
    ran["outputs"][item.cell_num] = list(item.test_outputs or [])
    ran["seconds"] += seconds
    stored = _stored_cell(item)
    if nbnumbers.is_checked(stored) and stored.execution_count is not None:
        problems = checked_cell_problems(stored, item.test_outputs or [])
        if problems:
            raise AssertionError(
                f"cell {item.cell_num}: printed numbers moved beyond the cell's tolerance: "
                + "; ".join(problems)
            )


def _new_output(o: nbformat.NotebookNode) -> nbformat.NotebookNode:
    if o.output_type == "stream":
        return nbformat.v4.new_output("stream", name=o.name, text=o.text)
    if o.output_type == "execute_result":
        return nbformat.v4.new_output(
            "execute_result", data=o.data, metadata=o.get("metadata", {}),
            execution_count=o.get("execution_count"),
        )  # fmt: skip
    if o.output_type == "display_data":
        return nbformat.v4.new_output("display_data", data=o.data, metadata=o.get("metadata", {}))
    return nbformat.v4.new_output(
        "error", ename=o.ename, evalue=o.evalue, traceback=o.get("traceback", [])
    )


def kernel_widget_state(kernel: object, timeout: float = 60) -> dict:
    """Every live widget model's state, read from the kernel nbval ran the notebook in: the
    ``application/vnd.jupyter.widget-state+json`` state nbclient would have stored."""
    msg_id = kernel.execute_cell_input(_STATE_CODE, allow_stdin=False)
    kernel.await_reply(msg_id, timeout=timeout)
    text = ""
    while True:
        msg = kernel.get_message("iopub", timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            break
        if kind == "stream" and content["name"] == "stdout":
            text += content["text"]
        if kind == "error":
            raise RuntimeError(f"reading the widget state failed: {content['evalue']}")
    line = next(x for x in text.splitlines() if x.startswith(_MARK))
    return json.loads(line[len(_MARK) :])


def assemble(path: Path, outputs: dict[int, list], widget_state: dict) -> nbformat.NotebookNode:
    """The notebook at ``path`` with nbval's outputs, numbered as nbclient numbers them."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code):
        cell.outputs = [_new_output(o) for o in outputs[number]]
        cell.execution_count = number + 1
        for o in cell.outputs:
            if o.output_type == "execute_result":
                o.execution_count = number + 1
    if widget_state:
        nb.metadata.widgets = {
            "application/vnd.jupyter.widget-state+json": {
                "state": copy.deepcopy(widget_state), "version_major": 2, "version_minor": 0,
            }
        }  # fmt: skip
    return nb


class NotebookForBook(pytest.Item):
    """After a notebook's last cell: check the executed notebook and store it for the book."""

    def runtest(self) -> None:
        nbfile = self.parent
        ran = _ran(nbfile)
        code = [c for c in nbfile.nb.cells if c.cell_type == "code"]
        if len(ran["outputs"]) != len(code) or nbfile.kernel is None:
            pytest.skip("not every cell ran (see the cells' failures): nothing stored")
        start = time.perf_counter()
        state = kernel_widget_state(nbfile.kernel)
        path = Path(str(nbfile.fspath))
        nb = assemble(path, ran["outputs"], state)
        assert has_static_explorer(nb), f"{path.name}: no static explorer view"
        missing = missing_widget_models(nb)
        assert not missing, f"{path.name}: missing widget models {sorted(missing)}"
        nbcache.store(path, nb, ran["seconds"] + time.perf_counter() - start)

    def reportinfo(self):
        return self.path, 0, f"{self.parent.name}::{ITEM_NAME}"


def add_book_items(items: list[pytest.Item]) -> None:
    """Insert one :class:`NotebookForBook` after each notebook's last nbval cell (in place)."""
    last: dict[object, int] = {}
    for i, item in enumerate(items):
        if is_nbval_cell(item):
            last[item.parent] = i
    for parent, i in sorted(last.items(), key=lambda kv: -kv[1]):
        items.insert(i + 1, NotebookForBook.from_parent(parent, name=ITEM_NAME))


# ---- the plugin's hooks ---------------------------------------------------------------------
def nbval_runs_notebooks(config: pytest.Config) -> bool:
    return bool(
        getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False)
    )


def pytest_configure(config: pytest.Config) -> None:
    nbcache.kernel_env()  # nbval's kernels in the book's profile, as nbclient's


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After each notebook's cells, one item checks and stores it for the book; the tests of
    tests/test_notebooks.py for the same notebooks, which would execute them a second time, are
    deselected (the book item runs their checks on nbval's outputs)."""
    ran = {Path(str(i.parent.fspath)).name for i in items if is_nbval_cell(i)}
    if not ran:
        return
    add_book_items(items)
    twice = [
        i
        for i in items
        if i.nodeid.startswith("tests/test_notebooks.py::")
        and getattr(getattr(i, "callspec", None), "params", {}).get("path", Path()).name in ran
    ]
    if twice:
        config.hook.pytest_deselected(items=twice)
        items[:] = [i for i in items if i not in twice]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Keep the outputs of each notebook cell nbval runs, and compare a checked cell's numbers
    within its tolerance (nbval compares the words)."""
    start = time.perf_counter()
    result = yield
    if is_nbval_cell(item):
        after_cell(item, time.perf_counter() - start)
    return result
