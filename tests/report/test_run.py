"""`nlp report` end to end: one pass over the results, every file written, every odd line counted."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess

import pytest

from helpers import NLP, REPO
from nlp.config import load_config
from nlp.errors import ConfigError, InputError, OutputError
from nlp.report.run import run_report

FIXTURE = REPO / "data/examples/report_fixture.jsonl"
PLOTS = {"topic_share.png", "outlet_stance.png", "topic_stance.png", "stance_over_time.png"}


def test_report_writes_plots_page_tables_and_summary(result, write_results, tmp_path):
    records = [result(i, outlet=["wire", "kcna", "us_paper"][i % 3], date=f"2025-0{i % 6 + 1}-15") for i in range(30)]
    path = write_results(records)
    summary = run_report(load_config(), str(path), str(tmp_path / "out"))
    out = tmp_path / "out"
    expected = PLOTS | {"report.html", "report.md", "aggregates.csv", "summary.json"}
    pytest.importorskip("pyarrow")
    assert set(summary["files"]) == expected | {"aggregates.parquet"}
    assert {p.name for p in out.iterdir()} == set(summary["files"])
    assert json.loads((out / "summary.json").read_text()) == summary
    assert (summary["records"], summary["outlets"], summary["periods"]) == (30, 3, 6)
    import pyarrow.parquet as pq

    with (out / "aggregates.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == pq.read_table(out / "aggregates.parquet").num_rows


def test_lines_that_are_not_records_are_counted_by_kind(result, write_results, tmp_path):
    lines = [result(1), "{not json", "[1, 2]", "", result(2), "\xff"]
    path = write_results(lines)
    path.write_bytes(path.read_bytes().replace("\xff".encode(), b"\xff"))  # a line that is not UTF-8
    big = json.dumps(result(3) | {"padding": "x" * 5000})
    with path.open("a") as handle:
        handle.write(big + "\n")
        handle.write(json.dumps(result(4)) + "\n")
    summary = run_report(load_config(overrides=["report.max_line_bytes=2048"]), str(path), str(tmp_path / "out"))
    quality = summary["quality"]
    assert summary["records"] == 3 and summary["lines"] == 7  # the blank line is not counted
    assert quality["invalid_json"]["count"] == 2 and quality["invalid_json"]["first_lines"] == [2, 6]
    assert quality["not_an_object"]["first_lines"] == [3] and quality["line_too_long"]["first_lines"] == [7]


def test_default_folder_is_beside_the_input_and_gzip_works(result, tmp_path):
    path = tmp_path / "run1.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps(result(1)) + "\n")
    summary = run_report(load_config(), str(path))
    assert summary["output_dir"] == str(tmp_path / "run1.report")
    assert (tmp_path / "run1.report" / "report.html").is_file()


def test_no_records_is_an_input_error_naming_what_was_found(write_results):
    path = write_results(["{bad", "[]"])
    with pytest.raises(InputError, match=r"no result records \(invalid_json: 1, not_an_object: 1\)"):
        run_report(load_config(), str(path), None)


def test_stdin_needs_an_output_folder():
    with pytest.raises(OutputError, match="`output_dir`"):
        run_report(load_config(), "-", None)


def test_an_output_that_is_a_file_is_refused(result, write_results, tmp_path):
    path = write_results([result(1)])
    (tmp_path / "taken").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        run_report(load_config(), str(path), str(tmp_path / "taken"))


def test_html_page_is_self_contained_and_escapes_text(result, write_results, tmp_path):
    evidence = [{"text": "<script>alert(1)</script> condemned", "start": 0, "end": 9, "score": -0.9, "voice": "quoted"}]
    path = write_results([result(1, outlet="<b>odd</b>", evidence=evidence)])
    run_report(load_config(), str(path), str(tmp_path / "out"))
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;odd&lt;/b&gt;" in page
    assert page.count('src="data:image/png;base64,') == 4 and "http" not in page
    assert '<span class="voice quoted">quoted</span>' in page


def test_the_committed_fixture_reports_its_planted_problems(tmp_path):
    """data/examples/report_fixture.jsonl (scripts/make_report_fixture.py) has damaged outlets and dates on purpose."""
    summary = run_report(load_config(), str(FIXTURE), str(tmp_path / "out"))
    counts = {kind: problem["count"] for kind, problem in summary["quality"].items()}
    assert counts == {
        "outlet_missing": 6,
        "outlet_empty": 2,
        "outlet_not_a_string": 1,
        "date_missing": 8,
        "date_malformed": 7,
    }
    assert summary["records"] == 348 and summary["first_date"] >= "2024-01-01" and summary["last_date"] <= "2026-06-30"


def test_cli_report_exit_codes(result, write_results, tmp_path):
    path = write_results([result(1)])
    done = subprocess.run(
        [*NLP, "report", "--input", str(path), "--output", str(tmp_path / "o")], capture_output=True, text=True
    )
    assert done.returncode == 0 and "report: 1 records, 1 outlets" in done.stderr
    missing = subprocess.run([*NLP, "report", "--input", str(tmp_path / "none.jsonl")], capture_output=True, text=True)
    assert missing.returncode == 3 and "--input" in missing.stderr and "Traceback" not in missing.stderr
    bad = subprocess.run([*NLP, "report", "--input", str(path), "report.period=year"], capture_output=True, text=True)
    assert bad.returncode == 2 and "report.period" in bad.stderr


def test_missing_matplotlib_is_a_config_error_with_the_install_line(result, write_results, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "matplotlib" else real(name))
    with pytest.raises(ConfigError, match=r'needs matplotlib, which is not installed; .*pip install ".*\[report\]"'):
        run_report(load_config(), str(write_results([result(1)])), None)
