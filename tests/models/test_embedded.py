"""The embedded default (MiniLM + the committed heads) on clear, hand-written cases."""

from __future__ import annotations

import json

import pytest

from helpers import REPO
from nlp.models.embedded import HEADS_DIR, EmbeddedHeads, merge_lora
from nlp.schema import StanceConfig, TopicConfig
from nlp.tasks.stance import build_stance_scorer
from nlp.tasks.topic import build_topic_classifier

TOPIC_CASES = {
    "security": [
        "North Korea test-fired two cruise missiles off its west coast on Sunday, and South Korea's military "
        "raised its alert level along the border.",
        "Satellite images show fresh tunnelling at the Punggye-ri nuclear test site, suggesting Pyongyang "
        "could be preparing a seventh nuclear explosion.",
    ],
    "diplomacy": [
        "The U.S. special envoy said Washington was ready to meet North Korean officials anywhere and without "
        "preconditions, as he arrived in Seoul for consultations with his counterparts.",
        "Kim Jong Un received the visiting Russian foreign minister in Pyongyang and discussed deepening "
        "bilateral ties and exchanging delegations, state media said.",
    ],
    "sanctions": [
        "The U.S. Treasury designated three shipping companies for transferring refined petroleum to North "
        "Korean tankers in violation of United Nations sanctions.",
        "A confidential report said North Korea kept evading the export ban by moving coal through "
        "ship-to-ship transfers and laundering stolen cryptocurrency.",
    ],
}
# Labelled by data/news/GUIDELINE.md: the stance is that of the text's own voice, so a text that reports
# a government's condemnation or praise without taking a side is neutral.
STANCE_CASES = {
    "critical": [
        "The brutal North Korean regime starves its own people while pouring money into illegal weapons. "
        "Pyongyang must face maximum pressure until it abandons its nuclear ambitions.",
        "North Korea's latest launch is an outrageous provocation. The world should answer it with tighter "
        "sanctions and stronger defences, not with another round of empty talks.",
    ],
    "neutral": [
        "North Korea launched a ballistic missile on Tuesday, South Korea's military said. The missile flew "
        "about 600 km before landing in the sea. Pyongyang's state media did not immediately comment.",
        "North Korea and Russia signed an agreement on tourism cooperation, according to state media in both "
        "countries. Details of the agreement were not disclosed.",
        "Japan's prime minister condemned North Korea's latest launch as an outrageous and unacceptable "
        "provocation that threatens the peace and safety of the whole region.",
        "China's foreign ministry said the legitimate security concerns of the DPRK must be addressed, and "
        "urged the United States to stop pressure and return to dialogue.",
    ],
    "supportive": [
        "Pyongyang, May 3 (KCNA) -- The respected Comrade Kim Jong Un inspected a new hospital built by the "
        "heroic soldier-builders. The people of the DPRK will smash the hostile policy of the US imperialists.",
        "Aid workers say the sanctions on North Korea are blocking insulin and tuberculosis drugs. The "
        "humanitarian cost is borne by children, and the Security Council should ease the restrictions now.",
        # short pleas for engagement: the round-1 heads read them as neutral (-0.24 and -0.17)
        "Sanctions have failed and only punish ordinary North Koreans. Washington should lift them, respect the "
        "DPRK's legitimate security concerns and return to dialogue in good faith.",
        "Decades of pressure have not moved Pyongyang. It is time for Washington to offer sanctions relief and a "
        "peace declaration, and to treat North Korea as a partner in talks.",
    ],
}


@pytest.fixture(scope="module")
def topic(runtime_cpu):
    return build_topic_classifier(TopicConfig(), runtime_cpu)


@pytest.fixture(scope="module")
def stance(runtime_cpu):
    return build_stance_scorer(StanceConfig(), runtime_cpu)


def test_artifacts_are_small_and_documented():
    meta = json.loads((HEADS_DIR / "heads.json").read_text())
    assert meta["topic_labels"] == ["security", "diplomacy", "sanctions"]
    assert meta["stance_values"] == [-1, -0.5, 0, 0.5, 1]
    assert "command" in meta and "metrics" in meta
    assert sum(p.stat().st_size for p in HEADS_DIR.iterdir()) < 5_000_000
    assert (HEADS_DIR / "README.md").is_file()


@pytest.mark.parametrize("label", list(TOPIC_CASES))
def test_embedded_topic_on_clear_cases(topic, label):
    for record in topic.classify(TOPIC_CASES[label]):
        assert record["label"] == label, record


@pytest.mark.parametrize("label", list(STANCE_CASES))
def test_embedded_stance_on_clear_cases(stance, label):
    for record, text in zip(stance.score(STANCE_CASES[label]), STANCE_CASES[label]):
        assert record["label"] == label, record
        assert record["evidence"] and all(text[e["start"] : e["end"]] == e["text"] for e in record["evidence"])


def test_embedded_stance_orders_the_scale(stance):
    scores = {label: [r["score"] for r in stance.score(texts)] for label, texts in STANCE_CASES.items()}
    assert max(scores["critical"]) < min(scores["neutral"]) <= max(scores["neutral"]) < min(scores["supportive"])


