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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from nlp.config import Config
from nlp.errors import InputError
from nlp.jsonl import InputLine, dumps, open_input, read_lines
from nlp.infer.outputs import InferPaths, check_outputs, infer_paths, manifest_for, prepare_outputs

log = logging.getLogger(__name__)


def windows(lines: Iterator[InputLine], size: int, done: set[int]) -> Iterator[list[InputLine]]:
    """Consecutive not-yet-done lines, `size` valid records at most per window."""
    window: list[InputLine] = []
    valid = 0
    for item in lines:
        if item.line in done:
            continue
        window.append(item)
        valid += item.error is None
        if valid >= size:
            yield window
            window, valid = [], 0
    if window:
        yield window


def estimate_tokens(text: str) -> int:
    return int(len(text.split()) * 1.3) + 2


def batches(items: list[InputLine], max_tokens: int) -> list[list[InputLine]]:
    """Length-sorted (longest first) batches whose estimated tokens stay within the budget."""
    out: list[list[InputLine]] = []
    current: list[InputLine] = []
    used = 0
    for item in sorted(items, key=lambda i: -estimate_tokens(i.text)):
        cost = estimate_tokens(item.text)
        if current and used + cost > max_tokens:
            out.append(current)
            current, used = [], 0
        current.append(item)
        used += cost
    if current:
        out.append(current)
    return out


def is_recoverable(exc: BaseException) -> bool:
    """Errors that concern a batch's records (OOM, a text the policy refuses), not the run."""
    import torch

    return isinstance(exc, (InputError, torch.OutOfMemoryError)) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def analyze_safely(analyze: Callable[[list[str], list], list[dict]], items: list[InputLine]) -> list[dict]:
    """Results in item order; a failing batch is split in halves and retried, down to one record,
    whose failure becomes an error record ({"error": ...})."""
    try:
        return analyze([i.text for i in items], [i.id for i in items])
    except Exception as exc:  # noqa: BLE001 - filtered just below
        if not is_recoverable(exc):
            raise
        _release_cached_memory()
        if len(items) == 1:
            code = "too_long" if isinstance(exc, InputError) else "out_of_memory"
            log.warning("line %d: %s", items[0].line, exc)
            return [{"error": error_record(items[0], code, str(exc).splitlines()[0])}]
        log.info("batch of %d failed (%s); splitting it", len(items), type(exc).__name__)
        middle = len(items) // 2
        return analyze_safely(analyze, items[:middle]) + analyze_safely(analyze, items[middle:])


def _release_cached_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def error_record(item: InputLine, code: str, message: str) -> dict:
    return {"line": item.line, "id": item.id, "code": code, "message": message, "excerpt": (item.text or "")[:80]}


def output_record(item: InputLine, result: dict, carry: list[str]) -> dict:
    record = {"id": item.id, "line": item.line}
    record.update({field: item.record[field] for field in carry if field in item.record})
    record.update({key: value for key, value in result.items() if key != "id"})
    return record


@dataclass
class Tally:
    records: int = 0
    ok: int = 0
    skipped: int = 0
    errors: Counter = field(default_factory=Counter)


def run_infer(config: Config, input_path: str, output: str, *, resume: bool = False, overwrite: bool = False,
              analyze: Callable[[list[str], list], list[dict]] | None = None) -> dict[str, Any]:
    """Run the whole job; returns the summary (also written beside the output).

    `analyze` defaults to an `Analyzer` built from `config`, after all checks have passed.
    """
    settings = config.infer
    paths = infer_paths(output, settings.errors_file)
    stream = open_input(input_path)  # a missing input fails before anything is written
    manifest = manifest_for(config, input_path)
    check_outputs(paths, manifest, resume, overwrite)
    if analyze is None and settings.backend == "local":
        analyze = _build_analyze(config)  # a bad device or model fails here, before old output is touched
    done = prepare_outputs(paths, manifest, resume, overwrite)
    tally, started = Tally(), time.monotonic()
    lines = read_lines(stream, settings.text_field, settings.id_field, settings.max_line_bytes, settings.max_depth)
    with _open_output(paths.output) as out, paths.errors.open("a", encoding="utf-8") as errors, \
            _progress(stream, input_path, settings.progress) as bar:
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
    return summary


def _build_analyze(config: Config) -> Callable[[list[str], list], list[dict]]:
    from nlp.tasks.analyze import Analyzer

    return Analyzer(config).analyze


def _counting(lines: Iterator[InputLine], done: set[int], tally: Tally) -> Iterator[InputLine]:
    for item in lines:
        tally.records += 1
        tally.skipped += item.line in done
        yield item


def process_window(window: list[InputLine], analyze: Callable, settings) -> tuple[list[dict], list[dict]]:
    """(output records in input order, error records in input order) for one window."""
    valid = [item for item in window if item.error is None]
    results: dict[int, dict] = {}
    for batch in batches(valid, settings.max_batch_tokens):
        for item, result in zip(batch, analyze_safely(analyze, batch)):
            results[item.line] = result
    outputs, failures = [], []
    for item in window:
        result = results.get(item.line)
        if item.error is not None:
            failures.append(item.error)
        elif "error" in result:
            failures.append(result["error"])
        else:
            outputs.append(output_record(item, result, settings.carry))
    return outputs, failures


def summarize_run(tally: Tally, seconds: float, paths: InferPaths, resumed: bool) -> dict[str, Any]:
    processed = tally.records - tally.skipped
    return {
        "records": tally.records, "processed": processed, "skipped_as_done": tally.skipped,
        "ok": tally.ok, "errors": sum(tally.errors.values()), "errors_by_code": dict(sorted(tally.errors.items())),
        "seconds": round(seconds, 3), "records_per_second": round(processed / seconds, 2) if seconds > 0 else None,
        "resumed": resumed, "output": str(paths.output or "-"), "errors_file": str(paths.errors),
    }


class _open_output:
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


class _progress:
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
        self.bar.set_postfix(records=tally.records, errors=sum(tally.errors.values()),
                             rec_s=f"{(tally.records - tally.skipped) / elapsed:.1f}")

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
