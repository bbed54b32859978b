"""The report's plots: drawn when there is data for them, left out (not drawn empty) when there is none."""

from __future__ import annotations

from nlp.report.aggregate import Aggregates
from nlp.report.plots import PLOTS, write_plots
from nlp.report.tables import build_tables
from nlp.schema import ReportConfig


def tables_of(records: list[dict]) -> dict:
    aggregates = Aggregates(ReportConfig(), (-0.25, 0.25))
    for line, record in enumerate(records, 1):
        aggregates.add(line, record)
    return build_tables(aggregates, ["security", "diplomacy", "sanctions"])


def test_every_plot_is_written_as_a_png(result, tmp_path):
    records = [result(i, date=f"2025-{i % 4 + 1:02d}-0{i % 9 + 1}", score=(i % 5 - 2) / 2) for i in range(40)]
    assert write_plots(tables_of(records), tmp_path, (-0.25, 0.25)) == list(PLOTS)
    for name in PLOTS:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_undated_results_give_no_time_plots_and_unscored_no_stance_plots(result, tmp_path):
    undated = [result(i, date=...) for i in range(5)]
    assert write_plots(tables_of(undated), tmp_path, (-0.25, 0.25)) == ["outlet_stance.png", "topic_stance.png"]
    unscored = [result(i, score=None) for i in range(5)]
    (tmp_path / "unscored").mkdir()
    assert write_plots(tables_of(unscored), tmp_path / "unscored", (-0.25, 0.25)) == ["topic_share.png"]
