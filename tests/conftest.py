"""Tiny models built in-process, saved with save_pretrained and loaded back through the real path.

No test touches the network: HF_HUB_OFFLINE is set for the whole session (and inherited by the
subprocesses that tests start).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parent.parent
NLP = [sys.executable, "-m", "nlp"]

CORPUS = [
    "North Korea fired a ballistic missile into the sea on Tuesday, the military said.",
    "The talks in Hanoi ended without a deal as both sides blamed each other.",
    "The Security Council tightened sanctions on coal and oil exports from Pyongyang.",
    "South Korean and American forces began joint drills near the border.",
    "Kim Jong Un inspected a new submarine and called for stronger deterrence.",
    "China urged restraint by all parties and called for a return to dialogue.",
    "Aid agencies said sanctions delayed medicine shipments to rural hospitals.",
    "The envoy arrived in Seoul for talks on the stalled nuclear negotiations.",
]
HYPOTHESIS_WORDS = ["this text is about military security diplomacy sanctions supportive critical of north korea"]


def train_tokenizer(bos: bool):
    """A word-level tokenizer trained on the fly; `bos` adds <s> in front (BART) or not (T5)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "</s>", "<unk>", "<s>"]
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator((CORPUS + HYPOTHESIS_WORDS) * 4, trainers.WordLevelTrainer(special_tokens=specials))
    template = "<s> $A </s>" if bos else "$A </s>"
    tok.post_processor = processors.TemplateProcessing(
        single=template, special_tokens=[("<s>", 3), ("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
        model_max_length=64,
    )


@pytest.fixture(scope="session")
def tiny_bart(tmp_path_factory) -> Path:
    """One-layer BART with a 64-token position limit."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-bart")
    tokenizer = train_tokenizer(bos=True)
    config = BartConfig(
        vocab_size=len(tokenizer), d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        max_position_embeddings=64, pad_token_id=0, eos_token_id=1, bos_token_id=3,
        decoder_start_token_id=1, forced_eos_token_id=1,
    )
    model = BartForConditionalGeneration(config)
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
        vocab_size=len(tokenizer), d_model=16, d_kv=8, d_ff=32, num_layers=1, num_decoder_layers=1,
        num_heads=2, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
    )
    model = T5ForConditionalGeneration(config)
    model.generation_config.max_new_tokens = 12
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def runtime_cpu():
    from nlp.config import Runtime as RuntimeConfig
    from nlp.runtime import resolve_runtime

    return resolve_runtime(RuntimeConfig(device="cpu", dtype="float32"))


def long_text(sentences: int) -> str:
    """An article of `sentences` sentences in the tiny vocabulary."""
    return " ".join(CORPUS[i % len(CORPUS)] for i in range(sentences))


def bert_tokenizer():
    """A word-level BERT-style tokenizer ([CLS] A [SEP] B [SEP]) for the tiny classifiers."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator((CORPUS + HYPOTHESIS_WORDS) * 4, trainers.WordLevelTrainer(special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]",
                                   unk_token="[UNK]", model_max_length=64)


def save_bert_classifier(path: Path, labels: list[str], problem_type: str | None = None) -> Path:
    """A one-layer BERT sequence classifier with the given id2label, saved with save_pretrained."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = bert_tokenizer()
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, num_labels=len(labels),
        id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
        problem_type=problem_type, pad_token_id=0, initializer_range=0.5,  # varied outputs
    )
    BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_nli(tmp_path_factory) -> Path:
    """NLI-shaped: contradiction / neutral / entailment, like the MNLI checkpoints."""
    return save_bert_classifier(tmp_path_factory.mktemp("tiny-nli"), ["contradiction", "neutral", "entailment"])


@pytest.fixture(scope="session")
def tiny_topic_classifier(tmp_path_factory) -> Path:
    return save_bert_classifier(tmp_path_factory.mktemp("tiny-topic"), ["security", "diplomacy", "sanctions"],
                                "multi_label_classification")


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
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, pad_token_id=0)
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
