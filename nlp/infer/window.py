"""One window of records through the models: token-budget batches, OOM splitting, error records.

Below both infer backends: the local runner calls `process_window` directly, the Ray actors call it
inside `map_batches`. Results come back in input order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from nlp.config import Config
from nlp.errors import InputError
from nlp.jsonl import InputLine

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
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


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


def build_analyze(config: Config) -> Callable[[list[str], list], list[dict]]:
    from nlp.tasks.analyze import Analyzer

    return Analyzer(config).analyze
