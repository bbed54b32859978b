"""The Trainer's inputs: what is said about texts cut at max_length, per split."""

from __future__ import annotations

import logging

from helpers import REPO, bert_tokenizer
from nlp.finetune.config import load_finetune_config
from nlp.finetune.trainer import encoder


def test_cut_texts_are_counted_under_their_own_split(monkeypatch, caplog):
    monkeypatch.chdir(REPO)
    config = load_finetune_config("configs/finetune_topic.yaml", ["max_length=8"])
    long, short = " ".join(["north korea fired a missile"] * 4), "talks"
    batch = {"text": [long, short], "labels": [["security"], ["diplomacy"]]}
    with caplog.at_level(logging.WARNING):
        encoder(config, bert_tokenizer(), multi_label=True, split="validation")(batch)
        encoder(config, bert_tokenizer(), multi_label=True)({"text": [long, long], "labels": batch["labels"]})
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "1 validation text longer than max_length=8 tokens was cut",
        "2 training texts longer than max_length=8 tokens were cut",
    ]
