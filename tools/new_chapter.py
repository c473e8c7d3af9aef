"""Start a new chapter that works at once, or remove one that this tool started.

    python tools/new_chapter.py add NAME "TITLE"   # make chapter NAME=... TITLE="..."
    python tools/new_chapter.py remove NAME        # make unchapter NAME=...

``add`` writes a small, real, tested chapter from ``tools/chapter_template/`` -- gradient descent
on a quadratic, whose coordinate along each eigenvector of H shrinks like (1 - eta lam)^t: closed
forms, a torch experiment, figures, an explorer, sizes at ``ci`` and ``full``, the theory page in
the textbook form, the notebook (its checked cell's output stored), the claim tests, the
validation examples and the API page -- and registers it: ``lib/theorybench/chapters.py`` (the
registry), ``book/_toc.yml`` (a part with the page and the notebook before the "Trust" part, and
the API page before the shared one); the validation walk finds ``tests/api_examples/<name>.py``
through the registry. Every generated file says what the author should replace;
CONTRIBUTING.md says how.

``add`` refuses, changing nothing, a name that is not a lowercase Python identifier (letters,
digits, underscores; a letter first; at most 30 characters), is a keyword or a standard-library
module, collides with a module of ``theorybench`` or an existing test, or exists as a chapter
(package, page, notebook or registry entry). ``remove`` refuses a chapter that ``add`` did not
make (its package carries ``GENERATED_BY``); it deletes exactly the files ``add`` wrote, takes
the lines it added back out of the registry and the table of contents, and
drops the chapter's claims from ``book/ledger.json`` (the tests write them there; a ledger left
empty is deleted), so that a repository is byte for byte as before ``add``.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import shutil
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "chapter_template"
MARKER = 'GENERATED_BY = "tools/new_chapter.py"'
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,29}")
#: characters a title may not hold: it goes into docstrings, Markdown headings and JSON
TITLE_FORBIDDEN = set('"\\`{}$%#') | {chr(i) for i in range(32)}

#: template file -> where ``add`` writes it ({name} is the chapter's name)
FILES = {
    "package/__init__.py": "lib/theorybench/{name}/__init__.py",
    "package/model.py": "lib/theorybench/{name}/model.py",
    "package/scales.py": "lib/theorybench/{name}/scales.py",
    "package/experiment.py": "lib/theorybench/{name}/experiment.py",
    "package/figures.py": "lib/theorybench/{name}/figures.py",
    "package/interactive.py": "lib/theorybench/{name}/interactive.py",
    "theory.md": "theory/{name}.md",
    "notebook.ipynb": "notebooks/{name}.ipynb",
    "test_chapter.py": "tests/test_{name}.py",
    "api_examples.py": "tests/api_examples/{name}.py",
    "api.md": "book/api_{name}.md",
}
REGISTRY = Path("lib/theorybench/chapters.py")
TOC = Path("book/_toc.yml")
LEDGER = Path("book/ledger.json")


class Refused(Exception):
    """A request this tool turns down; nothing has been changed."""


# -- the edits, as pure functions of a file's text (add and remove are exact inverses) ----------
def registry_line(name: str, title: str) -> str:
    return f"    Chapter({json.dumps(name)}, {json.dumps(title, ensure_ascii=False)}),\n"


def add_to_registry(text: str, name: str, title: str) -> str:
    start = text.find("CHAPTERS: tuple[Chapter, ...] = (\n")
    end = text.find("\n)\n", start)
    if start < 0 or end < 0:
        raise Refused(f"{REGISTRY}: no `CHAPTERS: tuple[Chapter, ...] = (` ... `)` block found")
    return text[: end + 1] + registry_line(name, title) + text[end + 1 :]


def toc_part(name: str, title: str) -> str:
    return (
        f"  - caption: {json.dumps(title, ensure_ascii=False)}\n"
        "    chapters:\n"
        f"      - file: theory/{name}\n"
        f"      - file: notebooks/{name}\n"
    )


TRUST = "  - caption: Trust\n"
SHARED_API = "      - file: book/api_shared\n"


def api_line(name: str) -> str:
    return f"      - file: book/api_{name}\n"


def add_to_toc(text: str, name: str, title: str) -> str:
    if text.count(TRUST) != 1 or text.count(SHARED_API) != 1:
        raise Refused(f"{TOC}: expected one `{TRUST.strip()}` part and one book/api_shared entry")
    text = text.replace(TRUST, toc_part(name, title) + TRUST)
    return text.replace(SHARED_API, api_line(name) + SHARED_API)


def remove_once(text: str, piece: str, where: Path) -> str:
    if text.count(piece) != 1:
        raise Refused(f"{where}: expected the line(s) `add` wrote once:\n{piece}")
    return text.replace(piece, "", 1)


def fill(template: str, name: str, title: str, *, json_text: bool = False) -> str:
    title_text = json.dumps(title, ensure_ascii=False)[1:-1] if json_text else title
    return template.replace("__CHAPTER__", name).replace("__TITLE__", title_text)


# -- checks ---------------------------------------------------------------------------------------
def registered(root: Path) -> dict[str, str]:
    """name -> title of the chapters in ``root``'s registry (read from its source, not imported)."""
    text = (root / REGISTRY).read_text()
    return dict(re.findall(r'^\s*Chapter\(\s*"([^"]+)",\s*"([^"]*)"', text, re.M))


