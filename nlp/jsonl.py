"""JSONL in and out for batch inference: a streaming reader with bounded memory, and the writer.

`read_lines` turns every non-blank input line into exactly one `InputLine`, valid or carrying an
error record, so a runner can write one output or one error per input line and never crash on
bad data. Memory stays bounded whatever the input: lines are read with `readline(limit)` and an
over-long line is discarded in chunks, never held whole. Each line also gets a short digest of its
content (`InputLine.digest`, `input_digest` in records), which is how a resumed run knows that
the lines done before are still the lines of the input.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from nlp.errors import InputError, shorten

_BOM = b"\xef\xbb\xbf"
_EXCERPT_CHARS = 80


@dataclass(frozen=True, slots=True)
class InputLine:
    """One non-blank input line: a valid record (`error` is None) or an error record; `digest` is
    `line_digest` of the line's content (16 hex characters)."""

    line: int
    id: str | int | None
    text: str | None
    record: dict | None
    error: dict | None
    digest: str = field(default="", compare=False)


class _Rejected(Exception):
    """A line turned into an error record; `id` is the record's id when it is already known."""

    def __init__(self, code: str, message: str, id: str | int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.id = code, message, id


def read_lines(
    stream: BinaryIO,
    text_field: str = "text",
    id_field: str = "id",
    max_line_bytes: int = 1_000_000,
    max_depth: int = 64,
) -> Iterator[InputLine]:
    """One `InputLine` per non-blank line of `stream`, in order; blank lines still count as lines.

    Ids must be unique: the first line with an id owns it (even if that line is an error record,
    so each id appears once across outputs and errors); later lines with it are `duplicate_id`.
    A record without `id_field` gets its line number as id, which takes part in that check too.
    """
    seen: set[bytes] = set()
    for number, content, too_long, terminated, digest in _physical_lines(stream, max_line_bytes):
        if not too_long and not content.strip():
            continue
        try:
            if too_long:
                raise _Rejected(
                    "line_too_long",
                    f"line is longer than {max_line_bytes} bytes; shorten the record or raise infer.max_line_bytes",
                )
            value = _parse(_decode(content, terminated), max_depth, terminated)
            checked = _check_record(value, number, text_field, id_field, seen)
            if b"\\ud" in content.lower():  # a surrogate escape somewhere: can every field be written?
                _check_writable(value, checked.id)
            yield InputLine(checked.line, checked.id, checked.text, checked.record, None, digest)
        except _Rejected as rejected:
            error = {
                "line": number,
                "id": rejected.id,
                "code": rejected.code,
                "message": rejected.message,
                "excerpt": _excerpt(content),
                "input_digest": digest,
            }
            yield InputLine(number, rejected.id, None, None, error, digest)


def line_digests(stream: BinaryIO, max_line_bytes: int = 1_000_000) -> Iterator[tuple[int, str]]:
    """(line number, digest) of each non-blank line, as `read_lines` numbers and digests them; nothing
    is parsed, so reading a file for a resume check costs little more than the read."""
    for number, content, too_long, _, digest in _physical_lines(stream, max_line_bytes):
        if too_long or content.strip():
            yield number, digest


def line_digest(content: bytes) -> str:
    """16 hex characters (blake2b, 64 bits) of a line's content, without its line ending or a BOM."""
    return hashlib.blake2b(content, digest_size=8).hexdigest()


def _physical_lines(stream: BinaryIO, max_line_bytes: int) -> Iterator[tuple[int, bytes, bool, bool, str]]:
    """(line number, content without BOM and line ending, too long, ended by a newline, digest).

    For a too-long line the content is only its head, enough for the excerpt; its digest covers all of it.
    """
    limit = max_line_bytes + 2  # room for "\r\n" after a line of exactly max_line_bytes
    number = 0
    while True:
        size = limit + len(_BOM) if number == 0 else limit
        chunk = _readline(stream, size, number + 1)
        if not chunk:
            return
        number += 1
        if number == 1 and chunk.startswith(_BOM):
            chunk = chunk[len(_BOM) :]
        terminated = chunk.endswith(b"\n")
        if not terminated and len(chunk) >= limit:
            terminated, digest = _discard_rest(stream, limit, number, chunk)
            yield number, chunk[: _EXCERPT_CHARS * 4], True, terminated, digest
            continue
        content = chunk[:-1] if terminated else chunk
        if content.endswith(b"\r"):
            content = content[:-1]
        too_long = len(content) > max_line_bytes
        yield number, content[: _EXCERPT_CHARS * 4] if too_long else content, too_long, terminated, line_digest(content)


def _readline(stream: BinaryIO, size: int, number: int) -> bytes:
    try:
        return stream.readline(size)
    except (OSError, EOFError, zlib.error) as exc:
        # A corrupt or truncated .gz fails here, not at open.
        raise InputError(
            f"input line {number}: cannot read the input ({exc}); check the file is complete (gzip -t for .gz)"
        ) from exc


def _discard_rest(stream: BinaryIO, limit: int, number: int, head: bytes) -> tuple[bool, str]:
    """Consume the rest of an over-long line in chunks of `limit`: (ended by a newline, digest of the
    whole line's content, as `line_digest` would give it)."""
    hasher = hashlib.blake2b(digest_size=8)
    held = head  # one chunk is held back, so that the line ending is left out of the digest
    while chunk := _readline(stream, limit, number):
        hasher.update(held)
        held = chunk
        if chunk.endswith(b"\n"):
            break
    terminated = held.endswith(b"\n")
    held = held[:-1] if terminated else held
    hasher.update(held[:-1] if held.endswith(b"\r") else held)
    return terminated, hasher.hexdigest()


def _excerpt(content: bytes) -> str:
    """The first 80 characters of the line; 4 bytes per character is the most UTF-8 needs."""
    return content[: _EXCERPT_CHARS * 4].decode("utf-8", errors="replace")[:_EXCERPT_CHARS]


def _decode(content: bytes, terminated: bool) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not terminated:
            raise _torn() from None
        raise _Rejected(
            "invalid_utf8",
            f"bytes at offset {exc.start} are not valid UTF-8 ({exc.reason}); "
            "re-encode the input as UTF-8 (e.g. iconv -t utf-8)",
        ) from None


def _torn() -> _Rejected:
    return _Rejected(
        "torn_line",
        "the last line has no trailing newline and is not valid JSON (a write "
        "cut short); complete or remove the last line",
    )


def _parse(text: str, max_depth: int, terminated: bool) -> Any:
    """The JSON value of `text`; strict: no NaN/Infinity, no overflowing floats, bounded depth."""
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except json.JSONDecodeError as exc:
        if not terminated:
            raise _torn() from None
        raise _Rejected(
            "invalid_json", f"invalid JSON: {exc.msg} at column {exc.colno}; make the line one complete JSON object"
        ) from None
    except _Rejected:
        raise
    except ValueError as exc:  # e.g. an integer with more than 4300 digits
        raise _Rejected("invalid_json", f"invalid JSON: {exc}; make the line one valid JSON object") from None
    # Counting brackets (strings included) bounds the depth from above, at C speed.
    if text.count("{") + text.count("[") > max_depth and _deeper_than(value, max_depth):
        raise _too_deep(max_depth)
    return value


def _reject_constant(token: str) -> Any:
    raise _Rejected(
        "nan_or_infinity",
        f"the JSON contains {token}, which is not standard JSON; write null or a finite number instead",
    )


def _finite_float(token: str) -> float:
    number = float(token)
    if not math.isfinite(number):
        raise _Rejected(
            "nan_or_infinity", f"the number {token[:40]} overflows to infinity; write a finite number or null instead"
        )
    return number


def _too_deep(max_depth: int) -> _Rejected:
    return _Rejected(
        "too_deep", f"JSON nesting is deeper than {max_depth} levels; flatten the record or raise infer.max_depth"
    )


def _deeper_than(value: Any, max_depth: int) -> bool:
    """Whether containers nest deeper than `max_depth` (the top level is depth 1); no recursion."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _check_record(value: Any, number: int, text_field: str, id_field: str, seen: set[bytes]) -> InputLine:
    if not isinstance(value, dict):
        raise _Rejected(
            "not_an_object",
            f'expected a JSON object, found {_kind(value)}; write each line as {{"{text_field}": "..."}}',
        )
    record_id = _record_id(value, id_field, number)
    digest = _digest(record_id)
    if digest in seen:
        raise _Rejected(
            "duplicate_id",
            f"{id_field} {shorten(repr(record_id), 120)} already appeared earlier in this input; "
            "give each record a unique id",
            record_id,
        )
    seen.add(digest)
    text = _record_text(value, text_field, record_id)
    return InputLine(number, record_id, text, value, None)


def _record_id(record: dict, id_field: str, number: int) -> str | int:
    if id_field not in record:
        return number
    value = record[id_field]
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        found = '""' if value == "" else f"{_kind(value)} {json.dumps(value)[:40]}"
        raise _Rejected(
            "bad_id",
            f'field "{id_field}" must be a non-empty string or an integer, found '
            f"{found}; fix it, or drop the field to use the line number",
        )
    if isinstance(value, str) and (index := _surrogate_at(value)) is not None:
        # An id that cannot be written as UTF-8 cannot go into the error record either.
        raise _Rejected("lone_surrogate", _surrogate_message(id_field, index))
    return value


def _record_text(record: dict, text_field: str, record_id: str | int) -> str:
    if text_field not in record:
        raise _Rejected(
            "missing_text",
            f'field "{text_field}" is missing; add it, or point infer.text_field at the field holding the text',
            record_id,
        )
    text = record[text_field]
    if not isinstance(text, str):
        raise _Rejected(
            "text_not_string",
            f'field "{text_field}" must be a string, found {_kind(text)}; write the text as a JSON string',
            record_id,
        )
    if not text.strip():
        raise _Rejected(
            "empty_text", f'field "{text_field}" is empty or whitespace only; fill it in or drop the line', record_id
        )
    if (index := _surrogate_at(text)) is not None:
        raise _Rejected("lone_surrogate", _surrogate_message(text_field, index), record_id)
    return text


def _check_writable(record: dict, record_id: str | int) -> None:
    """A lone surrogate in any field (e.g. one `infer.carry` copies) would fail the UTF-8 write."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _Rejected(
            "lone_surrogate",
            "a field contains a lone UTF-16 surrogate, which cannot be written "
            "as UTF-8; fix the \\uXXXX escape (surrogates must come in pairs)",
            record_id,
        ) from None


