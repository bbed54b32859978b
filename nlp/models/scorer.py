"""Sequence-classifier forward passes shared by topic and stance: NLI pairs and plain texts.

Every (premise, hypothesis) pair or text is tokenized once and run once, in batches sorted by
token length and cut under a padded-token budget (little padding); premises are chunked at
sentence boundaries to fit the model, never cut. With `int8` the model runs in int8 on the CPU:
CTranslate2's encoder where it can, else dynamic quantization (nlp/models/quantize.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from nlp.errors import ModelError
from nlp.labels import softmax
from nlp.models.batches import token_batches
from nlp.models.load import input_limit
from nlp.models.quantize import CTranslate2Classifier, check_int8, int8_classifier
from nlp.runtime import Runtime
from nlp.schema import ModelConfig
from nlp.sentences import count_tokens, pack_sentences


class SequenceScorer:
    """Softmax (or raw, for regressors) outputs of a sequence classifier over texts or text pairs."""

    def __init__(
        self,
        tokenizer: Any,
        model: Any,
        runtime: Runtime,
        batch_size: int,
        int8: bool = False,
        key: str = "int8",
        max_batch_tokens: int = 4096,
        source: ModelConfig | None = None,
    ):
        """`batch_size` rows at most per forward, and at most `max_batch_tokens` padded tokens;
        `int8`: run `model` (loaded from `source`) in int8 (CPU, float32 runtime; else a ConfigError
        naming `key`); `engine` says how: ctranslate2, torch (dynamic quantization) or None."""
        self.engine = None
        if int8:
            check_int8(runtime, key)
            model = int8_classifier(model, source or ModelConfig(model=model.name_or_path), key)
            self.engine = model.engine if isinstance(model, CTranslate2Classifier) else "torch"
        self.tokenizer, self.model, self.runtime, self.batch_size = tokenizer, model, runtime, batch_size
        self.int8, self.max_batch_tokens = int8, max_batch_tokens
        self.limit = input_limit(model, tokenizer)
        self.labels = [model.config.id2label[i] for i in range(model.config.num_labels)]

    def budget(self, hypotheses: list[str] = ()) -> int:
        """Premise tokens that fit beside the longest hypothesis and the special tokens."""
        longest = max((count_tokens(self.tokenizer, h) for h in hypotheses), default=0)
        probe = "north"  # special tokens around one word, or around a pair of them
        pair = probe if hypotheses else None
        specials = len(self.tokenizer(probe, pair)["input_ids"]) - count_tokens(self.tokenizer, probe) * (
            2 if pair else 1
        )
        return max(8, self.limit - longest - specials)

    def chunks(self, text: str, hypotheses: list[str] = ()) -> list[str]:
        return pack_sentences(text, self.tokenizer, self.budget(hypotheses)) or [text]

    def logits(self, texts: list[str], pairs: list[str] | None = None) -> np.ndarray:
        """(n, num_labels) logits for texts, or for (text, pair) pairs; one forward per row, in
        batches sorted by token length under `batch_size` rows and `max_batch_tokens` padded tokens."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not texts:
            return out
        lengths = [
            len(ids) for ids in self.tokenizer(texts, pairs, truncation=True, max_length=self.limit)["input_ids"]
        ]
        for batch in token_batches(lengths, self.max_batch_tokens, self.batch_size):
            out[batch] = self._forward([texts[i] for i in batch], [pairs[i] for i in batch] if pairs else None)
        return out

    @torch.inference_mode()
    def _forward(self, texts: list[str], pairs: list[str] | None) -> np.ndarray:
        if isinstance(self.model, CTranslate2Classifier):  # unpadded rows: CTranslate2 pads itself
            return self.model.logits(self.tokenizer(texts, pairs, truncation=True, max_length=self.limit))
        encoded = self.tokenizer(
            texts, pairs, return_tensors="pt", padding=True, truncation=True, max_length=self.limit
        ).to(self.runtime.device)
        return self.model(**encoded).logits.float().cpu().numpy()


def label_index(labels: list[str], prefix: str, model_name: str) -> int:
    """Position of the label starting with `prefix` ("entail", "contra") in the model's id2label."""
    for index, label in enumerate(labels):
        if label.lower().startswith(prefix):
            return index
    raise ModelError(
        f"{model_name!r} is not an NLI model: its id2label {labels} has no '{prefix}...' label; "
        "use backend: classifier for a fine-tuned classifier"
    )


def entailment(scorer: SequenceScorer, premises: list[str], hypotheses: list[str], model_name: str) -> np.ndarray:
    """P(entailment) against P(contradiction) for each (premise, hypothesis) pair, as zero-shot NLI does."""
    entail = label_index(scorer.labels, "entail", model_name)
    contra = label_index(scorer.labels, "contra", model_name)
    logits = scorer.logits(premises, hypotheses)[:, [contra, entail]]
    return softmax(logits)[:, 1]
