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


SECTION = re.compile(r"^## (\d+)\. (.*)$", re.MULTILINE)
CODE = re.compile(r"(?<![}`])`([A-Za-z_][\w.]*)`(?!`)")  # ``name`` outside role arguments
FENCE = re.compile(r"^(```|~~~|:::).*?^\1", re.MULTILINE | re.DOTALL)


def section_label(chapter: str, number: str) -> str:
    """The label of section ``number`` of a theory page (what docstrings cite as §N)."""
    return f"{chapter}-s{number}"


def label_sections(chapter: str, text: str) -> str:
    """Give every numbered section (``## N. Title``) of a theory page the label ``<chapter>-sN``."""
    return SECTION.sub(lambda m: f"({section_label(chapter, m.group(1))})=\n{m.group(0)}", text)


def link_functions(chapter: str, text: str) -> str:
    """Turn each ``name`` (or ``Class.method``) of the chapter's public API that the page shows in
    code font into a link to its API entry; fenced blocks and role arguments are left alone."""
    import importlib

    package = importlib.import_module(f"theorybench.{chapter}")

    def target(name: str) -> str | None:
        head, _, rest = name.partition(".")
        if head not in package.__all__:
            return None
        obj = getattr(package, head)
        module = getattr(obj, "__module__", None)
        if not (module or "").startswith(f"theorybench.{chapter}.") or not hasattr(
            obj, "__qualname__"
        ):
            return None
        if rest and not hasattr(obj, rest):
            return None
        return f"{module}.{obj.__qualname__}" + (f".{rest}" if rest else "")

    def link(m: re.Match) -> str:
        name = m.group(1)
        where = target(name)
        return f"{{py:obj}}`{name} <{where}>`" if where else m.group(0)

    pieces, last = [], 0
    for fence in FENCE.finditer(text):
        pieces.append(CODE.sub(link, text[last : fence.start()]))
        pieces.append(fence.group(0))
        last = fence.end()
    pieces.append(CODE.sub(link, text[last:]))
    return "".join(pieces)


def render_api(srcdir: Path, chapter: str) -> str:
    """MyST for a chapter's API page: the theory sections its docstrings cite (§N, linked), then
    the package and each of its modules, from the docstrings."""
    import importlib
    import pkgutil

    page = srcdir / "theory" / f"{chapter}.md"
    sections = SECTION.findall(page.read_text()) if page.exists() else []
    out = ["", "Docstrings cite the sections of the theory page as §N:", ""]
    out += [f"- §{n}: {{ref}}`{title} <{section_label(chapter, n)}>`" for n, title in sections]
    package = importlib.import_module(f"theorybench.{chapter}")
    modules = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
    out += ["", "```{eval-rst}", f".. automodule:: theorybench.{chapter}", "   :no-members:", ""]
    for name in modules:
        out += [f".. automodule:: theorybench.{chapter}.{name}", ""]
    out += ["```", ""]
    return "\n".join(out)


def transform_source(app: Any, docname: str, source: list[str]) -> None:
    """Claims page from the test results; API pages from the registry; theory pages get section
    labels and links from the functions they name to their API entries."""
    from theorybench.chapters import names

    if docname == CLAIMS_PAGE:
        source[0] += "\n" + render_claims(Path(app.srcdir))
        return
    kind, _, chapter = docname.partition("/")
    if kind == "book" and chapter.startswith("api_") and chapter[4:] in names():
        source[0] += render_api(Path(app.srcdir), chapter[4:])
    elif kind == "theory" and chapter in names():
        source[0] = link_functions(chapter, label_sections(chapter, source[0]))


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
    app.connect("source-read", transform_source)
    # early: html-page-context is emitted "first result wins", a later handler may never run
    app.connect("html-page-context", dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
