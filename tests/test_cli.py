from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import CORPUS, NLP, REPO, long_text

ARTICLE = REPO / "data" / "examples" / "article.txt"


def nlp(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*NLP, *args], capture_output=True, text=True, input=stdin, timeout=300, cwd=REPO)


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("args", [["--help"], ["summarize", "--help"], ["check", "--help"], ["download", "--help"]])
def test_help_is_fast_and_does_not_import_torch(args):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nlp", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "usage: nlp" in result.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert not imported & {"torch", "transformers", "pydantic"}


def test_help_lists_exit_codes():
    assert "3  input error" in nlp("--help").stdout


def test_offline_default_summarizes_the_example_article():
    result = nlp("summarize", "--file", str(ARTICLE))
    assert result.returncode == 0, result.stderr
    article = ARTICLE.read_text()
    summary = result.stdout.strip()
    assert summary and result.stderr == ""
    record = json.loads(nlp("summarize", "--json", "--file", "data/examples/article.txt").stdout)
    assert drift(readme_example(), record) == []  # the README's example is a real run's record
    assert record["summary"]["text"] == summary
    assert record["summary"]["method"] == "extractive"
    for start, end in record["summary"]["sentences"]:
        assert article[start:end] in summary
    # the lede (what was launched, from where), never the headline, which is the record's title
    headline, _, body = article.partition("\n\n")
    assert summary.startswith(body[:120]) and headline not in summary
    assert record["document"]["title"] == headline and record["document"]["title_source"] == "headline"


