"""`nlp evaluate`'s trust figures: coverage against accuracy, calibration, summary support and provenance,
computed on small hand-made cases and checked end to end on the offline default."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp.config import load_config
from nlp.evaluate.plots import number, write_trust_plots
from nlp.evaluate.run import Labeled, run_evaluate
from nlp.evaluate.trust import (
    THRESHOLDS,
    add_trust_metrics,
    best_topic,
    coverage_curve,
    coverage_point,
    support_metrics,
    trust_blocks,
)
from nlp.metrics import calibration
from nlp.schema import TopicConfig

PNG = b"\x89PNG\r\n\x1a\n"


def item(line: int, topics=None, stance=None) -> Labeled:
    return Labeled(line, f"r{line}", "text", topics, stance, None)


def topic(label, confidence: float, labels=None) -> dict:
    labels = [label] if labels is None and label not in (None, "uncertain") else labels or []
    return {"label": label, "labels": labels, "scores": {"security": 0.9, "diplomacy": 0.2}, "confidence": confidence}


def test_coverage_and_accuracy_at_a_threshold_by_hand():
    answers = [(0.9, "a", True), (0.8, "a", False), (0.6, "b", True), (0.4, "b", False), (0.95, None, False)]
    assert coverage_point(answers, 0.0) == {"threshold": 0.0, "answered": 4, "coverage": 0.8, "accuracy": 0.5}
    assert coverage_point(answers, 0.7) == {"threshold": 0.7, "answered": 2, "coverage": 0.4, "accuracy": 0.5}
    assert coverage_point(answers, 0.85) == {"threshold": 0.85, "answered": 1, "coverage": 0.2, "accuracy": 1.0}
    assert coverage_point(answers, 0.99)["accuracy"] is None  # nothing answered
    curve = coverage_curve(answers, 0.5)
    assert curve["at_min_confidence"]["answered"] == 3 and len(curve["points"]) == len(THRESHOLDS)
    coverages = [p["coverage"] for p in curve["points"]]
    assert coverages == sorted(coverages, reverse=True)  # the share answered never rises with the threshold


def test_best_topic_recovers_the_label_below_min_confidence_from_topic_record():
    from nlp.tasks.topic import topic_record

    scores = np.array([0.7, 0.6, 0.1])
    primary = np.array([0.3, 0.5, 0.2])  # the primary head prefers diplomacy, the sigmoids security
    labels = ["security", "diplomacy", "sanctions"]
    for min_confidence in (0.0, 0.9):
        config = TopicConfig(min_confidence=min_confidence)
        assert best_topic(topic_record(labels, scores, config, primary)) == "diplomacy"
        competing = topic_record(labels, np.array([0.2, 0.45, 0.35]), config, independent=False)
        assert best_topic(competing) == "diplomacy"  # no label at the threshold, still the best
    off_topic = topic_record(labels, np.array([0.1, 0.2, 0.1]), TopicConfig(), primary)
    assert off_topic["label"] is None and best_topic(off_topic) is None


def test_calibration_and_coverage_are_added_to_the_scored_tasks():
    config = load_config(None, ["topic.min_confidence=0.7", "stance.min_confidence=0.5"])
    items = [item(1, ["security"], -0.8), item(2, ["diplomacy"], 0.0), item(3, ["security"], "supportive")]
    items.append(item(4, ["sanctions"], 0.0))
    predictions = [
        {"topic": topic("security", 0.9), "stance": {"score": -0.6, "confidence": 0.9}},
        {"topic": topic("uncertain", 0.6, ["security"]), "stance": {"score": 0.1, "confidence": 0.7}},
        {"topic": topic(None, 0.5), "stance": {"score": -0.5, "confidence": 0.3}},
        {"topic": topic("sanctions", 0.75), "stance": {"score": None, "confidence": 1.0}},
    ]
    scores = {"topic": {}, "stance": {}}
    add_trust_metrics(config, items, predictions, scores)
    # topic: r1 right (0.9), r2 wrong (best security, 0.6), r3 off-topic (not answered), r4 right (0.75)
    assert scores["topic"]["calibration"] == calibration([0.9, 0.6, 0.75], [True, False, True])
    expected_ece = (abs(0.9 - 1) * 1 + abs(0.6 - 0) * 1 + abs(0.75 - 1) * 1) / 3
    assert scores["topic"]["calibration"]["ece"] == pytest.approx(expected_ece)
    at = scores["topic"]["coverage"]["at_min_confidence"]
    assert (at["answered"], at["coverage"], at["accuracy"]) == (2, 0.5, 1.0)
    # stance: r1 critical right (0.9), r2 neutral right (0.7), r3 critical vs supportive wrong (0.3), r4 abstains
    assert scores["stance"]["calibration"] == calibration([0.9, 0.7, 0.3], [True, True, False])
    at = scores["stance"]["coverage"]["at_min_confidence"]
    assert (at["answered"], at["coverage"], at["accuracy"]) == (2, 0.5, 1.0)


def support(flags: list[bool], tokens: int = 0) -> dict:
    sentences = [{"supported": f, "score": 0.5, "unsupported": []} for f in flags]
    for sentence in sentences[:tokens]:
        sentence["unsupported"] = [{"text": "7", "kind": "number"}]
    return {"method": "similarity", "threshold": 0.45, "supported": all(flags), "sentences": sentences}


def test_the_share_of_flagged_summary_sentences_by_hand():
    predictions = [{"summary": {"support": support([True, False, False], tokens=1)}}]
    predictions += [{"summary": {"support": support([True])}}, {"summary": {}}]
    result = support_metrics(predictions)
    assert (result["summaries"], result["sentences"], result["flagged"]) == (2, 4, 2)
    assert result["flagged_share"] == 0.5 and result["summaries_flagged_share"] == 0.5
    assert result["with_unsupported_tokens"] == 1 and support_metrics([{"topic": {}}]) is None


def test_coverage_and_reliability_plots_and_report_blocks(tmp_path):
    answers = [(0.9, "a", True), (0.7, "b", False), (0.55, "a", True)]
    metrics = {
        "topic": {"coverage": coverage_curve(answers, 0.6), "calibration": calibration([0.9, 0.7, 0.55], [1, 0, 1])},
        "summary": {"support": support_metrics([{"summary": {"support": support([True, False])}}])},
    }
    assert write_trust_plots(metrics, tmp_path) == ["coverage.png", "reliability.png"]
    assert all((tmp_path / name).read_bytes()[:8] == PNG for name in ("coverage.png", "reliability.png"))
    blocks = trust_blocks(metrics, number)
    assert [b[1] for b in blocks if b[0] == "h2"] == ["Confidence and abstention", "Summary support"]
    assert write_trust_plots({"summary": {}}, tmp_path / "none") == []


LABELED = [
    {
        "id": "sec",
        "text": "North Korea fired two ballistic missiles into the sea on Tuesday. Seoul condemned the launch.",
        "topics": ["security"],
        "stance": -0.5,
        "summary": "North Korea fired two missiles.",
    },
    {
        "id": "dip",
        "text": "Envoys from Washington and Pyongyang met in Singapore for talks. Both sides called them constructive.",
        "topics": ["diplomacy"],
        "stance": 0,
        "summary": "US and North Korean envoys held talks.",
    },
    {
        "id": "san",
        "text": "The U.S. Treasury sanctioned three shipping firms for moving oil to North Korea.",
        "topics": ["sanctions"],
        "stance": "critical",
    },
]


def test_evaluate_reports_calibration_coverage_support_and_provenance(tmp_path):
    source = tmp_path / "labeled.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in LABELED))
    result = run_evaluate(load_config(None, ["runtime.device=cpu"]), str(source), str(tmp_path / "out"))
    metrics, out = result["metrics"], tmp_path / "out"
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    confidences = [row["predicted"]["topic"]["confidence"] for row in rows]
    right = [row["predicted"]["topic"]["label"] == row["gold"]["topics"][0] for row in rows]
    answered = [row for row in rows if row["predicted"]["topic"]["label"] is not None]
    if len(answered) == len(rows):  # none off-topic: the calibration is over all three
        assert metrics["topic"]["calibration"]["ece"] == pytest.approx(calibration(confidences, right)["ece"])
    assert metrics["topic"]["coverage"]["at_min_confidence"]["coverage"] == pytest.approx(len(answered) / 3)
    assert metrics["stance"]["calibration"]["n"] == 3 and metrics["stance"]["coverage"]["n"] == 3
    assert metrics["summary"]["support"]["summaries"] == 3 and metrics["summary"]["support"]["sentences"] >= 3
    assert metrics["run"]["config_hash"] and set(metrics["provenance"]) == {"summary", "topic", "stance"}
    assert metrics["provenance"]["topic"]["resolved"][1]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    for name in ("coverage.png", "reliability.png"):
        assert (out / name).read_bytes()[:8] == PNG
    report = (out / "report.md").read_text()
    for heading in ("## Confidence and abstention", "## Summary support", "## Provenance"):
        assert heading in report
    assert metrics["run"]["run_id"] in report and "![coverage](coverage.png)" in report
