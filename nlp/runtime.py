"""Device, dtype and seed, decided once per process from `runtime:`; components receive them."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import numpy as np
import torch

from nlp.errors import ConfigError
from nlp.schema import RuntimeConfig

log = logging.getLogger(__name__)

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    dtype: torch.dtype
    seed: int


def resolve_runtime(config: RuntimeConfig) -> Runtime:
    """Honour an explicit device/dtype or fail with the fix; `auto` picks the best available."""
    device = resolve_device(config.device)
    dtype = resolve_dtype(config.dtype, device)
    seed_everything(config.seed)
    log.info("runtime: device=%s dtype=%s seed=%d", device, str(dtype).removeprefix("torch."), config.seed)
    return Runtime(device=device, dtype=dtype, seed=config.seed)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"runtime.device: {name!r} was requested but this machine has no usable CUDA "
                "device (or torch is a CPU build); use runtime.device=cpu or auto"
            )
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ConfigError(
                f"runtime.device: {name!r} was requested but only {torch.cuda.device_count()} "
                f"CUDA device(s) exist (cuda:0 .. cuda:{torch.cuda.device_count() - 1})"
            )
        return torch.device("cuda", index)
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("runtime.device: 'mps' was requested but MPS is not available here; use cpu or auto")
    return torch.device(name)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    if name == "float16" and device.type == "cpu":
        raise ConfigError(
            "runtime.dtype: float16 was requested on the CPU, which does not run it well; use float32 or bfloat16"
        )
    if name == "bfloat16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ConfigError(
            "runtime.dtype: bfloat16 was requested but this GPU does not support it; use float16 or float32"
        )
    return _DTYPES[name]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