def readme_example() -> dict:
    """The JSON example under README's "## Output record"."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Output record") :]
    start = section.index("```json\n") + len("```json\n")
    return json.loads(section[start : section.index("```", start)])


def drift(example, real, path: str = "record") -> list[str]:
    """Where the README example differs from a real record: keys, types, values (a text ending in `...`
    is a prefix, a list may show its first items only, floats agree to 0.015)."""
    if isinstance(example, dict):
        if not isinstance(real, dict) or set(example) != set(real):
            return [f"{path}: keys {sorted(example)} in the README, {sorted(real) if isinstance(real, dict) else real}"]
        return [problem for key in example for problem in drift(example[key], real[key], f"{path}.{key}")]
    if isinstance(example, list):
        if not isinstance(real, list) or len(example) > len(real):
            return [f"{path}: {example!r} in the README, {real!r} in a real run"]
        return [problem for i, pair in enumerate(zip(example, real)) for problem in drift(*pair, f"{path}[{i}]")]
    if isinstance(example, str) and example.endswith("..."):
        same = isinstance(real, str) and real.startswith(example.removesuffix("...").rstrip())
    elif isinstance(example, float):
        same = isinstance(real, float) and abs(example - real) < 0.015
    else:
        same = type(example) is type(real) and example == real
    return [] if same else [f"{path}: {example!r} in the README, {real!r} in a real run"]


def test_summarize_reads_a_web_page_and_a_given_title():
    page = REPO / "tests" / "fixtures" / "article_page.html"
    off = ["topic.enabled=false", "stance.enabled=false"]
    record = json.loads(nlp("summarize", "--json", "--file", str(page), *off).stdout)
    assert record["document"] == {
        "source": "html",
        "title": "North Korea fires missile as allies open drills",
        "title_source": "html",
        "date": "2026-04-08",
        "furniture": {"advertisement": 1},
    }
    assert record["summary"]["text"].startswith("SEOUL, April 8 -- North Korea launched")
    titled = nlp("summarize", "--json", "--text", "Pyongyang fired a missile on Tuesday.", "--title", "Launch", *off)
    assert json.loads(titled.stdout)["document"]["title"] == "Launch"


def test_local_seq2seq_gives_an_abstractive_record(tiny_bart):
    result = nlp(
        "summarize",
        "--json",
        "--text",
        long_text(12),
        f"summarizer.model={tiny_bart}",
        "topic.enabled=false",
        "stance.enabled=false",
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["id"] == "text"
    summary = record["summary"]
    assert summary["method"] == "abstractive"
    assert {"text", "method", "input_tokens", "chunks", "truncated"} <= set(summary)
    assert summary["chunks"] >= 2 and summary["truncated"] is False
    assert "topic" not in record and "stance" not in record


def test_json_record_has_summary_topic_and_stance(tiny_bart, tiny_nli):
    result = nlp(
        "summarize",
        "--json",
        "--text",
        CORPUS[4],
        f"summarizer.model={tiny_bart}",
        f"topic.model={tiny_nli}",
        f"stance.model={tiny_nli}",
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert set(record) == {"id", "summary", "topic", "stance", "run"}
    assert set(record["topic"]) >= {"label", "labels", "scores"}
    assert set(record["stance"]) >= {"target", "score", "label", "confidence", "evidence"}
    assert record["stance"]["label"] != "not_about_target"  # "Kim Jong Un" is an alias


@pytest.mark.parametrize("dash", [True, False])
def test_stdin_input(tiny_bart, dash):
    args = ["summarize", "--json", f"summarizer.model={tiny_bart}", "topic.enabled=false", "stance.enabled=false"]
    args += ["-"] if dash else []
    result = nlp(*args, stdin=CORPUS[0])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "stdin"


def test_script_wrapper_behaves_like_the_command(tiny_bart):
    args = [
        "--json",
        "--text",
        CORPUS[1],
        f"summarizer.model={tiny_bart}",
        "topic.enabled=false",
        "stance.enabled=false",
    ]
    script = subprocess.run(
        [sys.executable, "scripts/summarize.py", *args], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert script.returncode == 0, script.stderr
    by_script, by_command = json.loads(script.stdout), json.loads(nlp("summarize", *args).stdout)
    for record in (by_script, by_command):  # each invocation is its own run
        del record["run"]["run_id"], record["run"]["started"]
    assert by_script == by_command


def test_unknown_key_exits_2_with_suggestion():
    result = nlp("summarize", "--text", "x", "summarizer.generation.num_beam=3")
    assert_one_line_error(
        result, 2, "unknown key 'summarizer.generation.num_beam'", "did you mean 'summarizer.generation.num_beams'"
    )


def test_bad_type_exits_2(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("summarizer:\n  max_sentences: three\n")
    result = nlp("summarize", "--config", str(config), "--text", "x")
    assert_one_line_error(result, 2, str(config), "summarizer.max_sentences", "found 'three'")


def test_unavailable_device_exits_2_before_loading_models():
    result = nlp("summarize", "--text", "North Korea fired a missile.", "runtime.device=cuda:7")
    assert_one_line_error(result, 2, "runtime.device: 'cuda:7' was requested")


def test_missing_model_exits_4_with_one_line():
    result = nlp("summarize", "--text", "x", "summarizer.model=nobody/missing-model")
    assert_one_line_error(result, 4, "'nobody/missing-model' was not found", "hf download")


def test_debug_shows_the_traceback():
    result = nlp("summarize", "--debug", "--text", "x", "summarizer.model=nobody/missing-model")
    assert result.returncode != 0 and "Traceback" in result.stderr


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--file", "no/such/file.txt"], "--file no/such/file.txt: no such file"),
        (["--text", "   "], "the text is empty"),
    ],
)
def test_input_errors_exit_3(args, fragment):
    assert_one_line_error(nlp("summarize", *args), 3, fragment)


def test_error_policy_exits_3(tiny_bart):
    result = nlp("summarize", "--text", long_text(20), f"summarizer.model={tiny_bart}", "summarizer.long_input=error")
    assert_one_line_error(result, 3, "over the model's limit", "long_input=chunk")


def test_check_prints_the_resolved_config():
    result = nlp("check", "summarizer.generation.num_beams=5")
    assert result.returncode == 0
    assert "num_beams: 5" in result.stdout and "device: auto" in result.stdout


def test_check_rejects_bad_config():
    assert_one_line_error(nlp("check", "--config", "hub", "runtime.dtype=fp16"), 2, "runtime.dtype")


def test_summarize_help_says_how_to_read_stdin():
    usage = nlp("summarize", "--help").stdout
    assert "[--text TEXT | --file PATH | -]" in usage and "stdin (give - as an argument, or just pipe" in usage


def test_check_is_a_preflight_that_resolves_auto_and_reads_finetune_configs():
    result = nlp("check")
    assert result.returncode == 0
    assert "check: default: OK; runtime.device auto -> " in result.stderr and "runtime.dtype auto -> " in result.stderr
    finetune = nlp("check", "--config", "configs/finetune_topic.yaml")
    assert finetune.returncode == 0, finetune.stderr
    assert "task: topic" in finetune.stdout and "data file(s), all valid" in finetune.stderr
    assert_one_line_error(nlp("check", "runtime.device=cpu", "runtime.dtype=float16"), 2, "float16 was requested")
