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


def test_the_page_form_renders_and_a_stale_claim_id_fails_the_build(tmp_path: Path) -> None:
    """{from} renders a provenance badge, {libfigure} a PNG drawn by the library at build time,
    {claims} links to each claim's ledger anchor; an id no ledger entry has fails the strict build
    (so a section's claim line cannot go stale)."""
    import subprocess
    import textwrap

    src = tmp_path / "src"
    (src / "book").mkdir(parents=True)
    (src / "tests").mkdir()
    marker = "@pytest.mark." + 'claim("demo-claim", chapter="x")'  # split: not a claim of ours
    (src / "tests" / "test_x.py").write_text(marker + "\n")
    (src / "conf.py").write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(ROOT / "book" / "_ext")!r})
            extensions = ["myst_parser", "theorybench_book"]
            myst_enable_extensions = ["colon_fence", "dollarmath"]
            exclude_patterns = ["book/_build", "_out"]
            """
        )
    )
    (src / "index.md").write_text("# Book\n\n```{toctree}\npage\nledger\n```\n")
    (src / "ledger.md").write_text("# Ledger\n\n(claim-demo-claim)=\n## demo\n")
    page = textwrap.dedent(
        """
        # Page

        A statement {from}`paper` and a derivation {from}`ours`.

        ```{libfigure} theorybench.chinchilla.figures:bias_figure
        :alt: a demo

        A caption.
        ```

        ```{claims} CLAIM
        ```
        """
    )
    (src / "page.md").write_text(page.replace("CLAIM", "demo-claim"))

    def build() -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "sphinx",
                "-q",
                "-W",
                "-n",
                "-b",
                "html",
                str(src),
                str(src / "_out"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )

    out = build()
    assert out.returncode == 0, out.stderr
    html = (src / "_out" / "page.html").read_text()
    assert 'class="tb-from tb-from-paper"' in html and 'class="tb-from tb-from-ours"' in html
    assert (
        '<figure class="tb-libfigure' in html
        and "theorybench.chinchilla.figures.bias_figure.png" in html
    )
    assert (
        src / "_out" / "_images" / "theorybench.chinchilla.figures.bias_figure.png"
    ).stat().st_size > 1000
    assert 'href="ledger.html#claim-demo-claim"' in html
    (src / "page.md").write_text(page.replace("CLAIM", "no-such-claim"))
    out = build()
    assert out.returncode != 0 and "claim-no-such-claim" in out.stderr
