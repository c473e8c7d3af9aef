"""Bad input gets a clear error: every public closed form (and the torch experiments, at tiny
sizes) is called with one argument replaced by NaN, ±inf, a negative number, zero, a huge
number or a numpy integer. The only acceptable outcomes are a result or a ValueError -- never
a TypeError, ZeroDivisionError, a torch error or a NaN smuggled into a result.

``EXAMPLES`` holds one valid call per function; the walk perturbs its numeric arguments (scalars,
or one entry of an array). A numpy integer in place of a Python integer must give a result.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import math
import re
import signal
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from theorybench import _checks
from theorybench import saddle_to_saddle as sts
from theorybench.chapters import CHAPTERS
from theorybench.device import Sizes
from theorybench.training import TrainConfig


def _chapter_examples() -> dict[Any, dict[str, Any]]:
    """tests/api_examples/<chapter>.py of every registered chapter (a new chapter's file is found
    by its name, no line to add here)."""
    out: dict[Any, dict[str, Any]] = {}
    for chapter in CHAPTERS:
        out.update(importlib.import_module(f"api_examples.{chapter.name}").EXAMPLES)
    return out


#: function -> valid keyword arguments (closed forms, and experiments at tiny sizes), by chapter
EXAMPLES: dict[Any, dict[str, Any]] = {
    **_chapter_examples(),
    TrainConfig: {"steps": 4, "lr": 0.1, "seed": 0},
}

BAD = [math.nan, math.inf, -math.inf, -1.0, 0.0, 1e300, -7]

#: annotations that say "a number, or numbers" (the source text: annotations are strings here)
NUMERIC = re.compile(r"\b(int|float|ArrayLike|Array|ndarray|np\.ndarray|Real)\b")


def _public_callables() -> list[tuple[str, Any]]:
    """Every public function and class of every chapter (its ``__all__``), by name."""
    out = []
    for chapter in CHAPTERS:
        module = chapter.module()
        for name in module.__all__:
            obj = getattr(module, name, None)
            if callable(obj):
                out.append((f"{chapter.name}.{name}", obj))
    return out


def _numeric_parameters(fn: Any) -> dict[str, Any]:
    """The parameters of ``fn`` that take numbers, by their annotation or numeric default:
    name -> default (``inspect.Parameter.empty`` when there is none)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    out = {}
    for name, p in params.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default_is_number = isinstance(p.default, (int, float, np.number)) and not isinstance(
            p.default, bool
        )
        if default_is_number or NUMERIC.search(str(p.annotation)):
            out[name] = p.default
    return out


def _is_sizes(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, Sizes)


def _needs_example(obj: Any) -> bool:
    """A public function (or an input class: not a sizes class, which the walk builds from its
    ``ci`` instance) that takes a number is walked, so it needs a valid example call."""
    if _is_sizes(obj) or (isinstance(obj, type) and obj not in EXAMPLES):
        return False
    return bool(_numeric_parameters(obj))


def _documents_infinity(fn: Any) -> bool:
    """A function whose docstring says it may return an infinite value (``inf``: e.g. no
    threshold exists) returns it as a result, not as a silent failure."""
    return "inf" in (inspect.getdoc(fn) or "").replace("info", "")


def _documents_nan(fn: Any) -> bool:
    """Likewise a docstring that says where its result holds ``NaN`` (e.g. an average before
    any sample was averaged): a documented missing value, not a silent one."""
    return "NaN" in (inspect.getdoc(fn) or "")


