"""The heads trainer writes artifacts that the inference loader reads (a small, quick run)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import REPO, load_script
from nlp.models.embedded import EmbeddedHeads


@pytest.fixture(scope="module")
def small_split(tmp_path_factory):
    """10 items per stance level from the training data, and 5 more as 'held-out'."""
    rows = [
        json.loads(line)
        for path in sorted((REPO / "data/news/train").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    picked, heldout = [], []
    for value in (-1, -0.5, 0, 0.5, 1):
        level = [r for r in rows if r["stance"] == value and len(r["text"]) < 900]
        picked += level[:10]
        heldout += level[10:11]
    folder = tmp_path_factory.mktemp("train-heads")
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in picked))
    (folder / "heldout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in heldout))
    return folder


def test_trained_artifacts_load_through_the_inference_path(small_split, runtime_cpu):
    out = small_split / "heads"
    code = load_script("train_heads").main(
        [
            "--output",
            str(out),
            "--train",
            str(small_split / "train.jsonl"),
            "--heldout",
            str(small_split / "heldout.jsonl"),
            "--cv-folds",
            "0",
            "--steps",
            "2",
            "--batch-pairs",
            "4",
        ]
    )
    assert code == 0
    meta = json.loads((out / "heads.json").read_text())
    assert meta["topic_labels"] == ["security", "diplomacy", "sanctions"] and "command" in meta
    heads = EmbeddedHeads(runtime_cpu, path=out)
    assert heads.adapted is not heads.base  # the LoRA tensors were written and merged
    texts = ["North Korea fired a missile.", "Talks resumed in Geneva."]
    vectors = heads.encoder("stance").encode(texts)
    stance = heads.stance_probabilities(vectors, texts)
    assert stance.shape == (2, 5) and np.allclose(stance.sum(axis=1), 1.0)
    topic = heads.topic_probabilities(vectors, texts)
    assert topic.shape == (2, 3) and ((0 <= topic) & (topic <= 1)).all()
