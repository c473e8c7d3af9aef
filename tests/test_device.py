"""Device choice, the THEORYBENCH_SCALE knob and seeding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from theorybench import device as dev


def test_scale_defaults_to_ci_and_reads_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("THEORYBENCH_SCALE", raising=False)
    assert dev.scale() == "ci"
    assert dev.by_scale(ci=1, full=2) == 1
    monkeypatch.setenv("THEORYBENCH_SCALE", "FULL")
    assert dev.scale() == "full"
    assert dev.by_scale(ci=1, full=2) == 2


def test_bad_scale_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("THEORYBENCH_SCALE", "huge")
    with pytest.raises(ValueError, match="THEORYBENCH_SCALE"):
        dev.scale()


def test_device_prefers_cuda_then_mps_then_cpu(monkeypatch) -> None:
    monkeypatch.delenv("THEORYBENCH_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert dev.device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert dev.device().type == "cpu"


def test_device_can_be_forced(monkeypatch) -> None:
    assert dev.device("cpu").type == "cpu"
    monkeypatch.setenv("THEORYBENCH_DEVICE", "cpu")
    assert dev.device().type == "cpu"
    with pytest.raises(ValueError, match="prefer"):
        dev.device("tpu")


def test_seed_everything_makes_runs_repeat() -> None:
    a = dev.seed_everything(7).standard_normal(3), torch.randn(3)
    b = dev.seed_everything(7).standard_normal(3), torch.randn(3)
    np.testing.assert_array_equal(a[0], b[0])
    assert torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="seed"):
        dev.seed_everything(-1)
