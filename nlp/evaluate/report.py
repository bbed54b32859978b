"""What `nlp evaluate` writes: metrics.json, predictions.jsonl, PNG plots and a Markdown or HTML report.

The plots are drawn by `nlp.evaluate.plots` and written beside the report. The HTML report is one
self-contained file (the plots embedded as data URIs); the Markdown one refers to them by relative path.
"""

from __future__ import annotations

import json
from pathlib import Path

from nlp.errors import OutputError
from nlp.evaluate.plots import PLOTS, number, summary_systems, write_plots
from nlp.evaluate.trust import TRUST_DEFINITIONS, provenance_blocks, trust_blocks
from nlp.jsonl import dumps
from nlp.metrics import lead
from nlp.pages import data_uri, html_page, markdown

REPORTS = {"markdown": "report.md", "html": "report.html"}
DEFINITIONS = [
    "accuracy: share of records whose predicted label equals the gold label (topic: the primary label, "
    "the first gold label against `topic.label`).",
    "precision / recall / F1 per class: TP / (TP + FP), TP / (TP + FN), their harmonic mean; 0 where undefined.",
    "macro-F1: the unweighted mean of the per-class F1 over all configured labels (a label never seen counts 0).",
    "multi-label (when a record has several gold topics): macro- and micro-F1 of the gold topic sets against "
    "`topic.labels`, and exact match, the share of records whose predicted set equals the gold set.",
    "stance MAE: mean |predicted score - gold score| over records with a numeric gold score and a prediction; "
    "Spearman / Pearson: rank / linear correlation of the same pairs (n/a under 2 pairs or a constant side).",
    "stance 3-class: gold and predicted scores mapped to critical / neutral / supportive with `stance.cut_points`; "
    "abstained: records with a gold stance that the model called `not_about_target` (left out of the scores).",
    "ROUGE-1/2/L: mean F-measure of unigram / bigram / longest-common-subsequence overlap with the reference "
    "(rouge-score: lowercase, alphanumeric tokens, Porter stems); lead-3, the first three sentences, is the baseline; "
    "lead (same words): the body's first words (headline and furniture out) cut to each model summary's word count; "
    "oracle (same words): the best extractive pick for the reference at that length (greedy on ROUGE-1 + ROUGE-2).",
]


