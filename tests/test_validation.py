"""Bad input gets a clear error: every public closed form (and the torch experiments, at tiny
sizes) is called with one argument replaced by NaN, ±inf, a negative number, zero, a huge
number or a numpy integer. The only acceptable outcomes are a result or a ValueError -- never
a TypeError, ZeroDivisionError, a torch error or a NaN smuggled into a result.

``EXAMPLES`` holds one valid call per function; the walk perturbs its numeric arguments (scalars,
or one entry of an array). A numpy integer in place of a Python integer must give a result.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from api_examples import (
    chinchilla,
    extrapolation_cliff,
    langevin_averaging,
    saddle_to_saddle,
    svm_attention,
)
from api_examples import lion as lion_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from theorybench import _checks, lion
from theorybench import chinchilla as ch
from theorybench import saddle_to_saddle as sts
from theorybench.chapters import CHAPTERS
from theorybench.training import TrainConfig

#: function -> valid keyword arguments (closed forms, and experiments at tiny sizes), by chapter
EXAMPLES: dict[Any, dict[str, Any]] = {
    **lion_examples.EXAMPLES,
    **chinchilla.EXAMPLES,
    **svm_attention.EXAMPLES,
    **saddle_to_saddle.EXAMPLES,
    **extrapolation_cliff.EXAMPLES,
    **langevin_averaging.EXAMPLES,
    TrainConfig: {"steps": 4, "lr": 0.1, "seed": 0},
}

BAD = [math.nan, math.inf, -math.inf, -1.0, 0.0, 1e300, -7]


def _numeric_params(kwargs: dict) -> list[str]:
    out = []
    for k, v in kwargs.items():
        if isinstance(v, (bool, str)) or callable(v):
            continue
        arr = np.asarray(v) if not isinstance(v, (ch.LossSurface, lion.LionODEParams)) else None
        if arr is not None and arr.dtype.kind in "if" and arr.size > 0:
            out.append(k)
    return out


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


def _call(fn: Any, kwargs: dict) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(**kwargs)
        except ValueError:
            return None


def _name(fn: Any) -> str:
    return f"{fn.__module__.split('.')[1]}.{fn.__qualname__}"


@pytest.mark.parametrize("fn", list(EXAMPLES), ids=_name)
def test_the_valid_example_gives_a_result(fn) -> None:
    """The base call of every walk is valid (else the walk would only test ValueErrors)."""
    fn(**EXAMPLES[fn])


@pytest.mark.parametrize("fn", list(EXAMPLES), ids=_name)
@settings(
    max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True
)
@given(data=st.data())
def test_bad_numbers_give_a_result_or_a_value_error(fn, data) -> None:
    kwargs = dict(EXAMPLES[fn])
    params = _numeric_params(kwargs)
    if not params:
        return
    name = data.draw(st.sampled_from(params), label="argument")
    bad = data.draw(st.sampled_from(BAD), label="value")
    where = data.draw(st.integers(0, 10**6), label="entry")
    kwargs[name] = _perturb(kwargs[name], bad, where)
    _call(fn, kwargs)  # anything but a result or ValueError fails the test


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


def test_every_chapters_closed_forms_are_in_the_walk() -> None:
    """A new public function of a chapter's closed forms must get an example here."""
    walked = {fn for fn in EXAMPLES}
    skip = {
        "sizes",
        "get_kappa",
        "logit",
        "load_scaling_data",
        "real_data_fits",
        "epoch_start_grid",
    }
    missing = []
    for chapter in CHAPTERS:
        module = chapter.module()
        for name in module.__all__:
            obj = vars(module).get(name)
            if obj is None or not callable(obj) or isinstance(obj, type) or name in skip:
                continue
            if obj not in walked:
                missing.append(f"{chapter.name}.{name}")
    assert not missing, f"add examples for {missing}"


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
