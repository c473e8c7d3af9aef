"""Keep notebooks clean: outputs are stripped, except the cells whose output is checked (nbval's
``nbval-check-output`` tag, or its ``# NBVAL_CHECK_OUTPUT`` comment).

Those cells keep the output nbval compares on every test run, so they must be stored, and an
execution count must be set (nbval skips un-run cells: a checked cell without output could never
fail); each states the tolerance its printed numbers are compared with (tools/nbnumbers.py).

    python tools/nbclean.py notebooks/*.ipynb            # execute, keep checked outputs, strip rest
    python tools/nbclean.py --check notebooks/*.ipynb    # exit 1 if a notebook is not clean
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbnumbers import is_checked, tolerance  # noqa: E402


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """What makes ``nb`` unclean (empty list: clean)."""
    out = []
    if "widgets" in nb.metadata:
        out.append("widget state stored in metadata")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            if not cell.outputs or cell.execution_count is None:
                out.append(f"cell {i}: checked by nbval but has no stored output")
            try:
                tolerance(cell)
            except ValueError as err:
                out.append(f"cell {i}: {err}")
        elif cell.outputs or cell.execution_count is not None:
            out.append(f"cell {i}: has outputs or an execution count")
    return out


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip outputs except checked cells; renumber the checked cells 1, 2, ..."""
    nb.metadata.pop("widgets", None)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if is_checked(cell):
            count += 1
            cell.execution_count = count
            for o in cell.outputs:
                if "execution_count" in o:
                    o.execution_count = count
        else:
            cell.outputs, cell.execution_count = [], None
    return nb


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--check", action="store_true", help="only report unclean notebooks")
    args = ap.parse_args()
    bad = 0
    for path in args.paths:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            for p in problems(nb):
                print(f"{path}: {p}")
                bad += 1
            continue
        from nbclient import NotebookClient

        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        nbformat.write(clean(nb), path)
        print(f"cleaned {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
