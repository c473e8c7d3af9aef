"""One valid call of every public function of ``theorybench.chinchilla`` (closed forms, and
experiments at tiny sizes): the base of the API-wide bad-input walk in tests/test_validation.py.
A new public function gets its example here; the walk fails for a function without one."""

from __future__ import annotations

from typing import Any

from theorybench import chinchilla as ch

_SURF = ch.HOFFMANN
_G = ch.isoflop_grid(_SURF, [1e19, 1e20, 1e21], n_points=5)
_N, _D, _L, _B = _G.N, _G.D, _G.loss, _G.budget

EXAMPLES: dict[Any, dict[str, Any]] = {
    ch.LossSurface: {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},
    ch.vertex_shift: {"alpha": 0.34, "beta": 0.28, "width": 0.6, "n_points": 15},
    ch.isoflop_grid: {"surface": _SURF, "budgets": [1e19, 1e20, 1e21], "n_points": 7},
    ch.approach2_fit: {"N": _N, "D": _D, "L": _L, "budget": _B},
    ch.conditioning: {"surface": _SURF, "N": _N, "D": _D},
    ch.deadweight_compute: {"surface_true": _SURF, "D_star_inferred": 1e12, "C": 1e24},
    ch.varpro_fit: {"N": _N, "D": _D, "L": _L, "grid": 4},
    ch.direct_fit: {"N": _N, "D": _D, "L": _L, "starts": ch.epoch_start_grid()[::1500]},
    ch.epoch_chinchilla_points: {"drop_highest": 5},
    ch.real_data_fits: {"C": 3.8e25},
    ch.mlp_params: {"width": [4, 8], "d_in": 8},
    ch.torch_isoflop_sweep: {
        "budgets": [1e5, 2e5],
        "widths": [4, 6, 8],
        "seeds": 1,
        "batch": 16,
        "d_in": 4,
        "teacher_width": 8,
        "n_test": 64,
    },
}
