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
        (tmp_path / "book" / "ledger.json").write_text(json.dumps({"claims": claims}))
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
    assert "**1 of 2 claims pass.**" in page
    block = page[page.index("(claim-lion-limit)=") : page.index("(claims-chinchilla)=")]
    assert "**FAIL**" in block and "measured 0.5" in block and "predicted 0" in block
    assert "*Tests:* *test_a*" in block
    assert "(claims-lion)=" in page and "(claims-chinchilla)=" in page


def test_without_results_the_page_says_so(tmp_path: Path) -> None:
    page = theorybench_book.render_claims(_srcdir(tmp_path, None))
    assert "No test results yet" in page


def test_each_claim_is_a_block_with_its_anchor_date_and_spread(tmp_path: Path) -> None:
    """One block per claim (no wide table: the browser test measures the page at 390 px), with
    the label the theory pages' {claims} lines link to, when it was recorded, and whether the
    library has changed since."""
    claim = {
        "id": "x",
        "chapter": "lion",
        "statement": "a long statement " * 20,
        "tests": ["t.py::test_a"],
        "outcome": "passed",
        "measured": ["0.41 (worst of 20)"],
        "predicted": ["<= 0"],
        "spread": "0.1 / 0.2 / 0.41 (min / median / max)",
        "on": "20 random quadratics",
        "recorded": "2026-12-05 10:00",
        "library": "not-this-one",
    }
    page = theorybench_book.render_claims(_srcdir(tmp_path, [claim]))
    block = page[page.index("(claim-x)=") :]
    assert "### `x`" in block and "a long statement" in block
    assert "measured 0.41 (worst of 20) · predicted <= 0 · spread 0.1 / 0.2 / 0.41" in block
    assert "*Tested on:* 20 random quadratics" in block
    assert "recorded 2026-12-05 · *earlier library*" in block
    assert "recorded with an earlier version of the library" in page
