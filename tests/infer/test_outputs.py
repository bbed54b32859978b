"""Run bookkeeping of `nlp infer`: outputs that must not be the input, paths checked before any model
loads, the lock, the input fingerprint that `resume` checks, the summary of an interrupted run."""

from __future__ import annotations

import json
import logging
import os
import sys

import pytest

from helpers import CORPUS
from nlp.config import load_config
from nlp.errors import OutputError
from nlp.infer.outputs import infer_paths
from nlp.infer.run import run_infer

MISSING_MODEL = "summarizer.model=./no/such/model"


def records(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"doc-{i}", "text": CORPUS[i % len(CORPUS)] + f" Item {i}."} for i in range(start, start + n)]


def write_jsonl(path, items: list[dict]):
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def stub(texts: list[str], ids: list) -> list[dict]:
    return [{"summary": {"text": text[:10]}} for text in texts]


def config(*overrides: str):
    return load_config(None, ["infer.progress=false", "infer.window=2", *overrides])


def infer(source, output, *overrides: str, analyze=stub, **flags):
    return run_infer(config(*overrides), str(source), str(output), analyze=analyze, **flags)


# --- 4: no output file may be the input ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link", "dotted path"])
def test_an_output_that_is_the_input_is_refused_even_with_overwrite(tmp_path, how):
    source = write_jsonl(tmp_path / "in.jsonl", records(3))
    before = source.read_bytes()
    output = {"same path": source, "dotted path": tmp_path / "sub" / ".." / "in.jsonl"}.get(how, tmp_path / "o.jsonl")
    (tmp_path / "sub").mkdir()
    if how == "symlink":
        output.symlink_to(source)
    elif how == "hard link":
        os.link(source, output)
    with pytest.raises(OutputError, match=r"`output` .* is the input"):
        infer(source, output, MISSING_MODEL, analyze=None, overwrite=True)
    assert source.read_bytes() == before


def test_an_errors_file_that_is_the_input_is_refused(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(3))
    with pytest.raises(OutputError, match=r"\(infer.errors_file\) .* is the input"):
        infer(source, tmp_path / "out.jsonl", f"infer.errors_file={source}", overwrite=True)
    assert len(read_jsonl(source)) == 3


def test_a_summary_or_manifest_path_that_is_the_input_is_refused(tmp_path):
    for name in ("out.summary.json", "out.manifest.json"):
        source = write_jsonl(tmp_path / name, records(2))
        with pytest.raises(OutputError, match="is the input"):
            infer(source, tmp_path / "out.jsonl", overwrite=True)
        assert len(read_jsonl(source)) == 2


def test_stdin_that_is_the_output_file_is_refused(tmp_path, monkeypatch):
    source = write_jsonl(tmp_path / "out.jsonl", records(2))
    with source.open("r") as handle:
        monkeypatch.setattr(sys, "stdin", handle)
        with pytest.raises(OutputError, match="is the input"):
            infer("-", source, overwrite=True)
    assert len(read_jsonl(source)) == 2


# --- 9: output paths checked before any model loads ---------------------------------------------------


def test_an_output_that_is_a_directory_is_refused_before_models_load(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(1))
    (tmp_path / "out.jsonl").mkdir()
    with pytest.raises(OutputError, match=r"`output` .*out.jsonl is a directory"):
        infer(source, tmp_path / "out.jsonl", MISSING_MODEL, analyze=None, overwrite=True)


def test_an_output_under_a_file_is_refused_before_models_load(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(1))
    (tmp_path / "plain").write_text("not a folder")
    with pytest.raises(OutputError, match=r"plain is a file, not a folder"):
        infer(source, tmp_path / "plain" / "out.jsonl", MISSING_MODEL, analyze=None)


def test_an_output_folder_that_cannot_be_written_is_refused_before_models_load(tmp_path, monkeypatch):
    source = write_jsonl(tmp_path / "in.jsonl", records(1))
    folder = tmp_path / "ro"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(folder) else real_access(path, mode))
    with pytest.raises(OutputError, match=r"cannot write in .*ro"):
        infer(source, folder / "out.jsonl", MISSING_MODEL, analyze=None)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_an_output_error(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(1))
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="cannot write"):
            infer(source, folder / "out.jsonl")
    finally:
        folder.chmod(0o755)


# --- 5: one run per output at a time ------------------------------------------------------------------


