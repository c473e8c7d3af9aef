"""The book's own Sphinx extension: the Claims page is rendered from test results."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import theorybench_book  # noqa: E402


def _srcdir(tmp_path: Path, claims: list[dict] | None) -> Path:
    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "book" / "_toc.yml", tmp_path / "book" / "_toc.yml")
    shutil.copytree(ROOT / "theory", tmp_path / "theory")
    if claims is not None:
        (tmp_path / "book" / "_build").mkdir()
        (tmp_path / "book" / "_build" / "claims.json").write_text(
            json.dumps({"generated": "now", "claims": claims})
        )
    return tmp_path


def test_a_failing_claim_shows_as_failing(tmp_path: Path) -> None:
    claims = [
        {
            "id": "lion-limit",
            "chapter": "lion",
            "statement": "s",
            "tests": ["t.py::test_a[1]"],
            "outcome": "failed",
            "measured": ["0.5"],
            "predicted": ["0"],
        },
        {
            "id": "ch-x",
            "chapter": "chinchilla",
            "statement": "s",
            "tests": ["t.py::test_b"],
            "outcome": "passed",
            "measured": [],
            "predicted": [],
        },
    ]
    page = theorybench_book.render_claims(_srcdir(tmp_path, claims))
    assert "**1 of 2 claims pass**" in page
    lines = page.splitlines()
    start = lines.index("* - `lion-limit`")
    assert lines[start + 1 : start + 4] == ["  - **FAIL**", "  - 0.5", "  - 0"]
    assert ": s; tested by *test_a*" in page
    assert "(claims-lion)=" in page and "(claims-chinchilla)=" in page


def test_without_results_the_page_says_so(tmp_path: Path) -> None:
    page = theorybench_book.render_claims(_srcdir(tmp_path, None))
    assert "No test results yet" in page


def test_the_ledger_is_a_narrow_table_with_statements_below(tmp_path: Path) -> None:
    """Status, measured and predicted in a four-column table (no horizontal scrolling: the
    browser test measures it); the long statement and test names go below the table."""
    claim = {
        "id": "x",
        "chapter": "lion",
        "statement": "a long statement " * 20,
        "tests": ["t.py::test_a"],
        "outcome": "passed",
        "measured": ["0.41 (worst of 20)"],
        "predicted": ["<= 0"],
    }
    page = theorybench_book.render_claims(_srcdir(tmp_path, [claim]))
    table = page[
        page.index(":::{list-table}") : page.index(":::\n", page.index(":class: tb-claims"))
    ]
    assert ":class: tb-claims" in table and "a long statement" not in table
    assert "* - `x`\n  - pass\n  - 0.41 (worst of 20)\n  - <= 0" in table
