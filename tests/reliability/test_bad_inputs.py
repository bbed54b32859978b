"""Bad input of many kinds never stops a run, never vanishes and never doubles: each non-blank input
line is once in the output or once in the errors file, with bounded error records; a damaged .gz
input or an empty one gets its documented exit code in one line."""

from __future__ import annotations

import gzip
import json
import random

from reliability.common import QUIET, read_jsonl, records, stub_run, write_jsonl

from nlp.config import load_config
from nlp.infer.run import run_infer

BIG_ID = "i" * 200_000


def bad_lines() -> dict[str, bytes]:
    rng = random.Random(5)
    kinds = {
        "invalid json": b'{"id": "a1", "text": "North Korea',
        "trailing garbage": b'{"id": "a2", "text": "x"} trailing',
        "json string": b'"North Korea fired"',
        "json array": b'["North Korea"]',
        "json null": b"null",
        "missing text": b'{"id": "a3"}',
        "null text": b'{"id": "a4", "text": null}',
        "object text": b'{"id": "a5", "text": {"body": "x"}}',
        "blank text": b'{"id": "a6", "text": " \\t "}',
        "nan": b'{"id": "a7", "text": "x", "score": NaN}',
        "overflowing float": b'{"id": "a8", "text": "x", "score": 1e999}',
        "5000 digits": b'{"id": "a9", "text": "x", "n": ' + b"7" * 5000 + b"}",
        "deep nesting": b'{"id": "a10", "text": "x", "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "invalid utf-8": b'{"id": "a11", "text": "North \xff Korea"}',
        "overlong utf-8": b'{"id": "a12", "text": "\xc0\xaf"}',
        "lone surrogate": b'{"id": "a13", "text": "x \\udc00"}',
        "surrogate in id": b'{"id": "\\ud800", "text": "x"}',
        "nul bytes": b'{"id": "a14", "text": "x\x00y"}',
        "bool id": b'{"id": true, "text": "x"}',
        "float id": b'{"id": 1.5, "text": "x"}',
        "empty id": b'{"id": "", "text": "x"}',
        "huge line": b'{"id": "a15", "text": "' + b"a" * 5_000_000 + b'"}',
        "big id": json.dumps({"id": BIG_ID, "text": "first"}).encode(),
        "big id again": json.dumps({"id": BIG_ID, "text": "second"}).encode(),
        "duplicate id": b'{"id": "doc-0", "text": "again"}',
        "cr only": b'{"id": "a16", "text": "x"}\r{"id": "a17", "text": "y"}',
    }
    for n in range(8):  # fuzzed bytes, newlines taken out so each stays one line
        kinds[f"fuzz {n}"] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))).replace(b"\n", b" ")
    return kinds


def test_every_non_blank_line_of_a_hostile_input_is_accounted_once(tmp_path):
    good = [json.dumps(item).encode() for item in records(10)]
    body = b"\n".join(good[:5] + list(bad_lines().values()) + good[5:]) + b"\n"
    source = tmp_path / "in.jsonl"
    source.write_bytes(body)
    config = load_config(None, QUIET)
    summary = run_infer(
        config, str(source), str(tmp_path / "out.jsonl"), analyze=lambda texts, ids: [{"n": len(t)} for t in texts]
    )
    outputs, errors = read_jsonl(tmp_path / "out.jsonl"), read_jsonl(tmp_path / "out.errors.jsonl")
    non_blank = [n for n, line in enumerate(body.split(b"\n"), 1) if line.strip()]
    assert sorted(o["line"] for o in outputs + errors) == non_blank
    assert summary["ok"] + summary["errors"] == len(non_blank) == summary["records"]
    assert all({"line", "id", "code", "message", "excerpt", "input_digest"} <= set(e) for e in errors)
    assert all(len(e["message"]) < 500 and len(e["excerpt"]) <= 80 for e in errors)
    assert [o["id"] for o in outputs if o["id"] != BIG_ID][:10] == [f"doc-{i}" for i in range(10)]
    assert sum(e["code"] == "duplicate_id" for e in errors) == 2


def test_a_damaged_gzip_input_is_exit_3_in_one_line(tmp_path):
    packed = bytearray(gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in records(3000))))
    rng = random.Random(0)
    for _ in range(200):
        packed[rng.randrange(20, len(packed) - 20)] ^= 0xFF
    (tmp_path / "in.jsonl.gz").write_bytes(bytes(packed))
    result = stub_run("infer", "--input", tmp_path / "in.jsonl.gz", "--output", tmp_path / "out.jsonl", *QUIET)
    assert result.returncode == 3, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "cannot read the input" in line and "gzip -t" in line


def test_an_empty_input_is_exit_0_with_a_warning_and_empty_outputs(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", [])
    result = stub_run("infer", "--input", tmp_path / "in.jsonl", "--output", tmp_path / "out.jsonl", *QUIET)
    assert result.returncode == 0, result.stderr
    assert "holds no records" in result.stderr and (tmp_path / "out.jsonl").read_text() == ""