def write_outputs(metrics: dict, rows: list[dict], out: Path, report_format: str) -> dict[str, Path]:
    """Write every output file into `out` (created if needed); returns their paths by kind."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"`output_dir` {out}: cannot create the folder ({exc.strerror or exc}); give a writable folder path"
        ) from None
    metrics_file, predictions_file = out / "metrics.json", out / "predictions.jsonl"
    metrics_file.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    predictions_file.write_text("".join(dumps(row) for row in rows), encoding="utf-8")
    images = write_plots(metrics, rows, out)
    report = out / REPORTS[report_format]
    for stale in [*PLOTS, *REPORTS.values()]:  # left by an earlier run on other data or settings
        if stale not in images and out / stale != report:
            (out / stale).unlink(missing_ok=True)
    blocks = report_blocks(metrics, images)
    text = render_html(blocks, out) if report_format == "html" else markdown(blocks)
    report.write_text(text, encoding="utf-8")
    return {
        "metrics": metrics_file,
        "predictions": predictions_file,
        "report": report,
        **{name: out / name for name in images},
    }


def prediction_rows(items: list, predictions: list[dict]) -> list[dict]:
    """One predictions.jsonl line per record: id, line, gold and predicted values side by side."""
    rows = []
    for item, record in zip(items, predictions):
        predicted: dict = {}
        if "topic" in record:
            predicted["topic"] = {"label": record["topic"]["label"], "labels": record["topic"]["labels"]}
            predicted["topic"]["confidence"] = record["topic"].get("confidence")
        if "stance" in record:
            predicted["stance"] = {"score": record["stance"]["score"], "label": record["stance"]["label"]}
            predicted["stance"]["confidence"] = record["stance"]["confidence"]
        if "summary" in record:
            predicted["summary"] = record["summary"]["text"]
            predicted["lead-3"] = lead(item.text, 3)
        gold = {"topics": item.topics, "stance": item.stance, "summary": item.summary}
        rows.append({"id": item.id, "line": item.line, "gold": gold, "predicted": predicted})
    return rows


# ---------------------------------------------------------------------------------------------
# Report: a list of blocks, rendered as Markdown or HTML


def classification_blocks(result: dict) -> list[tuple]:
    """Summary, per-class and confusion tables of one classification result."""
    labels = result["confusion"]["labels"]
    per_class = [
        [
            label,
            *(number(result["per_class"][label][k]) for k in ("precision", "recall", "f1")),
            str(result["per_class"][label]["support"]),
        ]
        for label in labels
    ]
    confusion = [[label, *map(str, row)] for label, row in zip(labels, result["confusion"]["matrix"])]
    return [
        (
            "table",
            ["metric", "value"],
            [
                ["accuracy", number(result["accuracy"])],
                ["macro-F1", number(result["macro_f1"])],
                ["n", str(result["n"])],
            ],
        ),
        ("table", ["class", "precision", "recall", "F1", "support"], per_class),
        ("p", "Confusion matrix (rows: gold, columns: predicted):"),
        ("table", ["gold \\ predicted", *labels], confusion),
    ]


def report_blocks(metrics: dict, images: list[str]) -> list[tuple]:
    """The report as (kind, ...) blocks: h1, h2, p, table, img, list; rendered to Markdown or HTML."""
    blocks: list[tuple] = [
        ("h1", "Evaluation report"),
        ("p", f"Input `{metrics['input']}`: {metrics['records']} records."),
        (
            "table",
            ["task", "model", "revision", "backend"],
            [[task, m["model"], m["revision"] or "-", m.get("backend", "-")] for task, m in metrics["models"].items()],
        ),
    ]
    blocks += [("p", f"Not scored: {task} ({why}).") for task, why in metrics["not_scored"].items()]
    if "topic" in metrics:
        blocks += [("h2", "Topic"), *classification_blocks(metrics["topic"])]
        if "multilabel" in metrics["topic"]:
            multi = metrics["topic"]["multilabel"]
            blocks.append(
                (
                    "table",
                    ["multi-label", "value"],
                    [
                        ["macro-F1", number(multi["macro_f1"])],
                        ["micro-F1", number(multi["micro_f1"])],
                        ["exact match", number(multi["exact_match"])],
                    ],
                )
            )
    if "stance" in metrics:
        stance = metrics["stance"]
        blocks += [
            ("h2", "Stance"),
            (
                "p",
                f"{stance['gold']} records with a gold stance: {stance['scored']} "
                f"scored, {stance['abstained']} abstained (`not_about_target`, not scored).",
            ),
        ]
        if "score" in stance:
            score = stance["score"]
            blocks.append(
                (
                    "table",
                    ["score metric", "value"],
                    [
                        ["MAE", number(score["mae"])],
                        ["Spearman", number(score["spearman"])],
                        ["Pearson", number(score["pearson"])],
                        ["n", str(score["n"])],
                    ],
                )
            )
        if "class" in stance:
            blocks += [
                ("p", f"3 classes by cut points {stance['cut_points']}:"),
                *classification_blocks(stance["class"]),
            ]
    if "summary" in metrics:
        summary = metrics["summary"]
        blocks += [
            ("h2", "Summaries"),
            ("p", f"ROUGE F-measures against {summary['n']} reference summaries."),
            (
                "table",
                ["system", "ROUGE-1", "ROUGE-2", "ROUGE-L", "words"],
                [
                    [
                        name,
                        *(number(summary[key][k]) for k in ("rouge1", "rouge2", "rougeL")),
                        f"{summary['words'][key]:.1f}" if key in summary.get("words", {}) else "n/a",
                    ]
                    for key, name in summary_systems(summary).items()
                ],
            ),
        ]
    blocks += trust_blocks(metrics, number) + provenance_blocks(metrics)
    if images:
        blocks += [("h2", "Plots"), *(("img", name, name.removesuffix(".png").replace("_", " ")) for name in images)]
    return [*blocks, ("h2", "Metric definitions"), ("list", DEFINITIONS + TRUST_DEFINITIONS)]


STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .6em;"
    "text-align:left}img{max-width:100%}"
)


def render_html(blocks: list[tuple], folder: Path) -> str:
    """One self-contained HTML page (inline CSS), the plots in `folder` embedded."""
    return html_page("Evaluation report", STYLE, blocks, lambda name: data_uri(folder / name))
