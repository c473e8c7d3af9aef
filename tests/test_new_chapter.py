"""``make chapter`` / ``make unchapter`` (tools/new_chapter.py) in a temporary copy of the
repository: the new chapter passes its own tests, the structure and packaging checks and the
bad-input walk, builds into a book (its theory page, notebook, ledger entries and API page), and
removing it leaves the copy as it was; refused names change nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NAME, TITLE = "gd_probe", "Gradient descent on a quadratic (probe)"
BIN = Path(sys.executable).parent


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return out.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The repository's tracked files (as they are in the working tree) and the claims ledger,
    copied and committed in a fresh git repository."""
    dst = tmp_path_factory.mktemp("newchapter") / "repo"
    files = _git(ROOT, "ls-files", "-z").split("\0")
    files += ["book/ledger.json"]
    for rel in files:
        src = ROOT / rel
        if rel and src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    _git(dst, "init", "-q")
    _git(dst, "add", "-A")
    _git(dst, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "before")
    return dst


def _env(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(repo / "lib"),  # the copy's library, not the installed one
        THEORYBENCH_TORCH_THREADS="1",
        THEORYBENCH_SCALE="ci",
        THEORYBENCH_RESULTS=str(repo.parent / "results"),
        MPLBACKEND="Agg",
        IPYTHONDIR=str(repo / "book" / "ipython"),
        PYTHONHASHSEED="0",
    )
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _tool(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(repo / "tools" / "new_chapter.py"), *args],
        capture_output=True,
        text=True,
        cwd=repo,
        env=_env(repo),
    )


def _clean(repo: Path) -> str:
    return _git(repo, "status", "--porcelain", "--untracked-files=all")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("lion", "already in"),
        ("Gd", "lowercase Python package name"),
        ("1st", "lowercase Python package name"),
        ("gd-probe", "lowercase Python package name"),
        ("class", "keyword"),
        ("json", "standard-library"),
        ("widgets", "collides with the existing module"),
        ("structure", "exists already"),
    ],
)
def test_a_refused_name_changes_nothing(repo: Path, name: str, why: str) -> None:
    out = _tool(repo, "add", name, TITLE)
    assert out.returncode != 0 and why in out.stderr and "nothing changed" in out.stderr
    assert _clean(repo) == ""


def test_an_existing_page_or_a_bad_title_is_refused_and_removing_a_book_chapter_too(repo) -> None:
    page = repo / "theory" / f"{NAME}.md"
    page.write_text("# someone's draft\n")
    try:
        out = _tool(repo, "add", NAME, TITLE)
        assert out.returncode != 0 and "exists already" in out.stderr
        assert _clean(repo) == f"?? theory/{NAME}.md\n"
    finally:
        page.unlink()
    out = _tool(repo, "add", NAME, 'a "quoted" title')
    assert out.returncode != 0 and "TITLE" in out.stderr
    out = _tool(repo, "remove", "chinchilla")
    assert out.returncode != 0 and "not a chapter made by" in out.stderr
    assert _clean(repo) == ""


def test_a_new_chapter_works_builds_and_is_removed_without_a_trace(repo: Path) -> None:
    out = _tool(repo, "add", NAME, TITLE)
    assert out.returncode == 0, out.stderr
    env = _env(repo)
    # its tests, the structure and packaging checks and the bad-input walk, in the copy
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"tests/test_{NAME}.py",
            "tests/test_structure.py",
            "tests/test_packaging.py",
            "tests/test_validation.py",
            "-k",
            f"{NAME} or registry",
        ],
        capture_output=True,
        text=True,
        cwd=repo,
        env=env,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    # the walk's own rule, for this chapter (other chapters' gaps are theirs)
    code = (
        "import sys; sys.path.insert(0, 'tests'); import test_validation as v; "
        f"print([n for n, o in v.PUBLIC if n.startswith('{NAME}.') and v._needs_example(o) "
        "and o not in v.EXAMPLES])"
    )
    walk = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=repo, env=env
    )
    assert walk.returncode == 0 and walk.stdout.strip() == "[]", walk.stdout + walk.stderr
    ledger = json.loads((repo / "book" / "ledger.json").read_text())
    mine = {c["id"]: c["outcome"] for c in ledger["claims"] if c["chapter"] == NAME}
    assert set(mine) == {f"{NAME}-torch-matches", f"{NAME}-recursion", f"{NAME}-best-step"}
    assert set(mine.values()) == {"passed"}

    # a book of its pages, the ledger and its API page (the notebook executed, not cached)
    config = yaml.safe_load((repo / "book" / "_config.yml").read_text())
    config["execute"] = {**config["execute"], "execute_notebooks": "force"}
    config["execute"].pop("cache", None)
    part = [{"file": f"theory/{NAME}"}, {"file": f"notebooks/{NAME}"}]
    toc = {
        "format": "jb-book",
        "root": "book/index",
        "parts": [
            {"caption": TITLE, "chapters": part},
            {"caption": "Trust", "chapters": [{"file": "book/claims"}]},
            {"caption": "Library reference", "chapters": [{"file": f"book/api_{NAME}"}]},
        ],
    }
    cfg, toc_file = repo / "book" / "_config_probe.yml", repo / "book" / "_toc_probe.yml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True))
    toc_file.write_text(yaml.safe_dump(toc, allow_unicode=True))
    out_dir = repo.parent / "book"
    try:
        build = subprocess.run(
            [str(BIN / "jupyter-book"), "build", ".", "--config", str(cfg), "--toc"]
            + [str(toc_file), "--path-output", str(out_dir)],
            capture_output=True,
            text=True,
            cwd=repo,
            env=env,
        )
    finally:
        cfg.unlink()
        toc_file.unlink()
    log = build.stdout + build.stderr
    assert build.returncode == 0, "\n".join(ln for ln in log.splitlines() if "rror" in ln)[-6000:]
    about_mine = [
        line for line in log.splitlines() if NAME in line and ("ERROR" in line or "WARNING" in line)
    ]
    assert not about_mine, about_mine
    html = out_dir / "_build" / "html"
    theory = (html / "theory" / f"{NAME}.html").read_text()
    assert TITLE in theory and f"theorybench.{NAME}.figures.opening_figure.png" in theory
    label = f"claim-{NAME.replace('_', '-')}-torch-matches"  # Sphinx's form of the label
    assert label in theory  # the {claims} line links the ledger
    notebook = (html / "notebooks" / f"{NAME}.html").read_text()
    assert "steps to shrink the slowest direction 1000x: 346" in notebook
    assert 'class="tb-static-explorer' in notebook  # the explorer's frames, live without a kernel
    claims = (html / "book" / "claims.html").read_text()
    assert label in claims and TITLE in claims
    api = (html / "book" / f"api_{NAME}.html").read_text()
    assert f"theorybench.{NAME}.model.loss_curve" in api
    assert f"theorybench.{NAME}.experiment.train_gd_quadratic" in api

    out = _tool(repo, "remove", NAME)
    assert out.returncode == 0, out.stderr
    assert _clean(repo) == ""
    assert not (repo / "lib" / "theorybench" / NAME).exists()
