"""The static (kernel-free) view of an explorer: one library frame per combination of its static
values, laid out as theorybench.static_view.SCHEMA says (the browser test checks the other side:
the frame tb-explorer.js shows after a drag is frame_index of the input positions)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from theorybench import plotting, static_view, widgets

ROOT = Path(__file__).resolve().parents[1]


def _explorer(static: dict) -> widgets.Explorer:
    fig, (ax,) = plotting.figure(1)
    (line,) = ax.plot([0, 1], [0, 0])
    controls = {"a": widgets.slider("a", 0.0, 1.0, 0.5), "k": widgets.choice("k", ["x", "y"], "x")}
    return widgets.Explorer(
        fig, lambda a, k: line.set_ydata([0, a if k == "x" else -a]), controls, static=static
    )


def _payload(html: str) -> dict:
    cls = static_view.SCHEMA["payload_class"]
    return json.loads(re.search(rf'class="{cls}">(.*?)</script>', html).group(1))


def test_static_view_holds_one_library_frame_per_combination() -> None:
    ex = _explorer({"a": [0.0, 0.5, 1.0], "k": ["x", "y"]})
    html = static_view.static_html(ex)
    payload = _payload(html)
    assert sorted(payload) == sorted(static_view.SCHEMA["payload_keys"])
    assert payload["version"] == static_view.SCHEMA["version"]
    assert payload["sizes"] == [3, 2] and len(payload["frames"]) == 6
    assert len(set(payload["frames"])) == 5  # a = 0 draws the same line for both k
    assert ex.values() == {"a": 0.5, "k": "x"}  # the explorer is left as it was
    for key in ("root_class", "controls_class", "frame_class", "note_class"):
        assert f'class="{static_view.SCHEMA[key]}"' in html
    assert len(re.findall(static_view.SCHEMA["control_attribute"] + "=", html)) == 2


def test_start_frame_is_the_frame_of_the_current_values() -> None:
    """The <img> shows frames[frame_index(start positions)]: a = 0.5 is position 1, k = x is 0."""
    ex = _explorer({"a": [0.0, 0.5, 1.0], "k": ["x", "y"]})
    html = static_view.static_html(ex)
    shown = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert shown == _payload(html)["frames"][static_view.frame_index([1, 0], [3, 2])]


def test_frame_index_is_row_major_last_control_fastest() -> None:
    sizes = [3, 4, 2]
    order = [static_view.frame_index(p, sizes) for p in np.ndindex(*sizes)]
    assert order == list(range(24))
    with pytest.raises(ValueError, match="positions"):
        static_view.frame_index([3, 0, 0], sizes)


@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.data())
def test_frame_index_matches_the_scripts_rule(sizes: list[int], data) -> None:
    """tb-explorer.js computes index = index * sizes[i] + position_i; the schema's rule."""
    positions = [data.draw(st.integers(0, s - 1)) for s in sizes]
    index = 0
    for p, s in zip(positions, sizes, strict=True):
        index = index * s + p
    assert static_view.frame_index(positions, sizes) == index


def test_the_script_implements_the_schema() -> None:
    js = (ROOT / "book" / "static" / "tb-explorer.js").read_text()
    schema = static_view.SCHEMA
    for key in ("root_class", "frame_class", "payload_class"):
        assert "." + schema[key] in js
    assert f"[{schema['control_attribute']}]" in js
    assert f"data.version !== {schema['version']}" in js
    assert "index * data.sizes[i] + position" in js


def test_static_values_outside_a_controls_range_are_rejected() -> None:
    with pytest.raises(ValueError, match="outside"):
        static_view.static_html(_explorer({"a": [0.0, 2.0]}))
    with pytest.raises(ValueError, match="outside"):
        static_view.static_html(_explorer({"k": ["x", "z"]}))
    with pytest.raises(ValueError, match="static"):
        static_view.static_html(_explorer({}))


def test_every_chapters_static_values_lie_in_its_controls_ranges() -> None:
    from theorybench.chapters import CHAPTERS

    for chapter in CHAPTERS:
        ex = chapter.explorer()
        assert ex.static, f"{chapter.name}: no static controls"
        static_view.check_static_values(ex)


def test_the_book_kernel_extension_adds_the_static_view() -> None:
    """What the book's kernel does (book/ipython): Explorer bundles gain text/html."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    static_view.load_ipython_extension(shell)
    data, _ = shell.display_formatter.format(_explorer({"a": [0.0, 1.0]}))
    assert static_view.SCHEMA["root_class"] in data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in data
