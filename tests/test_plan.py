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
    """The memory model reads the sizes: doubling the Lion logistic regression's samples about
    doubles its peak (so the table is not a constant)."""
    import dataclasses

    from theorybench import lion

    full = lion.sizes("full")
    doubled = dataclasses.replace(full.logistic, n=2 * full.logistic.n)
    one = plan.W * (full.logistic.n * full.logistic.d)
    two = plan.W * (doubled.n * doubled.d)
    row = next(r for r in ROWS if r.experiment == "logistic_regression_lam_sweep")
    assert one <= row.gpu_bytes < two


def test_the_table_lists_every_row() -> None:
    table = plan.plan_table(ROWS)
    assert all(r.experiment in table for r in ROWS) and "**NO**" not in table
