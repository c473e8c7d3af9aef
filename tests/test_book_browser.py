"""Browser tests of the built book: headless Chromium (Debian), pages opened from disk with every
host name unresolvable, so anything fetched from the network would fail.

For every page of the table of contents: no console error and no failed load, no error text,
math typeset by MathJax, every image present. On every notebook page the explorer's kernel-free
view is present, and dragging its first slider with the mouse changes the figure. A browser per
core (playwright-core from npm driving the same Chromium, tests/browser/drag_sliders.mjs) visits
every page once between them, every non-file request aborted. Screenshots and DOMs go to ``book/_build/screenshots/``.
Needs ``make book`` first (``make test`` builds it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
SHOTS = ROOT / "book" / "_build" / "screenshots"
ERROR_TEXT = [
    "Traceback (most recent call last)",
    "Error displaying widget",
    "Widget Javascript not detected",
    "Could not find a widget",
    "Unable to render",
]


def toc_pages() -> list[str]:
    """Every page of book/_toc.yml, as a path relative to the HTML root."""
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries: list) -> None:  # chapters, and the sections of a chapter that is a part
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return [f"{Path(f).with_suffix('')}.html" for f in files]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip(
            "Chromium is not installed and `make chromium` could not install it "
            "(needs root and Debian's apt-get: apt-get install -y chromium)"
        )
    return exe


@pytest.fixture(scope="module", params=toc_pages())
def page(request, dragged: dict) -> dict:
    """One page as the browser left it (tests/browser/drag_sliders.mjs, one Chromium for every
    page): its DOM after MathJax and the widget manager ran, its console errors and failed
    loads, its first screen at 1100 px."""
    path = HTML / request.param
    if not path.exists():
        pytest.fail(f"{path} is missing: build the book first (make book)")
    entry = dragged[request.param]
    return {
        "name": request.param,
        "path": path,
        "dom": Path(entry["dom"]).read_text(),
        "console": entry["errors"],
        "shot": Path(entry["shot"]),
    }


def test_page_has_no_console_errors(page: dict) -> None:
    assert not page["console"], "\n".join(page["console"])


def test_page_shows_no_error_text(page: dict) -> None:
    text = unescape(re.sub(r"<[^>]+>", " ", page["dom"]))
    assert page["dom"].count("<article") >= 1, "page body missing"
    for needle in ERROR_TEXT:
        assert needle not in text, f"{page['name']}: {needle!r}"


def test_math_is_typeset(page: dict) -> None:
    """Sphinx wraps math in spans of class "math"; MathJax replaces the TeX by mjx-container."""
    raw = re.findall(r'class="math[^"]*">\s*(\\\(|\\\[|\$\$)', page["dom"])
    assert not raw, f"{page['name']}: {len(raw)} math spans left as raw TeX"
    if page["name"].startswith(("theory/", "notebooks/")) or page["name"] == "book/index.html":
        assert "<mjx-container" in page["dom"], f"{page['name']}: no typeset math"


def test_every_image_is_present(page: dict) -> None:
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]+)"', page["dom"])
    for src in srcs:
        if src.startswith(("data:", "blob:")):
            continue  # inline / made by the widget manager from the embedded state
        target = (page["path"].parent / unquote(urlparse(src).path)).resolve()
        assert target.exists(), f"{page['name']}: image {src} not found"


def test_notebook_explorer_renders(page: dict) -> None:
    if not page["name"].startswith("notebooks/"):
        pytest.skip("not a notebook page")
    dom = page["dom"]
    assert 'class="tb-static-explorer"' in dom, "no kernel-free explorer view on the page"
    assert re.search(r'<img[^>]*class="tb-frame"[^>]*src="data:image/png', dom), "no frame"
    assert 'type="range"' in dom or "<select data-control" in dom, "no slider or drop-down"
    assert page["shot"].stat().st_size > 10_000, "screenshot missing or blank"


@pytest.fixture(scope="module")
def dragged() -> dict:
    """Run tests/browser/drag_sliders.mjs over every page; results by page name."""
    chromium()
    script = ROOT / "tests" / "browser" / "drag_sliders.mjs"
    if (
        shutil.which("node") is None
        or not (ROOT / "tests/browser/node_modules/playwright-core").exists()
    ):
        pytest.skip(
            "node or playwright-core missing: `make browser` installs playwright-core from npm"
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = toc_pages()
    # one browser per core, each visiting every other page (they wait on MathJax and timers too)
    jobs = max(1, min(len(pages), os.cpu_count() or 1))
    runs = [
        subprocess.Popen(
            ["node", str(script), str(SHOTS), *[(HTML / p).as_uri() for p in pages[i::jobs]]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(jobs)
    ]
    results: dict[str, dict] = {}
    for i, run in enumerate(runs):
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        results.update(zip(pages[i::jobs], json.loads(out), strict=True))
    return results


@pytest.mark.parametrize("name", toc_pages())
def test_no_console_error_or_failed_load_when_interacting(dragged: dict, name: str) -> None:
    assert not dragged[name]["errors"], dragged[name]["errors"]


@pytest.mark.parametrize("name", toc_pages())
def test_every_image_decodes_in_the_browser(dragged: dict, name: str) -> None:
    assert not dragged[name]["broken"], f"images that did not load: {dragged[name]['broken']}"


@pytest.mark.parametrize("name", [p for p in toc_pages() if p.startswith("notebooks/")])
def test_dragging_a_slider_redraws_the_explorer(dragged: dict, name: str) -> None:
    """One explorer per chapter: the mouse drag moves the slider and the figure changes."""
    result = dragged[name]
    assert result["explorers"] >= 1, "no explorer on the page"
    assert result["value"][0] != result["value"][1], "the drag did not move the slider"
    assert result["changed"], "the figure did not change"


@pytest.mark.parametrize("name", [p for p in toc_pages() if p.startswith("notebooks/")])
def test_the_frame_shown_after_a_drag_is_the_schemas_frame(dragged: dict, name: str) -> None:
    """The script's choice of frame agrees with theorybench.static_view.frame_index."""
    from theorybench.static_view import frame_index

    result = dragged[name]
    assert result["frame"] == frame_index(result["positions"], result["sizes"])


@pytest.mark.parametrize("name", toc_pages())
def test_every_page_reads_on_a_phone_without_horizontal_scrolling(dragged: dict, name: str) -> None:
    """At 390 px wide the page itself never scrolls sideways (a code block may scroll inside
    its own box)."""
    result = dragged[name]
    assert not result["phoneOverflow"], (result["phoneScrollWidth"], result["phoneOverflow"])


@pytest.mark.parametrize("name", ["book/claims.html"])
def test_the_claims_ledger_reads_without_horizontal_scrolling(dragged: dict, name: str) -> None:
    assert not dragged[name]["overflow"], f"tables wider than the page: {dragged[name]['overflow']}"
