"""A long run hands freed heap memory back: RSS follows what the process holds, not what it held."""

from __future__ import annotations

import json

import pytest

from nlp.config import load_config
from nlp.infer import window as window_module
from nlp.infer.run import run_infer
from nlp.infer.window import _malloc_trim, trim_heap


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(_malloc_trim() is None, reason="malloc_trim is glibc's; elsewhere trim_heap does nothing")
def test_trim_heap_returns_freed_heap_memory_to_the_system():
    blobs = [bytearray(2048) for _ in range(60_000)]  # about 120 MB in heap-sized pieces
    pin = bytearray(2048)  # allocated above them: the heap's top cannot shrink back over it by itself
    del blobs
    before = rss_mb()
    trim_heap()
    assert before - rss_mb() > 60, "freed memory stayed with the process"
    del pin


def test_every_window_ends_with_a_trim(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(window_module, "trim_heap", lambda: calls.append(1))
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": f"North Korea fired {i}."}) + "\n" for i in range(10)))
    config = load_config(None, ["infer.progress=false", "infer.window=4"])
    stub = lambda texts, ids: [{"summary": {"text": t[:10]}} for t in texts]  # noqa: E731
    assert run_infer(config, str(source), str(tmp_path / "out.jsonl"), analyze=stub)["ok"] == 10
    assert len(calls) == 3  # windows of 4, 4 and 2 records
