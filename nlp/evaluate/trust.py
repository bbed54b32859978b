"""How far `nlp evaluate`'s answers can be trusted: abstention, calibration, summary support, provenance.

- coverage against accuracy (`coverage_curve`): as the confidence threshold rises, the share of records
  answered (a label, not `uncertain`, off-topic or `not_about_target`) and how right those answers are;
- calibration (`nlp.metrics.calibration`): expected calibration error and reliability bins of the topic's
  primary-label confidence and of the stance's 3-class-label confidence;
- the share of summary sentences that the support check flags (`summary.support`).

Each answer is the model's best label whatever the threshold, so the curve also shows what a lower
`min_confidence` than the configured one would give.
"""

from __future__ import annotations

from nlp.labels import stance_label
from nlp.schema import Config

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(20))  # 0.00 .. 0.95
TRUST_DEFINITIONS = [
    "coverage at a threshold: the share of records with a gold label that get an answer - a label whose "
    "confidence is at least the threshold (never off-topic or `not_about_target`); accuracy answered: the share "
    "of those answers that are right (topic: the primary label against the first gold label; stance: the 3-class "
    "label of the score against the gold class). At the configured `min_confidence` these are what the outputs give.",
    "ECE (expected calibration error): over 10 equal-width confidence bins, the mean |accuracy - mean confidence| "
    "weighted by the bin's share of records (records with a label only); the reliability plot draws the bins.",
    "summary support: the share of summary sentences flagged `supported: false` (support score below "
    "`summarizer.support.threshold`, or a number, date or name the article does not contain).",
]

# (confidence, best label or None when the record is not answerable at any threshold, right?)
Answer = tuple[float, str | None, bool]


def best_topic(topic: dict) -> str | None:
    """The primary label a topic record stands for, also below `topic.min_confidence`: `label`, or for
    `uncertain` the first of `labels` (the best primary label comes first), or the best score when
    `labels` is empty; None for an off-topic text (`label: null`)."""
    label = topic["label"]
    if label is None:
        return None
    if label != "uncertain":
        return label
    if topic["labels"]:
        return topic["labels"][0]
    return max(topic["scores"], key=topic["scores"].get)


def topic_answers(items: list, predictions: list[dict]) -> list[Answer]:
    """Per record with a gold topic: the primary-label confidence, the best label, whether it is the
    first gold label."""
    out = []
    for item, record in zip(items, predictions):
        if item.topics:
            best = best_topic(record["topic"])
            out.append((float(record["topic"]["confidence"]), best, best == item.topics[0]))
    return out


def stance_answers(config: Config, items: list, predictions: list[dict]) -> list[Answer]:
    """Per record with a gold stance: the confidence, the 3-class label of the score (None for
    `not_about_target`), whether it is the gold class (a gold score mapped by `stance.cut_points`)."""
    cuts = config.stance.cut_points
    out = []
    for item, record in zip(items, predictions):
        if item.stance is None:
            continue
        stance = record["stance"]
        best = None if stance["score"] is None else stance_label(stance["score"], cuts)
        gold = item.stance if isinstance(item.stance, str) else stance_label(item.stance, cuts)
        out.append((float(stance["confidence"]), best, best == gold))
    return out


def coverage_point(answers: list[Answer], threshold: float) -> dict:
    """At one threshold: how many answered (a best label and confidence >= threshold), their share of all
    records, and the accuracy of those answers (None when none is answered)."""
    answered = [right for confidence, best, right in answers if best is not None and confidence >= threshold]
    return {
        "threshold": threshold,
        "answered": len(answered),
        "coverage": len(answered) / len(answers) if answers else 0.0,
        "accuracy": sum(answered) / len(answered) if answered else None,
    }


def coverage_curve(answers: list[Answer], min_confidence: float) -> dict:
    """The coverage/accuracy points over `THRESHOLDS`, and the point at the configured `min_confidence`."""
    return {
        "n": len(answers),
        "min_confidence": min_confidence,
        "at_min_confidence": coverage_point(answers, min_confidence),
        "points": [coverage_point(answers, t) for t in THRESHOLDS],
    }


def calibration_of(answers: list[Answer]) -> dict | None:
    """ECE and reliability bins over the records that have a best label; None when none has."""
    from nlp import metrics

    labeled = [(confidence, right) for confidence, best, right in answers if best is not None]
    if not labeled:
        return None
    return metrics.calibration([c for c, _ in labeled], [r for _, r in labeled])


