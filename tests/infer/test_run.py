from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import CORPUS, NLP, REPO, FakeTerminal
from nlp.config import load_config
from nlp.infer.run import run_infer


def write_config(tmp_path: Path, tiny_bart, tiny_nli, **infer) -> Path:
    settings = {"progress": False, "window": 8, **infer}
    lines = [
        "runtime:\n  device: cpu",
        f"summarizer:\n  model: {tiny_bart}\n  generation:\n    max_new_tokens: 6",
        f"topic:\n  model: {tiny_nli}\n  labels:\n    security: this text is about military security\n"
        "    diplomacy: this text is about diplomacy\n    sanctions: this text is about sanctions",
        f"stance:\n  model: {tiny_nli}",
        "infer:\n" + "\n".join(f"  {key}: {json.dumps(value)}" for key, value in settings.items()),
    ]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def config_file(tmp_path, tiny_bart, tiny_nli) -> Path:
    return write_config(tmp_path, tiny_bart, tiny_nli)


def records(n: int, start: int = 0) -> list[dict]:
    return [
        {"id": f"doc-{i}", "text": CORPUS[i % len(CORPUS)] + f" Item {i}.", "source": f"s{i % 3}"}
        for i in range(start, start + n)
    ]


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def results(records: list[dict]) -> list[dict]:
    """The records without `run_id`, which names the process that wrote each (two runs differ in it)."""
    return [{key: value for key, value in record.items() if key != "run_id"} for record in records]


def run(*args, stdin: bytes | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*NLP, "infer", *map(str, args)], capture_output=True, input=stdin, timeout=timeout, cwd=REPO)


BAD_LINES = {
    "invalid_json": b'{"id": "x1", "text": "North Korea',
    "not_an_object": b'["North Korea"]',
    "missing_text": b'{"id": "x3"}',
    "empty_text": b'{"id": "x4", "text": "   "}',
    "text_not_string": b'{"id": "x5", "text": 42}',
    "nan_or_infinity": b'{"id": "x6", "text": "North Korea", "score": NaN}',
    "too_deep": b'{"id": "x7", "text": "North Korea", "n": ' + b"[" * 100 + b"]" * 100 + b"}",
    "invalid_utf8": b'{"id": "x8", "text": "North \xff\xfe Korea"}',
    "lone_surrogate": b'{"id": "x9", "text": "North Korea \\ud800"}',
    "duplicate_id": b'{"id": "doc-0", "text": "Pyongyang again."}',
    "line_too_long": b'{"id": "x11", "text": "' + b"a" * 5000 + b'"}',
    "bad_id": b'{"id": [1], "text": "North Korea"}',
}


def test_bad_input_never_stops_the_run_and_every_line_is_accounted_once(tmp_path, tiny_bart, tiny_nli):
    config = write_config(tmp_path, tiny_bart, tiny_nli, max_line_bytes=2048)
    good = [json.dumps(item).encode() for item in records(6)]
    body = b"\xef\xbb\xbf" + good[0] + b"\r\n\r\n"  # BOM, CRLF and a blank line: quiet
    for line in [good[1], *BAD_LINES.values(), *good[2:]]:
        body += line + b"\n\n"
    body += b'{"id": "torn", "text": "North Korea fir'  # torn last line: no newline, not JSON
    source = tmp_path / "in.jsonl"
    source.write_bytes(body)
    result = run("--config", config, "--input", source, "--output", tmp_path / "out.jsonl")
    assert result.returncode == 0, result.stderr.decode()
    outputs, errors = read_jsonl(tmp_path / "out.jsonl"), read_jsonl(tmp_path / "out.errors.jsonl")
    assert [o["id"] for o in outputs] == [f"doc-{i}" for i in range(6)]
    assert sorted(e["code"] for e in errors) == sorted([*BAD_LINES, "torn_line"])
    non_blank = [n for n, line in enumerate(body.split(b"\n"), 1) if line.strip()]
    assert sorted([o["line"] for o in outputs] + [e["line"] for e in errors]) == non_blank
    assert all({"line", "code", "message", "excerpt"} <= set(e) for e in errors)
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["ok"] == 6 and summary["errors"] == len(BAD_LINES) + 1
    assert summary["errors_by_code"]["duplicate_id"] == 1


