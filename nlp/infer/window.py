"""One window of records through the models: token-budget batches, OOM splitting, error records.

Below both infer backends: the local runner calls `process_window` directly, the Ray actors call it
inside `map_batches`. Results come back in input order.
"""

from __future__ import annotations

import ctypes
import functools
import logging
from collections.abc import Callable, Iterator

from nlp.errors import InputError
from nlp.jsonl import InputLine
from nlp.schema import Config

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


def analyze_safely(
    analyze: Callable[[list[str], list], list[dict]], items: list[InputLine], title_field: str | None = None
) -> list[dict]:
    """Results in item order; a failing batch is split in halves and retried, down to one record,
    whose failure becomes an error record ({"error": ...}). When a record has a string `title_field`,
    the batch's titles go to `analyze` as `titles=` (None where a record has none)."""
    titles = [title_of(i, title_field) for i in items] if title_field else []
    try:
        if any(titles):
            return analyze([i.text for i in items], [i.id for i in items], titles=titles)
        return analyze([i.text for i in items], [i.id for i in items])
    except Exception as exc:  # noqa: BLE001 - filtered just below
        if not is_recoverable(exc):
            raise
        _release_cached_memory()
        if len(items) == 1:
            code = getattr(exc, "code", None) or ("too_long" if isinstance(exc, InputError) else "out_of_memory")
            log.warning("line %d: %s", items[0].line, exc)
            return [{"error": error_record(items[0], code, str(exc).splitlines()[0])}]
        log.info("batch of %d failed (%s); splitting it", len(items), type(exc).__name__)
        middle = len(items) // 2
        return analyze_safely(analyze, items[:middle], title_field) + analyze_safely(
            analyze, items[middle:], title_field
        )


def title_of(item: InputLine, field: str) -> str | None:
    """The record's headline: its `field` when that is a non-blank string, else None."""
    value = item.record.get(field) if item.record else None
    return value if isinstance(value, str) and value.strip() else None


def bad_title(item: InputLine, field: str) -> dict | None:
    """An error record when the record's `field` is present but neither a string nor null."""
    value = item.record.get(field) if item.record else None
    if value is None or isinstance(value, str):
        return None
    return error_record(
        item,
        "bad_title",
        f'field "{field}" is {type(value).__name__}, not a string; give the headline as a string or null, '
        "or point infer.title_field at another field",
    )


def trim_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc's `malloc_trim`); a no-op elsewhere.

    A long run allocates and frees many small buffers (tokenizations, tensors, sentence vectors);
    glibc keeps freed memory in its heap, so a process's RSS crept up over a run while what it held
    stayed flat: +124 MB over 100k records, and 882 -> 559 MB at the end of a 30k-record run when
    trimmed (README "Performance"). Called once per window; it takes about a millisecond.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        return None


def _release_cached_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def error_record(item: InputLine, code: str, message: str) -> dict:
    record = {"line": item.line, "id": item.id, "code": code, "message": message, "excerpt": (item.text or "")[:80]}
    return record | {"input_digest": item.digest}


def output_record(item: InputLine, result: dict, carry: list[str]) -> dict:
    record = {"id": item.id, "line": item.line}
    record.update({field: item.record[field] for field in carry if field in item.record})
    record.update({key: value for key, value in result.items() if key != "id"})
    record["input_digest"] = item.digest  # what `resume` checks the input against
    return record


def check_carry(windows: Iterator[list[InputLine]], carry: list[str]) -> Iterator[list[InputLine]]:
    """The windows, unchanged; at the first window with records, one warning for the `infer.carry`
    fields that none of its records has, naming the fields they do have (a typo would otherwise
    vanish silently: a record without a carried field has no such key in the output)."""
    pending = list(carry)
    for window in windows:
        records = [item.record for item in window if item.error is None and item.record]
        if pending and records:
            absent = [name for name in pending if not any(name in record for record in records)]
            if absent:
                seen = sorted({key for record in records for key in record})
                log.warning(
                    "infer.carry: the first %d records have no field %s (their fields: %s); records without "
                    "a carried field have no such key in the output",
                    len(records),
                    " or ".join(repr(name) for name in absent),
                    ", ".join(seen[:30]) + (", ..." if len(seen) > 30 else ""),
                )
            pending = []
        yield window


def process_window(
    window: list[InputLine], analyze: Callable, settings, on_batch: Callable[[int], None] | None = None
) -> tuple[list[dict], list[dict]]:
    """(output records in input order, error records in input order) for one window; `on_batch(n)` is
    called after each batch of n records (the progress bar)."""
    results: dict[int, dict] = {}
    for item in window:
        problem = bad_title(item, settings.title_field) if item.error is None else None
        if problem is not None:
            results[item.line] = {"error": problem}
    valid = [item for item in window if item.error is None and item.line not in results]
    for batch in batches(valid, settings.max_batch_tokens):
        for item, result in zip(batch, analyze_safely(analyze, batch, settings.title_field)):
            results[item.line] = result
        if on_batch is not None:
            on_batch(len(batch))
    outputs, failures = [], []
    for item in window:
        result = results.get(item.line)
        if item.error is not None:
            failures.append(item.error)
        elif "error" in result:
            failures.append(result["error"])
        else:
            outputs.append(output_record(item, result, settings.carry))
    trim_heap()
    return outputs, failures


def build_analyze(config: Config) -> Callable[..., list[dict]]:
    """`analyze(texts, ids, titles=None)` of an Analyzer built from `config`, reading `infer.format`."""
    from nlp.tasks.analyze import Analyzer

    if config.infer.format == "html":
        from nlp.html import require_html

        require_html()
    analyzer = Analyzer(config)

    def analyze(texts: list[str], ids: list, titles: list[str | None] | None = None) -> list[dict]:
        return analyzer.analyze(texts, ids, titles=titles, format=config.infer.format)

    return analyze
