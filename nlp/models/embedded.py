"""The embedded default for topic and stance: small heads (and a LoRA adapter) over MiniLM.

The artifacts in `nlp/heads/` are trained by `nlp finetune --config configs/finetune_heads.yaml` (see
the model card, `nlp/heads/README.md`). A document's vector is the unit-length mean of the MiniLM
vectors of its title and sentences (`head_inputs`), computed by the base encoder or by the encoder
with the adapter merged.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np

from nlp.document import Document
from nlp.errors import ModelError
from nlp.labels import sigmoid, softmax
from nlp.models.encoder import Encoder
from nlp.models.lexical import LexicalFeatures
from nlp.models.load import load_encoder
from nlp.runtime import Runtime
from nlp.schema import ModelConfig

HEADS_DIR = Path(__file__).resolve().parent.parent / "heads"
_LOADED: dict[tuple, EmbeddedHeads | Encoder] = {}


class EmbeddedHeads:
    """Topic label probabilities (a sigmoid per label), the primary topic and the stance (softmaxes).

    Heads written before round 2 (`topic.*` and `stance.*` tensors, no primary head) still load: their
    primary topic is the best label sigmoid, as it was then."""

    def __init__(self, runtime: Runtime, path: Path = HEADS_DIR):
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            meta = json.loads((path / "heads.json").read_text())
            tensors = load_file(path / "heads.safetensors")
        except (OSError, ValueError, SafetensorError) as exc:
            raise ModelError(
                f"embedded heads are missing or unreadable in {path} ({exc}); reinstall the "
                "package or retrain them with `python scripts/train_heads.py`"
            ) from None
        self.meta = meta
        self.topic_labels: list[str] = meta["topic_labels"]
        self.stance_values = np.array(meta["stance_values"], dtype=np.float32)
        self.temperature = {"primary": 1.0, "stance": 1.0, **meta.get("temperature", {})}
        self.base = shared_encoder(runtime, meta.get("max_tokens", 256))
        lora = {name: tensor for name, tensor in tensors.items() if name.startswith("lora.")}
        self.adapted = self.base
        if lora:
            merged = merge_lora(self.base.model, lora, float(meta["lora_scaling"]))
            self.adapted = Encoder(self.base.tokenizer, merged, runtime, max_tokens=self.base.max_tokens)
        self.lexical = LexicalFeatures.load(path, tensors["lexical.idf"].numpy()) if "lexical.idf" in tensors else None
        self._lexical = {
            name: tensors[f"{name}.lexical_weight"].float().numpy()
            for name in ("labels", "primary", "stance")
            if f"{name}.lexical_weight" in tensors
        }
        self._heads = {
            name: (tensors[f"{stored}.weight"].float().numpy(), tensors[f"{stored}.bias"].float().numpy())
            for name, stored in (
                ("labels", "labels"),
                ("labels", "topic"),
                ("primary", "primary"),
                ("stance", "stance"),
            )
            if f"{stored}.weight" in tensors
        }

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
        """The encoder under `task`'s head (round-2 heads use one encoder for both)."""
        variant = self.meta.get("encoder_variant") or self.meta.get(f"{task}_encoder")
        return self.adapted if variant == "adapted" else self.base

    def _logits(self, head: str, vectors: np.ndarray, texts: list[str] | None) -> np.ndarray:
        weight, bias = self._heads[head]
        out = vectors @ weight.T + bias
        if head in self._lexical:
            if texts is None:
                raise ValueError(f"the {head} head reads the texts' words too: pass `texts`")
            out = out + self.lexical.logits(texts, self._lexical[head])
        return out

    def topic_probabilities(self, vectors: np.ndarray, texts: list[str] | None = None) -> np.ndarray:
        """Per label, the probability that the text is substantially about it (independent sigmoids).

        `vectors` are document vectors, `texts` the matching `lexical_text`s (needed by heads with words)."""
        return sigmoid(self._logits("labels", vectors, texts))

    def primary_probabilities(self, vectors: np.ndarray, texts: list[str] | None = None) -> np.ndarray:
        """A calibrated distribution over the labels for the primary topic."""
        if "primary" not in self._heads:
            scores = self.topic_probabilities(vectors, texts)
            return scores / scores.sum(axis=1, keepdims=True)
        return softmax(self._logits("primary", vectors, texts) / self.temperature["primary"])

    def stance_probabilities(self, vectors: np.ndarray, texts: list[str] | None = None) -> np.ndarray:
        """A calibrated distribution over the stance values."""
        return softmax(self._logits("stance", vectors, texts) / self.temperature["stance"])


def shared_encoder(runtime: Runtime, max_tokens: int = 256) -> Encoder:
    """The packaged MiniLM as one `Encoder` per process and device, so the extractive summary and the
    heads embed each sentence once (its memo is shared)."""
    key = ("encoder", str(runtime.device), runtime.dtype, max_tokens)
    if key not in _LOADED:
        tokenizer, model = load_encoder(ModelConfig(model="embedded"), runtime, key="embedded encoder")
        _LOADED[key] = Encoder(tokenizer, model, runtime, max_tokens=max_tokens)
    return _LOADED[key]


# The country's other names: which one a text uses is a register, not a stance (UN and human-rights
# reports say "the DPRK" as its state media do), so the heads read them all as "North Korea".
_COUNTRY_NAMES = re.compile(
    r"\b(?:[Tt]he )?(?:D\.?P\.?R\.?K\b\.?|DPR Korea\b|Democratic People['\u2019]s Republic of Korea\b|N\. ?Korea\b)"
)


def head_inputs(document: Document) -> list[str]:
    """What the heads read of a document, in training and inference alike: its title and its sentences,
    with the country's other names written as "North Korea"."""
    texts = ([document.title] if document.title else []) + document.sentence_texts
    return [_COUNTRY_NAMES.sub("North Korea", text) for text in texts]


def lexical_text(inputs: list[str]) -> str:
    """The text whose words the heads read: the head inputs, one per line."""
    return "\n".join(inputs)


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
