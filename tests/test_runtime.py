from __future__ import annotations

import pytest
import torch

from nlp.errors import ConfigError
from nlp.runtime import resolve_runtime
from nlp.schema import RuntimeConfig


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def test_auto_on_a_cpu_machine_is_cpu_float32(no_gpu):
    runtime = resolve_runtime(RuntimeConfig())
    assert runtime.device == torch.device("cpu") and runtime.dtype == torch.float32


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps"])
def test_unavailable_device_is_an_error_not_a_fallback(no_gpu, device):
    with pytest.raises(ConfigError, match=rf"runtime.device: '{device}' was requested but"):
        resolve_runtime(RuntimeConfig(device=device))


def test_cuda_index_beyond_the_devices(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ConfigError, match=r"only 1 CUDA device\(s\) exist"):
        resolve_runtime(RuntimeConfig(device="cuda:3"))


def test_float16_on_cpu_is_refused_with_the_fix(no_gpu):
    with pytest.raises(ConfigError, match="use float32 or bfloat16"):
        resolve_runtime(RuntimeConfig(device="cpu", dtype="float16"))


def test_bfloat16_on_cpu_is_honoured(no_gpu):
    assert resolve_runtime(RuntimeConfig(device="cpu", dtype="bfloat16")).dtype == torch.bfloat16


def test_seed_makes_torch_reproducible():
    resolve_runtime(RuntimeConfig(device="cpu", seed=7))
    first = torch.rand(3)
    resolve_runtime(RuntimeConfig(device="cpu", seed=7))
    assert torch.equal(first, torch.rand(3))