def test_output_keeps_input_order_ids_and_carried_fields(tmp_path, tiny_bart, tiny_nli):
    config = write_config(tmp_path, tiny_bart, tiny_nli, carry=["source"], max_batch_tokens=64)
    items = records(20)
    items[5]["text"] = " ".join([items[5]["text"]] * 12)  # a long one, batched apart
    write_jsonl(tmp_path / "in.jsonl", items)
    assert run("--config", config, "--input", tmp_path / "in.jsonl", "--output", tmp_path / "out.jsonl").returncode == 0
    outputs = read_jsonl(tmp_path / "out.jsonl")
    assert [o["id"] for o in outputs] == [i["id"] for i in items]
    assert [o["source"] for o in outputs] == [i["source"] for i in items]
    assert all({"summary", "topic", "stance"} <= set(o) for o in outputs)


def test_missing_id_field_uses_the_line_number(tmp_path, config_file):
    write_jsonl(tmp_path / "in.jsonl", [{"text": "North Korea fired a missile."}, {"text": "Talks ended."}])
    assert (
        run("--config", config_file, "--input", tmp_path / "in.jsonl", "--output", tmp_path / "o.jsonl").returncode == 0
    )
    assert [o["id"] for o in read_jsonl(tmp_path / "o.jsonl")] == [1, 2]


def test_gzip_input_and_stdin_to_stdout(tmp_path, config_file):
    items = records(5)
    with gzip.open(tmp_path / "in.jsonl.gz", "wt") as handle:
        handle.write("".join(json.dumps(i) + "\n" for i in items))
    assert (
        run("--config", config_file, "--input", tmp_path / "in.jsonl.gz", "--output", tmp_path / "gz.jsonl").returncode
        == 0
    )
    piped = run(
        "--config",
        config_file,
        "--input",
        "-",
        "--output",
        "-",
        f"infer.errors_file={tmp_path / 'e.jsonl'}",
        stdin="".join(json.dumps(i) + "\n" for i in items).encode(),
    )
    assert piped.returncode == 0, piped.stderr.decode()
    streamed = [json.loads(line) for line in piped.stdout.decode().splitlines()]
    assert results(streamed) == results(read_jsonl(tmp_path / "gz.jsonl"))


def test_existing_output_needs_overwrite(tmp_path, config_file):
    write_jsonl(tmp_path / "in.jsonl", records(3))
    args = ["--config", config_file, "--input", tmp_path / "in.jsonl", "--output", tmp_path / "out.jsonl"]
    assert run(*args).returncode == 0
    again = run(*args)
    assert again.returncode == 3 and b"already exists; add --resume" in again.stderr
    write_jsonl(tmp_path / "in.jsonl", records(2))
    assert run(*args, "--overwrite").returncode == 0
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 2


def test_overwrite_with_a_bad_device_or_model_keeps_the_old_output(tmp_path, config_file):
    write_jsonl(tmp_path / "in.jsonl", records(3))
    args = ["--config", config_file, "--input", tmp_path / "in.jsonl", "--output", tmp_path / "out.jsonl"]
    assert run(*args).returncode == 0
    before = (tmp_path / "out.jsonl").read_bytes()
    assert run(*args, "--overwrite", "runtime.device=cuda:7").returncode == 2
    assert run(*args, "--overwrite", "summarizer.model=nobody/missing").returncode == 4
    assert (tmp_path / "out.jsonl").read_bytes() == before


