"""Labeled training data (JSONL or CSV): read, check every row, and hand back clean examples.

Every problem in a file is collected first - an unknown label, an empty text, a missing field, a
line that is not JSON, a CSV row with more or fewer values than its header - and reported with
counts and line numbers, so one run shows them all and training never starts on a partly bad file.
A file that cannot be read at all (not UTF-8, a damaged .gz) is one error naming the line. Rows
that repeat a text, and validation rows that are training rows, are kept with a warning.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nlp.errors import InputError, Problems
from nlp.finetune.config import FinetuneConfig
from nlp.labels import STANCE_LEVELS, parse_gold_stance, stance_value

log = logging.getLogger(__name__)
_READ_ERRORS = (OSError, EOFError, zlib.error)  # a damaged or truncated .gz fails while reading


class BadRow(Exception):
    """A row that cannot be read as one (`kind` says why); `read_rows` yields it in the row's place."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def read_rows(path: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed row) for a .jsonl/.json(.gz) or .csv file; a row that cannot be read as one
    yields a `BadRow`. A UTF-8 BOM is fine; a file that is not UTF-8 or cannot be read is an InputError."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such data file; check data.train_file / data.validation_file")
    opener = gzip.open if file.suffix == ".gz" else open
    is_csv = file.name.removesuffix(".gz").endswith(".csv")
    number = 0
    try:
        with opener(file, "rt", encoding="utf-8-sig", newline="" if is_csv else None) as handle:
            rows = _csv_rows(handle) if is_csv else _json_rows(handle)
            for number, row in rows:
                yield number, row
    except UnicodeDecodeError:
        line = _first_line_not_utf8(file, opener)
        where = f"line {line} is not UTF-8 text" if line else "not UTF-8 text"
        raise InputError(f"{path}: {where}; convert the file to UTF-8 (e.g. iconv -t utf-8)") from None
    except _READ_ERRORS as exc:
        raise InputError(
            f"{path}: cannot read the file after line {number} ({exc}); check it is complete (gzip -t for .gz)"
        ) from None
    except csv.Error as exc:
        raise InputError(f"{path}: not valid CSV after line {number} ({exc})") from None


def _json_rows(handle) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except (ValueError, RecursionError):  # JSONDecodeError, a 5000-digit number, deep nesting
            yield number, BadRow("not valid JSON")


def _csv_rows(handle) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(handle)
    for row in reader:
        columns = len(reader.fieldnames or [])
        if None in row:  # DictReader files extra values under the key None
            yield reader.line_num, BadRow(f"more values than the header's {columns} columns")
        elif any(value is None for value in row.values()):
            yield reader.line_num, BadRow(f"fewer values than the header's {columns} columns")
        else:
            yield reader.line_num, row


def _first_line_not_utf8(file: Path, opener) -> int | None:
    """The number of the first line that is not UTF-8 (for the message), or None if it cannot be told."""
    try:
        with opener(file, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    return number
    except _READ_ERRORS:
        return None
    return None


def load_examples(path: str, config: FinetuneConfig) -> list[dict]:
    """The file's rows as `{"text", "labels"}` (or `{"text", "summary"}`), all checked first."""
    problems, examples, lines = Problems(), [], []
    for line, row in read_rows(path):
        example = check_row(row, line, config, problems)
        if example is not None:
            examples.append(example)
            lines.append(line)
    hint = ""
    if "unknown label" in problems.lines:
        hint = f" (known labels: {', '.join(config.label_names)}; set `labels:` in the config to change them"
        if config.task == "stance":
            hint += '; for numeric stances use labels ["-1", "-0.5", "0", "0.5", "1"] or objective: regression'
        hint += ")"
    problems.raise_if_any(path, "training not started", hint)
    if not examples:
        raise InputError(f"{path}: no examples; the file is empty")
    warn_duplicates(examples, lines, path)
    return examples


def warn_duplicates(examples: list[dict], lines: list[int], path: str) -> None:
    """Log the rows whose text an earlier row already has: they weigh double, and a seeded split can put
    one copy in training and the other in validation."""
    seen: set[str] = set()
    repeated = []
    for example, line in zip(examples, lines):
        if example["text"] in seen:
            repeated.append(line)
        seen.add(example["text"])
    if repeated:
        shown = ", ".join(map(str, repeated[:5])) + (", ..." if len(repeated) > 5 else "")
        log.warning(
            "%s: %d rows repeat the text of an earlier row (lines %s); they weigh double in training and can "
            "leak into the validation split - remove them",
            path,
            len(repeated),
            shown,
        )


def warn_leak(train: list[dict], validation: list[dict], validation_path: str) -> None:
    """Log validation examples whose text is also a training example's: their scores are not held out."""
    texts = {example["text"] for example in train}
    leaked = sum(example["text"] in texts for example in validation)
    if leaked:
        log.warning(
            "%s: %d of %d validation examples have the text of a training example; their metrics overstate "
            "the model - remove them from one of the files",
            validation_path,
            leaked,
            len(validation),
        )


def check_row(row: Any, line: int, config: FinetuneConfig, problems: Problems) -> dict | None:
    """One row as an example, or None after recording what is wrong with it."""
    data = config.data
    if isinstance(row, BadRow):
        problems.add(row.kind, line)
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
