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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from theorybench import _checks, lion
from theorybench import chinchilla as ch
from theorybench import extrapolation_cliff as ec
from theorybench import langevin_averaging as la
from theorybench import saddle_to_saddle as sts
from theorybench import svm_attention as sa
from theorybench.chapters import CHAPTERS
from theorybench.training import TrainConfig

_X, _Y, _Z, _V = sa.synthetic_instance(3, 4, 5, seed=1)
_SURF = ch.HOFFMANN
_P = lion.ode_params(0.01, 0.9, 0.99, 1.0)
_GRAD = lambda x: 2 * (x - 3.0)  # noqa: E731
_F = lambda x: float(np.sum((x - 3.0) ** 2))  # noqa: E731
_OPT = sa.optimal_tokens(_X, _Y, _V)[1]
_M, _U, _VT = sts.teacher([3.0, 1.0], 4, 3)
_G = ch.isoflop_grid(_SURF, [1e19, 1e20, 1e21], n_points=5)
_N, _D, _L, _B = _G.N, _G.D, _G.loss, _G.budget

#: function -> valid keyword arguments (closed forms, and experiments at tiny sizes)
EXAMPLES: dict[Any, dict[str, Any]] = {
    # lion
    lion.ball_outline: {"lam": 2.0, "kappa": "l1", "n": 11},
    lion.box_distance: {"xs": np.ones((3, 2)), "lam": 2.0},
    lion.constrained_objective: {"fx": 1.0, "x": np.array([0.1, 0.2]), "lam": 2.0},
    lion.constrained_optimum: {"f": _F, "grad_f": _GRAD, "x0": np.zeros(2), "lam": 1.0},
    lion.lion_step: {
        "x": np.ones(2),
        "m": np.zeros(2),
        "grad": np.ones(2),
        "lr": 0.01,
        "beta1": 0.9,
        "beta2": 0.99,
        "lam": 1.0,
    },
    lion.lion_run: {"grad_f": _GRAD, "x0": np.zeros(2), "steps": 5, "lr": 0.01, "lam": 1.0},
    lion.ode_params: {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "lam": 1.0},
    lion.discrete_dissipation: {
        "x": np.full(2, 0.5),
        "m": np.ones(2),
        "grad_fx": np.ones(2),
        "lr": 0.01,
        "lam": 1.0,
    },
    lion.chatter_amplitude: {
        "grad_f": _GRAD,
        "x0": np.zeros(2),
        "x_opt": np.zeros(2),
        "lr": 0.1,
        "lam": 1.0,
        "horizon": 2.0,
        "window": 1.0,
    },
    lion.lyapunov_H: {"x": np.full(2, 0.5), "m": np.zeros(2), "fx": 1.0, "p": _P, "kappa": "l1"},
    lion.lyapunov_dissipation: {
        "x": np.full(2, 0.5),
        "m": np.ones(2),
        "grad_fx": np.ones(2),
        "p": _P,
        "kappa": "sq",
    },
    lion.lion_ode_rhs: {
        "x": np.full(2, 0.5),
        "m": np.ones(2),
        "grad_fx": np.ones(2),
        "p": _P,
        "kappa": "sq",
    },
    lion.phase1_envelope: {"dist0": 2.0, "lrs": np.full(5, 0.01), "lam": 1.0},
    lion.integrate_lion_ode: {
        "grad_f": _GRAD,
        "x0": np.zeros(2),
        "m0": np.zeros(2),
        "p": _P,
        "t_eval": np.linspace(0, 1, 5),
    },
    # chinchilla
    ch.LossSurface: {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},
    ch.vertex_shift: {"alpha": 0.34, "beta": 0.28, "width": 0.6, "n_points": 15},
    ch.isoflop_grid: {"surface": _SURF, "budgets": [1e19, 1e20, 1e21], "n_points": 7},
    ch.approach2_fit: {"N": _N, "D": _D, "L": _L, "budget": _B},
    ch.conditioning: {"surface": _SURF, "N": _N, "D": _D},
    ch.deadweight_compute: {"surface_true": _SURF, "D_star_inferred": 1e12, "C": 1e24},
    ch.varpro_fit: {"N": _N, "D": _D, "L": _L, "grid": 4},
    ch.direct_fit: {"N": _N, "D": _D, "L": _L, "starts": ch.epoch_start_grid()[::1500]},
    ch.epoch_chinchilla_points: {"drop_highest": 5},
    # svm_attention
    sa.synthetic_instance: {"n": 3, "T": 4, "d": 5, "seed": 1},
    sa.optimal_tokens: {"X": _X, "Y": _Y, "v": _V},
    sa.att_svm: {"X": _X, "Z": _Z, "opt": _OPT},
    sa.is_locally_optimal: {"X": _X, "Y": _Y, "v": _V, "Z": _Z, "alpha": _OPT},
    sa.direction_correlation: {"W": np.eye(3), "W_ref": np.eye(3) + 0.1},
    sa.effective_rank: {"W": np.eye(3), "rel": 0.01},
    # saddle_to_saddle
    sts.mode_trajectory: {"t": np.linspace(0, 5, 6), "s": [3.0, 1.0], "u0": 1e-3},
    sts.learning_times: {"s": [3.0, 1.0], "u0": 1e-3},
    sts.steepest_descent_times: {"s": [3.0, 1.0], "u0": 1e-3},
    sts.loss_curve: {"t": np.linspace(0, 5, 6), "s": [3.0, 1.0], "u0": 1e-3},
    sts.plateau_losses: {"s": [3.0, 1.0]},
    sts.steepest_fraction: {"depth": 3},
    sts.deep_escape_time: {"s": 2.0, "sigma": 1e-2, "depth": 3},
    sts.deep_mode_trajectory: {"t": np.linspace(0, 5, 6), "s": [2.0], "sigma": 1e-2, "depth": 3},
    sts.teacher: {"s": [3.0, 1.0], "d_in": 4, "d_out": 3},
    sts.effective_initial_strength: {
        "W1": np.full((1, 4, 4), 0.01),
        "W2": np.full((1, 3, 4), 0.01),
        "U": _U,
        "V": _VT,
    },
    sts.random_start_strength: {"sigma": 1e-2, "hidden": 8, "d_in": 4, "q": 0.5},
    sts.width_transition_times: {"s": [3.0, 1.0], "sigma": 1e-2, "hidden": 8, "d_in": 4},
    sts.conv_teacher: {"s": [2.0, 1.0], "d": 8, "freqs": [1, 3], "seed": 0},
    sts.conv_plateau_losses: {"s": [2.0, 1.0], "d": 8},
    sts.conv_initial_strength: {
        "w": np.full((1, 2, 8), 0.01),
        "a": np.full((1, 2, 8), 0.02),
        "t": np.arange(8.0),
        "freqs": [1, 2],
    },
    sts.train_conv_network: {
        "s": [2.0, 1.0],
        "d": 8,
        "channels": 2,
        "seeds": 2,
        "train": TrainConfig(steps=4, lr=0.01),
    },
    sts.quadratic_escape_time: {"a0": 0.01, "rho0": 0.02, "s": 1.0},
    sts.quadratic_unit_flow: {"a0": 0.01, "rho0": 0.02, "s": 1.0, "t": 1.0},
    sts.quadratic_escape_sequence: {"a0": [0.01, 0.005], "W0": np.full((2, 3), 0.01), "s": 1.0},
    sts.train_quadratic_network: {
        "d": 2,
        "scales": [1.0, 0.5],
        "seeds": 2,
        "train": TrainConfig(steps=4, lr=0.02),
    },
    sts.ramp_teacher: {
        "x": np.linspace(-1, 1, 11),
        "kinks": [0.3, -0.3],
        "slopes": [3.0, 0.5],
        "sides": [1, -1],
    },
    sts.relu_correlation: {"angle": 0.5, "x": np.linspace(-1, 1, 11), "r": np.linspace(0, 1, 11)},
    sts.relu_escape: {"x": np.linspace(-1, 1, 11), "r": np.linspace(0, 1, 11), "grid": 128},
    sts.best_single_ramp: {"x": np.linspace(-1, 1, 11), "y": np.linspace(0, 1, 11), "grid": 64},
    sts.relu_plateau_levels: {
        "x": np.linspace(-1, 1, 11),
        "kinks": [0.3, -0.3],
        "slopes": [3.0, 0.5],
        "sides": [1, -1],
    },
    sts.gd_growth_rate: {"rate": 0.1, "lr": 0.05},
    sts.circular_patches: {"signals": np.arange(12.0).reshape(2, 6), "size": 2},
    sts.unit_correlation: {
        "theta": [1.0, 0.5, 0.2],
        "Z": np.c_[np.eye(3)[:, :2], np.ones(3)],
        "r": [1.0, -0.5, 0.2],
    },
    sts.unit_escape: {
        "Z": np.c_[np.eye(3)[:, :2], np.ones(3)],
        "r": [1.0, -0.5, 0.2],
        "count": 200,
    },
    sts.best_single_unit: {
        "Z": np.c_[np.eye(3)[:, :2], np.ones(3)],
        "y": [1.0, 0.5, 0.2],
        "count": 200,
    },
    sts.train_conv_relu_network: {
        "n_signals": 2,
        "d": 4,
        "channels": 2,
        "seeds": 2,
        "train": TrainConfig(steps=4, lr=0.05),
    },
    sts.train_relu_network: {
        "width": 3,
        "seeds": 2,
        "n_points": 11,
        "train": TrainConfig(steps=4, lr=0.05),
    },
    sts.attention_loss: {"M": np.diag([0.5, 0.2]), "lam": [1.0, 0.5], "context": 8},
    sts.detect_plateaus: {"t": np.arange(50.0), "loss": np.r_[np.ones(25), np.zeros(25)]},
    sts.attention_targets: {"lam": [1.0, 0.5], "context": 8},
    sts.attention_plateau_losses: {"lam": [1.0, 0.5], "context": 8},
    sts.attention_escape_times: {"lam": [1.0, 0.5], "a0": [0.01, 0.01], "context": 8},
    sts.attention_loss_curve: {
        "t": np.linspace(0, 5, 6),
        "lam": [1.0, 0.5],
        "a0": [0.01, 0.01],
        "context": 8,
    },
    sts.train_linear_network: {
        "s": [3.0, 1.0],
        "sigmas": [1e-2],
        "depth": 2,
        "train": TrainConfig(steps=4, lr=0.01),
    },
    sts.train_attention: {
        "lam": [1.0, 0.5],
        "sigmas": [0.1],
        "train": TrainConfig(steps=4, lr=0.1),
        "batch": 8,
        "eval_sequences": 8,
        "record_every": 2,
    },
    # extrapolation_cliff
    ec.extrapolated_fixed_point: {"p": 0.9, "b": 0.6, "lam": 1.5},
    ec.extrapolated_fixed_point_k: {"p": [0.7, 0.2, 0.1], "b": [0.5, 0.3, 0.2], "lam": 1.5},
    ec.clip_safe_interval: {"b": 0.6, "c": 1.2},
    ec.lambda_star: {"p": 0.9, "b": 0.6, "c": 1.2},
    ec.lambda_star_neutral: {"p": 0.9, "c": 1.2},
    ec.lambda_star_k: {"p": [0.7, 0.2, 0.1], "b": [0.5, 0.3, 0.2], "c": 1.2},
    ec.empirical_cliff: {"p": 0.9, "b": 0.6, "c": 1.2, "tol": 1e-3, "steps": 50},
    ec.simulate_opd: {"p": 0.9, "b": 0.6, "c": 1.2, "lam": 1.5, "steps": 5},
    ec.sweep_final_mass: {"p": 0.9, "b": 0.6, "c": 1.2, "lams": [1.0, 2.0], "steps": 5},
    ec.validity: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005], "lam": 1.2, "L": 20},
    ec.tail_ratios: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005]},
    ec.validity_peak: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005]},
    ec.validity_cliff: {"p": [0.99, 0.002, 0.008], "b": [0.95, 0.0495, 0.0005], "L": 20},
    ec.simulate_validity: {
        "p": [0.99, 0.002, 0.008],
        "b": [0.95, 0.0495, 0.0005],
        "lams": [1.0, 2.0],
        "L": 4,
        "steps": 3,
    },
    ec.onset: {"lams": [1.0, 1.5, 2.0, 2.5], "v": [0.8, 0.9, 0.5, 0.2], "drop": 0.5},
    ec.simulated_cliff: {
        "run": ec.simulate_validity(
            [0.9, 0.02, 0.08], [0.9, 0.09, 0.01], [0.5, 1, 2], L=4, steps=3
        ),
        "drop": 0.5,
    },
    ec.train_categorical_policy: {
        "p": [0.7, 0.2, 0.1],
        "b": [0.5, 0.3, 0.2],
        "c": 1.2,
        "lams": [1.0],
        "train": TrainConfig(steps=3, lr=0.01),
        "batch": 8,
    },
    # langevin_averaging
    la.partial_trace_overlap: {"n": [100.0, 1000.0], "d": 16},
    la.predicted_exponents: {"k": 3},
    la.hermite_coefficients: {"link": np.tanh, "kmax": 4},
    la.information_exponent: {"link": np.tanh, "kmax": 6},
    la.threshold_exponent: {
        "ds": [16, 32],
        "ns": [[10.0, 100.0, 1000.0], [10.0, 100.0, 1000.0]],
        "overlaps": [[0.1, 0.6, 0.9], [0.1, 0.3, 0.7]],
    },
    la.single_index_data: {"n": 8, "d": 4, "k": 3, "runs": 2},
    la.online_sgd: {
        "n": 8,
        "d": 4,
        "k": 3,
        "runs": 2,
        "train": TrainConfig(steps=None, lr=0.1),
    },
    la.estimator_overlaps: {"d": 4, "k": 3, "ns": [8, 16], "runs": 2},
    la.high_temperature_weight: {"r2": [3.0, 5.0], "d": 4, "k": 4},
    la.partial_trace_threshold: {"d": [16.0, 32.0]},
    la.bootstrap_exponent: {
        "ds": [16, 32],
        "ns": [[10.0, 100.0, 1000.0], [10.0, 100.0, 1000.0]],
        "overlaps": [[[0.1, 0.6, 0.9], [0.2, 0.5, 0.8]], [[0.1, 0.3, 0.7], [0.1, 0.4, 0.6]]],
        "resamples": 20,
    },
    lion.logistic_regression_lam_sweep: {
        "lams": [1.0, 2.0],
        "n": 20,
        "d": 3,
        "train": TrainConfig(steps=4, lr=0.05),
    },
    lion.train_digits: {
        "lams": [3.0],
        "hidden": 4,
        "seeds": 1,
        "records": 2,
        "train": TrainConfig(steps=3, lr=2e-3),
    },
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
