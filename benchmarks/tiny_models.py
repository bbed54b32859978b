"""Tiny random-weight models for benchmarks that measure the toolkit's own overhead (memory,
batching), saved with save_pretrained so they load through the normal path."""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "north korea fired a missile the talks ended sanctions on coal were tightened pyongyang said "
    "seoul envoy drills military diplomacy security this text is about of supportive critical"
).split()


def word_tokenizer(kind: str):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "</s>", "<unk>", "<s>"]
    vocab = {token: i for i, token in enumerate(specials + sorted(set(WORDS)))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B </s>", special_tokens=[("<s>", 3), ("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        cls_token="<s>",
        sep_token="</s>",
        model_max_length=128,
    )


def build(folder: Path) -> dict[str, Path]:
    """{"summarizer": one-layer BART dir, "nli": one-layer BERT NLI dir}."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = word_tokenizer("bart")
    bart = BartForConditionalGeneration(
        BartConfig(
            vocab_size=len(tokenizer),
            d_model=32,
            encoder_layers=1,
            decoder_layers=1,
            encoder_attention_heads=2,
            decoder_attention_heads=2,
            encoder_ffn_dim=64,
            decoder_ffn_dim=64,
            max_position_embeddings=128,
            pad_token_id=0,
            eos_token_id=1,
            bos_token_id=3,
            decoder_start_token_id=1,
            forced_eos_token_id=1,
        )
    )
    bart.generation_config.max_new_tokens = bart.generation_config.min_new_tokens = 8
    labels = ["contradiction", "neutral", "entailment"]
    nli = BertForSequenceClassification(
        BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=128,
            num_labels=3,
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
            pad_token_id=0,
        )
    )
    paths = {"summarizer": folder / "bart", "nli": folder / "nli"}
    for model, path in ((bart, paths["summarizer"]), (nli, paths["nli"])):
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)
    return paths
