"""Session fixtures: tiny models built in-process, saved with save_pretrained and loaded back through the real path.

No test touches the network: HF_HUB_OFFLINE is set for the whole session (and inherited by the
subprocesses that tests start).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from helpers import bert_tokenizer, save_bert_classifier, tiny_bart_model, train_tokenizer

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# CTranslate2 conversions (summarizer.backend auto picks it when installed) go to a session folder, not ~/.cache
os.environ["PENINSULA_NLP_CACHE"] = tempfile.mkdtemp(prefix="peninsula-nlp-cache-")
atexit.register(shutil.rmtree, os.environ["PENINSULA_NLP_CACHE"], ignore_errors=True)


@pytest.fixture(scope="session")
def tiny_bart(tmp_path_factory) -> Path:
    """One-layer BART with a 64-token position limit."""
    path = tmp_path_factory.mktemp("tiny-bart")
    tokenizer = train_tokenizer(bos=True)
    model = tiny_bart_model(tokenizer)
    model.generation_config.max_new_tokens = 12
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_t5(tmp_path_factory) -> Path:
    """One-layer T5 (relative positions; its limit comes from the tokenizer, 64 tokens)."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-t5")
    tokenizer = train_tokenizer(bos=False)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=16,
        d_kv=8,
        d_ff=32,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    model = T5ForConditionalGeneration(config)
    model.generation_config.max_new_tokens = 12
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def runtime_cpu():
    from nlp.runtime import resolve_runtime
    from nlp.schema import RuntimeConfig

    return resolve_runtime(RuntimeConfig(device="cpu", dtype="float32"))


@pytest.fixture(scope="session")
def tiny_nli(tmp_path_factory) -> Path:
    """NLI-shaped: contradiction / neutral / entailment, like the MNLI checkpoints."""
    return save_bert_classifier(tmp_path_factory.mktemp("tiny-nli"), ["contradiction", "neutral", "entailment"])


@pytest.fixture(scope="session")
def tiny_topic_classifier(tmp_path_factory) -> Path:
    return save_bert_classifier(
        tmp_path_factory.mktemp("tiny-topic"), ["security", "diplomacy", "sanctions"], "multi_label_classification"
    )


@pytest.fixture(scope="session")
def tiny_stance_classifier(tmp_path_factory) -> Path:
    return save_bert_classifier(tmp_path_factory.mktemp("tiny-stance"), ["critical", "neutral", "supportive"])


@pytest.fixture(scope="session")
def tiny_stance_regressor(tmp_path_factory) -> Path:
    return save_bert_classifier(tmp_path_factory.mktemp("tiny-regressor"), ["score"], "regression")


@pytest.fixture(scope="session")
def tiny_bert_base(tmp_path_factory) -> Path:
    """A one-layer BERT body with no task head: the base a fine-tuning test starts from."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-bert-base")
    tokenizer = bert_tokenizer()
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        pad_token_id=0,
    )
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
