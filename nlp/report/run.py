"""`nlp report`: read `nlp infer` results once, aggregate as it reads, write plots, a page and tables.

The results are streamed line by line (`.gz` and stdin work) with bounded line reads; each record
updates the aggregates of `nlp.report.aggregate` and is dropped, so a million records take the
memory of a thousand. Lines that are not records (invalid JSON, not an object, over
`report.max_line_bytes`) and records with a missing or malformed outlet, date, topic or stance are
counted by kind and reported on the page and in `summary.json`; none is dropped silently.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from nlp.errors import InputError, OutputError
from nlp.jsonl import open_input
from nlp.report.aggregate import Aggregates
from nlp.report.page import write_page
from nlp.report.plots import write_plots
from nlp.report.tables import build_tables
from nlp.schema import Config

log = logging.getLogger(__name__)
_CHUNK = 1 << 20
_LOG_EVERY = 100_000


def run_report(config: Config, input_path: str, output_dir: str | None = None) -> dict[str, Any]:
    """Aggregate the results in `input_path` and write the report into `output_dir` (default:
    `<input name>.report/` beside the input). Returns the summary that is also written as
    `summary.json`: counts, data-quality problems by kind, and the files written."""
    from nlp.extras import require_extra

    require_extra("nlp report", "report", {"matplotlib": "matplotlib"})
    out = report_dir(input_path, output_dir)
    aggregates = Aggregates(config.report, config.stance.cut_points, config.runtime.seed)
    with open_input(input_path) as stream:
        for number, record, problem in result_lines(stream, config.report.max_line_bytes):
            if record is None:
                aggregates.reject(number, problem)
            else:
                aggregates.add(number, record)
            if number % _LOG_EVERY == 0:
                log.info("report: %d lines read", number)
    if aggregates.records == 0:
        problems = ", ".join(f"{kind}: {n}" for kind, n in aggregates.quality.counts.items()) or "the input is empty"
        raise InputError(f"`input_path` {input_path}: no result records ({problems}); give a results file of nlp infer")
    tables = build_tables(aggregates, list(config.topic.labels), config.runtime.seed)
    prepare_dir(out)
    images = write_plots(tables, out, config.stance.cut_points)
    files = write_page(tables, out, images, input_path)
    summary = {
        "input": input_path,
        "output_dir": str(out),
        "lines": tables["lines"],
        "records": tables["records"],
        "outlets": len(tables["outlets"]),
        "periods": len(tables["periods"]),
        "period": tables["period"],
        "first_date": tables["first_date"],
        "last_date": tables["last_date"],
        "quality": tables["quality"],
        "files": sorted([*images, *files, "summary.json"]),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def report_dir(input_path: str, output_dir: str | None) -> Path:
    if output_dir is not None:
        return Path(output_dir)
    if input_path == "-":
        raise OutputError("reading stdin: give `output_dir` for the report folder")
    path = Path(input_path)
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return path.with_name(f"{name}.report")


def prepare_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"`output_dir` {out} is a file; give a folder for the report")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"`output_dir` {out}: cannot create the folder ({exc.strerror})") from None


def result_lines(stream: BinaryIO, max_line_bytes: int) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, record, problem) per non-blank line; record is None where problem says why."""
    number = 0
    while raw := stream.readline(max_line_bytes + 1):
        number += 1
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            while (rest := stream.readline(_CHUNK)) and not rest.endswith(b"\n"):
                pass
            yield number, None, "line_too_long"
            continue
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
            yield number, None, "invalid_json"
            continue
        if not isinstance(value, dict):
            yield number, None, "not_an_object"
            continue
        yield number, value, None
