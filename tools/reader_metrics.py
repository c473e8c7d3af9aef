"""Reader metrics of the built book, from its HTML: what a student meets on each chapter's pages.

    python tools/reader_metrics.py [book/_build/html]   # writes reader-metrics.{json,md} there

Per chapter (its theory pages: ``theory/<chapter>*.html``; and its notebook page): prose words
(paragraphs, list items, definitions and captions of the article, without code cells, outputs,
math or the bibliography), figures (images, explorers, figures), words before the first figure,
code names in prose and, of those, test names, and rendering leaks (a tab, or a raw TeX command
such as ``\\theta`` outside math, in the text or in an explorer's labels). tests/test_reader_metrics.py
holds the targets; ``make test`` writes the report after the book build.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

PROSE = {"p", "li", "dd", "figcaption", "blockquote"}
SKIP_CLASSES = (
    "cell_input",
    "cell_output",
    "highlight",
    "math",
    "citation",
    "bibliography",
    "tb-static-explorer",
    "headerlink",
    "footnote",
    "tb-claims-line",
)
FIGURE_CLASSES = ("tb-static-explorer", "widget-view")
RAW_TEX = re.compile(
    r"\\(?:theta|alpha|beta|gamma|lambda|frac|sum|max|min|mathbb|mathrm|sqrt|"
    r"cdot|infty|eta|sigma|ell|lceil|rceil|le|ge)\b|\^\{|_\{"
)
TEST_NAME = re.compile(r"^(test_|tests/)|::test_")


@dataclass
class PageMetrics:
    words: int = 0
    figures: int = 0
    words_before_first_figure: int | None = None
    code_names: int = 0
    test_names: int = 0
    leaks: int = 0
    leak_examples: tuple[str, ...] = ()


def _has(tokens: list[str], name: str) -> bool:
    """Whether a class list has ``name`` or a ``name-...`` variant (highlight-ipython3)."""
    return any(t == name or t.startswith(name + "-") for t in tokens)


class _Reader(HTMLParser):
    """Walks the page's <article>: counts prose words, figures and code names in reading order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, prose)
        self.in_article = 0
        self.m = PageMetrics()
        self.code_depth = 0
        self.code_text = ""
        self.labels: list[str] = []
        self.label_depth = 0
        self.text_leaks: list[str] = []

    def _skipped(self) -> bool:
        return any(s for _, s, _ in self.stack)

    def _prose(self) -> bool:
        return any(p for _, _, p in self.stack)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        cls = a.get("class") or ""
        if tag == "article":
            self.in_article += 1
        if not self.in_article or tag in ("br", "img", "hr", "input", "meta", "link", "source"):
            if self.in_article and tag == "img" and not self._skipped():
                self._figure()
            return
        tokens = cls.split()
        if any(_has(tokens, c) for c in FIGURE_CLASSES):
            self._figure()
        if tag == "label" or (tag == "span" and "tb-label" in cls):
            self.label_depth += 1
        skip = tag in ("script", "style") or any(_has(tokens, c) for c in SKIP_CLASSES)
        self.stack.append((tag, skip, tag in PROSE))
        if tag == "code" and self._prose() and not self._skipped():
            self.code_depth += 1
            self.code_text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.in_article -= 1
        if not self.stack or not self.in_article and tag != "article":
            return
        while self.stack:
            t, _, _ = self.stack.pop()
            if t == "code" and self.code_depth:
                self.code_depth -= 1
                self.m.code_names += 1
                if TEST_NAME.search(self.code_text.strip()):
                    self.m.test_names += 1
            if t == tag:
                break
        if tag == "label" and self.label_depth:
            self.label_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.in_article:
            return
        if self.label_depth:
            self.labels.append(data)
        in_pre = any(t == "pre" for t, _, _ in self.stack)
        if "\t" in data and not in_pre:  # a tab is a leak anywhere but code, math included
            self.text_leaks.append(data.strip()[:80])
        if self._skipped():
            return
        if RAW_TEX.search(data):
            self.text_leaks.append(data.strip()[:80])
        if self.code_depth:
            self.code_text += data
        if self._prose():
            self.m.words += len(data.split())

    def _figure(self) -> None:
        self.m.figures += 1
        if self.m.words_before_first_figure is None:
            self.m.words_before_first_figure = self.m.words


def page_metrics(path: Path) -> PageMetrics:
    """The metrics of one built HTML page."""
    reader = _Reader()
    reader.feed(path.read_text(encoding="utf-8"))
    m = reader.m
    label_leaks = [t.strip()[:80] for t in reader.labels if "\t" in t or RAW_TEX.search(t)]
    leaks = reader.text_leaks + label_leaks
    m.leaks, m.leak_examples = len(leaks), tuple(leaks[:5])
    return m


def chapter_metrics(html_root: Path) -> dict[str, dict[str, dict]]:
    """chapter -> {"theory/<page>": metrics, "notebook": metrics} for every built theory page."""
    out: dict[str, dict[str, dict]] = {}
    for page in sorted((html_root / "theory").rglob("*.html")):
        rel = page.relative_to(html_root / "theory").with_suffix("")
        chapter = rel.parts[
            0
        ]  # theory/<chapter>.html or a page of its part, theory/<chapter>/x.html
        out.setdefault(chapter, {})[f"theory/{rel.as_posix()}"] = asdict(page_metrics(page))
        nb = html_root / "notebooks" / f"{chapter}.html"
        if nb.exists():
            out[chapter]["notebook"] = asdict(page_metrics(nb))
    return out


def report(metrics: dict[str, dict[str, dict]]) -> str:
    lines = [
        "| page | prose words | figures | words before first figure | code names (tests) | leaks |",
        "|---|---|---|---|---|---|",
    ]
    for pages in metrics.values():
        for name, m in pages.items():
            before = (
                "–" if m["words_before_first_figure"] is None else m["words_before_first_figure"]
            )
            lines.append(
                f"| {name} | {m['words']} | {m['figures']} | {before} | "
                f"{m['code_names']} ({m['test_names']}) | {m['leaks']} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else Path(__file__).resolve().parents[1] / "book/_build/html")
    metrics = chapter_metrics(root)
    (root / "reader-metrics.json").write_text(json.dumps(metrics, indent=1))
    (root / "reader-metrics.md").write_text(report(metrics) + "\n")
    print(report(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