def test_strict_and_error_budget_fail_the_run_but_keep_everything(tmp_path, config_file):
    body = "".join(json.dumps(i) + "\n" for i in records(3)) + "not json\n"
    (tmp_path / "in.jsonl").write_text(body)
    base = [
        "--config",
        config_file,
        "--input",
        tmp_path / "in.jsonl",
        "--output",
        tmp_path / "out.jsonl",
        "--overwrite",
    ]
    assert run(*base).returncode == 0
    strict = run(*base, "--strict")
    assert strict.returncode == 5 and b"--strict" in strict.stderr
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 3 and len(read_jsonl(tmp_path / "out.errors.jsonl")) == 1
    assert run(*base, "infer.max_error_rate=0.1").returncode == 5
    assert run(*base, "infer.max_error_rate=0.5").returncode == 0


def test_resume_is_refused_when_a_result_changing_setting_differs(tmp_path, config_file, tiny_t5):
    write_jsonl(tmp_path / "in.jsonl", records(4))
    args = ["--config", config_file, "--input", tmp_path / "in.jsonl", "--output", tmp_path / "out.jsonl"]
    assert run(*args).returncode == 0
    changed_model = run(*args, "--resume", f"summarizer.model={tiny_t5}")
    assert changed_model.returncode == 3 and b"--resume refused: summarizer.model was" in changed_model.stderr
    changed_setting = run(*args, "--resume", "stance.cut_points=[-0.5,0.5]")
    assert changed_setting.returncode == 3 and b"stance.cut_points" in changed_setting.stderr
    assert run(*args, "--resume", "summarizer.batch_size=2").returncode == 0  # batch size changes no result


def test_resume_repairs_a_torn_output_line_and_duplicates_nothing(tmp_path, config_file):
    items = records(10)
    write_jsonl(tmp_path / "in.jsonl", items)
    args = ["--config", config_file, "--input", tmp_path / "in.jsonl", "--output", tmp_path / "out.jsonl"]
    assert run(*args).returncode == 0
    complete = read_jsonl(tmp_path / "out.jsonl")
    text = (tmp_path / "out.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "out.jsonl").write_text("".join(text[:4]) + text[4][:25])  # 4 lines and a torn fifth
    assert run(*args, "--resume").returncode == 0
    assert results(read_jsonl(tmp_path / "out.jsonl")) == results(complete)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_bart, tiny_nli):
    """An input of 160 records, its config, and the output of one uninterrupted run."""
    folder = tmp_path_factory.mktemp("kill")
    config = write_config(folder, tiny_bart, tiny_nli, window=4)
    write_jsonl(folder / "in.jsonl", records(160))
    assert (
        run("--config", config, "--input", folder / "in.jsonl", "--output", folder / "reference.jsonl").returncode == 0
    )
    return config, folder / "in.jsonl", read_jsonl(folder / "reference.jsonl")


