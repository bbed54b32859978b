"""`nlp infer` as real processes: two runs on one output, SIGTERM, a seeded loop of kill -9 and
--resume, the input given as the output. The models are replaced by a stub (stub_cli.py), so what
is tested is the runner's bookkeeping; tests/infer/test_run.py kills runs with the real models."""

from __future__ import annotations

import json
import os
import random
import signal
import time

import pytest
from reliability.common import QUIET, read_jsonl, records, stub_run, stub_start, write_jsonl


def results(rows: list[dict]) -> list[dict]:
    """The records without `run_id`, which names the process that wrote each (a resumed run has its own)."""
    return [{key: value for key, value in row.items() if key != "run_id"} for row in rows]


def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def lines_in(path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def holds_lock(path, pid: int) -> bool:
    try:
        return f'"pid": {pid}' in path.read_text()
    except OSError:
        return False


def infer_args(source, output, *extra):
    """argv for `nlp infer`: flags first, then every key=value (argparse wants them together)."""
    flags = [item for item in extra if str(item).startswith("--")]
    overrides = [item for item in extra if not str(item).startswith("--")]
    return ["infer", "--input", source, "--output", output, *flags, *QUIET, *overrides]


def test_a_second_run_on_a_busy_output_exits_3_naming_the_first(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(24))
    output = tmp_path / "out.jsonl"
    first = stub_start(*infer_args(source, output), delay=30.0)  # busy in its first window until killed
    try:
        wait_for(lambda: holds_lock(tmp_path / "out.lock", first.pid), 20)
        for flags in ([], ["--resume"], ["--overwrite"]):
            second = stub_run(*infer_args(source, output, *flags))
            assert second.returncode == 3, second.stderr
            assert f"in use by another run (pid {first.pid}" in second.stderr.strip().splitlines()[-1]
        assert first.poll() is None, "the first run ended before the others were refused"
    finally:
        first.kill()
        first.wait()
    assert not output.exists() or not read_jsonl(output)  # nobody else wrote into the first run's output
    assert stub_run(*infer_args(source, output, "--resume")).returncode == 0  # the lock went with the process
    assert [o["id"] for o in read_jsonl(output)] == [f"doc-{i}" for i in range(24)]


def test_sigterm_flushes_writes_the_summary_and_the_run_resumes(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(40))
    reference = tmp_path / "reference.jsonl"
    assert stub_run(*infer_args(source, reference)).returncode == 0
    output = tmp_path / "out.jsonl"
    run = stub_start(*infer_args(source, output), delay=0.1)
    wait_for(lambda: lines_in(output) >= 8)
    run.send_signal(signal.SIGTERM)
    assert run.wait(30) == 143
    stderr = run.stderr.read().strip().splitlines()
    assert len(stderr) == 1 and "terminated (SIGTERM)" in stderr[0] and "--resume" in stderr[0], stderr
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["interrupted"] is True and summary["ok"] == lines_in(output) < 40
    resumed = stub_run(*infer_args(source, output, "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    assert results(read_jsonl(output)) == results(read_jsonl(reference))


@pytest.mark.slow
def test_a_seeded_loop_of_kill_9_and_resume_writes_each_line_once(tmp_path):
    items = records(120)
    body = "".join(json.dumps(item) + "\n" for item in items[:60]) + "not json\n{}\n"
    body += "".join(json.dumps(item) + "\n" for item in items[60:]) + '{"id": "doc-3", "text": "again"}\n'
    source = tmp_path / "in.jsonl"
    source.write_text(body)
    reference = tmp_path / "reference.jsonl"
    assert stub_run(*infer_args(source, reference)).returncode == 0
    output, rng = tmp_path / "out.jsonl", random.Random(20240611)
    for _ in range(4):
        flags = ["--resume"] if (tmp_path / "out.manifest.json").exists() else []
        run = stub_start(*infer_args(source, output, *flags), delay=0.02)
        target = lines_in(output) + rng.randint(1, 25)
        wait_for(lambda run=run, target=target: lines_in(output) >= target or run.poll() is not None, 60)
        time.sleep(rng.random() * 0.05)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
    assert lines_in(output) < 120, "the runs finished before they could be killed"
    final = stub_run(*infer_args(source, output, "--resume"))
    assert final.returncode == 0, final.stderr
    outputs, errors = read_jsonl(output), read_jsonl(tmp_path / "out.errors.jsonl")
    assert sorted(o["line"] for o in outputs + errors) == list(range(1, 124))  # every line exactly once
    assert results(sorted(outputs, key=lambda o: o["line"])) == results(read_jsonl(reference))
    assert sorted(e["code"] for e in errors) == ["duplicate_id", "invalid_json", "missing_text"]


def test_the_input_given_as_the_output_with_overwrite_is_refused_and_kept(tmp_path):
    source = write_jsonl(tmp_path / "same.jsonl", records(3))
    before = source.read_bytes()
    for args in (
        infer_args(source, source, "--overwrite"),
        infer_args(source, tmp_path / "out.jsonl", "--overwrite", f"infer.errors_file={source}"),
    ):
        result = stub_run(*args)
        assert result.returncode == 3 and "is the input" in result.stderr.strip().splitlines()[-1], result.stderr
        assert source.read_bytes() == before
