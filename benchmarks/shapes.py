"""Random-weight models with the shapes of real checkpoints, for benchmarks that measure compute.

No hub access here, so the benchmarks build `sshleifer/distilbart-cnn-12-6`-, `facebook/bart-large-cnn`-
and `typeform/distilbert-base-uncased-mnli`-shaped models (same layers, widths, vocabulary size and
generation settings as the checkpoints' config.json) with random weights and a word-level tokenizer
whose vocabulary is filled to the model's size. Compute cost is that of the real model when the
generation length is pinned (min_new_tokens = max_new_tokens). Saved with save_pretrained once into
a work folder and reused by later runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BART_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]  # ids 0..3 as in the real BART vocabulary
BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# config.json of the real checkpoints, the keys that set their shape and generation
DISTILBART_CNN_12_6 = dict(
    vocab_size=50264,
    d_model=1024,
    encoder_layers=12,
    decoder_layers=6,
    encoder_attention_heads=16,
    decoder_attention_heads=16,
    encoder_ffn_dim=4096,
    decoder_ffn_dim=4096,
    max_position_embeddings=1024,
    activation_function="gelu",
    scale_embedding=False,
)
BART_LARGE_CNN = DISTILBART_CNN_12_6 | dict(decoder_layers=12)
CNN_GENERATION = dict(num_beams=4, length_penalty=2.0, no_repeat_ngram_size=3, min_length=56, max_length=142)
DISTILBERT_MNLI = dict(vocab_size=30522, dim=768, n_layers=6, n_heads=12, hidden_dim=3072, max_position_embeddings=512)


def news_texts() -> list[str]:
    """Every `text` in data/news (train, held-out and style-shift sets), in file order."""
    return [
        json.loads(line)["text"]
        for path in sorted(ROOT.glob("data/news/*/*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def word_tokenizer(specials: list[str], size: int, max_length: int, bert: bool = False):
    """Word-level tokenizer over the words of data/news, its vocabulary filled to exactly `size`."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = sorted({w for text in news_texts() for w in re.findall(r"\w+|[^\w\s]+", text.lower())})
    vocab = specials + words[: size - len(specials)]
    vocab += [f"<filler_{i}>" for i in range(size - len(vocab))]
    tok = Tokenizer(models.WordLevel({token: i for i, token in enumerate(vocab)}, unk_token=specials[1 if bert else 3]))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    if bert:
        cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
        )
        names = dict(cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]")
        names["model_input_names"] = ["input_ids", "attention_mask"]  # DistilBERT takes no token_type_ids
    else:
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
        )
        names = dict(bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    return PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=max_length, **names)


def bart_like(folder: Path, shape: dict, seed: int = 0) -> Path:
    """A BART seq2seq model of `shape` (e.g. DISTILBART_CNN_12_6) with the CNN generation settings."""
    if (folder / "config.json").is_file():
        return folder
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(seed)
    config = BartConfig(
        **shape,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
    )
    model = BartForConditionalGeneration(config)
    for key, value in CNN_GENERATION.items():
        setattr(model.generation_config, key, value)
    model.generation_config.forced_bos_token_id = 0
    model.save_pretrained(folder)
    word_tokenizer(BART_SPECIALS, shape["vocab_size"], shape["max_position_embeddings"]).save_pretrained(folder)
    return folder


def distilbert_mnli(folder: Path, seed: int = 0) -> Path:
    """A DistilBERT sequence classifier of the MNLI checkpoint's shape and label order."""
    if (folder / "config.json").is_file():
        return folder
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    torch.manual_seed(seed)
    labels = ["ENTAILMENT", "NEUTRAL", "CONTRADICTION"]
    config = DistilBertConfig(
        **DISTILBERT_MNLI,
        num_labels=3,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        pad_token_id=0,
    )
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    word_tokenizer(BERT_SPECIALS, DISTILBERT_MNLI["vocab_size"], 512, bert=True).save_pretrained(folder)
    return folder


def articles(tokenizer, n: int, low: int = 100, high: int = 900) -> list[str]:
    """`n` data/news texts (joined to reach length) whose token counts spread evenly over [low, high]."""
    texts = news_texts()
    counts = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    out = []
    for k in range(n):
        goal = low + (high - low) * k / max(1, n - 1)
        text, used, i = "", 0, k * 7
        while used < goal:
            text, used, i = (text + "\n\n" + texts[i % len(texts)]).strip(), used + counts[i % len(texts)], i + 1
        ids = tokenizer(text, add_special_tokens=False)["input_ids"][: int(goal)]
        out.append(tokenizer.decode(ids))
    return out
