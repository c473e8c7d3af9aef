"""The project's own files agree with each other: dependencies, pins, notebooks, theory pages."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    """Normalised distribution name of a requirement string (PEP 503)."""
    name = re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_deps() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        deps += extra
    return {_name(d) for d in deps}


def environment_deps() -> dict[str, str | None]:
    """name -> version spec from environment.yml (conda and pip sections)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out: dict[str, str | None] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for pip_dep in dep["pip"]:
                if not pip_dep.startswith("-e"):
                    name, _, version = pip_dep.partition("==")
                    out[_name(name)] = version or None
        else:
            name, _, version = dep.partition("=")
            out[_name(name)] = version or None
    out.pop("python", None)
    out.pop("pip", None)
    return out


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_name(name)] = version.strip()
    return pins


def test_environment_yml_lists_the_same_packages_as_pyproject() -> None:
    assert set(environment_deps()) == pyproject_deps()


def test_environment_yml_versions_agree_with_the_lock() -> None:
    pins = constraints()
    for name, version in environment_deps().items():
        assert version is not None, f"environment.yml: {name} has no version"
        assert pins[name].startswith(version), (
            f"{name}: environment.yml {version}, lock {pins[name]}"
        )


def test_every_dependency_is_pinned_exactly_and_torch_is_2_13_0() -> None:
    pins = constraints()
    missing = pyproject_deps() - set(pins)
    assert not missing, f"not pinned in constraints.txt: {sorted(missing)}"
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"].startswith("1."), "Jupyter Book 2 needs the network to build"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_is_clean_and_its_checked_cells_have_outputs(path: Path) -> None:
    """Outputs are stripped except cells nbval compares (tools/nbclean.py)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "nbclean.py"), "--check", str(path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    nb = nbformat.read(path, as_version=4)
    sys.path.insert(0, str(ROOT / "tools"))
    from nbnumbers import is_checked

    checked = [c for c in nb.cells if is_checked(c)]
    assert checked, f"{path.name}: no cell's printed numbers are checked by nbval"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_cells_are_short(path: Path) -> None:
    """Style: notebooks explain, call and plot; logic lives in the library."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert len(cell.source.splitlines()) <= 20, f"{path.name} cell {i} is long"
            for node in ast.walk(ast.parse(cell.source)):
                assert not isinstance(node, (ast.FunctionDef, ast.ClassDef)), (
                    f"{path.name} cell {i} defines a function/class: move it to lib/theorybench"
                )


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


def _claim_ids() -> set[str]:
    from conftest import claim_ids_in_tests

    return claim_ids_in_tests()


@pytest.mark.parametrize("path", sorted((ROOT / "theory").rglob("*.md")), ids=lambda p: p.name)
def test_theory_page_links_its_claims_and_names_no_test(path: Path) -> None:
    """The lesson links the evidence, it does not recite it: a page's checked sections end with
    ``{claims}`` lines naming claim ids that tests carry (the strict build also fails on an
    unknown id), and no test name appears in its prose."""
    text = path.read_text()
    linked = {i for line in re.findall(r"```\{claims\}([^\n]*)", text) for i in line.split()}
    assert linked, f"{path.name} links no claim"
    assert linked <= _claim_ids(), f"unknown claim ids: {sorted(linked - _claim_ids())}"
    assert not re.findall(r"`(test_\w+)`", text), "test names in the prose"


@pytest.mark.parametrize("path", sorted((ROOT / "theory").glob("*.md")), ids=lambda p: p.name)
def test_theory_page_names_only_library_functions_that_exist(path: Path) -> None:
    """Every identifier a page shows in code font (other than tests and role arguments) exists:
    ``name`` or ``Class.method`` in the chapter's module, or a dotted ``theorybench...`` path."""
    import importlib

    module = importlib.import_module(f"theorybench.{path.stem}")
    text = path.read_text()
    named = {n for n in re.findall(r"(?<!})`([\w.]+)`", text) if not n.startswith("test_")}
    assert named, f"{path.name} links no library function"

    def exists(name: str) -> bool:
        parts = name.split(".")
        obj = importlib.import_module("theorybench") if parts[0] == "theorybench" else module
        for part in parts[1:] if parts[0] == "theorybench" else parts:
            if not hasattr(obj, part):
                try:
                    obj = importlib.import_module(f"{obj.__name__}.{part}")
                except (ImportError, AttributeError):
                    return False
            else:
                obj = getattr(obj, part)
        return True

    missing = sorted(n for n in named if not exists(n))
    assert not missing, f"{path.name} names {missing}, not in theorybench.{path.stem}"
