"""nbval's run as the one notebook execution (tests/nbval_book.py): a checked cell whose numbers
move beyond its tolerance fails the cell nbval ran; the notebook assembled from nbval's outputs
is numbered as nbclient numbers it and carries the kernel's widget state; and one book item
follows each notebook's last cell, so it runs in the same worker, with the same live kernel."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import nbformat
import nbval_book
import pytest
from nbval_book import add_book_items, after_cell, assemble

STORED = "correlation median 0.9914 (10-90 %: 0.9537-0.9982, n = 100)"


def _cell_item(printed: str, tmp_path: Path) -> SimpleNamespace:
    """nbval's item for the third code cell of a notebook whose stored output of that cell is
    STORED in two stream chunks (as Jupyter stores a print followed by another)."""
    head, tail = STORED.split("(")
    cell = nbformat.v4.new_code_cell(
        "print(stats)",
        metadata={"tags": ["nbval-check-output"], "tolerance": {"rtol": 1e-3, "atol": 1e-4}},
        execution_count=3,
        outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=head),
            nbformat.v4.new_output("stream", name="stdout", text="(" + tail + "\n"),
        ],
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("a = 1"), nbformat.v4.new_code_cell("b = 2"), cell]
    nbformat.write(nb, tmp_path / "t.ipynb")
    # what nbval leaves in its copy of the cell after comparing (streams joined in place)
    mutated = copy.deepcopy(cell)
    mutated.outputs[0].text += mutated.outputs[1].text
    fresh = [nbformat.v4.new_output("stream", name="stdout", text=printed + "\n")]
    parent = SimpleNamespace(fspath=str(tmp_path / "t.ipynb"))
    return SimpleNamespace(cell=mutated, cell_num=2, test_outputs=fresh, parent=parent)


def test_a_checked_cell_rounded_differently_passes_and_its_outputs_are_kept(tmp_path) -> None:
    item = _cell_item(STORED.replace("0.9914", "0.9913"), tmp_path)
    after_cell(item, 1.5)
    assert item.parent._tb_ran["outputs"][2] == item.test_outputs
    assert item.parent._tb_ran["seconds"] == 1.5


def test_a_checked_cell_whose_number_moved_fails(tmp_path) -> None:
    with pytest.raises(AssertionError, match=r"0\.9914 -> 0\.9814"):
        after_cell(_cell_item(STORED.replace("0.9914", "0.9814"), tmp_path), 1.0)


def test_the_assembled_notebook_is_numbered_and_carries_the_widget_state(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t")] + [
        nbformat.v4.new_code_cell(src) for src in ("x = 1", "x", "print(x)")
    ]
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    result = nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=9)
    stream = nbformat.v4.new_output("stream", name="stdout", text="1\n")
    state = {"a" * 32: {"model_name": "IntSliderModel", "state": {"value": 1}}}
    out = assemble(path, {0: [], 1: [result], 2: [stream]}, state)
    nbformat.validate(out)
    code = [c for c in out.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2, 3]
    assert code[1].outputs[0].execution_count == 2 and code[2].outputs[0].text == "1\n"
    widgets = out.metadata.widgets["application/vnd.jupyter.widget-state+json"]
    assert widgets["state"] == state and widgets["version_major"] == 2


def test_one_book_item_follows_each_notebooks_last_cell(monkeypatch) -> None:
    class IPyNbFile:  # the class names nbval_book recognises
        def __init__(self, name: str) -> None:
            self.name = name

    class IPyNbCell:
        def __init__(self, parent: IPyNbFile) -> None:
            self.parent = parent

    monkeypatch.setattr(
        nbval_book.NotebookForBook,
        "from_parent",
        classmethod(lambda cls, parent, name: ("book", parent.name)),
    )
    a, b = IPyNbFile("a"), IPyNbFile("b")
    items = [IPyNbCell(a), IPyNbCell(a), "test_x", IPyNbCell(b)]
    add_book_items(items)
    assert items[2] == ("book", "a") and items[-1] == ("book", "b") and len(items) == 6
