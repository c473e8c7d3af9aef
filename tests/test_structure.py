"""The layout the design card promises: one package per result, light imports, one registry that
the table of contents, the theory pages, the notebooks, the API pages, the book extension and
the benchmark agree with, and typed sizes at both scales."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from theorybench import chapters
from theorybench.device import Sizes

ROOT = Path(__file__).resolve().parents[1]
NAMES = chapters.names()


@pytest.mark.parametrize("name", NAMES)
def test_importing_a_chapter_loads_no_torch_matplotlib_or_widgets(name: str) -> None:
    """Closed forms are numpy/scipy: a researcher importing a formula pays for nothing else."""
    code = (
        f"import sys, json, theorybench.{name} as m; m.sizes(); "
        "print(json.dumps([k for k in ('torch', 'matplotlib', 'ipywidgets') if k in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("name", NAMES)
def test_every_public_name_of_a_chapter_resolves(name: str) -> None:
    module = chapters.chapter(name).module()
    for attr in module.__all__:
        assert getattr(module, attr) is not None
    assert callable(module.explorer) and callable(module.sizes)


def test_the_registry_names_the_books_chapters() -> None:
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert [f.split("/")[1] for f in files if f.startswith("theory/")] == NAMES
    assert [f.split("/")[1] for f in files if f.startswith("notebooks/")] == NAMES
    assert [f.split("api_")[1] for f in files if "/api_" in f and f != "book/api_shared"] == NAMES
    assert sorted(p.stem for p in (ROOT / "theory").glob("*.md")) == sorted(NAMES)
    assert sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")) == sorted(NAMES)
    packages = sorted(p.parent.name for p in (ROOT / "lib" / "theorybench").glob("*/__init__.py"))
    assert packages == sorted(NAMES)


def test_the_book_extension_and_the_benchmark_read_the_registry() -> None:
    for path in ("book/_ext/theorybench_book.py", "bench/run.py"):
        text = (ROOT / path).read_text()
        assert "from theorybench.chapters import" in text, path
        assert "svm_attention" not in text.replace("theorybench.svm_attention", ""), path


@pytest.mark.parametrize("name", NAMES)
def test_sizes_are_one_frozen_dataclass_at_both_scales(name: str) -> None:
    chapter = chapters.chapter(name)
    ci, full = chapter.sizes("ci"), chapter.sizes("full")
    assert type(ci) is type(full) and isinstance(ci, Sizes)
    assert dataclasses.is_dataclass(ci) and type(ci).__dataclass_params__.frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        ci.__setattr__(dataclasses.fields(ci)[0].name, None)
    assert ci != full, "full scale must differ from ci scale"
    with pytest.raises(ValueError, match="which"):
        chapter.sizes("huge")


def test_sizes_follow_the_scale_knob(monkeypatch) -> None:
    lion = chapters.chapter("lion")
    monkeypatch.setenv("THEORYBENCH_SCALE", "full")
    assert lion.sizes() == lion.sizes("full")
    monkeypatch.setenv("THEORYBENCH_SCALE", "ci")
    assert lion.sizes() == lion.sizes("ci")


@pytest.mark.parametrize("name", NAMES)
def test_constructing_an_explorer_trains_and_draws_nothing(name: str) -> None:
    explorer = chapters.chapter(name).explorer()
    assert explorer.image.value == b"", "the explorer drew (and maybe trained) in its constructor"


def test_unknown_chapter_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="name must be one of"):
        chapters.chapter("nope")


@pytest.mark.parametrize("name", NAMES)
def test_closed_forms_have_numpydoc_sections(name: str) -> None:
    """Every public function a chapter imports eagerly (its closed forms) documents its
    arguments and result in numpydoc sections, besides the equation it implements."""
    import inspect

    module = chapters.chapter(name).module()
    undocumented = []
    for attr in module.__all__:
        obj = vars(module).get(attr)
        if inspect.isfunction(obj) and obj.__module__.startswith(module.__name__ + "."):
            doc = inspect.getdoc(obj) or ""
            if "Returns\n-------" not in doc and "Parameters\n----------" not in doc:
                undocumented.append(attr)
    assert not undocumented, f"no numpydoc sections: {undocumented}"


@pytest.mark.parametrize("name", NAMES)
def test_lazy_name_lists_match_each_modules_all(name: str) -> None:
    """A package lists its lazily loaded names by hand (listing them without importing is the
    point); every public name of every module must be in the package's ``__all__``."""
    import importlib
    import pkgutil

    package = chapters.chapter(name).module()
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)  # sub-packages' modules too
        missing = set(getattr(module, "__all__", [])) - set(package.__all__)
        assert not missing, f"{info.name} exports {sorted(missing)}, not listed by the package"
