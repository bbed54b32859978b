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
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.errors import RunFailed
from nlp.files import OutputLock
from nlp.infer.outputs import (
    InferPaths,
    check_outputs,
    check_paths,
    infer_paths,
    input_changed,
    manifest_for,
    prepare_outputs,
)
from nlp.infer.window import build_analyze, check_carry, process_window, windows
from nlp.jsonl import InputLine, dumps, open_input, read_lines
from nlp.models.provenance import run_facts
from nlp.schema import Config

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

    Before anything is opened, no file the run writes may be the input, and each must be writable. The
    run holds an exclusive lock on its output (`<output stem>.lock`) from its first check to its
    summary. An interrupted run (KeyboardInterrupt; the CLI raises one for SIGTERM too) writes its
    summary with `interrupted: true` and re-raises; `resume` completes it.
    """
    paths = infer_paths(output, config.infer.errors_file)
    check_paths(paths, input_path)
    stream = open_input(input_path)  # a missing input fails before anything is written
    try:
        with OutputLock(paths.lock, "nlp infer", paths.output or paths.errors):
            return _run_locked(config, input_path, stream, paths, resume, overwrite, strict, analyze)
    finally:
        stream.close()


def _run_locked(config, input_path, stream, paths, resume, overwrite, strict, analyze) -> dict[str, Any]:
    settings = config.infer
    manifest = manifest_for(config, input_path)
    facts = run_facts(config)  # this run's id and facts: in the manifest's `runs`, the summary, and each record
    manifest["runs"] = [facts]
    log.info("infer run %s (config %s)", facts["run_id"], facts["config_hash"])
    check_outputs(paths, manifest, resume, overwrite, input_path, settings.max_line_bytes)
    if analyze is None and settings.backend == "local":
        analyze = build_analyze(config)  # a bad device or model fails here, before old output is touched
    elif analyze is None:
        from nlp.infer.ray import start_ray

        start_ray(config)  # Ray missing or unreachable fails here too, before any output file exists
    done = prepare_outputs(paths, manifest, resume, overwrite)
    tally, started, interrupted = Tally(), time.monotonic(), None
    lines = read_lines(stream, settings.text_field, settings.id_field, settings.max_line_bytes, settings.max_depth)
    with (
        _Output(paths.output) as out,
        paths.errors.open("a", encoding="utf-8") as errors,
        _Progress(stream, input_path, settings.progress) as bar,
    ):

        def write(outputs: list[dict], failures: list[dict]) -> None:
            """Append one window's lines and flush them: the unit a crash can lose."""
            stamp = {"run_id": facts["run_id"]}
            errors.write("".join(dumps(e | stamp) for e in failures))
            out.write("".join(dumps(o | stamp) for o in outputs))
            errors.flush()
            out.flush()
            tally.ok += len(outputs)
            tally.errors.update(e["code"] for e in failures)
            bar.advance(stream, tally)

        try:
            pending = check_carry(windows(_counting(lines, done, tally), settings.window, done), settings.carry)
            if settings.backend == "ray" and analyze is None:
                from nlp.infer.ray import run_ray

                run_ray(config, pending, write)
            else:
                for window in pending:
                    write(*process_window(window, analyze, settings, on_batch=bar.batch))
        except KeyboardInterrupt as stop:  # what was written stays; the summary says where it stopped
            interrupted = stop
    summary = summarize_run(tally, time.monotonic() - started, paths, resume) | {"interrupted": bool(interrupted)}
    summary["run"] = facts
    if paths.summary is not None:
        paths.summary.write_text(json.dumps(summary, indent=2) + "\n")
    if interrupted is not None:
        raise interrupted
    if tally.records == 0:
        log.warning("%s: the input holds no records; the outputs are empty", input_path)
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


def _counting(lines: Iterator[InputLine], done: dict[int, str], tally: Tally) -> Iterator[InputLine]:
    """Count lines as they are read; a line done before must still be the line the first run read
    (checked up front for files, here for stdin)."""
    for item in lines:
        tally.records += 1
        if item.line in done:
            tally.skipped += 1
            if done[item.line] and done[item.line] != item.digest:
                raise input_changed(item.line)
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
    """tqdm on stderr counting records (records/s), advanced after each batch. Where the input's size
    is known (a file, a .gz by its compressed bytes, stdin redirected from a file) the total is
    estimated from the share of bytes read, for the ETA. Off with `infer.progress=false` and when
    stderr is not a terminal."""

    def __init__(self, stream, input_path: str, enabled: bool):
        self.bar, self.size = None, None
        if enabled:
            from tqdm import tqdm

            self.size = _input_size(stream)
            bar = tqdm(unit="rec", desc="infer", dynamic_ncols=True, disable=None)  # None: off unless a TTY
            self.bar = None if bar.disable else bar

    def __enter__(self):
        return self

    def batch(self, records: int) -> None:
        """`records` more records are done (a batch inside a window)."""
        if self.bar is not None:
            self.bar.update(records)

    def advance(self, stream, tally: Tally) -> None:
        """A window is written: the count made exact, the errors and the estimated total updated."""
        if self.bar is None:
            return
        self.bar.n = tally.ok + sum(tally.errors.values())
        position = _bytes_read(stream)
        if self.size and position:
            estimate = round(tally.records * min(self.size / position, 1e6)) - tally.skipped
            self.bar.total = max(estimate, self.bar.n)
        self.bar.set_postfix(errors=sum(tally.errors.values()), refresh=False)
        self.bar.refresh()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            if exc[0] is None:
                self.bar.total = self.bar.n
            self.bar.close()


def _input_size(stream) -> int | None:
    """Bytes in the input (compressed bytes for .gz), when it is a regular file."""
    raw = getattr(stream, "fileobj", None) or stream  # a GzipFile reads from `fileobj`
    try:
        status = os.fstat(raw.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) and status.st_size > 0 else None


def _bytes_read(stream) -> int | None:
    raw = getattr(stream, "fileobj", None) or stream
    try:
        return raw.tell()
    except (OSError, ValueError, AttributeError):
        return None
