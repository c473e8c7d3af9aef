"""The book reads as a textbook (issue: the lesson on the page, the evidence in the ledger): the
reader metrics of the built HTML (tools/reader_metrics.py, report written to
book/_build/html/reader-metrics.md) meet the page-form targets on every theory page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
sys.path.insert(0, str(ROOT / "tools"))

import reader_metrics  # noqa: E402

pytestmark = pytest.mark.browser  # needs the built book, like the browser tests

MAX_WORDS = 2500  #: a theory page a student reads in one sitting
FIRST_FIGURE_WITHIN = 150  #: prose words before the first figure, at most
WORDS_PER_FIGURE = 800  #: at least one figure per this many prose words


@pytest.fixture(scope="module")
def metrics() -> dict:
    if not (HTML / "theory").exists():
        pytest.skip("the book is not built")
    reader_metrics.main([str(HTML)])
    return reader_metrics.chapter_metrics(HTML)


def _theory_pages(metrics: dict) -> list[tuple[str, dict]]:
    return [
        (n, m) for pages in metrics.values() for n, m in pages.items() if n.startswith("theory")
    ]


def test_every_theory_page_opens_with_a_figure(metrics: dict) -> None:
    late = {
        n: m["words_before_first_figure"]
        for n, m in _theory_pages(metrics)
        if m["figures"] == 0 or m["words_before_first_figure"] > FIRST_FIGURE_WITHIN
    }
    assert not late, f"first figure missing or after {FIRST_FIGURE_WITHIN} words: {late}"


def test_every_theory_page_has_a_figure_per_800_words_and_at_most_2500_words(metrics: dict) -> None:
    bad = {
        n: (m["words"], m["figures"])
        for n, m in _theory_pages(metrics)
        if m["words"] > MAX_WORDS or m["figures"] * WORDS_PER_FIGURE < m["words"]
    }
    assert not bad, f"(words, figures) off target: {bad}"


def test_no_test_names_in_the_prose(metrics: dict) -> None:
    bad = {
        n: m["test_names"]
        for pages in metrics.values()
        for n, m in pages.items()
        if m["test_names"]
    }
    assert not bad, bad


def test_no_rendering_leaks_in_text_or_widget_labels(metrics: dict) -> None:
    bad = {
        n: m["leak_examples"] for pages in metrics.values() for n, m in pages.items() if m["leaks"]
    }
    assert not bad, bad


def test_the_metrics_count_what_they_claim(tmp_path: Path) -> None:
    """The reader on a small page: prose words, a figure after 3 words, a test name in prose, a
    tab and a raw TeX command leaking, math and code cells left out."""
    page = tmp_path / "p.html"
    page.write_text(
        '<html><body><article class="bd-article"><section class="tex2jax_ignore mathjax_ignore">'
        "<p>one two three</p><img src='x.png'><p>four <code>test_x</code> "
        '<span class="math">\\(x\\)</span> \\theta\tfive</p>'
        '<div class="cell_input"><p>not counted words here</p></div>'
        '<div class="tb-static-explorer"><label>n / d^{k}</label></div>'
        "</section></article></body></html>"
    )
    m = reader_metrics.page_metrics(page)
    assert (m.words, m.figures, m.words_before_first_figure) == (7, 2, 3)
    assert (m.code_names, m.test_names) == (1, 1)
    assert m.leaks == 3  # the tab + \theta in the text, ^{ in the explorer's label
