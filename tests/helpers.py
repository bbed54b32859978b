"""Shared test helpers: the tiny vocabulary, tokenizers trained on the fly, tiny classifiers, paths.

Imported by the tests and by conftest.py (tests/ is on pytest's pythonpath); no fixtures here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

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


def train_tokenizer(bos: bool, extra: tuple[str, ...] = ()):
    """A word-level tokenizer trained on the fly; `bos` adds <s> in front (BART) or not (T5); `extra`
    texts add words to the vocabulary."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "</s>", "<unk>", "<s>"]
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    texts = (CORPUS + HYPOTHESIS_WORDS + list(extra)) * 4
    tok.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=list(specials)))
    template = "<s> $A </s>" if bos else "$A </s>"
    tok.post_processor = processors.TemplateProcessing(single=template, special_tokens=[("<s>", 3), ("</s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=64,
    )


def tiny_bart_model(tokenizer):
    """A one-layer BART (random weights, seed 0) over `train_tokenizer(bos=True)`'s vocabulary, 64 positions."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=3,
        decoder_start_token_id=1,
        forced_eos_token_id=1,
    )
    return BartForConditionalGeneration(config)


def long_text(sentences: int) -> str:
    """An article of `sentences` sentences in the tiny vocabulary."""
    return " ".join(CORPUS[i % len(CORPUS)] for i in range(sentences))


BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


def bert_tokenizer(specials: tuple[str, ...] = BERT_SPECIALS):
    """A word-level BERT-style tokenizer ([CLS] A [SEP] B [SEP]) for the tiny classifiers; `specials`
    in id order (RoBERTa's order puts the padding at id 1)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator((CORPUS + HYPOTHESIS_WORDS) * 4, trainers.WordLevelTrainer(special_tokens=list(specials)))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[(name, specials.index(name)) for name in ("[CLS]", "[SEP]")],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        unk_token="[UNK]",
        model_max_length=64,
    )


def save_bert_classifier(
    path: Path,
    labels: list[str],
    problem_type: str | None = None,
    *,
    architecture: str = "bert",
    hidden: int = 16,
    layers: int = 1,
    init: float = 0.5,
) -> Path:
    """A small BERT (or DistilBERT, RoBERTa, XLM-RoBERTa, ALBERT) sequence classifier with the given id2label, saved with
    save_pretrained; one layer of width 16 by default, `init` the weights' spread (0.5: varied outputs)."""
    import torch
    from transformers import (
        AlbertConfig,
        AlbertForSequenceClassification,
        BertConfig,
        BertForSequenceClassification,
        DistilBertConfig,
        DistilBertForSequenceClassification,
        RobertaConfig,
        RobertaForSequenceClassification,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
    )

    torch.manual_seed(0)
    tokenizer = bert_tokenizer(("[CLS]", "[PAD]", "[SEP]", "[UNK]") if "roberta" in architecture else BERT_SPECIALS)
    common = {
        "vocab_size": len(tokenizer),
        "max_position_embeddings": 64,
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
        "problem_type": problem_type,
        "pad_token_id": tokenizer.pad_token_id,
        "initializer_range": init,
    }
    if architecture == "distilbert":
        shape = {"dim": hidden, "n_layers": layers, "n_heads": 2, "hidden_dim": 2 * hidden}
        model = DistilBertForSequenceClassification(DistilBertConfig(**shape, **common))
    elif architecture == "albert":  # an encoder CTranslate2 does not convert
        shape = {"embedding_size": hidden, "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": 2}
        model = AlbertForSequenceClassification(AlbertConfig(**shape, intermediate_size=2 * hidden, **common))
    elif "roberta" in architecture:  # positions start after the padding id, as in RoBERTa checkpoints
        shape = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": 2, "type_vocab_size": 1}
        config_class, model_class = {
            "roberta": (RobertaConfig, RobertaForSequenceClassification),
            "xlm-roberta": (XLMRobertaConfig, XLMRobertaForSequenceClassification),
        }[architecture]
        config = config_class(**shape, intermediate_size=2 * hidden, **common | {"max_position_embeddings": 66})
        model = model_class(config)
    else:
        shape = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": 2}
        model = BertForSequenceClassification(BertConfig(**shape, intermediate_size=2 * hidden, **common))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def load_script(name: str):
    """A module of scripts/ (e.g. `train_heads`), imported from its file."""
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Headless Chromium for the browser tests (tests/serve, tests/report): Debian's chromium and chromium-driver.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here (a skip reason), or None when they can."""
    import shutil

    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if missing:
        return f"headless Chromium not installed ({' and '.join(missing)} not on PATH): apt-get install -y chromium chromium-driver"
    if importlib.util.find_spec("selenium") is None:
        return "selenium not installed: pip install '.[test]'"
    return None


def start_chromium(profile: Path, width: int = 1400, height: int = 1800):
    """A headless Chromium driven by selenium, with a fresh profile folder and no network services."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


class FakeTerminal:
    """A stderr that says it is a terminal and keeps what tqdm draws."""

    def __init__(self):
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass
