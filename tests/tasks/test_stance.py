from __future__ import annotations

import numpy as np
import pytest

from nlp.errors import ConfigError, ModelError
from nlp.schema import StanceConfig
from nlp.sentences import split_sentences
from nlp.tasks.stance import NliStance, build_stance_scorer, pick_evidence

ABOUT = (
    "Sanctions on coal exports were tightened. North Korea fired a ballistic missile into the sea on Tuesday. "
    "The talks in Hanoi ended without a deal.\n\nPyongyang urged restraint by all parties. "
    "Aid agencies said sanctions delayed medicine shipments."
)
NOT_ABOUT = "The talks in Hanoi ended without a deal. Aid agencies said sanctions delayed medicine shipments."


def check_record(record: dict, text: str, cut_points=(-0.25, 0.25)) -> None:
    assert record["target"] == "North Korea"
    assert -1.0 <= record["score"] <= 1.0
    low, high = cut_points
    expected = "critical" if record["score"] < low else "supportive" if record["score"] > high else "neutral"
    assert record["label"] == expected
    assert 0.0 <= record["confidence"] <= 1.0
    for item in record["evidence"]:
        assert text[item["start"] : item["end"]] == item["text"]
        assert -1.0 <= item["score"] <= 1.0


@pytest.fixture(params=["tiny_nli", "tiny_stance_classifier", "tiny_stance_regressor"])
def scorer(request, runtime_cpu):
    path = request.getfixturevalue(request.param)
    return build_stance_scorer(StanceConfig(model=str(path), evidence=2), runtime_cpu)


def test_every_backend_gives_a_valid_record_with_exact_evidence_offsets(scorer):
    records = scorer.score([ABOUT, ABOUT.upper().replace("NORTH KOREA", "North Korea")])
    check_record(records[0], ABOUT)
    assert 1 <= len(records[0]["evidence"]) <= 2
    assert records[0]["mentions"] == 2


def test_text_without_the_target_abstains_without_running_the_model(scorer, monkeypatch):
    calls = []
    monkeypatch.setattr(scorer.backend, "predict", lambda *args: calls.append(args) or [])
    record = scorer.score([NOT_ABOUT])[0]
    assert record == {
        "target": "North Korea",
        "score": None,
        "label": "not_about_target",
        "confidence": 1.0,
        "evidence": [],
        "mentions": 0,
    }
    assert calls == [([], [], [])]


def test_mixed_batch_keeps_order(tiny_nli, runtime_cpu):
    scorer = build_stance_scorer(StanceConfig(model=str(tiny_nli)), runtime_cpu)
    records = scorer.score([NOT_ABOUT, ABOUT, NOT_ABOUT])
    assert [r["label"] == "not_about_target" for r in records] == [True, False, True]


def test_nli_scores_only_sentences_naming_the_target(tiny_nli, runtime_cpu, monkeypatch):
    scorer = build_stance_scorer(StanceConfig(model=str(tiny_nli)), runtime_cpu)
    assert isinstance(scorer.backend, NliStance)
    seen = []
    original = scorer.backend.scorer.logits
    monkeypatch.setattr(
        scorer.backend.scorer, "logits", lambda texts, pairs=None: seen.append((texts, pairs)) or original(texts, pairs)
    )
    record = scorer.score([ABOUT])[0]
    premises, hypotheses = seen[0]
    assert sorted(set(premises)) == sorted(
        s.text for s in split_sentences(ABOUT) if "North Korea" in s.text or "Pyongyang" in s.text
    )
    assert set(hypotheses) == {"This text is supportive of North Korea.", "This text is critical of North Korea."}
    assert len(premises) == 4  # two sentences x two hypotheses, once each
    assert all(item["text"] in premises for item in record["evidence"])


def test_cut_points_decide_the_label(tiny_stance_classifier, runtime_cpu):
    settings = {"model": str(tiny_stance_classifier), "min_confidence": 0}  # random weights: no abstention
    wide = build_stance_scorer(StanceConfig(**settings, cut_points=(-0.99, 0.99)), runtime_cpu)
    assert wide.score([ABOUT])[0]["label"] == "neutral"
    narrow = build_stance_scorer(StanceConfig(**settings, cut_points=(-0.001, 0.001)), runtime_cpu)
    record = narrow.score([ABOUT])[0]
    check_record(record, ABOUT, (-0.001, 0.001))
    assert record["label"] in ("critical", "supportive")


@pytest.mark.parametrize("cut_points", [(0.5, -0.5), (-2, 0.5), (0.1, 0.1)])
def test_bad_cut_points_are_a_config_error(cut_points):
    from nlp.config import validate

    with pytest.raises(ConfigError, match="stance.cut_points"):
        validate({"stance": {"cut_points": list(cut_points)}})


def test_classifier_with_unreadable_labels_is_refused(tiny_topic_classifier, runtime_cpu):
    with pytest.raises(ModelError, match="cannot read a stance value from its label 'security'"):
        build_stance_scorer(StanceConfig(model=str(tiny_topic_classifier), backend="classifier"), runtime_cpu)


def test_evidence_follows_the_label_direction():
    sentences = split_sentences("A is bad. North Korea is great. North Korea is awful. B is fine.")
    scores = np.array([-0.9, 0.8, -0.6, 0.1])
    mentions = [False, True, True, False]
    own = ["own"] * 4
    critical = pick_evidence(sentences, scores, mentions, own, "critical", 2)
    assert [e["text"] for e in critical] == ["North Korea is awful.", "A is bad."]
    supportive = pick_evidence(sentences, scores, mentions, own, "supportive", 3)
    assert [e["text"] for e in supportive] == ["North Korea is great.", "B is fine."]
    neutral = pick_evidence(sentences, scores, mentions, own, "neutral", 1)
    assert [e["text"] for e in neutral] == ["B is fine."]


def test_evidence_says_whose_voice_and_prefers_the_texts_own_words():
    text = '"North Korea is a criminal regime," the minister said. North Korea is a threat to its neighbours.'
    sentences = split_sentences(text)
    scores, mentions, voices = np.array([-0.9, -0.6]), [True, True], ["quoted", "own"]
    evidence = pick_evidence(sentences, scores, mentions, voices, "critical", 2)
    assert [e["voice"] for e in evidence] == ["own", "quoted"]  # -0.6 own outranks -0.9 quoted
    assert all(text[e["start"] : e["end"]] == e["text"] for e in evidence)
    state = pick_evidence(sentences, scores, mentions, voices, "critical", 1, state_voice=True)
    assert state[0]["voice"] == "quoted" and state[0]["score"] == -0.9  # in the DPRK's own voice, quotes count fully
