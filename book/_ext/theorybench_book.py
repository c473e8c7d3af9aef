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


LEDGER = Path("book") / "ledger.json"  # committed; refreshed by every `make test`


def load_ledger(srcdir: Path) -> tuple[dict | None, str]:
    """The claims ledger (``book/ledger.json``, written by tests/conftest.py) and a sentence on
    where it came from."""
    path = srcdir / LEDGER
    if not path.exists():
        return None, "No test results yet: run `make test`, then build the book."
    data = json.loads(path.read_text())
    dates = sorted(c.get("recorded", "") for c in data.get("claims", []) if c.get("recorded"))
    span = (
        dates[0][:10]
        if dates and dates[0][:10] == dates[-1][:10]
        else (f"{dates[0][:10]} to {dates[-1][:10]}" if dates else "an unknown date")
    )
    key = library_key(srcdir)
    stale = sum(c.get("library") != key for c in data.get("claims", []))
    where = (
        f"The results below were recorded by `make test` ({span}) and are kept in the "
        "repository as `book/ledger.json`: `make book` shows them as they were last recorded, "
        "and every `make test` refreshes the claims it runs."
    )
    if stale:
        where += (
            f" {stale} claim(s) were recorded with an earlier version of the library; they are "
            "marked *earlier library* below until the next `make test`."
        )
    else:
        where += " Every claim was recorded with the library as it is in this build."
    return data, where


