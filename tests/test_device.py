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


def test_dtype_for_gives_float64_except_on_mps() -> None:
    import torch

    assert dev.dtype_for("cpu") is torch.float64
    assert dev.dtype_for("cuda") is torch.float64
    assert dev.dtype_for(torch.device("mps")) is torch.float32


def test_torch_threads_take_half_the_cores_unless_told(monkeypatch) -> None:
    import os

    monkeypatch.delenv(dev.THREADS_ENV, raising=False)
    assert dev.torch_threads() == max(1, (os.cpu_count() or 2) // 2)
    monkeypatch.setenv(dev.THREADS_ENV, "3")
    assert dev.torch_threads() == 3
    monkeypatch.setenv(dev.THREADS_ENV, "0")
    with pytest.raises(ValueError, match=dev.THREADS_ENV):
        dev.torch_threads()