@pytest.mark.parametrize("kill_after_lines", [1, 40, 110])
def test_kill_9_then_resume_writes_each_id_once_with_the_same_results(tmp_path, uninterrupted, kill_after_lines):
    config, source, reference = uninterrupted
    output = tmp_path / "out.jsonl"
    args = [*NLP, "infer", "--config", str(config), "--input", str(source), "--output", str(output)]
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if output.exists() and output.read_bytes().count(b"\n") >= kill_after_lines:
            break
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = output.read_bytes().count(b"\n") if output.exists() else 0
    assert partial < len(reference), "the run finished before it could be killed"
    resumed = subprocess.run([*args, "--resume"], cwd=REPO, capture_output=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr.decode()
    outputs = read_jsonl(output)
    assert sorted(o["id"] for o in outputs) == sorted(r["id"] for r in reference)  # each id exactly once
    assert results(sorted(outputs, key=lambda o: o["line"])) == results(reference)


def test_out_of_memory_batches_are_split_and_only_the_culprit_fails(tmp_path):
    import torch

    items = records(12)
    items[7]["text"] = "POISON " + items[7]["text"]
    write_jsonl(tmp_path / "in.jsonl", items)
    calls = []

    def fragile(texts, ids):
        calls.append(len(texts))
        if len(texts) > 3 or any(t.startswith("POISON") for t in texts):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return [{"id": i, "summary": {"text": t[:10]}} for t, i in zip(texts, ids)]

    config = load_config(None, ["infer.progress=false", "infer.window=12"])
    summary = run_infer(config, str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl"), analyze=fragile)
    assert summary["ok"] == 11 and summary["errors_by_code"] == {"out_of_memory": 1}
    errors = read_jsonl(tmp_path / "out.errors.jsonl")
    assert errors[0]["id"] == "doc-7" and "out of memory" in errors[0]["message"]
    assert [o["id"] for o in read_jsonl(tmp_path / "out.jsonl")] == [i["id"] for i in items if i["id"] != "doc-7"]
    assert calls[0] == 12 and max(calls[1:]) <= 6


def test_a_bug_in_a_component_is_not_swallowed(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", records(2))

    def broken(texts, ids):
        raise KeyError("bug")

    config = load_config(None, ["infer.progress=false"])
    with pytest.raises(KeyError):
        run_infer(config, str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl"), analyze=broken)


def test_script_wrapper_runs_infer(tmp_path, config_file):
    write_jsonl(tmp_path / "in.jsonl", records(2))
    result = subprocess.run(
        [
            sys.executable,
            "scripts/batch_infer.py",
            "--config",
            str(config_file),
            "--input",
            str(tmp_path / "in.jsonl"),
            "--output",
            str(tmp_path / "o.jsonl"),
        ],
        cwd=REPO,
        capture_output=True,
    )
    assert result.returncode == 0 and len(read_jsonl(tmp_path / "o.jsonl")) == 2


@pytest.mark.slow
def test_ray_backend_gives_the_same_records_as_the_local_backend(tmp_path, tiny_bart, tiny_nli):
    config = write_config(tmp_path, tiny_bart, tiny_nli, carry=["source"])
    items = records(30)
    body = (
        "".join(json.dumps(i) + "\n" for i in items[:10])
        + "not json\n"
        + "".join(json.dumps(i) + "\n" for i in items[10:])
    )
    (tmp_path / "in.jsonl").write_text(body)
    local = run("--config", config, "--input", tmp_path / "in.jsonl", "--output", tmp_path / "local.jsonl")
    assert local.returncode == 0, local.stderr.decode()
    ray = run(
        "--config",
        config,
        "--input",
        tmp_path / "in.jsonl",
        "--output",
        tmp_path / "ray.jsonl",
        "infer.backend=ray",
        "infer.ray_actors=1",
        "infer.ray_cpus_per_actor=1",
        timeout=600,
    )
    assert ray.returncode == 0, ray.stderr.decode()[-3000:]
    assert results(read_jsonl(tmp_path / "ray.jsonl")) == results(read_jsonl(tmp_path / "local.jsonl"))
    assert results(read_jsonl(tmp_path / "ray.errors.jsonl")) == results(read_jsonl(tmp_path / "local.errors.jsonl"))


def stub_analyze(texts: list[str], ids: list) -> list[dict]:
    return [{"summary": {"text": text[:10]}} for text in texts]


def test_the_runner_owns_the_error_budget_for_python_callers(tmp_path):
    from nlp.errors import RunFailed

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "North Korea fired."}) + "\n" + '{"id": "b"}\n')
    config = load_config(None, ["infer.progress=false"])
    with pytest.raises(RunFailed, match=r"1 error record\(s\) in 2 \(`strict`\)") as failed:
        run_infer(config, str(source), str(tmp_path / "out.jsonl"), strict=True, analyze=stub_analyze)
    assert failed.value.summary["ok"] == 1 and len(read_jsonl(tmp_path / "out.jsonl")) == 1  # written first
    summary = run_infer(config, str(source), str(tmp_path / "out.jsonl"), overwrite=True, analyze=stub_analyze)
    assert summary["errors"] == 1  # within the default budget


def test_a_run_where_every_record_failed_is_a_failed_run(tmp_path):
    from nlp.errors import RunFailed

    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "body": "North Korea fired."}])
    config = load_config(None, ["infer.progress=false"])  # the text is under "body", not infer.text_field
    with pytest.raises(RunFailed, match="no record succeeded"):
        run_infer(config, str(source), str(tmp_path / "out.jsonl"), analyze=stub_analyze)


