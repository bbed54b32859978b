"""`nlp evaluate`: run a config's models over labeled JSONL and score them against the gold labels.

The whole file is validated first (nothing is computed on a partly bad file); then the enabled
tasks that have gold labels run in batches, and metrics.json, predictions.jsonl, the report and
its plots are written to the output folder.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from nlp.errors import InputError, Problems
from nlp.jsonl import InputLine, open_input, read_lines
from nlp.labels import GOLD_STANCE_HELP, STANCE_CLASSES, parse_gold_stance, stance_label
from nlp.schema import Config

log = logging.getLogger(__name__)

BATCH_SIZE = 32
_EVAL_PACKAGES = {"matplotlib": "matplotlib", "rouge_score": "rouge-score", "sklearn": "scikit-learn", "scipy": "scipy"}
_SUFFIXES = (".jsonl.gz", ".jsonl", ".json.gz", ".json", ".gz")


@dataclass(frozen=True, slots=True)
class Labeled:
    """One valid labeled record; a gold field is None when the record has no label for that task."""

    line: int
    id: str | int
    text: str
    topics: list[str] | None
    stance: float | str | None
    summary: str | None
    title: str | None = None


def run_evaluate(config: Config, input_path: str, output_dir: str | None = None) -> dict:
    """Validate, predict, score and write the report; returns counts, file paths and the metrics."""
    require_eval_packages()
    from nlp.evaluate.report import prediction_rows, write_outputs
    from nlp.evaluate.trust import provenance_of
    from nlp.models.provenance import run_facts

    out = Path(output_dir) if output_dir else default_output_dir(input_path)
    items = read_labeled(input_path, config)
    facts = run_facts(config)  # the config as given, before the tasks without gold are switched off
    config, not_scored = tasks_to_run(config, items)
    predictions = predict(config, items)
    metrics = {
        "input": str(input_path),
        "records": len(items),
        "models": models_used(config),
        "not_scored": not_scored,
        "run": facts,
        "provenance": provenance_of(predictions),
        **score_tasks(config, items, predictions),
    }
    files = write_outputs(metrics, prediction_rows(items, predictions), out, config.evaluate.report)
    return {
        "records": len(items),
        "metrics_file": str(files["metrics"]),
        "report_file": str(files["report"]),
        "output_dir": str(out),
        "metrics": metrics,
    }


def require_eval_packages() -> None:
    """The plots, ROUGE and metrics packages of the `eval` extra, or one line saying how to get them."""
    from nlp.extras import require_extra

    require_extra("evaluate", "eval", _EVAL_PACKAGES)


def default_output_dir(input_path: str) -> Path:
    """`<input without .jsonl/.jsonl.gz>.evaluation/` beside the input."""
    if input_path == "-":
        raise InputError("evaluate reads stdin only with an `output_dir` (there is no input name to put it beside)")
    path = Path(input_path)
    name = next(
        (path.name[: -len(s)] for s in _SUFFIXES if path.name.endswith(s) and len(path.name) > len(s)), path.name
    )
    return path.with_name(name + ".evaluation")


# ---------------------------------------------------------------------------------------------
# Reading and validation


def read_labeled(input_path: str, config: Config) -> list[Labeled]:
    """Every record of the file, or one InputError naming each kind of problem with counts and lines."""
    fields, topic_labels = config.evaluate, list(config.topic.labels) if config.topic.enabled else None
    problems = Problems()
    items: list[Labeled] = []
    stream = open_input(input_path)
    try:
        for line in read_lines(
            stream, fields.text_field, fields.id_field, config.infer.max_line_bytes, config.infer.max_depth
        ):
            if line.error is not None:
                problem, hint = _read_problem(line.error["code"], config)
                found = [(problem, hint)]
            else:
                item, found = check_gold(line, config, topic_labels)
                if not found:
                    items.append(item)
            for problem, hint in found:
                problems.add(problem, line.line, hint=hint)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    problems.raise_if_any(input_path, "nothing evaluated", "; fix them and rerun")
    if not items:
        raise InputError(
            f"{input_path}: no records; write one JSON object per line with a "
            f'"{fields.text_field}" field and gold labels'
        )
    return items


def _read_problem(code: str, config: Config) -> tuple[str, str]:
    """A short name for a reader error code, and the fix where it is not obvious."""
    fields = config.evaluate
    named = {
        "invalid_json": ("invalid JSON", ""),
        "torn_line": ("invalid JSON", ""),
        "not_an_object": ("not a JSON object", ""),
        "missing_text": (f'missing "{fields.text_field}"', "add it, or point evaluate.text_field at the text"),
        "empty_text": ("empty text", ""),
        "text_not_string": ("text is not a string", ""),
        "bad_id": (f'bad "{fields.id_field}"', "a non-empty string or an integer"),
        "duplicate_id": ("duplicate id", ""),
        "line_too_long": ("line too long", f"over {config.infer.max_line_bytes} bytes; raise infer.max_line_bytes"),
        "too_deep": ("JSON nested too deep", "raise infer.max_depth"),
    }
    return named.get(code, (code.replace("_", " "), ""))


def check_gold(line: InputLine, config: Config, topic_labels: list[str] | None) -> tuple[Labeled | None, list]:
    """The record with its gold labels parsed, or the (problem, hint) pairs that make it invalid."""
    fields = config.evaluate
    topics, topic_problem = gold_topics(line.record.get(fields.topic_field), topic_labels)
    stance, stance_problem = gold_stance(line.record.get(fields.stance_field))
    summary = line.record.get(fields.summary_field)
    summary_problem = None
    if summary is not None and (not isinstance(summary, str) or not summary.strip()):
        summary_problem = ("reference summary is empty or not a string", f'field "{fields.summary_field}"')
    title = line.record.get(fields.title_field)
    title_problem = None
    if title is not None and not isinstance(title, str):
        title_problem = ("title is not a string", f'field "{fields.title_field}"; use a string or null')
    found = [p for p in (topic_problem, stance_problem, summary_problem, title_problem) if p]
    labeled = Labeled(line.line, line.id, line.text, topics, stance, summary, title)
    return (None if found else labeled), found


def gold_topics(value: object, known: list[str] | None) -> tuple[list[str] | None, tuple[str, str] | None]:
    """A label or a list of labels (the first is the primary); None when absent."""
    if value is None:
        return None, None
    topics = [value] if isinstance(value, str) else value
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
        return None, ("topic is not a label or a non-empty list of labels", "")
    if known is not None and any(t not in known for t in topics):
        return None, ("unknown topic label", "known: " + ", ".join(known))
    return list(dict.fromkeys(topics)), None


def gold_stance(value: object) -> tuple[float | str | None, tuple[str, str] | None]:
    """A score in [-1, 1] or a class name (`labels.parse_gold_stance`); None when absent."""
    if value is None:
        return None, None
    try:
        return parse_gold_stance(value), None
    except ValueError as exc:
        problem = {"out of range": "stance out of range", "unknown stance name": "unknown stance name"}.get(
            str(exc), "stance is not a number or a name"
        )
        return None, (problem, GOLD_STANCE_HELP)


# ---------------------------------------------------------------------------------------------
# Prediction and scoring


def tasks_to_run(config: Config, items: list[Labeled]) -> tuple[Config, dict[str, str]]:
    """A config copy with the tasks that have no gold labels switched off, and why each unscored task is."""
    config = config.model_copy(deep=True)
    gold = {
        "summarizer": any(i.summary for i in items),
        "topic": any(i.topics for i in items),
        "stance": any(i.stance is not None for i in items),
    }
    not_scored = {}
    for task, has_gold in gold.items():
        section = getattr(config, task)
        if not section.enabled:
            not_scored[task] = f"{task}.enabled is false in the config"
        elif not has_gold:
            not_scored[task] = "no gold labels in the file"
            section.enabled = False
        else:
            continue
        log.info("%s not scored: %s", task, not_scored[task])
    if len(not_scored) == len(gold):
        f = config.evaluate
        raise InputError(
            f"nothing to evaluate: no record has gold labels for an enabled task (fields "
            f'"{f.topic_field}", "{f.stance_field}", "{f.summary_field}"); add labels, set the '
            "evaluate.*_field keys to your field names, or enable the tasks"
        )
    return config, not_scored


def predict(config: Config, items: list[Labeled]) -> list[dict]:
    """The output record of each item, in input order, computed in batches."""
    from tqdm import tqdm

    from nlp.tasks.analyze import Analyzer

    analyzer = Analyzer(config)
    records: list[dict] = []
    off = None if config.evaluate.progress else True  # None: drawn only when stderr is a terminal
    with tqdm(total=len(items), unit="rec", desc="evaluate", dynamic_ncols=True, disable=off) as bar:
        for start in range(0, len(items), BATCH_SIZE):
            batch = items[start : start + BATCH_SIZE]
            records.extend(
                analyzer.analyze([i.text for i in batch], ids=[i.id for i in batch], titles=[i.title for i in batch])
            )
            bar.update(len(batch))
            log.info("%d/%d records predicted", len(records), len(items))
    return records


def score_tasks(config: Config, items: list[Labeled], predictions: list[dict]) -> dict:
    """Metrics per scored task: `topic`, `stance`, `summary` (a task not run has no key)."""
    from nlp import metrics

    out: dict = {}
    if config.topic.enabled:
        pairs = [(i.topics, p["topic"]) for i, p in zip(items, predictions) if i.topics]
        labels = list(config.topic.labels)
        out["topic"] = {
            "n": len(pairs),
            **metrics.classification_metrics(
                [g[0] for g, _ in pairs], [p["label"] or "none" for _, p in pairs], labels
            ),
        }
        if any(len(g) > 1 for g, _ in pairs):
            out["topic"]["multilabel"] = metrics.multilabel_metrics(
                [g for g, _ in pairs], [p["labels"] for _, p in pairs], labels
            )
    if config.stance.enabled:
        out["stance"] = score_stance(config, items, predictions)
    if config.summarizer.enabled:
        out["summary"] = score_summaries(config, items, predictions)
    from nlp.evaluate.trust import add_trust_metrics

    add_trust_metrics(config, items, predictions, out)  # calibration, coverage, summary support
    return out


def score_summaries(config: Config, items: list[Labeled], predictions: list[dict]) -> dict:
    """ROUGE of the model, of lead-3, and at the model's own length per article of the lead (the body's
    first words) and of the oracle (the best extractive pick for the reference); mean words of each."""
    from nlp import metrics
    from nlp.document import prepare
    from nlp.tasks.extractive import lead_words, oracle_summary

    pairs = [(i, p["summary"]) for i, p in zip(items, predictions) if i.summary]
    references = [i.summary for i, _ in pairs]
    settings = config.document
    docs = [prepare(i.text, i.title, clean=settings.clean, headline=settings.headline) for i, _ in pairs]
    lengths = [len(s["text"].split()) for _, s in pairs]
    texts = {
        "model": [s["text"] for _, s in pairs],
        "lead-3": [metrics.lead(i.text, 3) for i, _ in pairs],
        "lead-words": [lead_words(d, n) for d, n in zip(docs, lengths)],
        "oracle": [oracle_summary(d, ref, n) for d, ref, n in zip(docs, references, lengths)],
    }
    return {
        "n": len(pairs),
        "method": pairs[0][1]["method"],
        **{name: metrics.rouge_scores(values, references) for name, values in texts.items()},
        "words": {name: sum(len(t.split()) for t in values) / len(values) for name, values in texts.items()},
    }


def score_stance(config: Config, items: list[Labeled], predictions: list[dict]) -> dict:
    """Score metrics on numeric gold, 3-class metrics on all gold; abstentions counted, not scored."""
    from nlp import metrics

    cuts = config.stance.cut_points
    gold = [(i.stance, p["stance"]["score"]) for i, p in zip(items, predictions) if i.stance is not None]
    scored = [(g, s) for g, s in gold if s is not None]
    numeric = [(g, s) for g, s in scored if not isinstance(g, str)]
    result: dict = {
        "gold": len(gold),
        "scored": len(scored),
        "abstained": len(gold) - len(scored),
        "cut_points": list(cuts),
    }
    if numeric:
        result["score"] = metrics.score_metrics([g for g, _ in numeric], [s for _, s in numeric])
    if scored:
        result["class"] = {
            "n": len(scored),
            **metrics.classification_metrics(
                [g if isinstance(g, str) else stance_label(g, cuts) for g, _ in scored],
                [stance_label(s, cuts) for _, s in scored],
                list(STANCE_CLASSES),
            ),
        }
    return result


def models_used(config: Config) -> dict:
    """The model reference (and revision, backend) of each task that ran."""
    models = {}
    for task in ("summarizer", "topic", "stance"):
        section = getattr(config, task)
        if section.enabled:
            models[task] = {
                "model": section.model,
                "revision": section.revision,
                **({"backend": section.backend} if hasattr(section, "backend") else {}),
            }
    return models
