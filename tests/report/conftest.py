"""Result records shaped like `nlp infer` output, for the report tests."""

from __future__ import annotations

import json

import pytest


def make_result(
    i: int,
    outlet: object = "wire",
    date: object = "2025-03-04",
    topic: str | None = "security",
    score: float | None = -0.5,
    label: str | None = None,
    evidence: list | None = None,
) -> dict:
    record: dict = {"id": f"r{i}", "line": i}
    if outlet is not ...:
        record["outlet"] = outlet
    if date is not ...:
        record["date"] = date
    if topic is not None:
        record["topic"] = {"label": topic, "labels": [topic], "scores": {topic: 0.9}}
    if label is None:
        label = (
            "not_about_target"
            if score is None
            else "critical"
            if score < -0.25
            else "supportive"
            if score > 0.25
            else "neutral"
        )
    if evidence is None:
        evidence = [] if score is None else [{"text": f"sentence {i}", "start": 0, "end": 10, "score": score}]
    record["stance"] = {
        "target": "North Korea",
        "score": score,
        "label": label,
        "confidence": 0.8,
        "evidence": evidence,
    }
    return record


@pytest.fixture
def result():
    """make_result(i, outlet=..., date=..., topic=..., score=...): `...` leaves a field out."""
    return make_result


@pytest.fixture
def write_results(tmp_path):
    def write(lines: list, name: str = "results.jsonl"):
        path = tmp_path / name
        path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
        return path

    return write