def _surrogate_at(text: str) -> int | None:
    """Index of the first lone UTF-16 surrogate (e.g. from a "\\ud800" escape), if any."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _surrogate_message(field: str, index: int) -> str:
    return (
        f'field "{field}" contains a lone UTF-16 surrogate at character {index}, which cannot be '
        "written as UTF-8; fix the \\uXXXX escape (surrogates must come in pairs)"
    )


def _digest(record_id: str | int) -> bytes:
    """8 bytes per id keeps millions of ids small; the prefix keeps 1 and "1" apart."""
    canonical = f"i:{record_id}" if isinstance(record_id, int) else f"s:{record_id}"
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=8).digest()


def _kind(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def open_input(path: str) -> BinaryIO:
    """The input as a binary stream: "-" is stdin, a path ending in .gz is decompressed on the fly."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")  # type: ignore[return-value]
    except FileNotFoundError:
        raise InputError(f"`input_path` {path}: no such file; check the path, or pass - to read stdin") from None
    except OSError as exc:
        raise InputError(f"`input_path` {path}: cannot open ({exc.strerror}); pass a readable JSONL file") from None


def dumps(obj: dict) -> str:
    """`obj` as one compact JSON line ending in "\\n"; UTF-8 as is, NaN/Infinity refused (ValueError)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
