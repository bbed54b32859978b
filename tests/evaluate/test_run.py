"""`nlp evaluate` end to end on the offline default: metrics recomputed by hand from the written
predictions, the files it writes, and the validation that refuses a bad file before any model runs."""

from __future__ import annotations

import base64
import gzip
import json
import sys
from pathlib import Path

import pytest
from rouge_score.rouge_scorer import RougeScorer

from helpers import FakeTerminal
from nlp.cli import main
from nlp.config import load_config
from nlp.errors import ConfigError, InputError
from nlp.evaluate.run import default_output_dir, run_evaluate

PNG = b"\x89PNG\r\n\x1a\n"
SEC = (
    "North Korea fired two ballistic missiles into the sea on Tuesday. Seoul condemned the launch as a grave "
    "provocation. Tokyo lodged a protest. The UN Security Council will meet on Friday."
)
LABELED = [
    {
        "id": "sec-1",
        "text": SEC,
        "topics": ["security"],
        "stance": -0.5,
        "summary": "North Korea fired two missiles; Seoul and Tokyo protested.",
    },
    {
        "id": "dip-1",
        "text": "Envoys from Washington and Pyongyang met in Singapore for talks on resuming nuclear "
        "negotiations. Both delegations described the meeting as constructive. A second round is planned next month.",
        "topics": ["diplomacy"],
        "stance": 0,
        "summary": "US and North Korean envoys held constructive talks.",
    },
    {
        "id": "san-1",
        "text": "The U.S. Treasury sanctioned three shipping firms for moving oil to North Korea in breach "
        "of UN limits. Officials said the network used ship-to-ship transfers.",
        "topics": ["sanctions", "security"],
        "stance": -0.5,
    },
    {
        "id": "kcna-1",
        "text": "KCNA said the heroic Korean People's Army stands ready to defend the sovereignty of "
        "the DPRK. It praised the wise leadership of Kim Jong Un.",
        "topics": "security",
        "stance": "supportive",
    },
    {
        "id": "other-1",
        "text": "Seoul and Tokyo agreed on new fishing quotas after talks in Busan. The deal covers three years.",
        "topics": ["diplomacy"],
        "stance": 0,
    },
    {
        "id": "aid-1",
        "text": "Aid agencies said sanctions on North Korea delayed medicine shipments to rural hospitals.",
        "topics": ["sanctions"],
    },
]


def write_jsonl(path: Path, items: list) -> Path:
    body = "".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in items)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(body.encode()))
    else:
        path.write_text(body)
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def stance_class(score: float | str, cuts: list[float]) -> str:
    if isinstance(score, str):
        return score
    return "critical" if score < cuts[0] else "supportive" if score > cuts[1] else "neutral"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> tuple[dict, Path]:
    folder = tmp_path_factory.mktemp("evaluate")
    source = write_jsonl(folder / "labeled.jsonl", LABELED)
    result = run_evaluate(load_config(None, ["runtime.device=cpu"]), str(source), str(folder / "out"))
    return result, folder / "out"


