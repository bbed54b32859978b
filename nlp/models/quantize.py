"""int8 encoders on the CPU: dynamic quantization of the Linear layers of a transformers model.

Weights are stored int8 per output channel and activations are quantized per batch as they come
(`torch.ao.quantization.quantize_dynamic`); embeddings, layer norms, attention softmax and the
classification head stay float32. It speeds up the CPU forward of BERT-sized encoders (NLI,
classifiers, MiniLM) at a small, measured cost in agreement with float32 (README "Performance",
`benchmarks/nli_speed.py`). CPU only: CUDA runs bfloat16/float16 instead.

`quantized()` returns a quantized copy and never changes the model it is given, since one loaded
model can be shared by several components (nlp/models/load.py); each model is quantized once per
process.
"""

from __future__ import annotations

import copy
import logging
import warnings
from typing import Any

import torch

from nlp.errors import ConfigError
from nlp.runtime import Runtime

log = logging.getLogger(__name__)

# classification heads: a few weights that decide the label, and cheap - left in float32
_HEAD_NAMES = ("classifier", "pre_classifier", "score", "pooler")
_QUANTIZED: dict[int, tuple[Any, Any]] = {}


def check_int8(runtime: Runtime, key: str) -> None:
    """int8 runs on the CPU in float32 models; anything else is a ConfigError naming `key`."""
    if runtime.device.type != "cpu":
        raise ConfigError(
            f"{key}: int8 (dynamic quantization) runs on the CPU only; set {key}=false on {runtime.device}"
        )
    if runtime.dtype != torch.float32:
        raise ConfigError(f"{key}: int8 quantizes a float32 model; set runtime.dtype=float32 or {key}=false")
    if not hasattr(torch, "ao") or not hasattr(torch.ao.quantization, "quantize_dynamic"):
        raise ConfigError(f"{key}: this torch {torch.__version__} has no dynamic quantization; set {key}=false")


def quantize_encoder(model: Any) -> Any:
    """An int8 copy of `model` (a transformers encoder or sequence classifier): every Linear layer
    but the classification head dynamically quantized, per output channel; in eval mode."""
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    names = {
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and not any(part in _HEAD_NAMES for part in name.split("."))
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation notices: the API still runs in torch 2.x
        quantized = quantize_dynamic(copy.deepcopy(model), dict.fromkeys(names, per_channel_dynamic_qconfig))
    log.info("quantized %d Linear layers of %s to int8", len(names), type(model).__name__)
    return quantized.eval()


def quantized(model: Any) -> Any:
    """`quantize_encoder(model)`, once per model object and process."""
    key = id(model)
    if key not in _QUANTIZED or _QUANTIZED[key][0] is not model:
        _QUANTIZED[key] = (model, quantize_encoder(model))
    return _QUANTIZED[key][1]
