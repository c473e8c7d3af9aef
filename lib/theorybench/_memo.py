"""Reuse of expensive experiment results within one build: a disk cache keyed on the call.

When ``$THEORYBENCH_RESULTS`` names a directory (``make test`` and ``make book`` set it to
``book/_build/.results``), a function decorated with :func:`reused` stores its result there, keyed
on the function, its arguments, the library's source and the torch device; a later call with the
same key -- a test fixture after the notebook that computed it, or the reverse -- loads it instead
of training again. Without the variable nothing is stored and every call computes.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import inspect
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["RESULTS_ENV", "reused", "library_digest"]

RESULTS_ENV = "THEORYBENCH_RESULTS"
F = TypeVar("F", bound=Callable[..., Any])


@functools.lru_cache(maxsize=1)
def library_digest() -> str:
    """SHA-256 of every Python source file of the library (a changed line is a new key)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _device() -> str:
    from .device import device

    return str(device())


def reused(fn: F) -> F:
    """Store and reuse ``fn``'s results under ``$THEORYBENCH_RESULTS`` (see the module)."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        folder = os.environ.get(RESULTS_ENV)
        if not folder:
            return fn(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()  # f(x, seed=0) and f(x) are one call
        try:
            payload = pickle.dumps(
                (fn.__module__, fn.__qualname__, sorted(bound.arguments.items()))
            )
        except Exception:  # unpicklable arguments (a callable): compute
            return fn(*args, **kwargs)
        # the scale is part of the key: a default train=None resolves to the scale's config
        extra = library_digest() + _device() + os.environ.get("THEORYBENCH_SCALE", "ci").strip()
        key = hashlib.sha256(payload + extra.encode()).hexdigest()
        path = Path(folder) / f"{fn.__qualname__}-{key[:24]}.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        # one process computes a key at a time (two pytest workers, or a notebook kernel beside
        # a test, wanting the same result): the second waits for the first and loads its result
        with path.with_suffix(".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if path.exists():
                with path.open("rb") as fh:
                    return pickle.load(fh)
            result = fn(*args, **kwargs)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(result, fh)
            os.replace(tmp, path)  # atomic: two processes never read half a file
            return result

    return wrapper  # type: ignore[return-value]