def library_key(root: Path) -> str:
    """A short hash of the library's source (the same as tests/conftest.py records)."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted((root / "lib" / "theorybench").rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _cell(text: str) -> str:
    return text.replace("\n", " ")


def _test_names(c: dict) -> str:
    names = sorted({re.sub(r"\[.*", "", t.split("::")[-1]) for t in c["tests"]})
    tests = ", ".join(f"*{n}*" for n in names)
    if len(c["tests"]) > len(names):
        tests += f" ({len(c['tests'])} cases)"
    return tests


def render_claims(srcdir: Path) -> str:
    """MyST for the Claims page: one section per chapter (label claims-<chapter>), one block per
    claim (label claim-<id>: the theory pages' ``{claims}`` lines link here). Blocks, not a wide
    table, so the page reads on a phone."""
    from theorybench.chapters import CHAPTERS

    chapters = {}
    for c in CHAPTERS:  # reading order; the heading is the theory page's own title
        page = srcdir / "theory" / f"{c.name}.md"
        lines = page.read_text().splitlines() if page.exists() else []
        chapters[c.name] = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), c.title)
    data, where = load_ledger(srcdir)
    out = []
    if data is None:
        out.append(f":::{{warning}}\n{where}\n:::\n")
    else:
        claims = data["claims"]
        n_pass = sum(c["outcome"] == "passed" for c in claims)
        out.append(f"**{n_pass} of {len(claims)} claims pass.** {where}\n")
    key = library_key(srcdir)
    symbol = {"passed": "pass", "failed": "**FAIL**", "skipped": "skipped"}
    for stem, title in chapters.items():
        out.append(f"\n({'claims-' + stem})=\n## {title}\n")
        out.append(f"The lesson: {{doc}}`../theory/{stem}`.\n")
        rows = [c for c in (data or {}).get("claims", []) if c["chapter"] == stem]
        if not rows:
            out.append("No results for this chapter.\n")
            continue
        for c in rows:
            facts = [f"**{symbol[c['outcome']]}**"]
            measured = "; ".join(c.get("measured", [])[:2])
            predicted = "; ".join(c.get("predicted", [])[:1])
            if measured:
                facts.append(f"measured {_cell(measured)}")
            if predicted:
                facts.append(f"predicted {_cell(predicted)}")
            if c.get("spread"):
                facts.append(f"spread {c['spread']}")
            out += [
                f"({ledger_label(c['id'])})=",
                f"### `{c['id']}`",
                "",
                _cell(c["statement"]),
                "",
                " · ".join(facts),
                "",
            ]
            if c.get("on"):
                out += [f"*Tested on:* {_cell(c['on'])}", ""]
            recorded = c.get("recorded", "")[:10]
            later = "" if c.get("library") == key else " · *earlier library*"
            out += [
                f"*Tests:* {_test_names(c)}"
                + (f" · recorded {recorded}" if recorded else "")
                + later,
                "",
            ]
    recorded_ids = {c["id"] for c in (data or {}).get("claims", [])}
    missing = sorted(claim_ids_in_tests(srcdir) - recorded_ids)
    if missing:
        out.append("\n(claims-not-recorded)=\n## Not recorded yet\n")
        out.append("Claims that a test carries but that no `make test` has recorded yet:\n")
        for cid in missing:
            out += [f"({ledger_label(cid)})=", f"### `{cid}`", "", "**not recorded yet**", ""]
    return "\n".join(out)


CLAIM_MARK = re.compile(r"""mark\.claim\(\s*["']([^"']+)["']""")


def claim_ids_in_tests(root: Path) -> set[str]:
    """Every claim id a test carries (so that each has an anchor, recorded or not)."""
    ids: set[str] = set()
    for f in (root / "tests").rglob("test_*.py"):
        ids |= set(CLAIM_MARK.findall(f.read_text()))
    return ids


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

    pages = [
        srcdir / "theory" / f"{chapter}.md",
        *sorted((srcdir / "theory" / chapter).glob("*.md")),
    ]
    # a chapter may be a part of several pages, numbered on from one page to the next
    sections = [s for page in pages if page.exists() for s in SECTION.findall(page.read_text())]
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
    kind, _, rest = docname.partition("/")
    chapter = rest.split("/")[0]  # theory/<chapter>.md, or a page of a part: theory/<chapter>/x.md
    if kind == "book" and rest.startswith("api_") and rest[4:] in names():
        source[0] += render_api(Path(app.srcdir), rest[4:])
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
    ``book/ledger.json``, which Sphinx does not know about."""
    return [CLAIMS_PAGE] if CLAIMS_PAGE in env.found_docs else []


# -- the page form: provenance marker, claim links, build-time figures -------------------------

#: {from}`paper|secondary|ours`: where a statement comes from, one marker for the whole book
PROVENANCE = {
    "paper": ("paper", "Stated or proved in the paper this chapter is about"),
    "secondary": (
        "secondary source",
        "From a secondary source (a review, a summary, a later paper)",
    ),
    "ours": ("this book", "This book's own derivation or model, checked by its tests"),
}


def provenance_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{from}`paper``` -> a small badge; any other value is an error naming the choices."""
    from docutils import nodes

    key = text.strip()
    if key not in PROVENANCE:
        msg = inliner.reporter.error(
            f"{{from}} takes one of {sorted(PROVENANCE)}, got {key!r}", line=lineno
        )
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    label, title = PROVENANCE[key]
    html = f'<span class="tb-from tb-from-{key}" title="{title}">{label}</span>'
    return [nodes.raw(rawtext, html, format="html")], []


def ledger_label(claim_id: str) -> str:
    """The target of one claim on the ledger page."""
    return f"claim-{claim_id}"


def claim_outcomes(srcdir: Path) -> dict[str, str]:
    """claim id -> outcome, from the ledger the book shows (empty if there is none)."""
    data, _ = load_ledger(srcdir)
    return {c["id"]: c["outcome"] for c in (data or {}).get("claims", [])}


def _claims_directive():
    from docutils import nodes
    from docutils.parsers.rst import Directive
    from sphinx import addnodes

    class ClaimsDirective(Directive):
        """```{claims} id-1 id-2```: one line that links a section's claims in the ledger.

        Each id becomes a reference to its entry on the ledger page, so a claim id that no
        test carries fails the strict build: the line cannot go stale."""

        required_arguments = 1
        final_argument_whitespace = True
        has_content = False

        def run(self):
            env = self.state.document.settings.env
            outcomes = claim_outcomes(Path(env.srcdir))
            env.note_dependency(str(Path(env.srcdir) / LEDGER))  # re-read when results change
            para = nodes.paragraph(classes=["tb-claims-line"])
            para += nodes.inline(text="Checked in the claims ledger: ", classes=["tb-claims-lead"])
            for i, claim_id in enumerate(self.arguments[0].split()):
                if i:
                    para += nodes.Text(" · ")
                mark = {"passed": "✓ ", "failed": "✗ "}.get(outcomes.get(claim_id, ""), "")
                ref = addnodes.pending_xref(
                    "",
                    refdomain="std",
                    reftype="ref",
                    reftarget=ledger_label(claim_id),
                    refexplicit=True,
                    refwarn=True,
                )
                ref += nodes.inline(text=mark + claim_id)
                para += ref
            return [para]

    return ClaimsDirective


FIGURES = "libfigures"


def render_library_figure(srcdir: Path, target: str) -> Path:
    """Call ``module:function`` (no arguments, returns a matplotlib Figure) and save it as a PNG
    under book/_build/libfigures/ (once per build and target)."""
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    module, _, function = target.partition(":")
    if not module.startswith("theorybench.") or not function:
        raise ValueError(f"libfigure takes theorybench.<module>:<function>, got {target!r}")
    out = srcdir / "book" / "_build" / FIGURES / f"{module}.{function}.png"
    if not out.exists() or out.stat().st_mtime < _BUILD_START:
        fig = getattr(importlib.import_module(module), function)()
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=110, bbox_inches="tight")
        plt.close(fig)
    return out


_BUILD_START = 0.0


def _libfigure_directive():
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives

    class LibFigureDirective(Directive):
        """```{libfigure} theorybench.<chapter>.figures:<function>``` with ``:alt:`` and a
        caption: the figure is drawn by the library when the book is built."""

        required_arguments = 1
        has_content = True
        option_spec = {"alt": directives.unchanged, "width": directives.unchanged}

        def run(self):
            env = self.state.document.settings.env
            target = self.arguments[0].strip()
            try:
                png = render_library_figure(Path(env.srcdir), target)
            except Exception as err:  # noqa: BLE001 - reported as a build error with its cause
                return [self.state.document.reporter.error(f"libfigure {target}: {err!r}")]
            env.note_dependency(str(png))
            uri = "/" + png.relative_to(Path(env.srcdir)).as_posix()
            figure = nodes.figure(classes=["tb-libfigure"])
            image = nodes.image(uri=uri, alt=self.options.get("alt", ""))
            if "width" in self.options:
                image["width"] = self.options["width"]
            figure += image
            if self.content:
                caption = nodes.caption()
                self.state.nested_parse(self.content, self.content_offset, caption)
                # nested_parse gives paragraphs: keep their inline children in the caption
                children = [c for p in caption.children for c in p.children]
                caption.children = []
                caption.extend(children)
                figure += caption
            return [figure]

    return LibFigureDirective


def _mark_build_start(app: Any) -> None:
    import time

    global _BUILD_START
    _BUILD_START = time.time()


def setup(app: Any) -> dict:
    app.connect("builder-inited", _mark_build_start)
    app.add_role("from", provenance_role)
    app.add_directive("claims", _claims_directive())
    app.add_directive("libfigure", _libfigure_directive())
    app.connect("builder-inited", render_landing_figures)
    app.connect("env-get-outdated", claims_always_outdated)
    app.connect("source-read", transform_source)
    # early: html-page-context is emitted "first result wins", a later handler may never run
    app.connect("html-page-context", dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
