"""Labeled training data (JSONL or CSV): read, check every row, and hand back clean examples.

Every problem in a file is collected first - an unknown label, an empty text, a missing field, a
line that is not JSON - and reported with counts and line numbers, so one run shows them all and
training never starts on a partly bad file.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nlp.errors import InputError, Problems
from nlp.finetune.config import FinetuneConfig
from nlp.labels import STANCE_LEVELS, parse_gold_stance, stance_value


def read_rows(path: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed row) for a .jsonl/.json(.gz) or .csv file; a bad JSON line yields an Exception."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such data file; check data.train_file / data.validation_file")
    opener = gzip.open if file.suffix == ".gz" else open
    is_csv = file.name.removesuffix(".gz").endswith(".csv")
    try:
        with opener(file, "rt", encoding="utf-8", newline="" if is_csv else None) as handle:
            if is_csv:
                reader = csv.DictReader(handle)
                for row in reader:
                    yield reader.line_num, row
                return
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); convert it to UTF-8") from None


def load_examples(path: str, config: FinetuneConfig) -> list[dict]:
    """The file's rows as `{"text", "labels"}` (or `{"text", "summary"}`), all checked first."""
    problems, examples = Problems(), []
    for line, row in read_rows(path):
        example = check_row(row, line, config, problems)
        if example is not None:
            examples.append(example)
    hint = ""
    if "unknown label" in problems.lines:
        hint = f" (known labels: {', '.join(config.label_names)}; set `labels:` in the config to change them"
        if config.task == "stance":
            hint += '; for numeric stances use labels ["-1", "-0.5", "0", "0.5", "1"] or objective: regression'
        hint += ")"
    problems.raise_if_any(path, "training not started", hint)
    if not examples:
        raise InputError(f"{path}: no examples; the file is empty")
    return examples


def check_row(row: Any, line: int, config: FinetuneConfig, problems: Problems) -> dict | None:
    """One row as an example, or None after recording what is wrong with it."""
    data = config.data
    if isinstance(row, Exception):
        problems.add("not valid JSON", line)
        return None
    if not isinstance(row, dict):
        problems.add("not a JSON object", line)
        return None
    text = text_field(row, data.text_field, line, problems)
    if config.task == "summarization":
        summary = text_field(row, data.summary_field, line, problems)
        return None if text is None or summary is None else {"text": text, "summary": summary}
    if data.label_field not in row or row[data.label_field] in (None, ""):
        problems.add(f"missing field {data.label_field!r}", line)
        return None
    labels = topic_labels if config.task in ("topic", "heads") else stance_label
    label = labels(row[data.label_field], line, config, problems)
    if config.task == "heads":  # the data/news format: topics and a five-level stance
        if level(row.get(data.stance_field)) is None:
            problems.add(
                f"{data.stance_field!r} is not one of {', '.join(f'{v:g}' for v in STANCE_LEVELS)}",
                line,
                row.get(data.stance_field),
            )
            return None
    return None if text is None or label is None else {"text": text, "labels": label}


def text_field(row: dict, field: str, line: int, problems: Problems) -> str | None:
    value = row.get(field)
    if field not in row:
        problems.add(f"missing field {field!r}", line)
    elif not isinstance(value, str):
        problems.add(f"field {field!r} is not a string", line, type(value).__name__)
    elif not value.strip():
        problems.add(f"empty {field!r}", line)
    else:
        return value
    return None


def topic_labels(value: Any, line: int, config: FinetuneConfig, problems: Problems) -> list[str] | None:
    """One label or a list of labels (JSON list, or `a;b` in CSV); each must be known."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(";")] if ";" in value else [value.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.add("label is not a name or a list of names", line, value)
        return None
    unknown = [v for v in value if v not in config.label_names]
    for name in unknown:
        problems.add("unknown label", line, name)
    return None if unknown else value


def stance_label(value: Any, line: int, config: FinetuneConfig, problems: Problems) -> str | float | None:
    """A gold stance (`labels.parse_gold_stance`). Classification: a class name from `labels`, or a number
    equal to a class's value. Regression: the number (a class name counts as its value, -1 / 0 / 1)."""
    try:
        gold = parse_gold_stance(value)
    except ValueError:
        gold = None
    if config.objective == "regression":
        number = gold if gold is None or isinstance(gold, float) else stance_value(gold)
        if number is None:
            problems.add("stance is not a number in [-1, 1]", line, value)
        return number
    if isinstance(value, str) and value.strip() in config.label_names:
        return value.strip()
    by_value = {stance_value(name): name for name in config.label_names}
    if isinstance(gold, float) and gold in by_value:
        return by_value[gold]
    problems.add("unknown label", line, value)
    return None


def level(value: Any) -> float | None:
    """A gold stance that is one of the five guideline levels, else None."""
    try:
        number = parse_gold_stance(value)
    except ValueError:
        return None
    return number if number in STANCE_LEVELS else None
