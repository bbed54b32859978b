from __future__ import annotations

import math

import pytest

from helpers import CORPUS, long_text
from nlp.errors import ConfigError, ModelError
from nlp.schema import TopicConfig
from nlp.tasks.topic import ClassifierTopic, NliTopic, build_topic_classifier

LABELS = {
    "security": "this text is about military security",
    "diplomacy": "this text is about diplomacy",
    "sanctions": "this text is about sanctions",
}


def nli_topic(path, runtime, **settings) -> NliTopic:
    """A random-weight model is never confident: no abstention unless a test asks for it."""
    return build_topic_classifier(
        TopicConfig(model=str(path), labels=LABELS, **{"min_confidence": 0, **settings}), runtime
    )


def record_forwards(monkeypatch, scorer) -> list[tuple[list[str], list[str] | None]]:
    calls = []
    original = scorer._forward

    def spy(texts, pairs):
        calls.append((texts, pairs))
        return original(texts, pairs)

    monkeypatch.setattr(scorer, "_forward", spy)
    return calls


def test_auto_backend_picks_nli_for_an_entailment_model(tiny_nli, runtime_cpu):
    assert isinstance(nli_topic(tiny_nli, runtime_cpu), NliTopic)


def test_nli_scores_every_label_in_unit_range_and_primary_is_argmax(tiny_nli, runtime_cpu):
    records = nli_topic(tiny_nli, runtime_cpu).classify([CORPUS[0], CORPUS[2], long_text(12)])
    for record in records:
        assert set(record["scores"]) == set(LABELS)
        assert all(0.0 <= score <= 1.0 for score in record["scores"].values())
        assert record["label"] == max(record["scores"], key=record["scores"].get)


def test_threshold_selects_labels_best_first(tiny_nli, runtime_cpu):
    scores = nli_topic(tiny_nli, runtime_cpu).classify([CORPUS[0]])[0]["scores"]
    ranked = sorted(scores.values(), reverse=True)
    middle = (ranked[0] + ranked[1]) / 2
    record = nli_topic(tiny_nli, runtime_cpu, threshold=middle).classify([CORPUS[0]])[0]
    assert record["labels"] == [record["label"]]
    everything = nli_topic(tiny_nli, runtime_cpu, threshold=0.0).classify([CORPUS[0]])[0]
    assert everything["labels"] == sorted(scores, key=scores.get, reverse=True)


def test_single_label_nli_scores_compete(tiny_nli, runtime_cpu):
    record = nli_topic(tiny_nli, runtime_cpu, multi_label=False).classify([CORPUS[1]])[0]
    assert sum(record["scores"].values()) == pytest.approx(1.0, abs=1e-3)


def test_each_chunk_hypothesis_pair_runs_once_in_length_sorted_batches(tiny_nli, runtime_cpu, monkeypatch):
    topic = nli_topic(tiny_nli, runtime_cpu, batch_size=4)
    calls = record_forwards(monkeypatch, topic.scorer)
    texts = [CORPUS[0], long_text(20), CORPUS[3]]
    topic.classify(texts)
    chunks = [topic.scorer.chunks(text, list(LABELS.values())) for text in texts]
    assert len(chunks[1]) >= 3  # the long text is chunked, not cut
    pairs = [(c, h) for group in chunks for c in group for h in LABELS.values()]
    seen = [pair for premises, hypotheses in calls for pair in zip(premises, hypotheses)]
    assert sorted(seen) == sorted(pairs)  # every pair exactly once
    assert len(calls) == math.ceil(len(pairs) / 4) and all(len(p) <= 4 for p, _ in calls)
    tokens = topic.scorer.tokenizer  # batches are sorted by token length (nlp/models/scorer.py)
    lengths = [len(tokens(p, h)["input_ids"]) for premises, hypotheses in calls for p, h in zip(premises, hypotheses)]
    assert lengths == sorted(lengths, reverse=True)


def test_premise_chunks_fit_beside_the_longest_hypothesis(tiny_nli, runtime_cpu):
    topic = nli_topic(tiny_nli, runtime_cpu)
    hypotheses = list(LABELS.values())
    for chunk in topic.scorer.chunks(long_text(20), hypotheses):
        pair = topic.scorer.tokenizer(chunk, max(hypotheses, key=len))["input_ids"]
        assert len(pair) <= topic.scorer.limit


def test_classifier_backend_uses_sigmoid_for_multi_label_models(tiny_topic_classifier, runtime_cpu):
    topic = build_topic_classifier(TopicConfig(model=str(tiny_topic_classifier)), runtime_cpu)
    assert isinstance(topic, ClassifierTopic) and topic.multi_label
    records = topic.classify([CORPUS[2], long_text(15)])
    for record in records:
        assert set(record["scores"]) == {"security", "diplomacy", "sanctions"}
        assert all(0 <= s <= 1 for s in record["scores"].values())


def test_classifier_label_set_must_match_the_config(tiny_topic_classifier, runtime_cpu):
    config = TopicConfig(model=str(tiny_topic_classifier), labels={"war": "w", "peace": "p"})
    with pytest.raises(
        ConfigError, match=r"topic.labels: the classifier .* knows the labels \['security', 'diplomacy', 'sanctions'\]"
    ):
        build_topic_classifier(config, runtime_cpu)


def test_nli_backend_on_a_non_nli_model_is_refused(tiny_topic_classifier, runtime_cpu):
    config = TopicConfig(model=str(tiny_topic_classifier), backend="nli")
    with pytest.raises(ModelError, match="is not an NLI model"):
        build_topic_classifier(config, runtime_cpu)


def test_embedded_backend_with_other_labels_is_a_config_error():
    from nlp.config import validate

    with pytest.raises(
        ConfigError, match=r"topic: the embedded head knows the labels \['security', 'diplomacy', 'sanctions'\]"
    ):
        validate({"topic": {"labels": {"economy": "about money", "sports": "about games"}}})


def test_embedded_backend_needs_the_embedded_model(tiny_nli, runtime_cpu):
    with pytest.raises(ConfigError, match="needs topic.model: embedded"):
        build_topic_classifier(TopicConfig(model=str(tiny_nli), backend="embedded"), runtime_cpu)


@pytest.mark.parametrize(
    "labels,message",
    [
        ({"only": "one label"}, "at least two labels"),
        ({"a": "x", "b": ""}, "non-empty hypothesis"),
        ({"a": "x", " b": "y"}, "surrounding spaces"),
    ],
)
def test_label_set_validation(labels, message):
    from nlp.config import validate

    with pytest.raises(ConfigError, match=message):
        validate({"topic": {"labels": labels}})
