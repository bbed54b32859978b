"""Sentence embeddings with a BERT-style encoder (the embedded all-MiniLM-L6-v2 by default).

Mean pooling over tokens, L2-normalised, as sentence-transformers does for this model. A text
longer than the encoder's window is embedded window by window and the windows averaged (weighted
by their token counts), so no part of it is dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from nlp.runtime import Runtime

_MEMO_SIZE = 20_000


class Encoder:
    """Turns texts into unit-length vectors; batches are length-sorted to waste little padding."""

    def __init__(self, tokenizer: Any, model: Any, runtime: Runtime, max_tokens: int = 256, batch_size: int = 32):
        self.tokenizer = tokenizer
        self.model = model
        self.runtime = runtime
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        # Special tokens around a window, read off the tokenizer: [CLS] ... [SEP] for BERT.
        specials = tokenizer("", add_special_tokens=True)["input_ids"]
        self._head, self._tail = (specials[:1], specials[1:]) if len(specials) > 1 else ([], specials)
        self._memo: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text. Recent results are memoised (at most `_MEMO_SIZE` texts), so the
        components that embed the same sentences (summary, topic, stance) pay for them once."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        missing = list(dict.fromkeys(text for text in texts if text not in self._memo))
        fresh = dict(zip(missing, self._encode(missing))) if missing else {}
        out = np.stack([fresh[text] if text in fresh else self._memo[text] for text in texts])
        if len(self._memo) + len(fresh) > _MEMO_SIZE:
            self._memo.clear()  # bounded: the oldest batch's vectors go, this batch's stay
        self._memo.update(list(fresh.items())[-_MEMO_SIZE:])
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        windows, owners = self._windows(texts)
        vectors = self._embed_windows(windows)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        weights = np.zeros(len(texts), dtype=np.float32)
        for vector, window, owner in zip(vectors, windows, owners):
            out[owner] += vector * len(window)
            weights[owner] += len(window)
        out[weights > 0] /= weights[weights > 0, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _windows(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        return token_windows(self.tokenizer, texts, self.max_tokens - len(self._head) - len(self._tail))

    @torch.inference_mode()
    def _embed_windows(self, windows: list[list[int]]) -> np.ndarray:
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i]))
        vectors = np.zeros((len(windows), self.dim), dtype=np.float32)
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            encoded = self.tokenizer.pad(
                {"input_ids": [self._head + windows[i] + self._tail for i in batch]},
                return_tensors="pt",
            ).to(self.runtime.device)
            hidden = self.model(**encoded).last_hidden_state.float()
            mask = encoded["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            vectors[batch] = pooled.cpu().numpy()
        return vectors


def token_windows(tokenizer: Any, texts: list[str], size: int) -> tuple[list[list[int]], list[int]]:
    """Each text's token ids (no special tokens) cut into windows of at most `size`, with the text's index."""
    windows, owners = [], []
    for owner, tokens in enumerate(tokenizer(texts, add_special_tokens=False)["input_ids"]):
        for start in range(0, len(tokens), size):
            windows.append(tokens[start : start + size])
            owners.append(owner)
    return windows, owners


def document_vectors(encoder: Encoder, documents: list[list[str]]) -> np.ndarray:
    """The document vector of the embedded heads, in training and inference alike: the unit-length
    mean of the document's sentence vectors (`documents` holds each document's sentences)."""
    vectors = encoder.encode([sentence for sentences in documents for sentence in sentences])
    return mean_vectors(vectors, [len(sentences) for sentences in documents])


def mean_vectors(vectors: np.ndarray, counts: list[int]) -> np.ndarray:
    """Unit-length mean of consecutive groups of rows (e.g. a document's sentence vectors)."""
    out = np.zeros((len(counts), vectors.shape[1]), dtype=np.float32)
    start = 0
    for index, count in enumerate(counts):
        if count:
            out[index] = vectors[start : start + count].mean(axis=0)
        start += count
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
