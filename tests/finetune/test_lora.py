"""The LoRA pair tuning of the embedded heads: its pairs, and embeddings equal to inference's."""

from __future__ import annotations

import numpy as np
import torch


def test_unit_embeddings_equal_the_inference_document_vector_even_for_long_sentences(runtime_cpu):
    from nlp.finetune.lora import unit_embeddings
    from nlp.models.encoder import Encoder, document_vectors
    from nlp.models.load import load_encoder
    from nlp.schema import ModelConfig

    tokenizer, model = load_encoder(ModelConfig(model="embedded"), runtime_cpu, "test")
    units = [("North Korea fired a missile.", "Seoul protested."), ("word " * 400 + "end.", "A short one.")]
    with torch.no_grad():
        trained = unit_embeddings(model, tokenizer, units).numpy()
    inferred = document_vectors(Encoder(tokenizer, model, runtime_cpu, 256), [list(unit) for unit in units])
    assert np.abs(trained - inferred).max() < 1e-5  # the 400-word sentence is windowed, not cut


def test_topic_share_adds_topic_pairs_and_zero_keeps_the_stance_pairs():
    from nlp.finetune.config import HeadsConfig
    from nlp.finetune.heads import Item
    from nlp.finetune.lora import sample_pairs, training_pairs

    items = [
        Item((topic,), stance, (f"s{k}",))
        for k, (topic, stance) in enumerate(
            [
                ("security", -1.0),
                ("diplomacy", -1.0),
                ("sanctions", 1.0),
                ("security", 1.0),
                ("diplomacy", 0.0),
                ("sanctions", 0.0),
            ]
        )
    ]
    owners = np.arange(len(items))
    pairs, goals = training_pairs(items, owners, HeadsConfig(steps=4, batch_pairs=4), np.random.default_rng(0))
    expected = sample_pairs(
        np.array([i.stance for i in items], dtype=np.float32), 16, np.random.default_rng(0), "binary"
    )
    assert np.array_equal(pairs, expected[0]) and np.array_equal(goals, expected[1])  # shipped heads unchanged
    pairs, goals = training_pairs(
        items, owners, HeadsConfig(steps=4, batch_pairs=4, topic_share=0.5), np.random.default_rng(0)
    )
    same_topic = np.array([items[a].topics == items[b].topics for a, b in pairs])
    same_stance = np.array([items[a].stance == items[b].stance for a, b in pairs])
    assert len(pairs) == 16 and all(goal in (t, s) for goal, t, s in zip(goals, same_topic, same_stance))
    assert ((goals == same_topic) & (goals != same_stance)).sum() >= 2  # some pairs are judged by topic alone