def test_a_locked_output_is_refused_naming_the_other_process(tmp_path):
    from nlp.files import OutputLock

    source = write_jsonl(tmp_path / "in.jsonl", records(3))
    output = tmp_path / "out.jsonl"
    with OutputLock(infer_paths(str(output), None).lock, "nlp infer"):
        with pytest.raises(OutputError, match=rf"in use by another run \(pid {os.getpid()}, nlp infer"):
            infer(source, output, MISSING_MODEL, analyze=None)
        with pytest.raises(OutputError, match=rf"pid {os.getpid()}"):
            infer(source, output, resume=True)
    assert not output.exists()
    assert infer(source, output)["ok"] == 3  # released: the next run goes ahead
    assert infer(source, tmp_path / "out.jsonl", resume=True)["skipped_as_done"] == 3


# --- 6: resume checks what the first run read ---------------------------------------------------------


def first_run(tmp_path, n: int = 8, done: int = 5):
    """A run over `n` records of which the first `done` lines made it to the output."""
    source = write_jsonl(tmp_path / "in.jsonl", records(n))
    output = tmp_path / "out.jsonl"
    infer(source, output)
    lines = output.read_text().splitlines(keepends=True)
    output.write_text("".join(lines[:done]))
    return source, output


def test_resume_refuses_an_input_with_a_deleted_line_naming_it(tmp_path):
    source, output = first_run(tmp_path)
    lines = source.read_text().splitlines(keepends=True)
    source.write_text("".join(lines[:1] + lines[2:]))
    with pytest.raises(OutputError, match=r"`resume` refused: input line 2 is not what the first run read"):
        infer(source, output, resume=True)


def test_resume_refuses_an_input_with_a_changed_line_naming_it(tmp_path):
    source, output = first_run(tmp_path)
    items = records(8)
    items[2]["text"] = "Something else entirely."
    write_jsonl(source, items)
    with pytest.raises(OutputError, match=r"input line 3 is not what the first run read"):
        infer(source, output, resume=True)


def test_resume_refuses_an_input_cut_shorter_than_what_was_done(tmp_path):
    source, output = first_run(tmp_path)
    write_jsonl(source, records(3))
    with pytest.raises(OutputError, match=r"input line 4, which the first run read, is gone"):
        infer(source, output, resume=True)


def test_resume_accepts_appended_lines_and_processes_them(tmp_path):
    source, output = first_run(tmp_path)
    write_jsonl(source, records(11))
    summary = infer(source, output, resume=True)
    assert summary["skipped_as_done"] == 5 and summary["ok"] == 6
    assert [o["id"] for o in read_jsonl(output)] == [f"doc-{i}" for i in range(11)]


def test_every_output_and_error_record_carries_the_digest_of_its_input_line(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(records(1)[0]) + "\nnot json\n")
    infer(source, tmp_path / "out.jsonl")
    [output], [error] = read_jsonl(tmp_path / "out.jsonl"), read_jsonl(tmp_path / "out.errors.jsonl")
    assert len(output["input_digest"]) == 16 and len(error["input_digest"]) == 16
    assert output["input_digest"] != error["input_digest"]


def test_resume_of_a_run_without_digests_warns_and_goes_on(tmp_path, caplog):
    source, output = first_run(tmp_path)
    output.write_text(
        "".join(json.dumps({k: v for k, v in o.items() if k != "input_digest"}) + "\n" for o in read_jsonl(output))
    )
    with caplog.at_level(logging.WARNING):
        assert infer(source, output, resume=True)["ok"] == 3
    assert "no input digests" in caplog.text


# --- 10: resume reasons, empty input ------------------------------------------------------------------


def test_resume_with_a_task_switched_off_names_the_switch(tmp_path):
    source, output = first_run(tmp_path)
    with pytest.raises(OutputError, match=r"summarizer.enabled was True in the first run and is False now"):
        infer(source, output, "summarizer.enabled=false", resume=True)


def test_an_empty_input_is_a_run_of_no_records_with_a_warning(tmp_path, caplog):
    (tmp_path / "in.jsonl").write_text("\n\n")
    with caplog.at_level(logging.WARNING):
        summary = infer(tmp_path / "in.jsonl", tmp_path / "out.jsonl")
    assert summary["records"] == 0 and "holds no records" in caplog.text


# --- 7: an interrupted run writes its summary and resumes ---------------------------------------------


def test_an_interrupted_run_keeps_what_it_wrote_writes_its_summary_and_resumes(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", records(8))
    calls = []

    def interrupted(texts, ids):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return stub(texts, ids)

    with pytest.raises(KeyboardInterrupt):
        infer(source, tmp_path / "out.jsonl", analyze=interrupted)
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["interrupted"] is True and summary["ok"] == 4
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 4
    resumed = infer(source, tmp_path / "out.jsonl", resume=True)
    assert resumed["interrupted"] is False and resumed["skipped_as_done"] == 4 and resumed["ok"] == 4
    assert [o["id"] for o in read_jsonl(tmp_path / "out.jsonl")] == [f"doc-{i}" for i in range(8)]
