"""Execute each notebook once per change: one jupyter-cache, shared by the notebook tests and the
book build (``execute_notebooks: cache`` in book/_config.yml points at the same folder).

In ``make test`` the one execution is nbval's: tests/nbval_book.py stores each notebook nbval ran
(its outputs, and the widget state read from its kernel) with :func:`store`, so the book build
executes nothing. ``make book`` alone, or ``python tools/nbcache.py run``, executes what is not
cached with nbclient.

The cache is keyed by jupyter-cache on each notebook's code; this module adds the rest of the key
-- the library's source and data, ``$THEORYBENCH_SCALE`` and the book kernel's profile -- by
emptying the cache when their hash changes. Notebooks run in the book's kernel profile
(``IPYTHONDIR=book/ipython``: explorers carry their static view), in their own folder.

    python tools/nbcache.py prepare                 # empty the cache if the library changed
    python tools/nbcache.py run [--jobs 2] [NB...]  # execute what is not cached; print seconds
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "book" / "_build" / ".jupyter_cache"
KEY_FILE = "LIBRARY_KEY"
IPYTHONDIR = ROOT / "book" / "ipython"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TIMEOUT = 600
_DB_LOCK = threading.Lock()  # the cache is one SQLite file: one writer at a time


@contextlib.contextmanager
def _locked():
    """One writer at a time across threads and processes (pytest-xdist workers, make jobs)."""
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with _DB_LOCK, open(CACHE.parent / ".jupyter_cache.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def library_key() -> str:
    """sha256 of everything an executed notebook depends on besides its own code."""
    h = hashlib.sha256()
    files = sorted((ROOT / "lib").rglob("*"))
    files += [IPYTHONDIR / "profile_default" / "ipython_kernel_config.py"]
    for f in files:
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(ROOT)).encode())
            h.update(f.read_bytes())
    h.update(os.environ.get("THEORYBENCH_SCALE", "ci").strip().lower().encode())
    return h.hexdigest()


def prepare() -> object:
    """The cache, emptied first if the library key changed. Returns a jupyter-cache object."""
    from jupyter_cache import get_cache

    key = library_key()
    stamp = CACHE / KEY_FILE
    with _locked():
        if CACHE.exists() and (not stamp.exists() or stamp.read_text() != key):
            shutil.rmtree(CACHE)
        CACHE.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key)
        return get_cache(str(CACHE))


def kernel_env() -> None:
    """Environment of the kernels this process starts: the book profile, torch threads."""
    os.environ["IPYTHONDIR"] = str(IPYTHONDIR)
    os.environ.setdefault("MPLBACKEND", "Agg")


def executed(path: Path, cache: object | None = None) -> tuple[nbformat.NotebookNode, float]:
    """The notebook at ``path`` with outputs: from the cache, else executed now and cached.

    Returns ``(notebook, seconds spent executing)`` (0.0 for a cache hit). Raises
    ``RuntimeError`` with the traceback if a cell fails (nothing is cached then).
    """
    from jupyter_cache.executors.utils import single_nb_execution

    cache = cache or prepare()
    nb = nbformat.read(path, as_version=4)
    with _locked():
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            pass
        else:
            return cache.merge_match_into_notebook(nb)[1], 0.0
    kernel_env()
    start = time.perf_counter()
    result = single_nb_execution(nb, cwd=str(path.parent), timeout=TIMEOUT, allow_errors=False)
    if result.err is not None:
        raise RuntimeError(f"{path.name} failed:\n{result.exc_string}")
    seconds = time.perf_counter() - start
    store(path, nb, seconds, cache)
    return nb, seconds


def store(
    path: Path, nb: nbformat.NotebookNode, seconds: float, cache: object | None = None
) -> None:
    """Put ``nb``, the notebook at ``path`` executed elsewhere (with its outputs and widget state),
    into the cache, where the book build finds it instead of executing ``path`` again."""
    from jupyter_cache.base import CacheBundleIn

    cache = cache or prepare()
    with _locked():
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}),
            check_validity=False,
            overwrite=True,
        )


def run(paths: list[Path], jobs: int) -> dict[str, float]:
    """Execute every uncached notebook of ``paths``, ``jobs`` at a time; seconds by name."""
    cache = prepare()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        times = pool.map(lambda p: executed(p, cache)[1], paths)
        return dict(zip((p.name for p in paths), times, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["prepare", "run"])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare()
        return 0
    start = time.perf_counter()
    for name, seconds in run(args.notebooks or NOTEBOOKS, args.jobs).items():
        print(f"{name}: {'cached' if seconds == 0 else f'{seconds:.1f} s'}")
    print(f"total wall time {time.perf_counter() - start:.1f} s with {args.jobs} job(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
