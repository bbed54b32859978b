"""The report's page and Markdown: what the analyst reads first, the data quality, evidence with its voice."""

from __future__ import annotations

from nlp.report.aggregate import Aggregates
from nlp.report.page import render_html, render_markdown
from nlp.report.sections import glance, report_blocks
from nlp.report.tables import build_tables
from nlp.schema import ReportConfig


def tables_of(records: list[dict]) -> dict:
    aggregates = Aggregates(ReportConfig(), (-0.25, 0.25))
    for line, record in enumerate(records, 1):
        aggregates.add(line, record)
    return build_tables(aggregates, ["security", "diplomacy", "sanctions"])


def corpus(result) -> list[dict]:
    records = [result(i, outlet="us_paper", score=-0.6) for i in range(4)]
    records += [result(10 + i, outlet="kcna", score=0.9, topic="diplomacy") for i in range(4)]
    records += [result(20 + i, outlet="wire", score=0.0) for i in range(4)]
    records += [result(30 + i, outlet="broadcaster", score=-0.1) for i in range(4)]
    return records + [result(40, outlet=..., date="soon")]


def test_glance_names_the_ends_of_the_outlet_scale_and_what_was_left_out(result):
    notes = glance(tables_of(corpus(result)))
    assert notes[0].startswith("Primary topics: security 76%, diplomacy 24%")
    assert "Most critical outlets by mean stance: us_paper -0.60 (n=4), broadcaster -0.10 (n=4)" in notes[1]
    assert "most supportive: kcna +0.90 (n=4), wire +0.00 (n=4)" in notes[1]
    assert "1 records without a usable date" in notes[2] and "1 without an outlet" in notes[2]


def test_markdown_has_the_quality_table_and_evidence_with_voice(result):
    records = corpus(result)
    records[0]["stance"]["evidence"][0]["voice"] = "own"
    md = render_markdown(report_blocks(tables_of(records), ["outlet_stance.png"], "in.jsonl"))
    assert "| date_malformed | 1 |" in md and "| outlet_missing | 1 |" in md
    assert "![outlet stance](outlet_stance.png)" in md and "topic_share.png" not in md
    assert "- -0.60 [own]: sentence 0 (r0 · 2025-03-04 · article: critical -0.60)" in md


def test_html_folds_the_period_table_and_lists_outlets_without_evidence_nowhere(result):
    records = corpus(result)
    page = render_html(report_blocks(tables_of(records), [], "in.jsonl"), {})
    assert "<details><summary>the numbers per period</summary><table>" in page
    assert '<h3>us_paper <span class="src">4 records</span></h3>' in page
    assert "<h3>wire" not in page  # its sentences are all inside the neutral band


def test_glance_suggests_a_coarser_period_when_most_periods_are_too_thin(result):
    records = [result(i, date=f"2025-{i % 12 + 1:02d}-10") for i in range(24)]  # 2 per month and topic
    assert any("`report.period=quarter` pools more" in note for note in glance(tables_of(records)))
    records = [result(i, date="2025-03-10") for i in range(24)]
    assert not any("pools more" in note for note in glance(tables_of(records)))