def support_metrics(predictions: list[dict]) -> dict | None:
    """The share of summary sentences (and of summaries) that the support check flags; None when no
    record has `summary.support`."""
    checked = [r["summary"]["support"] for r in predictions if "support" in r.get("summary", {})]
    if not checked:
        return None
    sentences = [s for support in checked for s in support["sentences"]]
    flagged = sum(not s["supported"] for s in sentences)
    return {
        "method": checked[0]["method"],
        "threshold": checked[0]["threshold"],
        "summaries": len(checked),
        "sentences": len(sentences),
        "flagged": flagged,
        "flagged_share": flagged / len(sentences) if sentences else 0.0,
        "summaries_flagged_share": sum(not support["supported"] for support in checked) / len(checked),
        "with_unsupported_tokens": sum(bool(s["unsupported"]) for s in sentences),
        "mean_score": sum(s["score"] for s in sentences) / len(sentences) if sentences else None,
    }


def add_trust_metrics(config: Config, items: list, predictions: list[dict], scores: dict) -> None:
    """Add `calibration` and `coverage` to the scored `topic` and `stance`, `support` to `summary`."""
    for task, answers, min_confidence in (
        ("topic", lambda: topic_answers(items, predictions), config.topic.min_confidence),
        ("stance", lambda: stance_answers(config, items, predictions), config.stance.min_confidence),
    ):
        if task in scores:
            found = answers()
            scores[task]["calibration"] = calibration_of(found)
            scores[task]["coverage"] = coverage_curve(found, min_confidence)
    if "summary" in scores:
        scores["summary"]["support"] = support_metrics(predictions)


def provenance_of(predictions: list[dict]) -> dict:
    """Each task's `provenance` as the predictions carry it (the same in every record of a run)."""
    first = predictions[0] if predictions else {}
    return {
        part: first[part]["provenance"]
        for part in ("summary", "topic", "stance")
        if "provenance" in first.get(part, {})
    }


# ---------------------------------------------------------------------------------------------
# Report blocks


def trust_blocks(metrics: dict, number) -> list[tuple]:
    """The report's "Confidence and abstention" and "Summary support" blocks (`number` formats a metric)."""
    rows = []
    for task, name in (("topic", "topic (primary label)"), ("stance", "stance (3 classes)")):
        result = metrics.get(task, {})
        if "coverage" not in result:
            continue
        calibration, at = result["calibration"] or {}, result["coverage"]["at_min_confidence"]
        rows.append(
            [
                name,
                str(result["coverage"]["n"]),
                number(calibration.get("ece")),
                number(calibration.get("accuracy_at_0.8")),
                number(calibration.get("share_at_0.8")),
                f"{result['coverage']['min_confidence']:.2f}",
                number(at["coverage"]),
                number(at["accuracy"]),
            ]
        )
    blocks: list[tuple] = []
    if rows:
        headers = ["task", "n", "ECE", "accuracy at conf >= 0.8", "share at conf >= 0.8", "min_confidence"]
        blocks += [
            ("h2", "Confidence and abstention"),
            ("table", [*headers, "coverage", "accuracy answered"], rows),
            ("p", "Coverage against accuracy as the threshold rises: coverage.png; calibration: reliability.png."),
        ]
    support = metrics.get("summary", {}).get("support")
    if support:
        blocks += [
            ("h2", "Summary support"),
            (
                "table",
                ["method", "threshold", "summaries", "sentences", "flagged", "flagged share", "summaries flagged"],
                [
                    [
                        support["method"],
                        str(support["threshold"]),
                        str(support["summaries"]),
                        str(support["sentences"]),
                        str(support["flagged"]),
                        number(support["flagged_share"]),
                        number(support["summaries_flagged_share"]),
                    ]
                ],
            ),
        ]
    return blocks


def provenance_blocks(metrics: dict) -> list[tuple]:
    """The report's "Provenance" block: the run's facts and what each task's model resolved to."""
    run = metrics.get("run")
    if not run:
        return []
    versions = ", ".join(f"{name} {version}" for name, version in run["versions"].items())
    rows = []
    for part, provenance in metrics.get("provenance", {}).items():
        for entry in provenance["resolved"]:
            identity = entry.get("commit") or entry.get("sha256") or "unknown"
            where = "commit" if "commit" in entry else "sha256"
            rows.append([part, entry["kind"], entry["name"], f"{where} {identity}", provenance["backend"]])
    return [
        ("h2", "Provenance"),
        ("p", f"Run `{run['run_id']}`, started {run['started']}; config hash `{run['config_hash']}`; {versions}."),
        ("table", ["part", "kind", "weights", "identity", "backend"], rows),
    ]