def test_titles_reach_the_documents_and_a_bad_title_is_an_error_record(tmp_path):
    items = [
        {"id": "t", "text": "North Korea fired a missile on Tuesday. Seoul protested.", "headline": "Missile fired"},
        {"id": "n", "text": "North Korea fired a missile on Tuesday. Seoul protested."},
        {"id": "b", "text": "North Korea fired a missile on Tuesday.", "headline": ["not", "a", "string"]},
    ]
    source = write_jsonl(tmp_path / "in.jsonl", items)
    overrides = ["infer.progress=false", "infer.title_field=headline", "topic.enabled=false", "stance.enabled=false"]
    summary = run_infer(load_config(None, overrides), str(source), str(tmp_path / "out.jsonl"))
    outputs = {o["id"]: o for o in read_jsonl(tmp_path / "out.jsonl")}
    assert outputs["t"]["document"]["title"] == "Missile fired" and outputs["t"]["document"]["title_source"] == "given"
    assert "document" not in outputs["n"] and summary["errors_by_code"] == {"bad_title": 1}
    assert read_jsonl(tmp_path / "out.errors.jsonl")[0]["id"] == "b"


def test_html_records_are_extracted_first(tmp_path):
    page = (REPO / "tests" / "fixtures" / "article_page.html").read_text()
    items = [{"id": "page", "text": page}, {"id": "empty", "text": "<html><body><nav>Home</nav></body></html>"}]
    source = write_jsonl(tmp_path / "in.jsonl", items)
    overrides = ["infer.progress=false", "infer.format=html", "topic.enabled=false", "stance.enabled=false"]
    summary = run_infer(load_config(None, overrides), str(source), str(tmp_path / "out.jsonl"))
    [output] = read_jsonl(tmp_path / "out.jsonl")
    assert output["document"]["source"] == "html" and output["document"]["date"] == "2026-04-08"
    assert output["summary"]["text"].startswith("SEOUL, April 8 -- North Korea launched")
    assert summary["errors_by_code"] == {"no_article": 1}


# Progress, carried fields, a Ray that cannot start (issue 13)


def test_the_bar_advances_per_batch_and_counts_records(tmp_path, monkeypatch):
    import nlp.infer.run as runner

    steps = []
    real = runner._Progress.batch
    monkeypatch.setattr(runner._Progress, "batch", lambda self, n: steps.append(n) or real(self, n))
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    source = write_jsonl(tmp_path / "in.jsonl", records(20))
    config = load_config(None, ["infer.window=10", "infer.max_batch_tokens=64"])  # several batches per window
    summary = run_infer(config, str(source), str(tmp_path / "out.jsonl"), analyze=stub_analyze)
    assert summary["ok"] == 20 and sum(steps) == 20 and len(steps) > 2  # not once per window
    final = terminal.text.split("\r")[-1]
    assert "20/20" in final and "rec/s" in final and "B/s" not in final


def test_the_total_is_estimated_from_the_bytes_read(tmp_path, monkeypatch):
    from nlp.infer.run import Tally, _Progress

    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    source = write_jsonl(tmp_path / "in.jsonl", records(40))
    with source.open("rb") as stream:
        bar = _Progress(stream, str(source), True)
        for _ in range(10):
            stream.readline()
        bar.advance(stream, Tally(records=10, ok=10))
        assert bar.bar.n == 10 and 30 <= bar.bar.total <= 50  # about 40, from a quarter of the bytes
        bar.__exit__(None, None, None)
    monkeypatch.setattr(sys, "stdin", open(source, "rb"))  # stdin redirected from a file has a size too
    assert _Progress(sys.stdin, "-", True).size == source.stat().st_size


