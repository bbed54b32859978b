"""The sentence encoder: unit vectors, windows for long texts, a bounded memo."""

from __future__ import annotations

import numpy as np
import pytest

import nlp.models.encoder as encoder_module
from helpers import CORPUS


@pytest.fixture(scope="module")
def encoder(tiny_bert_base, runtime_cpu):
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(tiny_bert_base).eval()
    return encoder_module.Encoder(AutoTokenizer.from_pretrained(tiny_bert_base), model, runtime_cpu, max_tokens=16)


def test_vectors_are_unit_length_and_memoised_results_equal_fresh_ones(encoder):
    first = encoder.encode(CORPUS[:4])
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert np.allclose(encoder.encode(CORPUS[:4]), first)


def test_the_memo_is_bounded_and_a_call_larger_than_it_still_works(encoder, monkeypatch):
    monkeypatch.setattr(encoder_module, "_MEMO_SIZE", 3)
    encoder._memo.clear()
    texts = [f"{sentence} Number {i}." for i, sentence in enumerate(CORPUS)]  # 8 texts, memo of 3
    vectors = encoder.encode(texts)
    assert vectors.shape == (8, encoder.dim) and len(encoder._memo) <= 3
    assert np.allclose(encoder.encode(texts[:2] + texts[-2:]), np.vstack([vectors[:2], vectors[-2:]]), atol=1e-6)
    assert len(encoder._memo) <= 3


def test_a_text_longer_than_the_window_is_embedded_whole(encoder):
    long = " ".join(CORPUS)  # far more than 16 tokens
    windows, owners = encoder_module.token_windows(encoder.tokenizer, [long], 14)
    assert len(windows) > 1 and set(owners) == {0}
    assert encoder.encode([long]).shape == (1, encoder.dim)
