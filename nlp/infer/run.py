"""Batch inference over JSONL: streaming, crash-safe, resumable, one output line per input record.

Records are read in windows, length-sorted into batches under a token budget, analysed, and
written back in input order; output and error lines are appended and flushed window by window.
Every non-blank input line ends up exactly once in the output or the errors file, keyed by its
line number, which is what `--resume` relies on after a crash.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.config import Config
from nlp.errors import RunFailed
from nlp.infer.outputs import InferPaths, check_outputs, infer_paths, manifest_for, prepare_outputs
from nlp.infer.window import build_analyze, process_window, windows
from nlp.jsonl import InputLine, dumps, open_input, read_lines

log = logging.getLogger(__name__)


@dataclass
class Tally:
    records: int = 0
    ok: int = 0
    skipped: int = 0
    errors: Counter = field(default_factory=Counter)


def run_infer(
    config: Config,
    input_path: str,
    output: str,
    *,
    resume: bool = False,
    overwrite: bool = False,
    strict: bool = False,
    analyze: Callable[[list[str], list], list[dict]] | None = None,
) -> dict[str, Any]:
    """Run the whole job; returns the summary (also written beside the output).

    `analyze` defaults to an `Analyzer` built from `config`, after all checks have passed. A run with
    more error records than `infer.max_error_rate` allows (any, with `strict`), or with errors and no
    successes, raises `RunFailed` after everything is written; its `summary` is the summary.
    """
    settings = config.infer
    paths = infer_paths(output, settings.errors_file)
    stream = open_input(input_path)  # a missing input fails before anything is written
    manifest = manifest_for(config, input_path)
    check_outputs(paths, manifest, resume, overwrite)
    if analyze is None and settings.backend == "local":
        analyze = build_analyze(config)  # a bad device or model fails here, before old output is touched
    done = prepare_outputs(paths, manifest, resume, overwrite)
    tally, started = Tally(), time.monotonic()
    lines = read_lines(stream, settings.text_field, settings.id_field, settings.max_line_bytes, settings.max_depth)
    with (
        _Output(paths.output) as out,
        paths.errors.open("a", encoding="utf-8") as errors,
        _Progress(stream, input_path, settings.progress) as bar,
    ):

        def write(outputs: list[dict], failures: list[dict]) -> None:
            """Append one window's lines and flush them: the unit a crash can lose."""
            errors.write("".join(dumps(e) for e in failures))
            out.write("".join(dumps(o) for o in outputs))
            errors.flush()
            out.flush()
            tally.ok += len(outputs)
            tally.errors.update(e["code"] for e in failures)
            bar.advance(stream, tally, started)

        pending = windows(_counting(lines, done, tally), settings.window, done)
        if settings.backend == "ray" and analyze is None:
            from nlp.infer.ray import run_ray

            run_ray(config, pending, write)
        else:
            for window in pending:
                write(*process_window(window, analyze, settings))
    stream.close()
    summary = summarize_run(tally, time.monotonic() - started, paths, resume)
    if paths.summary is not None:
        paths.summary.write_text(json.dumps(summary, indent=2) + "\n")
    check_error_budget(summary, 0.0 if strict else settings.max_error_rate, strict)
    return summary


def check_error_budget(summary: dict[str, Any], limit: float, strict: bool) -> None:
    """The run fails when its share of error records is over `limit`, or when nothing succeeded."""
    errors, processed = summary["errors"], max(summary["processed"], 1)
    if not errors or (errors / processed <= limit and summary["ok"] > 0):
        return
    why = ("`strict`" if strict else f"infer.max_error_rate={limit}") if summary["ok"] else "no record succeeded"
    raise RunFailed(
        f"failed: {errors} error record(s) in {summary['processed']} ({why}); see {summary['errors_file']}", summary
    )


def _counting(lines: Iterator[InputLine], done: set[int], tally: Tally) -> Iterator[InputLine]:
    for item in lines:
        tally.records += 1
        tally.skipped += item.line in done
        yield item


def summarize_run(tally: Tally, seconds: float, paths: InferPaths, resumed: bool) -> dict[str, Any]:
    processed = tally.records - tally.skipped
    return {
        "records": tally.records,
        "processed": processed,
        "skipped_as_done": tally.skipped,
        "ok": tally.ok,
        "errors": sum(tally.errors.values()),
        "errors_by_code": dict(sorted(tally.errors.items())),
        "seconds": round(seconds, 3),
        "records_per_second": round(processed / seconds, 2) if seconds > 0 else None,
        "resumed": resumed,
        "output": str(paths.output or "-"),
        "errors_file": str(paths.errors),
    }


class _Output:
    """Append to the output file (created with its folder), or write to stdout."""

    def __init__(self, path: Path | None):
        self.path = path

    def __enter__(self):
        import sys

        if self.path is None:
            return sys.stdout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("a", encoding="utf-8")
        return self.handle

    def __exit__(self, *exc) -> None:
        if self.path is not None:
            self.handle.close()


class _Progress:
    """tqdm on stderr: bytes of input read (for the ETA) with records/s alongside; can be off."""

    def __init__(self, stream, input_path: str, enabled: bool):
        self.enabled, self.bar, self.position = enabled, None, 0
        if enabled:
            from tqdm import tqdm

            total = None
            if input_path != "-" and not input_path.endswith(".gz"):
                total = os.path.getsize(input_path)
            self.bar = tqdm(total=total, unit="B", unit_scale=True, desc="infer", dynamic_ncols=True)

    def __enter__(self):
        return self

    def advance(self, stream, tally: Tally, started: float) -> None:
        if self.bar is None:
            return
        try:
            position = stream.tell()
        except (OSError, ValueError):
            position = self.position
        self.bar.update(max(0, position - self.position))
        self.position = position
        elapsed = max(time.monotonic() - started, 1e-9)
        self.bar.set_postfix(
            records=tally.records,
            errors=sum(tally.errors.values()),
            rec_s=f"{(tally.records - tally.skipped) / elapsed:.1f}",
        )

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