def check_name(root: Path, name: str) -> None:
    if not NAME_RE.fullmatch(name):
        raise Refused(
            f"NAME must be a lowercase Python package name (a letter, then letters, digits or "
            f"underscores, at most 30 characters), got {name!r}"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise Refused(f"NAME must not be a Python keyword, got {name!r}")
    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        raise Refused(f"NAME must not shadow the standard-library module {name!r}")
    lib = root / "lib" / "theorybench"
    if name in registered(root):
        raise Refused(f"a chapter {name!r} is already in {REGISTRY}")
    if (lib / f"{name}.py").exists() or (lib / name).exists():
        raise Refused(f"NAME collides with the existing module theorybench.{name}")
    existing = [
        p.format(name=name) for p in FILES.values() if (root / p.format(name=name)).exists()
    ]
    if existing:
        raise Refused(f"chapter {name!r} exists already: {sorted(set(existing))}")


def check_title(title: str) -> None:
    if not title.strip() or len(title) > 80 or title != title.strip():
        raise Refused(f"TITLE must be 1 to 80 characters without surrounding spaces, got {title!r}")
    bad = sorted(set(title) & TITLE_FORBIDDEN)
    if bad:
        raise Refused(f"TITLE must not contain {bad} (it goes into code and Markdown)")


# -- the commands ---------------------------------------------------------------------------------
def add(root: Path, name: str, title: str) -> list[Path]:
    """Create chapter ``name`` in the repository at ``root``; returns the files written or
    changed. Every check (and every edit, computed in memory) happens before the first write."""
    check_name(root, name)
    check_title(title)
    writes: dict[Path, str] = {}
    for src, dst in FILES.items():
        text = (TEMPLATE / src).read_text()
        writes[root / dst.format(name=name)] = fill(
            text, name, title, json_text=src.endswith("ipynb")
        )
    writes[root / REGISTRY] = add_to_registry((root / REGISTRY).read_text(), name, title)
    writes[root / TOC] = add_to_toc((root / TOC).read_text(), name, title)
    for path, text in writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(writes)


def remove(root: Path, name: str) -> list[Path]:
    """Remove chapter ``name`` that :func:`add` made from the repository at ``root``."""
    if not NAME_RE.fullmatch(name):
        raise Refused(f"NAME must be a lowercase Python package name, got {name!r}")
    package = root / "lib" / "theorybench" / name
    init = package / "__init__.py"
    if not init.exists() or MARKER not in init.read_text():
        raise Refused(
            f"{name!r} is not a chapter made by tools/new_chapter.py (no {MARKER!r} in "
            f"lib/theorybench/{name}/__init__.py): remove it by hand, if at all"
        )
    title = registered(root).get(name)
    if title is None:
        raise Refused(f"{name!r} is not in {REGISTRY}")
    writes = {
        root / REGISTRY: remove_once(
            (root / REGISTRY).read_text(), registry_line(name, title), REGISTRY
        ),
        root / TOC: remove_once(
            remove_once((root / TOC).read_text(), toc_part(name, title), TOC), api_line(name), TOC
        ),
    }
    if (root / LEDGER).exists():
        ledger = json.loads((root / LEDGER).read_text())
        kept = [c for c in ledger.get("claims", []) if c.get("chapter") != name]
        if len(kept) != len(ledger.get("claims", [])):  # the format tests/conftest.py writes
            writes[root / LEDGER] = json.dumps({**ledger, "claims": kept}, indent=1) + "\n"
    for path, text in writes.items():
        path.write_text(text)
    if (root / LEDGER).exists() and json.loads((root / LEDGER).read_text()) == {"claims": []}:
        (root / LEDGER).unlink()  # only this chapter's tests had written it
    removed = [root / dst.format(name=name) for dst in FILES.values()]
    for path in removed:
        if path.exists():
            path.unlink()
    shutil.rmtree(package, ignore_errors=True)  # with __pycache__ and any file added since
    return [*writes, *removed, package]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("add", help="create a new chapter")
    a.add_argument("name")
    a.add_argument("title")
    r = sub.add_parser("remove", help="remove a chapter that `add` created")
    r.add_argument("name")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "add":
            add(root, args.name, args.title)
        else:
            remove(root, args.name)
    except Refused as err:
        print(f"new_chapter.py {args.command}: refused, nothing changed: {err}", file=sys.stderr)
        return 2
    n = args.name
    if args.command == "add":
        print(
            f"Chapter {n!r} created: lib/theorybench/{n}/, theory/{n}.md, notebooks/{n}.ipynb, "
            f"tests/test_{n}.py, tests/api_examples/{n}.py, book/api_{n}.md; registered in "
            f"{REGISTRY} and {TOC}.\nCheck it: THEORYBENCH_TORCH_THREADS=1 .venv/bin/pytest "
            f"tests/test_{n}.py tests/test_structure.py tests/test_validation.py -k {n}\n"
            f"Then replace the worked example (each file says what); see CONTRIBUTING.md. "
            f"Undo: make unchapter NAME={n}"
        )
    else:
        print(f"Chapter {n!r} removed; the registry and the table of contents are as before.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
