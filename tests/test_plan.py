"""`full` scale fits the hardware it names: every experiment's peak memory, computed from its
sizes' shapes without running it (``make plan-full``), stays within one 80 GB GPU and one 128 GB
host, and every chapter's experiments are in the plan."""

from __future__ import annotations

import pytest
from theorybench import plan
from theorybench.chapters import CHAPTERS

ROWS = plan.full_plan()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.chapter}-{r.experiment}")
def test_every_full_experiment_fits_one_80gb_gpu_and_one_128gb_host(row) -> None:
    assert row.gpu_bytes <= plan.GPU_BYTES, f"{row.gpu_bytes / 1e9:.1f} GB on the GPU"
    assert row.host_bytes <= plan.HOST_BYTES, f"{row.host_bytes / 1e9:.1f} GB on the host"


def test_every_chapter_is_in_the_plan() -> None:
    assert {r.chapter for r in ROWS} == {c.name for c in CHAPTERS}


def test_the_plan_grows_with_the_sizes() -> None:
    """The memory model reads the sizes (the table is not a constant): doubling the Lion logistic
    regression's samples about doubles its peak, and more torch-family instances of the
    extrapolation cliff raise theirs in proportion."""
    import dataclasses

    from theorybench import extrapolation_cliff, lion

    full = lion.sizes("full")
    doubled = dataclasses.replace(
        full, logistic=dataclasses.replace(full.logistic, n=2 * full.logistic.n)
    )
    one, two = (
        next(r for r in plan._lion(s) if r.experiment == "logistic_regression_lam_sweep")
        for s in (full, doubled)
    )
    assert 1.9 < two.gpu_bytes / one.gpu_bytes <= 2.0
    ec = extrapolation_cliff.sizes("full")
    more = dataclasses.replace(ec, cliff_instances=3 * ec.cliff_instances)
    a, b = (
        next(r for r in plan._cliff(s) if r.experiment == "train_categorical_family")
        for s in (ec, more)
    )
    assert b.gpu_bytes == 3 * a.gpu_bytes and b.flops == 3 * a.flops


def test_the_table_lists_every_row() -> None:
    table = plan.plan_table(ROWS)
    assert all(r.experiment in table for r in ROWS) and "**NO**" not in table
