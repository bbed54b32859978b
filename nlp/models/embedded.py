"""The embedded default for topic and stance: small heads (and a LoRA adapter) over MiniLM.

The artifacts in `nlp/heads/` are trained by `python scripts/train_heads.py` (see the model card,
`nlp/heads/README.md`). A document's vector is the unit-length mean of its sentences' MiniLM
vectors, computed by the base encoder or by the encoder with the adapter merged.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from nlp.config import ModelConfig
from nlp.errors import ModelError
from nlp.labels import sigmoid, softmax
from nlp.models.encoder import Encoder
from nlp.models.load import load_encoder
from nlp.runtime import Runtime

HEADS_DIR = Path(__file__).resolve().parent.parent / "heads"
_LOADED: dict[tuple, EmbeddedHeads] = {}


class EmbeddedHeads:
    """Topic probabilities (one sigmoid per label) and stance distributions (softmax over values)."""

    def __init__(self, runtime: Runtime, path: Path = HEADS_DIR):
        from safetensors.torch import load_file

        try:
            meta = json.loads((path / "heads.json").read_text())
            tensors = load_file(path / "heads.safetensors")
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"embedded heads are missing or unreadable in {path} ({exc}); reinstall the "
                "package or retrain them with `python scripts/train_heads.py`"
            ) from None
        tokenizer, base = load_encoder(ModelConfig(model="embedded"), runtime, key="embedded encoder")
        self.meta = meta
        self.topic_labels: list[str] = meta["topic_labels"]
        self.stance_values = np.array(meta["stance_values"], dtype=np.float32)
        self.base = Encoder(tokenizer, base, runtime, max_tokens=meta.get("max_tokens", 256))
        lora = {name: tensor for name, tensor in tensors.items() if name.startswith("lora.")}
        self.adapted = self.base
        if lora:
            merged = merge_lora(base, lora, float(meta["lora_scaling"]))
            self.adapted = Encoder(tokenizer, merged, runtime, max_tokens=self.base.max_tokens)
        self._topic = (tensors["topic.weight"].float().numpy(), tensors["topic.bias"].float().numpy())
        self._stance = (tensors["stance.weight"].float().numpy(), tensors["stance.bias"].float().numpy())

    @classmethod
    def shared(cls, runtime: Runtime, model: str = "embedded") -> EmbeddedHeads:
        """One instance per process, device and heads folder, shared by topic and stance.

        `model` is `embedded` (the shipped heads) or a folder written by `nlp finetune` (task: heads)."""
        path = HEADS_DIR if model == "embedded" else Path(model).expanduser().resolve()
        key = (str(path), str(runtime.device), runtime.dtype)
        if key not in _LOADED:
            _LOADED[key] = cls(runtime, path)
        return _LOADED[key]

    def encoder(self, task: str) -> Encoder:
        return self.adapted if self.meta.get(f"{task}_encoder") == "adapted" else self.base

    def topic_probabilities(self, vectors: np.ndarray) -> np.ndarray:
        weight, bias = self._topic
        return sigmoid(vectors @ weight.T + bias)

    def stance_probabilities(self, vectors: np.ndarray) -> np.ndarray:
        weight, bias = self._stance
        return softmax(vectors @ weight.T + bias)


def is_heads_dir(model: str) -> bool:
    """True for `embedded` and for a folder of trained heads (heads.json + heads.safetensors)."""
    return model == "embedded" or (Path(model).expanduser() / "heads.json").is_file()


def merge_lora(model, lora: dict, scaling: float):
    """A copy of `model` with each `lora.<module>.A/B` pair added into that module's weight."""
    import torch

    merged = copy.deepcopy(model)
    modules = dict(merged.named_modules())
    names = {key[len("lora.") : -len(".A")] for key in lora if key.endswith(".A")}
    with torch.no_grad():
        for name in sorted(names):
            if name not in modules:
                raise ModelError(
                    f"embedded adapter names module {name!r}, which MiniLM does not have; retrain the heads"
                )
            weight = modules[name].weight
            delta = (lora[f"lora.{name}.B"].float() @ lora[f"lora.{name}.A"].float()) * scaling
            weight += delta.to(weight.device, weight.dtype)
    return merged.eval()
