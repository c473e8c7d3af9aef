"""One BLAS thread around small numpy/scipy computations (shared by the chapters).

Several chapters' closed-form checks and fits (scipy's L-BFGS-B on 2- to 20-dimensional
problems, 2-D Lion runs, small SVDs, Chinchilla's VarPro and direct fits) call BLAS/LAPACK on tiny
arrays thousands of times. With OpenBLAS's default pool (one thread per core) each such call
pays a thread hand-off that costs far more than the arithmetic: on a 2-core machine a
3-iteration L-BFGS-B takes about 2 ms of CPU with two BLAS threads and 0.2 ms with one. On these
sizes OpenBLAS computes with one thread either way, so limiting the pool changes no number, only
the time. The limit holds inside the decorated call and is restored after it (other code in the
process keeps its own setting).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    """threadpoolctl's controller over the BLAS libraries loaded now (numpy's, and scipy's, which
    it imports first); None without threadpoolctl (then nothing is limited)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - scikit-learn, a dependency, requires it
        return None
    import scipy.linalg  # noqa: F401  (scipy's own BLAS must be loaded to be limited)

    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager:
    """A context in which BLAS uses one thread (restored on exit)."""
    controller = _controller()
    if controller is None:  # pragma: no cover
        return nullcontext()
    return controller.limit(limits=1, user_api="blas")


def single_blas_thread(fn: F) -> F:
    """Run ``fn`` under :func:`one_blas_thread`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with one_blas_thread():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
