from __future__ import annotations

import gzip
import io
import json
import math
import tracemalloc

import pytest

from nlp.errors import InputError
from nlp.jsonl import InputLine, dumps, open_input, read_lines


def read(data: bytes, **kwargs) -> list[InputLine]:
    return list(read_lines(io.BytesIO(data), **kwargs))


def codes(lines: list[InputLine]) -> list[str | None]:
    return [line.error["code"] if line.error else None for line in lines]


def only_error(data: bytes, **kwargs) -> dict:
    [line] = read(data, **kwargs)
    assert line.error is not None, line
    assert line.text is None and line.record is None
    return line.error


class LongLine(io.RawIOBase):
    """`size` bytes of "a", then a newline and `tail`, generated on demand and never held whole."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.remaining, self.tail, self.block = size, b"\n" + tail, b"a" * 65536

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.remaining:
            n = min(len(buffer), self.remaining, len(self.block))
            buffer[:n] = self.block[:n]
            self.remaining -= n
            return n
        n = min(len(buffer), len(self.tail))
        buffer[:n], self.tail = self.tail[:n], self.tail[n:]
        return n


class ReadlineRecorder:
    """Wraps a binary stream and records the largest readline() size asked for and returned."""

    def __init__(self, stream) -> None:
        self.stream, self.largest_asked, self.largest_returned = stream, 0, 0

    def readline(self, size: int = -1) -> bytes:
        self.largest_asked = max(self.largest_asked, size if size >= 0 else math.inf)
        chunk = self.stream.readline(size)
        self.largest_returned = max(self.largest_returned, len(chunk))
        return chunk


def test_valid_record_yields_its_id_text_and_record():
    [line] = read(b'{"id": "a1", "text": "Hello", "url": "u"}\n')
    assert line == InputLine(1, "a1", "Hello", {"id": "a1", "text": "Hello", "url": "u"}, None)


def test_id_defaults_to_the_line_number_when_the_record_has_none():
    lines = read(b'{"text": "one"}\n\n{"text": "two", "id": 7}\n{"text": "three"}\n')
    assert [(line.line, line.id) for line in lines] == [(1, 1), (3, 7), (4, 4)]


def test_custom_text_and_id_fields_are_used():
    [line] = read(b'{"key": "k", "body": "b"}\n', text_field="body", id_field="key")
    assert (line.id, line.text) == ("k", "b")


def test_bom_crlf_and_blank_lines_are_handled_quietly():
    data = b'\xef\xbb\xbf{"text": "a"}\r\n\r\n   \t \r\n{"text": "b"}\r\n\n'
    lines = read(data)
    assert codes(lines) == [None, None]
    assert [line.text for line in lines] == ["a", "b"]


def test_line_numbers_count_blank_lines():
    lines = read(b'\n{"text": "a"}\n\n\n{"text": 1}\n  \n{"text": "c"}\n')
    assert [line.line for line in lines] == [2, 5, 7]
    assert lines[1].error["line"] == 5


def test_line_too_long_is_an_error_naming_the_limit_and_config_key_and_reading_goes_on():
    data = b'{"text": "' + b"x" * 200 + b'"}\n{"text": "ok"}\n'
    lines = read(data, max_line_bytes=100)
    assert codes(lines) == ["line_too_long", None]
    assert "100" in lines[0].error["message"] and "infer.max_line_bytes" in lines[0].error["message"]
    assert lines[0].error["excerpt"] == '{"text": "' + "x" * 70
    assert (lines[1].line, lines[1].text) == (2, "ok")


def test_line_of_exactly_max_line_bytes_is_accepted_with_lf_or_crlf():
    record = b'{"text": "' + b"x" * 88 + b'"}'
    assert len(record) == 100
    assert codes(read(record + b"\n" + record + b"\r\n" + record, max_line_bytes=100)) == [None, None, None]
    assert codes(read(b" " + record + b"\n", max_line_bytes=100)) == ["line_too_long"]


def test_over_long_line_is_discarded_in_bounded_chunks_never_held_whole():
    limit = 1_000_000
    stream = ReadlineRecorder(io.BufferedReader(LongLine(50_000_000, b'{"text": "after"}\n'), 1 << 20))
    tracemalloc.start()
    try:
        lines = list(read_lines(stream, max_line_bytes=limit))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert codes(lines) == ["line_too_long", None]
    assert lines[0].error["excerpt"] == "a" * 80
    assert (lines[1].line, lines[1].text) == (2, "after")
    assert stream.largest_asked <= limit + 16
    assert stream.largest_returned <= limit + 16
    assert peak < 8 * limit


def test_invalid_utf8_is_an_error_giving_the_byte_offset():
    error = only_error(b'{"text": "caf\xe9"}\n')
    assert error["code"] == "invalid_utf8"
    assert "offset 13" in error["message"]
    assert error["excerpt"] == '{"text": "caf\ufffd"}'


def test_torn_last_line_is_an_error_but_a_valid_last_line_without_newline_is_not():
    assert codes(read(b'{"text": "a"}\n{"text": "b"}')) == [None, None]
    lines = read(b'{"text": "a"}\n{"text": "cut sho')
    assert codes(lines) == [None, "torn_line"]
    assert lines[1].error["line"] == 2
    # A write cut inside a multi-byte character is torn too, not invalid UTF-8.
    assert codes(read(b'{"text": "caf\xc3')) == ["torn_line"]
    # The same bytes with a newline were written whole, so they are plain invalid JSON.
    assert codes(read(b'{"text": "cut sho\n')) == ["invalid_json"]


def test_invalid_json_is_an_error_giving_the_reason_and_column():
    error = only_error(b'{"text": "a",, "id": 1}\n')
    assert error["code"] == "invalid_json"
    assert "column 14" in error["message"] and "Expecting" in error["message"]


def test_integer_too_large_for_python_is_invalid_json_not_a_crash():
    assert only_error(b'{"id": ' + b"9" * 5000 + b', "text": "a"}\n')["code"] == "invalid_json"


@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"-Infinity", b'[1, {"x": NaN}]', b"1e999", b"-1e400"])
def test_nan_or_infinity_anywhere_is_an_error(value):
    error = only_error(b'{"text": "a", "score": ' + value + b"}\n")
    assert error["code"] == "nan_or_infinity"


def test_nesting_deeper_than_max_depth_is_too_deep():
    def nested(depth: int) -> bytes:
        return b'{"text": "a", "x": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}\n"

    assert codes(read(nested(4), max_depth=4)) == [None]
    assert codes(read(nested(5), max_depth=4)) == ["too_deep"]
    # Brackets inside strings do not count as nesting.
    assert codes(read(b'{"text": "[[[[[[[[{{{{{{"}\n', max_depth=2)) == [None]
    # Deep enough to hit Python's recursion limit inside json itself.
    assert codes(read(nested(100_000), max_line_bytes=1_000_000)) == ["too_deep"]


@pytest.mark.parametrize("value", [b"[1, 2]", b'"text"', b"3", b"null", b"true"])
def test_valid_json_that_is_not_an_object_is_an_error(value):
    assert only_error(value + b"\n")["code"] == "not_an_object"


@pytest.mark.parametrize("value", [b"true", b"1.5", b"null", b'""', b"[1]", b'{"a": 1}'])
def test_id_that_is_not_a_nonempty_string_or_int_is_bad_id(value):
    error = only_error(b'{"id": ' + value + b', "text": "a"}\n')
    assert error["code"] == "bad_id"
    assert error["id"] is None
    assert '"id"' in error["message"]


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (b'{"id": 1}', "missing_text"),
        (b'{"id": 1, "text": ["a"]}', "text_not_string"),
        (b'{"id": 1, "text": null}', "text_not_string"),
        (b'{"id": 1, "text": ""}', "empty_text"),
        (b'{"id": 1, "text": " \\n\\t "}', "empty_text"),
    ],
)
def test_text_problems_are_errors_naming_the_field_and_carrying_the_id(record, code):
    error = only_error(record.replace(b'"text"', b'"body"') + b"\n", text_field="body")
    assert error["code"] == code
    assert '"body"' in error["message"]
    assert error["id"] == 1


def test_lone_surrogate_in_text_or_id_is_an_error():
    text_error = only_error(b'{"id": "a", "text": "ok \\ud800 no"}\n')
    assert (text_error["code"], text_error["id"]) == ("lone_surrogate", "a")
    assert "character 3" in text_error["message"]
    id_error = only_error(b'{"id": "\\udc00", "text": "fine"}\n')
    assert (id_error["code"], id_error["id"]) == ("lone_surrogate", None)
    # A proper surrogate pair is one character and fine.
    assert read(b'{"text": "\\ud83d\\ude00"}\n')[0].text == "\U0001f600"


def test_duplicate_id_keeps_the_first_and_tells_1_from_string_1():
    lines = read(
        b'{"id": 1, "text": "a"}\n{"id": "1", "text": "b"}\n{"id": 1, "text": "c"}\n{"id": "1", "text": "d"}\n'
    )
    assert codes(lines) == [None, None, "duplicate_id", "duplicate_id"]
    assert [line.id for line in lines] == [1, "1", 1, "1"]
    assert [line.text for line in lines[:2]] == ["a", "b"]


def test_first_occurrence_owns_its_id_even_when_it_is_an_error_record():
    lines = read(b'{"id": "x"}\n{"id": "x", "text": "b"}\n{"text": "c"}\n{"id": 3, "text": "d"}\n')
    assert codes(lines) == ["missing_text", "duplicate_id", None, "duplicate_id"]


def test_excerpt_is_the_first_80_characters_decoded_with_replacement():
    error = only_error(b'{"text": ' + "é".encode() * 100 + b"\xff}\n")
    assert error["excerpt"] == '{"text": ' + "é" * 71
    assert set(error) == {"line", "id", "code", "message", "excerpt", "input_digest"}


def test_every_non_blank_line_yields_exactly_one_input_line_in_order():
    rows = [
        (b'{"id": "ok", "text": "fine"}', None),
        (b'{"text": "' + b"x" * 300 + b'"}', "line_too_long"),
        (b'{"text": "\xff"}', "invalid_utf8"),
        (b'{"text": "a",}', "invalid_json"),
        (b'{"text": "a", "n": NaN}', "nan_or_infinity"),
        (b'{"text": "a", "x": [[[[[[1]]]]]]}', "too_deep"),
        (b"[1]", "not_an_object"),
        (b'{"id": false, "text": "a"}', "bad_id"),
        (b'{"id": "m"}', "missing_text"),
        (b'{"text": 5}', "text_not_string"),
        (b'{"text": "  "}', "empty_text"),
        (b'{"text": "\\ud800"}', "lone_surrogate"),
        (b'{"id": "ok", "text": "again"}', "duplicate_id"),
        (b'{"text": "no id"}', None),
        (b'{"text": "torn', "torn_line"),
    ]
    data = b"\n\n".join(row for row, _ in rows)
    lines = read(data, max_line_bytes=200, max_depth=4)
    assert codes(lines) == [code for _, code in rows]
    assert [line.line for line in lines] == list(range(1, 2 * len(rows), 2))
    assert lines[-2].id == 27


def test_open_input_reads_plain_and_gzip_files(tmp_path):
    payload = b'{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n'
    (tmp_path / "in.jsonl").write_bytes(payload)
    with gzip.open(tmp_path / "in.jsonl.gz", "wb") as out:
        out.write(payload)
    for name in ("in.jsonl", "in.jsonl.gz"):
        with open_input(str(tmp_path / name)) as stream:
            assert [line.text for line in read_lines(stream)] == ["a", "b"]


def test_open_input_dash_is_stdin(monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b'{"text": "piped"}\n'))
    monkeypatch.setattr("sys.stdin", stdin)
    assert open_input("-") is stdin.buffer


def test_open_input_missing_file_raises_input_error(tmp_path):
    missing = str(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match=rf"^`input_path` {missing}: no such file"):
        open_input(missing)


def test_dumps_writes_one_compact_utf8_line_that_round_trips():
    obj = {"id": 1, "text": 'Pyongyang 평양 "quoted"\nnext', "scores": [0.5, None]}
    line = dumps(obj)
    assert line.endswith("\n") and line.count("\n") == 1
    assert "평양" in line and ", " not in line and '": ' not in line
    assert json.loads(line) == obj


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_dumps_rejects_nan_and_infinity(value):
    with pytest.raises(ValueError):
        dumps({"score": value})


def test_lone_surrogate_in_another_field_is_an_error_too():
    stream = io.BytesIO(b'{"id": "a", "text": "North Korea", "title": "bad \\udc00 title"}\n')
    (item,) = read_lines(stream)
    assert item.error["code"] == "lone_surrogate" and item.error["id"] == "a"


def corrupt_gzip(path, lines: int = 2000) -> None:
    """A gzip file whose deflate stream is damaged in the middle (zlib.error, not OSError, when read)."""
    import random

    data = "".join(json.dumps({"id": i, "text": f"North Korea item {i} " * 20}) + "\n" for i in range(lines))
    packed = bytearray(gzip.compress(data.encode()))
    rng = random.Random(0)
    for _ in range(200):
        packed[rng.randrange(20, len(packed) - 20)] ^= 0xFF
    path.write_bytes(bytes(packed))


def test_a_corrupt_gzip_input_is_an_input_error_naming_the_line(tmp_path):
    corrupt_gzip(tmp_path / "in.jsonl.gz")
    with pytest.raises(InputError, match=r"^input line \d+: cannot read the input .*gzip -t"):
        list(read_lines(open_input(str(tmp_path / "in.jsonl.gz"))))


def test_a_truncated_gzip_input_is_an_input_error(tmp_path):
    packed = gzip.compress(b'{"id": 1, "text": "a"}\n' * 1000)
    (tmp_path / "in.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError, match="cannot read the input"):
        list(read_lines(open_input(str(tmp_path / "in.jsonl.gz"))))


def test_a_duplicate_id_of_200kb_is_not_repeated_in_the_message():
    big = "x" * 200_000
    lines = read(json.dumps({"id": big, "text": "a"}).encode() + b"\n" + json.dumps({"id": big, "text": "b"}).encode())
    error = lines[1].error
    assert error["code"] == "duplicate_id" and error["id"] == big
    assert len(error["message"]) < 400 and "..." in error["message"]


def test_each_line_carries_a_digest_of_its_content():
    lines = read(b'{"id": 1, "text": "a"}\n{"id": 2, "text": "a"}\r\n\n{"id": 1, "text": "a"}\nnot json\n')
    first, second, again, bad = (line.digest for line in lines)
    assert len(first) == 16 and first != second and first == again  # same content, same digest
    assert bad == lines[3].error["input_digest"] and len(bad) == 16
    crlf = read(b'{"id": 1, "text": "a"}\r\n')[0].digest
    bom = read(b'\xef\xbb\xbf{"id": 1, "text": "a"}\n')[0].digest
    assert crlf == bom == first  # line endings and a BOM are not content


def test_an_over_long_line_gets_the_digest_of_all_of_it():
    head = b'{"text": "' + b"a" * 5000
    one, other = read(head + b'b"}\n' + head + b'c"}\n', max_line_bytes=1024)
    assert one.error["code"] == other.error["code"] == "line_too_long"
    assert one.digest != other.digest