def test_evaluate_writes_every_file_and_predictions_in_input_order(evaluated):
    result, out = evaluated
    assert result["records"] == 6
    assert result["metrics_file"] == str(out / "metrics.json") and result["report_file"] == str(out / "report.md")
    rows = read_jsonl(out / "predictions.jsonl")
    assert [row["id"] for row in rows] == [item["id"] for item in LABELED]
    assert [row["line"] for row in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[3]["gold"] == {"topics": ["security"], "stance": "supportive", "summary": None}
    for name in ("confusion_matrix.png", "per_class_f1.png", "stance_scatter.png", "rouge.png"):
        assert (out / name).read_bytes()[:8] == PNG, name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics == result["metrics"]
    assert metrics["models"]["topic"]["model"] == "embedded" and metrics["not_scored"] == {}


def test_topic_metrics_equal_a_recomputation_from_the_predictions(evaluated):
    _, out = evaluated
    rows, topic = read_jsonl(out / "predictions.jsonl"), json.loads((out / "metrics.json").read_text())["topic"]
    gold = [row["gold"]["topics"][0] for row in rows]
    predicted = [row["predicted"]["topic"]["label"] for row in rows]
    labels = ["security", "diplomacy", "sanctions"]
    assert topic["n"] == 6
    assert topic["accuracy"] == pytest.approx(sum(g == p for g, p in zip(gold, predicted)) / 6)
    assert topic["confusion"] == {
        "labels": labels,
        "matrix": [[sum(g == a and p == b for g, p in zip(gold, predicted)) for b in labels] for a in labels],
    }
    assert {label: topic["per_class"][label]["support"] for label in labels} == {
        "security": 2,
        "diplomacy": 2,
        "sanctions": 2,
    }
    exact = [set(row["gold"]["topics"]) == set(row["predicted"]["topic"]["labels"]) for row in rows]
    assert topic["multilabel"]["exact_match"] == pytest.approx(sum(exact) / 6)  # san-1 has two gold topics


def test_stance_metrics_equal_a_recomputation_and_abstentions_are_counted(evaluated):
    _, out = evaluated
    rows, stance = read_jsonl(out / "predictions.jsonl"), json.loads((out / "metrics.json").read_text())["stance"]
    by_id = {row["id"]: row for row in rows}
    assert by_id["other-1"]["predicted"]["stance"]["score"] is None  # never names North Korea
    assert (stance["gold"], stance["scored"], stance["abstained"]) == (5, 4, 1)
    numeric = [
        (by_id[i]["gold"]["stance"], by_id[i]["predicted"]["stance"]["score"]) for i in ("sec-1", "dip-1", "san-1")
    ]
    assert stance["score"]["n"] == 3
    assert stance["score"]["mae"] == pytest.approx(sum(abs(g - p) for g, p in numeric) / 3)
    scored = [
        (row["gold"]["stance"], row["predicted"]["stance"]["score"])
        for row in rows
        if row["gold"]["stance"] is not None and row["predicted"]["stance"]["score"] is not None
    ]
    cuts = stance["cut_points"]
    hits = [stance_class(g, cuts) == stance_class(p, cuts) for g, p in scored]
    assert stance["class"]["n"] == 4
    assert stance["class"]["accuracy"] == pytest.approx(sum(hits) / 4)


def test_rouge_rows_for_the_model_and_the_lead_3_baseline(evaluated):
    _, out = evaluated
    rows, summary = read_jsonl(out / "predictions.jsonl"), json.loads((out / "metrics.json").read_text())["summary"]
    assert rows[0]["predicted"]["lead-3"] == SEC.rsplit(" The UN", 1)[0]  # the first three sentences
    referenced = [row for row in rows if row["gold"]["summary"]]
    scorer = RougeScorer(["rouge1"], use_stemmer=True)
    for system, key in (("model", "summary"), ("lead-3", "lead-3")):
        by_hand = [scorer.score(row["gold"]["summary"], row["predicted"][key])["rouge1"].fmeasure for row in referenced]
        assert summary[system]["rouge1"] == pytest.approx(sum(by_hand) / len(by_hand))
    assert summary["n"] == 2 and summary["method"] == "extractive"


def test_lead_and_oracle_are_scored_at_the_model_summary_length(evaluated):
    _, out = evaluated
    summary = json.loads((out / "metrics.json").read_text())["summary"]
    assert set(summary["words"]) == {"model", "lead-3", "lead-words", "oracle"} <= set(summary)
    assert summary["words"]["lead-words"] == summary["words"]["model"]  # the articles are longer than the summaries
    assert summary["words"]["oracle"] <= summary["words"]["model"]
    assert summary["oracle"]["rouge1"] >= summary["lead-words"]["rouge1"] - 1e-9
    report = (out / "report.md").read_text()
    assert "| lead, same words |" in report and "| oracle, same words |" in report


def test_an_abstractive_model_is_scored_in_the_same_table(tmp_path, tiny_bart):
    source = write_jsonl(tmp_path / "labeled.jsonl", LABELED[:2])
    config = load_config(
        None, ["runtime.device=cpu", f"summarizer.model={tiny_bart}", "topic.enabled=false", "stance.enabled=false"]
    )
    summary = run_evaluate(config, str(source), str(tmp_path / "out"))["metrics"]["summary"]
    assert summary["method"] == "abstractive" and {"model", "lead-3", "lead-words", "oracle"} <= set(summary)
    assert summary["words"]["lead-words"] == summary["words"]["model"]
    assert "| model (abstractive) |" in (tmp_path / "out" / "report.md").read_text()


def test_titles_reach_the_documents(tmp_path, monkeypatch):
    import nlp.tasks.analyze as analyze

    seen = []
    original = analyze.prepare
    monkeypatch.setattr(
        analyze, "prepare", lambda text, title=None, **kw: seen.append(title) or original(text, title, **kw)
    )
    items = [dict(LABELED[0], title="Missiles fired"), dict(LABELED[1], title=None), LABELED[5] | {"summary": "Aid."}]
    source = write_jsonl(tmp_path / "titled.jsonl", items)
    config = load_config(None, ["runtime.device=cpu", "topic.enabled=false", "stance.enabled=false"])
    run_evaluate(config, str(source), str(tmp_path / "out"))
    assert seen == ["Missiles fired", None, None]
    bad = write_jsonl(tmp_path / "bad.jsonl", [dict(LABELED[0], title=3)])
    with pytest.raises(InputError, match="title is not a string"):
        run_evaluate(config, str(bad), str(tmp_path / "out2"))


def test_markdown_report_has_the_tables_the_lead_3_row_and_relative_images(evaluated):
    _, out = evaluated
    report = (out / "report.md").read_text()
    assert "| lead-3 baseline |" in report and "| model (extractive) |" in report
    assert "## Topic" in report and "## Stance" in report and "1 abstained" in report
    for name in ("confusion_matrix.png", "per_class_f1.png", "stance_scatter.png", "rouge.png"):
        assert f"]({name})" in report


def test_html_report_gzip_input_and_default_folder_with_only_topic_labels(tmp_path):
    source = write_jsonl(
        tmp_path / "labeled.jsonl.gz", [{"text": i["text"], "topics": i["topics"]} for i in LABELED[:3]]
    )
    out = tmp_path / "labeled.evaluation"
    out.mkdir()
    (out / "rouge.png").write_bytes(PNG)  # left by an earlier run: must not survive into this report
    (out / "report.md").write_text("old")
    result = run_evaluate(load_config(None, ["evaluate.report=html", "runtime.device=cpu"]), str(source), None)
    assert result["report_file"] == str(out / "report.html")
    assert sorted(p.name for p in out.iterdir()) == [
        "confusion_matrix.png",
        "coverage.png",
        "metrics.json",
        "per_class_f1.png",
        "predictions.jsonl",
        "reliability.png",
        "report.html",
    ]
    page = (out / "report.html").read_text()
    plots = sorted(path.name for path in out.glob("*.png"))
    assert page.startswith("<!DOCTYPE html>") and page.count('<img src="data:image/png;base64,') == len(plots)
    embedded = base64.b64encode((out / "confusion_matrix.png").read_bytes()).decode()
    assert embedded in page and 'src="confusion_matrix.png"' not in page  # one self-contained page
    assert result["metrics"]["not_scored"] == {
        "summarizer": "no gold labels in the file",
        "stance": "no gold labels in the file",
    }
    assert set(result["metrics"]) >= {"topic"} and "stance" not in result["metrics"]
    assert [row["id"] for row in read_jsonl(out / "predictions.jsonl")] == [1, 2, 3]  # line numbers as ids
    assert all(set(row["predicted"]) == {"topic"} for row in read_jsonl(out / "predictions.jsonl"))


def test_a_bad_file_is_refused_whole_with_counts_and_line_numbers_and_nothing_written(tmp_path):
    source = write_jsonl(
        tmp_path / "labeled.jsonl",
        [
            LABELED[0],
            '{"id": "x", "text": ',
            {"id": "b", "text": "   ", "topics": "security"},
            {"id": "c", "text": "North Korea held a parade.", "topics": ["weather"]},
            {"id": "d", "text": "North Korea held a parade.", "stance": 2},
            {"id": "e", "text": "North Korea held a parade.", "topics": "sports", "stance": "angry"},
            "[1, 2]",
        ],
    )
    with pytest.raises(InputError) as caught:
        run_evaluate(load_config(), str(source), None)
    message = str(caught.value)
    assert message.startswith(
        f"{source}: 7 problems, nothing evaluated: invalid JSON (1 row: line 2); empty text (1 row: line 3); "
        "unknown topic label (2 rows: lines 4, 6; known: security, diplomacy, sanctions); "
        "stance out of range (1 row: line 5; "
    )
    assert "unknown stance name (1 row: line 6; " in message and "not a JSON object (1 row: line 7)" in message
    assert message.endswith("; fix them and rerun")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labeled.jsonl"]


def test_problem_lines_are_capped_and_a_file_without_gold_labels_is_refused(tmp_path):
    empty = write_jsonl(tmp_path / "empty.jsonl", [{"text": ""}] * 7)
    with pytest.raises(
        InputError, match=r": 7 problems, nothing evaluated: empty text \(7 rows: lines 1, 2, 3, 4, 5, \.\.\.\)"
    ):
        run_evaluate(load_config(), str(empty), None)
    unlabeled = write_jsonl(tmp_path / "unlabeled.jsonl", [{"text": "North Korea held a parade."}])
    with pytest.raises(InputError, match='nothing to evaluate: .*"topics", "stance", "summary"'):
        run_evaluate(load_config(), str(unlabeled), None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jsonl", "unlabeled.jsonl"]


def test_missing_eval_packages_name_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rouge_score", None)  # makes `import rouge_score` fail
    with pytest.raises(
        ConfigError, match=r'needs rouge-score, which is not installed; install the eval extra: pip install ".*\[eval'
    ):
        run_evaluate(load_config(), str(tmp_path / "any.jsonl"), None)


@pytest.mark.parametrize(
    "given, expected",
    [("data/x.jsonl", "data/x.evaluation"), ("x.jsonl.gz", "x.evaluation"), ("x.csv", "x.csv.evaluation")],
)
def test_default_output_folder_sits_beside_the_input(given, expected):
    assert default_output_dir(given) == Path(expected)


def test_cli_evaluate_exit_codes(tmp_path, capsys):
    good = write_jsonl(tmp_path / "good.jsonl", [{"text": i["text"], "topics": i["topics"]} for i in LABELED[:2]])
    assert main(["evaluate", "--input", str(good), "--output", str(tmp_path / "out"), "runtime.device=cpu"]) == 0
    assert "evaluate: 2 records" in capsys.readouterr().err
    assert (tmp_path / "out" / "report.md").is_file()
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"text": "North Korea.", "topics": "weather"}])
    assert main(["evaluate", "--input", str(bad), "--output", str(tmp_path / "bad-out")]) == 3
    err = capsys.readouterr().err
    assert "unknown topic label (1 row: line 1; known: security, diplomacy, sanctions)" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "bad-out").exists()


class StubAnalyzer:
    def __init__(self, config):
        pass

    def analyze(self, texts, ids=None, titles=None):
        return [{"id": i} for i in ids]


@pytest.mark.parametrize("progress", [True, False])
def test_predictions_show_a_bar_of_records_unless_switched_off(monkeypatch, progress):
    import nlp.tasks.analyze
    from nlp.evaluate.run import Labeled, predict

    monkeypatch.setattr(nlp.tasks.analyze, "Analyzer", StubAnalyzer)
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    items = [Labeled(n, n, "North Korea fired.", ["security"], None, None) for n in range(1, 41)]
    assert len(predict(load_config(None, [f"evaluate.progress={str(progress).lower()}"]), items)) == 40
    if progress:
        assert "evaluate" in terminal.text and "40/40" in terminal.text.split("\r")[-1]
    else:
        assert terminal.text == ""