def _bad_numbers(result: Any, seen: set[int] | None = None, allow_inf: bool = False) -> list[str]:
    """Non-finite numbers anywhere in a result (arrays, dataclasses, tuples, dicts), by path;
    with ``allow_inf``, only NaN."""
    seen = set() if seen is None else seen
    if id(result) in seen:
        return []
    seen.add(id(result))
    if isinstance(result, (bool, str, bytes)) or result is None or callable(result):
        return []
    ok = (lambda x: ~np.isnan(x)) if allow_inf else np.isfinite
    if isinstance(result, (int, float, np.number)):
        return [] if ok(result) else [repr(result)]
    if isinstance(result, np.ndarray):
        if result.dtype.kind in "fc" and not np.all(ok(result)):
            return ["array with non-finite entries"]
        return []
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        items = [(f.name, getattr(result, f.name)) for f in dataclasses.fields(result)]
    elif isinstance(result, dict):
        items = list(result.items())
    elif isinstance(result, (list, tuple)):
        items = list(enumerate(result))
    else:
        return []
    return [f"{k}: {bad}" for k, v in items for bad in _bad_numbers(v, seen, allow_inf)]


def _perturb(value: Any, bad: float, where: int) -> Any:
    """``value`` with ``bad`` in place of it (a scalar) or of one of its entries (an array). An
    integer argument gets ``bad`` as a numpy integer when ``bad`` is a small whole number."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        whole = math.isfinite(bad) and abs(bad) < 1e9 and bad == int(bad)
        return np.int64(bad) if isinstance(value, (int, np.integer)) and whole else bad
    arr = arr.astype(float).copy()
    arr.flat[where % arr.size] = bad
    return arr


def _walk_cases(fn: Any) -> list[tuple[str, float, int]]:
    """Every numeric argument of ``fn`` (given in its example, or left at a numeric default)
    times every bad value, at the first and the last entry of an array argument."""
    kwargs = EXAMPLES[fn]
    cases = []
    for name, default in _numeric_parameters(fn).items():
        value = kwargs.get(name, default)
        if value is inspect.Parameter.empty or value is None:
            continue
        arr = np.asarray(value) if not dataclasses.is_dataclass(value) else None
        if arr is None or arr.dtype.kind not in "iuf" or arr.size == 0:
            continue
        for bad in BAD:
            for where in {0, arr.size - 1}:
                cases.append((name, bad, where))
    return cases


#: a call of the walk (tiny sizes) that runs longer than this hangs on its input: a value it
#: accepts makes it loop or allocate without bound, where a ValueError should name the range
CALL_SECONDS = 20


class CallTookTooLong(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int):
    def stop(signum, frame):
        raise CallTookTooLong(f"no result or ValueError within {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


PUBLIC = _public_callables()
WALKED = [fn for _, fn in PUBLIC if fn in EXAMPLES] + [TrainConfig]


def _name(fn: Any) -> str:
    return f"{fn.__module__.split('.')[1]}.{fn.__qualname__}"


@pytest.mark.parametrize("fn", list(EXAMPLES), ids=_name)
def test_the_valid_example_gives_a_result(fn) -> None:
    """The base call of every walk is valid (else the walk would only test ValueErrors)."""
    fn(**EXAMPLES[fn])


@pytest.mark.parametrize("fn", list(EXAMPLES), ids=_name)
def test_every_bad_number_in_every_numeric_argument_gives_a_value_error_or_a_finite_result(
    fn,
) -> None:
    """NaN, +-inf, -1, 0, 1e300 and -7 in each numeric argument (those of the example and those
    left at a numeric default), one at a time: a ValueError, or a result without NaN or inf --
    never another exception, never a silent NaN."""
    failures = []
    for name, bad, where in _walk_cases(fn):
        kwargs = dict(EXAMPLES[fn])
        kwargs[name] = _perturb(kwargs.get(name, _numeric_parameters(fn)[name]), bad, where)
        with warnings.catch_warnings(), _time_limit(CALL_SECONDS):
            warnings.simplefilter("ignore")
            try:
                result = fn(**kwargs)
            except ValueError:
                continue
            except Exception as err:  # noqa: BLE001 - the failure this test reports
                failures.append(f"{name}={bad!r}: {type(err).__name__}: {err}")
                continue
        if _documents_nan(fn):
            continue  # documented missing values: the call gave a result or a ValueError
        bad_numbers = _bad_numbers(result, allow_inf=_documents_infinity(fn))
        if bad_numbers:
            failures.append(f"{name}={bad!r}: silent non-finite result {bad_numbers[:3]}")
    assert not failures, failures


@pytest.mark.parametrize("fn", list(EXAMPLES), ids=_name)
def test_numpy_integers_are_integers(fn) -> None:
    kwargs = {
        k: np.int64(v) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in EXAMPLES[fn].items()
    }
    fn(**kwargs)


def test_record_every_zero_and_nan_sigmas_are_value_errors() -> None:
    base = EXAMPLES[sts.train_linear_network]
    with pytest.raises(ValueError, match="record_every"):
        sts.train_linear_network(**base, record_every=0)
    with pytest.raises(ValueError, match="sigmas"):
        sts.train_linear_network(**(base | {"sigmas": [1e-2, math.nan]}))
    with pytest.raises(ValueError, match="depth"):
        sts.train_linear_network(**(base | {"depth": 2.0}))


def test_every_public_function_that_takes_a_number_is_in_the_walk() -> None:
    """No exemption list: a public function (of any chapter's ``__all__``) with a numeric
    parameter, by annotation or default, must have an example in tests/api_examples/."""
    missing = [name for name, obj in PUBLIC if _needs_example(obj) and obj not in EXAMPLES]
    assert not missing, f"add examples to tests/api_examples/ for {missing}"


SIZES = sorted({obj for _, obj in PUBLIC if _is_sizes(obj)}, key=lambda c: c.__qualname__)


def _sizes_instance(cls: type) -> Any:
    """The ``ci`` instance of a sizes class, found in its chapter's ``CI`` tree."""
    import importlib

    chapter = cls.__module__.split(".")[1]
    stack = [importlib.import_module(f"theorybench.{chapter}.scales").CI]
    while stack:
        obj = stack.pop()
        if type(obj) is cls:
            return obj
        if dataclasses.is_dataclass(obj):
            stack += [getattr(obj, f.name) for f in dataclasses.fields(obj)]
    raise LookupError(cls)


@pytest.mark.parametrize("cls", SIZES, ids=lambda c: c.__qualname__)
def test_every_numeric_field_of_every_sizes_class_rejects_bad_numbers(cls) -> None:
    """Every numeric field of every public sizes class (and each entry of a tuple field):
    NaN, +-inf, -1 and 0 are a ValueError naming the field."""
    base = _sizes_instance(cls)
    checked = 0
    for f in dataclasses.fields(base):
        value = getattr(base, f.name)
        if isinstance(value, bool) or not isinstance(value, (int, float, tuple)):
            continue
        if isinstance(value, tuple) and not all(isinstance(x, (int, float)) for x in value):
            continue
        for bad in (math.nan, math.inf, -math.inf, -1.0, 0.0):
            changed = (bad, *value[1:]) if isinstance(value, tuple) else bad
            with pytest.raises(ValueError, match=f.name):
                dataclasses.replace(base, **{f.name: changed})
            checked += 1
    nested = [  # nested sizes and training configurations are walked on their own
        f
        for f in dataclasses.fields(base)
        if isinstance(getattr(base, f.name), (TrainConfig, Sizes))
    ]
    assert checked or nested, f"{cls.__name__}: no numeric field found to check"


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(),
        st.booleans(),
        st.text(max_size=3),
        st.none(),
    )
)
def test_shared_checks_raise_only_value_errors(value) -> None:
    for check in (_checks.finite, _checks.positive, _checks.non_negative, _checks.probability):
        try:
            x = check(value, "x")
        except ValueError as err:
            assert "x" in str(err)
        else:
            assert math.isfinite(x)
    try:
        _checks.integer_at_least(value, "n", 1)
    except ValueError as err:
        assert "n must be an integer" in str(err)
