"""Small Sphinx additions for the Theory Workbench book (Jupyter Book 1).

- The landing page's figures (book/_build/landing/<chapter>.png) are rendered at build time by
  each chapter's explorer in the library, at its default sliders, so they cannot go stale.
- The Claims page (book/claims.md) gets its tables from the latest test results,
  ``book/_build/claims.json``, written by the pytest plugin in tests/conftest.py: claim -> chapter
  -> tests -> pass/fail -> measured vs predicted. Nothing on it is written by hand.

- Jupyter Book 1 runs sphinx-thebe's setup twice, so every page declared ``const THEBE_JS_URL``
  twice and the browser reported "Identifier 'THEBE_JS_URL' has already been declared". Each
  page now keeps the first of any identical scripts (same file or body, same attributes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CLAIMS_PAGE = "book/claims"


def _script_key(js: Any) -> tuple:
    attributes = getattr(js, "attributes", {}) or {}
    filename = getattr(js, "filename", str(js)) or None  # inline scripts: None or "" (both seen)
    return filename, tuple(sorted((k, str(v)) for k, v in attributes.items()))


def dedupe_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Drop exact duplicates from the page's script list, keeping order.

    In place: the list is the builder's own, to which later handlers (MathJax, myst-nb's widget
    scripts) still append.
    """
    seen: set[tuple] = set()
    unique = []
    for js in context.get("script_files", []):
        key = _script_key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"][:] = unique


def _fmt_measured(values: list[str]) -> str:
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return "; ".join(values[:3]) + (" …" if len(values) > 3 else "")
    if not numbers:
        return ""
    worst = max(numbers, key=abs)
    return f"{worst:.2g}" + (f" (worst of {len(numbers)})" if len(numbers) > 1 else "")


def _cell(text: str) -> str:
    return text.replace("\n", " ")


def render_claims(srcdir: Path) -> str:
    """MyST for the Claims page: one section per chapter (label claims-<chapter>)."""
    from theorybench.chapters import CHAPTERS

    chapters = {}
    for c in CHAPTERS:  # reading order; the heading is the theory page's own title
        page = srcdir / "theory" / f"{c.name}.md"
        lines = page.read_text().splitlines() if page.exists() else []
        chapters[c.name] = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), c.title)
    results_file = srcdir / "book" / "_build" / "claims.json"
    data = json.loads(results_file.read_text()) if results_file.exists() else None
    out = []
    if data is None:
        out.append(
            ":::{warning}\nNo test results yet: run `make test`, then build the book.\n:::\n"
        )
    else:
        claims = data["claims"]
        n_pass = sum(c["outcome"] == "passed" for c in claims)
        out.append(
            f"Results of the test run of {data['generated']}: **{n_pass} of {len(claims)} "
            f"claims pass**.\n"
        )
    symbol = {"passed": "pass", "failed": "**FAIL**", "skipped": "skipped"}
    for stem, title in chapters.items():
        out.append(f"\n({'claims-' + stem})=\n## {title}\n")
        rows = [c for c in (data or {}).get("claims", []) if c["chapter"] == stem]
        if not rows:
            out.append("No results for this chapter.\n")
            continue
        # a narrow table that fits the page (status, measured, predicted at a glance), then
        # each claim's statement and tests below it: nothing needs a horizontal scroll bar
        out += [
            ":::{list-table}",
            ":header-rows: 1",
            ":class: tb-claims",
            ":widths: 34 10 28 28",
            "",
            "* - claim",
            "  - result",
            "  - measured",
            "  - predicted",
        ]
        details = []
        for c in rows:
            names = sorted({re.sub(r"\[.*", "", t.split("::")[-1]) for t in c["tests"]})
            tests = ", ".join(f"*{n}*" for n in names)
            if len(c["tests"]) > len(names):
                tests += f" ({len(c['tests'])} cases)"
            out += [
                f"* - `{c['id']}`",
                f"  - {symbol[c['outcome']]}",
                f"  - {_cell(_fmt_measured(c['measured'])) or '–'}",
                f"  - {_cell('; '.join(c['predicted'][:1])) or '–'}",
            ]
            details += [f"`{c['id']}`", f": {_cell(c['statement'])}; tested by {tests}", ""]
        out += [":::", "", *details]
        out.append("")
    return "\n".join(out)


def inject_claims(app: Any, docname: str, source: list[str]) -> None:
    if docname == CLAIMS_PAGE:
        source[0] += "\n" + render_claims(Path(app.srcdir))


def render_landing_figures(app: Any) -> None:
    """One figure per chapter for book/index.md, drawn by the library itself."""
    from theorybench.chapters import CHAPTERS
    from theorybench.widgets import render_png

    out = Path(app.srcdir) / "book" / "_build" / "landing"
    out.mkdir(parents=True, exist_ok=True)
    for chapter in CHAPTERS:
        explorer = chapter.explorer()
        (out / f"{chapter.name}.png").write_bytes(render_png(explorer.drawn_figure()))


def claims_always_outdated(app: Any, env: Any, added: set, changed: set, removed: set) -> list:
    """An incremental build (``make book``) re-reads the Claims page: its source is the latest
    ``claims.json``, which Sphinx does not know about."""
    return [CLAIMS_PAGE] if CLAIMS_PAGE in env.found_docs else []


def setup(app: Any) -> dict:
    app.connect("builder-inited", render_landing_figures)
    app.connect("env-get-outdated", claims_always_outdated)
    app.connect("source-read", inject_claims)
    # early: html-page-context is emitted "first result wins", a later handler may never run
    app.connect("html-page-context", dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
