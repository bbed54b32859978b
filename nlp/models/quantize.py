"""int8 sequence classifiers on the CPU (`topic.int8`, `stance.int8`), in one of two ways.

- CTranslate2 (`.[fast]` installed, a BERT, DistilBERT, RoBERTa or XLM-RoBERTa classifier): the
  encoder is converted once to int8 (nlp/models/conversion.py) and run by `ctranslate2.Encoder`;
  the model's own classification head runs in torch on its output.
- otherwise, dynamic quantization of the Linear layers (`torch.ao.quantization.quantize_dynamic`):
  weights int8 per output channel, activations quantized per batch as they come; embeddings, layer
  norms, attention softmax and the classification head stay float32.

On length-sorted batches both run about 1.5x the float32 forward on this project's 2-core AVX2
machine (README "Performance", `benchmarks/nli_speed.py`); CTranslate2's is preferred because on
trained weights (the packaged MiniLM, `benchmarks/int8_agreement.py`) it stays closer to float32.
CPU only: CUDA runs bfloat16/float16 instead. `quantized()` returns a quantized copy and never
changes the model it is given, since one loaded model can be shared by several components
(nlp/models/load.py); each model is quantized or converted once per process.
"""

from __future__ import annotations

import copy
import logging
import warnings
from typing import Any

import numpy as np
import torch

from nlp.errors import ConfigError
from nlp.models import conversion
from nlp.runtime import Runtime
from nlp.schema import ModelConfig

log = logging.getLogger(__name__)

# classification heads: a few weights that decide the label, and cheap - left in float32
_HEAD_NAMES = ("classifier", "pre_classifier", "score", "pooler")
_QUANTIZED: dict[int, tuple[Any, Any]] = {}
_ENCODERS: dict[tuple, Any] = {}


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


def check_int8_setting(config: Any, runtime: Runtime, task: str) -> None:
    """The ConfigError a run would raise for `<task>.int8: true`, before any model loads: the embedded
    heads stay float32, and int8 needs a float32 CPU runtime."""
    from nlp.models.embedded import is_heads_dir

    if not config.int8:
        return
    if is_heads_dir(config.model):
        raise ConfigError(
            f"{task}.int8: the embedded heads run in float32 (in int8 their MiniLM changed 2.3% of primary "
            'topics and stances by up to 0.15, README "Performance"); int8 is for NLI and classifier '
            f"models. Set {task}.int8=false"
        )
    check_int8(runtime, f"{task}.int8")


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


def _distilbert_head(model: Any, hidden: torch.Tensor, pooled: torch.Tensor | None) -> torch.Tensor:
    return model.classifier(torch.relu(model.pre_classifier(hidden[:, 0])))


def _bert_head(model: Any, hidden: torch.Tensor, pooled: torch.Tensor | None) -> torch.Tensor:
    return model.classifier(pooled)  # CTranslate2 computes BERT's pooler (dense + tanh on [CLS])


def _roberta_head(model: Any, hidden: torch.Tensor, pooled: torch.Tensor | None) -> torch.Tensor:
    return model.classifier(hidden[:, :1])  # RoBERTa's head reads the first token itself


# the classifiers whose head is applied here to CTranslate2's encoder output (in eval mode, dropout
# is the identity), and whether the encoder reads token type ids
_HEADS = {
    "DistilBertForSequenceClassification": (_distilbert_head, False),
    "BertForSequenceClassification": (_bert_head, True),
    "RobertaForSequenceClassification": (_roberta_head, False),
    "XLMRobertaForSequenceClassification": (_roberta_head, False),
}


class CTranslate2Classifier:
    """A sequence classifier's encoder in CTranslate2 at `compute_type`, its head in torch."""

    engine = "ctranslate2"

    def __init__(self, model: Any, source: ModelConfig, key: str, compute_type: str = "int8"):
        import ctranslate2

        self.model = model
        self.head, self.token_types = _HEADS[type(model).__name__]
        commit = getattr(model.config, "_commit_hash", None)
        folder = conversion.converted(source, commit, compute_type, key=key)
        cache_key = (str(folder), compute_type)
        if cache_key not in _ENCODERS:
            threads = torch.get_num_threads()
            _ENCODERS[cache_key] = ctranslate2.Encoder(
                str(folder), device="cpu", compute_type=compute_type, intra_threads=threads
            )
        self.encoder = _ENCODERS[cache_key]

    @property
    def config(self) -> Any:
        return self.model.config

    @torch.inference_mode()
    def logits(self, encoded: dict[str, list[list[int]]]) -> np.ndarray:
        """(rows, num_labels) logits for tokenized, unpadded rows (`input_ids`, maybe `token_type_ids`)."""
        types = encoded.get("token_type_ids") if self.token_types else None
        output = self.encoder.forward_batch(encoded["input_ids"], token_type_ids=types)
        hidden = torch.as_tensor(np.asarray(output.last_hidden_state))
        pooled = None if output.pooler_output is None else torch.as_tensor(np.asarray(output.pooler_output))
        return self.head(self.model, hidden, pooled).float().numpy()


def ctranslate2_problem(model: Any) -> str | None:
    """Why CTranslate2 cannot run this classifier's int8 encoder; None if it can."""
    if not conversion.installed():
        return "ctranslate2 is not installed"
    if type(model).__name__ not in _HEADS:
        return f"CTranslate2 runs {', '.join(_HEADS)} here, not {type(model).__name__}"
    return None


def int8_classifier(model: Any, source: ModelConfig, key: str) -> CTranslate2Classifier | Any:
    """The int8 form of a loaded sequence classifier: CTranslate2's encoder when it runs this
    architecture, else a dynamically quantized torch copy; logs which and why."""
    reason = ctranslate2_problem(model)
    if reason is None:
        log.info("%s: int8 with CTranslate2", key)
        return CTranslate2Classifier(model, source, key)
    log.info("%s: int8 with torch dynamic quantization (%s)", key, reason)
    return quantized(model)
