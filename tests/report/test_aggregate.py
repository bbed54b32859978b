"""Aggregating results as they stream: fields from the config, every odd outlet or date counted."""

from __future__ import annotations

from datetime import date

import pytest

from nlp.report.aggregate import (
    NO_OUTLET,
    OTHER_OUTLETS,
    Aggregates,
    next_period,
    parse_date,
    period_label,
    period_start,
)
from nlp.schema import ReportConfig


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-03-04", date(2025, 3, 4)),
        ("2025-03-04T10:15:00Z", date(2025, 3, 4)),
        ("2025-03-04 10:15:00.123+09:00", date(2025, 3, 4)),
        (" 2025-03-04 ", date(2025, 3, 4)),
        ("2025-02-30", None),
        ("2025-13-01", None),
        ("03/04/2025", None),
        ("last Tuesday", None),
        (20250304, None),
        (["2025-03-04"], None),
    ],
)
def test_parse_date_takes_iso_calendar_dates_only(value, expected):
    assert parse_date(value) == expected


def test_periods_week_month_quarter():
    day = date(2025, 1, 1)  # a Wednesday, in ISO week 2025-W01
    assert period_start(day, "week") == date(2024, 12, 30) and period_label(date(2024, 12, 30), "week") == "2025-W01"
    assert period_start(day, "month") == date(2025, 1, 1) and period_label(date(2025, 1, 1), "month") == "2025-01"
    assert period_start(date(2025, 8, 9), "quarter") == date(2025, 7, 1)
    assert period_label(date(2025, 7, 1), "quarter") == "2025-Q3"
    assert next_period(date(2025, 12, 1), "month") == date(2026, 1, 1)
    assert next_period(date(2025, 10, 1), "quarter") == date(2026, 1, 1)
    assert next_period(date(2024, 12, 30), "week") == date(2025, 1, 6)


def aggregate(records: list[dict], **settings) -> Aggregates:
    aggregates = Aggregates(ReportConfig(**settings), (-0.25, 0.25))
    for line, record in enumerate(records, 1):
        aggregates.add(line, record)
    return aggregates


def test_missing_and_malformed_outlets_and_dates_are_counted_never_dropped(result):
    records = [
        result(1),
        result(2, outlet=...),
        result(3, outlet=""),
        result(4, outlet=17),
        result(5, date=...),
        result(6, date="yesterday"),
        result(7, date=None),
    ]
    agg = aggregate(records)
    counts = agg.quality.counts
    assert counts["outlet_missing"] == 1 and counts["outlet_empty"] == 1 and counts["outlet_not_a_string"] == 1
    assert counts["date_missing"] == 2 and counts["date_malformed"] == 1
    assert agg.quality.lines["date_malformed"] == [6] and agg.quality.values["date_malformed"] == ["'yesterday'"]
    assert agg.outlets[NO_OUTLET].records == 3 and agg.outlets["wire"].records == 4
    assert sum(o.records for o in agg.outlets.values()) == len(records)  # every record is in the outlet table
    assert sum(p.records for p in agg.periods.values()) == 4  # the undated ones are left out of the time series only
    assert agg.topics["security"].records == len(records)


def test_field_names_come_from_the_config(result):
    record = result(1, outlet=..., date=...) | {"source": "kcna", "published": "2024-05-01"}
    agg = aggregate([record], outlet_field="source", date_field="published")
    assert list(agg.outlets) == ["kcna"] and agg.first_day == date(2024, 5, 1) and not agg.quality.counts


def test_outlets_beyond_max_outlets_are_pooled_and_counted(result):
    agg = aggregate([result(i, outlet=f"o{i}") for i in range(5)], max_outlets=3)
    assert list(agg.outlets) == ["o0", "o1", "o2", OTHER_OUTLETS]
    assert agg.outlets[OTHER_OUTLETS].records == 2 and agg.quality.counts["outlet_pooled"] == 2


def test_not_about_target_and_bad_scores_have_no_score_but_are_counted(result):
    records = [result(1, score=None), result(2, score=1.7, label="supportive"), result(3, score=0.5)]
    records.append({"id": "r4", "stance": "critical"})
    agg = aggregate(records)
    assert agg.quality.counts["not_about_target"] == 1 and agg.quality.counts["stance_score_malformed"] == 1
    assert agg.quality.counts["stance_malformed"] == 1 and agg.quality.counts["no_topic"] == 1
    assert agg.outlets["wire"].scores.n == 1  # only the valid 0.5
    assert agg.outlets["wire"].labels == {"not_about_target": 1, "supportive": 2}
    assert agg.outlets[NO_OUTLET].labels == {"(no stance)": 1}


def test_evidence_outside_the_neutral_band_feeds_each_side_with_voice_and_article(result):
    evidence = [
        {"text": "They condemned it.", "start": 0, "end": 18, "score": -0.9, "voice": "quoted"},
        {"text": "A calm line.", "start": 19, "end": 31, "score": 0.1, "voice": "own"},
        {"text": "Peace is near.", "start": 32, "end": 46, "score": 0.8, "voice": "own"},
    ]
    agg = aggregate([result(1, score=-0.3, evidence=evidence) | {"title": "Headline"}])
    outlet = agg.outlets["wire"]
    (critical,) = outlet.critical.items()
    (supportive,) = outlet.supportive.items()
    assert (
        critical["text"] == "They condemned it." and critical["voice"] == "quoted" and critical["title"] == "Headline"
    )
    assert critical["article_label"] == "critical" and critical["article_score"] == -0.3
    assert supportive["text"] == "Peace is near." and outlet.voices == {"quoted": 1, "own": 2}


def test_memory_is_bounded_by_settings_not_records(result):
    """20,000 records of one outlet: the sample holds sample_size scores and the heaps k sentences."""
    agg = aggregate(
        [result(i, score=(i % 21 - 10) / 10, date=f"2025-{i % 12 + 1:02d}-01") for i in range(20_000)],
        sample_size=100,
        evidence=2,
    )
    wire = agg.outlets["wire"]
    assert wire.records == 20_000 and len(wire.sample.values) == 100 and wire.sample.seen == wire.scores.n
    assert len(wire.critical.items()) == 2 and len(wire.supportive.items()) == 2
    assert len(agg.periods) == 12


def test_distinct_topic_labels_are_capped(result, monkeypatch):
    import nlp.report.aggregate as aggregate_module

    monkeypatch.setattr(aggregate_module, "MAX_TOPICS", 2)
    agg = aggregate([result(i, topic=f"t{i}") for i in range(4)])
    assert sorted(agg.topics) == ["(other topics)", "t0", "t1"] and agg.quality.counts["topic_pooled"] == 2