def test_no_bar_when_stderr_is_not_a_terminal_or_progress_is_off(tmp_path, monkeypatch):
    from nlp.infer.run import _Progress

    source = write_jsonl(tmp_path / "in.jsonl", records(2))
    with source.open("rb") as stream:
        assert _Progress(stream, str(source), True).bar is None  # pytest's stderr is no terminal
        monkeypatch.setattr(sys, "stderr", FakeTerminal())
        assert _Progress(stream, str(source), False).bar is None


def test_an_unknown_carry_field_is_warned_about_once_with_the_fields_seen(tmp_path, caplog):
    source = write_jsonl(tmp_path / "in.jsonl", records(12))
    config = load_config(None, ["infer.progress=false", "infer.window=4", "infer.carry=[source,url]"])
    run_infer(config, str(source), str(tmp_path / "out.jsonl"), analyze=stub_analyze)
    warnings = [r.getMessage() for r in caplog.records if "infer.carry" in r.getMessage()]
    assert len(warnings) == 1
    assert "the first 4 records have no field 'url' (their fields: id, source, text)" in warnings[0]
    outputs = read_jsonl(tmp_path / "out.jsonl")
    assert all("source" in o and "url" not in o for o in outputs)


def test_a_ray_backend_that_cannot_start_leaves_no_files_behind(tmp_path, monkeypatch):
    from nlp.errors import ConfigError

    source = write_jsonl(tmp_path / "in.jsonl", records(3))
    monkeypatch.setitem(sys.modules, "ray", None)  # Ray missing
    ray_config = load_config(None, ["infer.progress=false", "infer.backend=ray"])
    with pytest.raises(ConfigError, match=r"infer.backend: ray needs ray\[data\], which is not installed"):
        run_infer(ray_config, str(source), str(tmp_path / "out.jsonl"))
    left = {p.name for p in tmp_path.iterdir()} - {"out.lock"}  # the lock file is free once the run ends
    assert left == {"in.jsonl"}  # no output, errors, manifest or summary
    local = load_config(None, ["infer.progress=false"])
    rerun = run_infer(local, str(source), str(tmp_path / "out.jsonl"), analyze=stub_analyze)
    assert rerun["ok"] == 3  # no --overwrite needed: the failed start wrote nothing


def test_every_record_carries_its_run_id_which_the_manifest_and_summary_describe(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(4))
    source.write_text(source.read_text() + "not json\n")
    config = load_config(None, ["infer.progress=false"])
    paths = {name: tmp_path / f"out.{name}.json" for name in ("manifest", "summary")}
    first = run_infer(config, str(source), str(tmp_path / "out.jsonl"), analyze=stub_analyze)
    run = first["run"]
    assert set(run) == {"run_id", "started", "config_hash", "versions"} and len(run["run_id"]) == 12
    assert json.loads(paths["summary"].read_text())["run"] == run
    assert json.loads(paths["manifest"].read_text())["runs"] == [run]
    outputs, errors = read_jsonl(tmp_path / "out.jsonl"), read_jsonl(tmp_path / "out.errors.jsonl")
    assert {r["run_id"] for r in outputs + errors} == {run["run_id"]} and len(outputs) == 4 and len(errors) == 1
    source.write_text(source.read_text() + json.dumps({"id": "late", "text": "North Korea fired again."}) + "\n")
    second = run_infer(config, str(source), str(tmp_path / "out.jsonl"), resume=True, analyze=stub_analyze)["run"]
    assert second["run_id"] != run["run_id"] and second["config_hash"] == run["config_hash"]
    manifest = json.loads(paths["manifest"].read_text())
    assert [r["run_id"] for r in manifest["runs"]] == [run["run_id"], second["run_id"]]
    assert read_jsonl(tmp_path / "out.jsonl")[-1]["run_id"] == second["run_id"]  # what the resumed run wrote
