"""Report tables: bootstrap intervals that stay honest with a bounded sample, filled periods, the long table."""

from __future__ import annotations

import random
import statistics

import numpy as np

from nlp.report.aggregate import Aggregates
from nlp.report.tables import LONG_COLUMNS, bootstrap_interval, build_tables, long_rows
from nlp.schema import ReportConfig


def test_bootstrap_interval_brackets_the_mean_and_is_none_under_two():
    rng = np.random.default_rng(0)
    draw = random.Random(1)
    scores = [draw.uniform(-1, 1) for _ in range(200)]
    mean = statistics.mean(scores)
    low, high = bootstrap_interval(scores, len(scores), mean, 1000, 0.95, rng)
    assert low < mean < high
    sd_of_mean = statistics.stdev(scores) / len(scores) ** 0.5
    assert abs((high - low) - 2 * 1.96 * sd_of_mean) < 0.2 * (high - low)  # close to the normal interval
    assert bootstrap_interval([0.5], 1, 0.5, 1000, 0.95, rng) == (None, None)


def test_bootstrap_from_a_sample_of_m_is_rescaled_to_all_n():
    """The same 400 kept scores standing for 40,000: the interval is sqrt(400 / 40,000) = 1/10 as wide."""
    draw = random.Random(2)
    scores = [draw.uniform(-1, 1) for _ in range(400)]
    mean = statistics.mean(scores)
    low_m, high_m = bootstrap_interval(scores, 400, mean, 1000, 0.95, np.random.default_rng(0))
    low_n, high_n = bootstrap_interval(scores, 40_000, mean, 1000, 0.95, np.random.default_rng(0))
    assert abs((high_n - low_n) / (high_m - low_m) - 0.1) < 1e-9
    assert low_n < mean < high_n


def tables_of(records: list[dict], **settings) -> dict:
    aggregates = Aggregates(ReportConfig(**settings), (-0.25, 0.25))
    for line, record in enumerate(records, 1):
        aggregates.add(line, record)
    return build_tables(aggregates, ["security", "diplomacy", "sanctions"])


def test_outlets_sorted_by_records_with_counts_and_intervals(result):
    records = [result(i, outlet="wire", score=-0.5 + i / 100) for i in range(20)]
    records += [result(100 + i, outlet="kcna", score=0.9) for i in range(5)]
    tables = tables_of(records)
    wire, kcna = tables["outlets"]
    assert (wire["outlet"], wire["records"], wire["scored"]) == ("wire", 20, 20)
    assert wire["ci_low"] < wire["mean"] < wire["ci_high"]
    assert kcna["outlet"] == "kcna" and abs(kcna["mean"] - 0.9) < 1e-12 and kcna["ci_low"] == kcna["ci_high"]


def test_empty_periods_between_dates_are_filled_with_zero(result):
    tables = tables_of([result(1, date="2025-01-10"), result(2, date="2025-04-02")])
    assert [p["period"] for p in tables["periods"]] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert [p["records"] for p in tables["periods"]] == [1, 0, 0, 1]


def test_a_stray_date_far_away_is_not_filled_period_by_period(result):
    tables = tables_of([result(1, date="1900-01-01"), result(2, date="2025-04-02")], period="week")
    assert [p["period"] for p in tables["periods"]] == ["1900-W01", "2025-W14"]


def test_topic_order_follows_the_config_then_others(result):
    tables = tables_of([result(1, topic="sanctions"), result(2, topic="zzz"), result(3, topic="security")])
    assert tables["topic_order"] == ["security", "sanctions", "zzz"]


def test_long_rows_have_one_schema_and_cover_every_table(result):
    records = [result(i, outlet=["wire", "kcna"][i % 2], topic=["security", "diplomacy"][i % 3 % 2]) for i in range(12)]
    rows = long_rows(tables_of(records + [result(99, outlet=...)]))
    assert all(list(row) == list(LONG_COLUMNS) for row in rows)
    kinds = {row["table"] for row in rows}
    assert kinds == {
        "topic_share",
        "stance_over_time",
        "outlet_stance",
        "outlet_label",
        "topic_stance",
        "topic_label",
        "data_quality",
    }
    share = [r for r in rows if r["table"] == "topic_share"]
    assert abs(sum(r["value"] for r in share) - 1.0) < 1e-9  # one period: the shares add up to 1
    (missing,) = [r for r in rows if r["table"] == "data_quality"]
    assert (missing["label"], missing["count"], missing["total"]) == ("outlet_missing", 1, 13)