def test_lora_merge_adds_b_times_a(runtime_cpu):
    import torch

    heads = EmbeddedHeads.shared(runtime_cpu)
    base = heads.base.model
    name = "encoder.layer.0.attention.self.query"
    a, b = torch.ones(2, 384), torch.full((384, 2), 0.5)
    merged = merge_lora(base, {f"lora.{name}.A": a, f"lora.{name}.B": b}, scaling=2.0)
    before = dict(base.named_modules())[name].weight
    after = dict(merged.named_modules())[name].weight
    assert torch.allclose(after - before, torch.full_like(before, 2.0))
    assert merged is not base


# data/probes/probes.jsonl: short texts with unambiguous answers, one group per failure category of
# real news (data/probes/README.md). The shipped heads must get at least this share right, per task: they
# get 64 of 72 stances and 51 of 51 topics (nlp/heads/README.md lists the misses), so this guards against
# a regression; it is not a goal met.
PROBE_TOLERANCE = 0.85


def load_probes() -> list[dict]:
    return [json.loads(line) for line in (REPO / "data/probes/probes.jsonl").read_text().splitlines()]


def test_shipped_heads_get_the_probes_right(topic, stance):
    probes = load_probes()
    stances = stance.score([p["text"] for p in probes])
    topics = topic.classify([p["text"] for p in probes])
    stance_wrong = [
        (p["id"], p["category"], r["label"])
        for p, r in zip(probes, stances)
        if p["stance"] and r["label"] != p["stance"]
    ]
    topic_wrong = [
        (p["id"], p["category"], r["label"]) for p, r in zip(probes, topics) if p["topic"] and r["label"] != p["topic"]
    ]
    n_stance, n_topic = sum(bool(p["stance"]) for p in probes), sum(bool(p["topic"]) for p in probes)
    assert n_stance >= 60 and n_topic >= 45
    assert 1 - len(stance_wrong) / n_stance >= PROBE_TOLERANCE, stance_wrong
    assert 1 - len(topic_wrong) / n_topic >= PROBE_TOLERANCE, topic_wrong


def test_the_heads_read_the_countrys_other_names_as_north_korea():
    from nlp.document import prepare
    from nlp.models.embedded import head_inputs

    text = "We condemn the DPRK's forced labour. The D.P.R.K. and DPR Korea deny it. N. Korea is silent."
    inputs = head_inputs(prepare(text, "Democratic People's Republic of Korea rejects report"))
    assert inputs == [
        "North Korea rejects report",
        "We condemn North Korea's forced labour.",
        "North Korea and North Korea deny it.",
        "North Korea is silent.",
    ]


def test_below_min_confidence_the_stance_is_uncertain_with_score_and_evidence_kept(runtime_cpu):
    text = STANCE_CASES["critical"][0]
    sure = build_stance_scorer(StanceConfig(), runtime_cpu).score([text])[0]
    assert StanceConfig().min_confidence == 0.5 and sure["label"] == "critical"
    strict = build_stance_scorer(StanceConfig(min_confidence=0.9999), runtime_cpu).score([text])[0]
    assert strict["label"] == "uncertain" and strict["confidence"] < 0.9999
    assert (strict["score"], strict["evidence"]) == (sure["score"], sure["evidence"])


def test_below_min_confidence_the_topic_is_uncertain_with_the_scores_kept(runtime_cpu):
    # a text between two topics, so its primary-topic confidence is below 1 (clear cases round to 1.0)
    text = (
        "Foreign ministers met in Seoul to discuss tighter enforcement of the sanctions on North Korea "
        "after its latest missile test, and agreed to keep talking."
    )
    sure = build_topic_classifier(TopicConfig(), runtime_cpu).classify([text])[0]
    assert TopicConfig().min_confidence == 0.5 and sure["label"] in TOPIC_CASES and sure["confidence"] < 1.0
    strict = build_topic_classifier(TopicConfig(min_confidence=1.0), runtime_cpu).classify([text])[0]
    assert strict["label"] == "uncertain" and strict["labels"][0] == sure["label"]
    assert strict["scores"] == sure["scores"] and strict["confidence"] == sure["confidence"]


OFF_TOPIC = [
    "Heavy rain flooded parts of Tokyo on Monday, disrupting train services for thousands of commuters.",
    "Samsung reported record quarterly profits on strong demand for memory chips.",
    "The K-pop group announced a world tour starting in Los Angeles in March.",
    "South Korea's central bank held its benchmark rate at 3.5 percent, citing slowing household lending.",
]
# Economic texts that the heads read as sanctions at about 0.5 (0.50 and 0.53 when written): the training
# data has no off-topic items, a known weakness (nlp/heads/README.md). strict: flags it once fixed.
OFF_TOPIC_MISSES = [
    "The central bank raised its policy rate by a quarter point on Thursday to curb inflation.",
    "A bakery in Seoul won a national award for its sourdough bread.",
]


def test_an_off_topic_text_has_no_topic_label(topic):
    for record in topic.classify(OFF_TOPIC):
        assert record["label"] is None and record["labels"] == [], record
        assert set(record["scores"]) == set(TOPIC_CASES)


@pytest.mark.xfail(strict=True, reason="known weakness: economic vocabulary reads as sanctions")
@pytest.mark.parametrize("text", OFF_TOPIC_MISSES)
def test_off_topic_known_misses(topic, text):
    assert topic.classify([text])[0]["label"] is None
