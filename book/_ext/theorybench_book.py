"""Small Sphinx fixes for the Theory Workbench book (Jupyter Book 1).

- Jupyter Book 1 runs sphinx-thebe's setup twice, so every page declared ``const THEBE_JS_URL``
  twice and the browser reported "Identifier 'THEBE_JS_URL' has already been declared". Each
  page now keeps the first of any identical scripts (same file or body, same attributes).
"""

from __future__ import annotations

from typing import Any


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


def setup(app: Any) -> dict:
    # early: html-page-context is emitted "first result wins", a later handler may never run
    app.connect("html-page-context", dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
