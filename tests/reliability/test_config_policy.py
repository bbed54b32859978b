"""Hostile configs and overrides: the remote-code rule on provenance, alias bombs, deep nesting, huge
numbers, bounded messages, and `nlp check` refusing exactly what a run refuses (exit 2, one line)."""

from __future__ import annotations

import random
import time

import pytest

from nlp.cli import main
from nlp.config import load_config
from nlp.errors import ConfigError
from nlp.finetune.config import load_finetune_config

SHA = "a" * 40


def write(tmp_path, text: str, name: str = "c.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def check(capsys, *args: str) -> tuple[int, str]:
    """`nlp check ...` in this process: (exit code, stderr)."""
    code = main(["check", *args])
    return code, capsys.readouterr().err


def assert_one_short_line(stderr: str, limit: int = 600) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr[:2000]
    assert len(lines[0]) <= limit, lines[0][:2000]
    return lines[0]


@pytest.fixture
def remote_code_dir(tmp_path):
    """A local model folder whose config points at custom modelling code (what auto_map does)."""
    folder = tmp_path / "custom-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"auto_map": {"AutoModel": "modeling.Custom"}, "model_type": "custom"}')
    (folder / "modeling.py").write_text("raise SystemExit('custom code ran')\n")
    return folder


# --- 1 and 2: trust_remote_code only from a config file --------------------------------------------


@pytest.mark.parametrize("section", ["summarizer", "topic", "stance"])
def test_trust_remote_code_inside_a_mapping_override_is_refused(section, remote_code_dir):
    override = f"{section}={{model: {remote_code_dir}, trust_remote_code: true}}"
    with pytest.raises(ConfigError, match=rf"override '{section}=.*trust_remote_code.*config file"):
        load_config(None, [override])


def test_trust_remote_code_as_a_dotted_override_is_still_refused():
    with pytest.raises(ConfigError, match="trust_remote_code.*config file"):
        load_config(None, ["topic.trust_remote_code=true"])


def test_check_refuses_remote_code_with_a_pinned_revision_from_the_command_line(capsys):
    code, err = check(capsys, f"topic={{model: org/custom, revision: {SHA}, trust_remote_code: true}}")
    assert code == 2
    assert "trust_remote_code" in assert_one_short_line(err)


@pytest.mark.parametrize("override", ["summarizer.model=other/model", f"summarizer.revision={'b' * 40}"])
def test_the_model_a_config_file_trusts_cannot_be_swapped_by_an_override(tmp_path, override):
    path = write(tmp_path, f"summarizer:\n  model: org/model\n  revision: {SHA}\n  trust_remote_code: true\n")
    assert load_config(path).summarizer.trust_remote_code is True  # the file alone may trust its model
    with pytest.raises(ConfigError, match=rf"override '{override}'.*trust_remote_code is true in .*c.yaml"):
        load_config(path, [override])
    assert load_config(path, ["summarizer.max_sentences=4"]).summarizer.trust_remote_code is True


def finetune_file(tmp_path, extra: str = "") -> str:
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "a", "label": "security"}\n')
    return write(
        tmp_path, f"task: topic\nmodel: org/base\noutput_dir: {tmp_path / 'out'}\ndata:\n  train_file: {data}\n{extra}"
    )


def test_finetune_applies_the_same_rule(tmp_path):
    with pytest.raises(ConfigError, match="trust_remote_code.*config file"):
        load_finetune_config(finetune_file(tmp_path), ["trust_remote_code=true", f"revision={SHA}"])
    trusted = finetune_file(tmp_path, f"revision: {SHA}\ntrust_remote_code: true\n")
    assert load_finetune_config(trusted).trust_remote_code is True
    for override in ["model=other/base", f"revision={'b' * 40}"]:
        with pytest.raises(ConfigError, match=f"override '{override}'.*trust_remote_code is true"):
            load_finetune_config(trusted, [override])


def test_check_validates_a_finetune_config_as_finetune_does(tmp_path, capsys):
    path = finetune_file(tmp_path)
    assert main(["check", "--config", path]) == 0 and "task: topic" in capsys.readouterr().out
    code, err = check(capsys, "--config", path, "trust_remote_code=true", f"revision={SHA}")
    assert code == 2 and "trust_remote_code" in assert_one_short_line(err)
    code, err = check(capsys, "--config", path, "training.learning_rat=1")
    assert code == 2 and "did you mean" in assert_one_short_line(err)


def test_finetune_command_refuses_a_remote_code_override(tmp_path, capsys):
    code = main(["finetune", "--config", finetune_file(tmp_path), "trust_remote_code=true", f"revision={SHA}"])
    assert code == 2 and "trust_remote_code" in assert_one_short_line(capsys.readouterr().err)


# --- 8: alias bombs, bounded messages ---------------------------------------------------------------


def bomb(levels: int = 9) -> str:
    """A flow list of 300 bytes whose aliases expand to 9**levels strings."""
    items = ["&a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    items += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "[" + ", ".join(items) + "]"


def test_an_alias_bomb_in_a_config_file_is_refused_quickly(tmp_path, capsys):
    path = write(tmp_path, f"stance:\n  target: {bomb()}\n")
    started = time.monotonic()
    code, err = check(capsys, "--config", path)
    assert code == 2 and time.monotonic() - started < 5
    assert "alias" in assert_one_short_line(err)


def test_an_alias_bomb_in_an_override_is_refused_and_prints_little(capsys):
    code, err = check(capsys, f"stance.target={bomb()}")
    assert code == 2
    assert "alias" in assert_one_short_line(err)


def test_a_recursive_alias_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="refers to itself"):
        load_config(write(tmp_path, "stance:\n  aliases: &a [North Korea, *a]\n"))


def test_an_echoed_value_is_cut_to_a_few_hundred_characters(capsys):
    code, err = check(capsys, "summarizer.batch_size=" + "x" * 200_000)
    line = assert_one_short_line(err)
    assert code == 2 and "..." in line


def test_an_unknown_key_of_200kb_is_echoed_short(tmp_path, capsys):
    code, err = check(capsys, f"summarizer.{'k' * 200_000}=1")
    assert code == 2 and "unknown key" in assert_one_short_line(err)


# --- 9: exit 2 instead of exit 1 --------------------------------------------------------------------


def test_deep_nesting_is_a_config_error_not_a_crash(tmp_path, capsys):
    code, err = check(capsys, "--config", write(tmp_path, "stance:\n  aliases: " + "[" * 5000 + "]" * 5000 + "\n"))
    assert code == 2 and "nest" in assert_one_short_line(err)


@pytest.mark.parametrize("where", ["file", "override"])
def test_a_5000_digit_integer_is_a_config_error(tmp_path, capsys, where):
    digits = "7" * 5000
    args = (
        ["--config", write(tmp_path, f"runtime:\n  seed: {digits}\n")]
        if where == "file"
        else [f"runtime.seed={digits}"]
    )
    code, err = check(capsys, *args)
    assert code == 2 and "digits" in assert_one_short_line(err)


@pytest.mark.parametrize("seed", [2**64, 2**32, -1])
def test_a_seed_the_random_generators_cannot_take_is_refused_by_check(capsys, seed):
    code, err = check(capsys, f"runtime.seed={seed}")
    assert code == 2 and "runtime.seed" in assert_one_short_line(err)
    assert load_config(None, [f"runtime.seed={2**32 - 1}"]).runtime.seed == 2**32 - 1


def test_training_seed_out_of_range_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="training.seed"):
        load_finetune_config(finetune_file(tmp_path), [f"training.seed={2**64}"])


# --- 10: errors blamed on the override that caused them ---------------------------------------------


@pytest.mark.parametrize(
    "override",
    [
        "topic.labels={economy: about money, sports: about games}",
        "stance.cut_points=[low, high]",
        "summarizer={num_beam: 3}",
    ],
)
def test_an_override_error_names_the_override_not_the_shipped_file(override):
    with pytest.raises(ConfigError) as error:
        load_config(None, [override])
    assert str(error.value).startswith(f"override '{override}'"), str(error.value)


def test_a_training_error_from_a_mapping_override_names_it(tmp_path):
    with pytest.raises(ConfigError, match=r"^override 'training=\{learning_rat: 1\}'.*did you mean"):
        load_finetune_config(finetune_file(tmp_path), ["training={learning_rat: 1}"])


# --- hostile files for `nlp check` ------------------------------------------------------------------


def hostile_files(tmp_path):
    rng = random.Random(11)
    return {
        "binary garbage": bytes(rng.randrange(256) for _ in range(4096)),
        "nul bytes": b"runtime:\n  device: cpu\x00\x00\n",
        "invalid utf-8": b"runtime:\n  device: \xff\xfe\n",
        "python tag": b"runtime: !!python/object/apply:os.system ['touch " + str(tmp_path / "ran").encode() + b"']\n",
        "huge file": b"# " + b"x" * 3_000_000 + b"\n",
        "alias bomb": f"topic:\n  labels: {bomb()}\n".encode(),
        "deep nesting": b"a: " + b"{b: " * 3000 + b"1" + b"}" * 3000 + b"\n",
        "digits": b"runtime:\n  seed: " + b"9" * 5000 + b"\n",
        "not a mapping": b"- 1\n- 2\n",
        "tab indentation": b"runtime:\n\tdevice: cpu\n",
        "bad merge key": b"runtime:\n  <<: 5\n",
        "unhashable key": b"? [a, b]\n: 1\n",
        "bad timestamp": b"runtime:\n  seed: 2024-13-45\n",
    }


@pytest.mark.parametrize(
    "kind",
    [
        "binary garbage",
        "nul bytes",
        "invalid utf-8",
        "python tag",
        "huge file",
        "alias bomb",
        "deep nesting",
        "digits",
        "not a mapping",
        "tab indentation",
        "bad merge key",
        "unhashable key",
        "bad timestamp",
    ],
)
def test_check_gives_exit_2_and_one_short_line_for_a_hostile_file(tmp_path, capsys, kind):
    path = tmp_path / "hostile.yaml"
    path.write_bytes(hostile_files(tmp_path)[kind])
    code, err = check(capsys, "--config", str(path))
    assert code == 2, err[:2000]
    assert_one_short_line(err)
    assert not (tmp_path / "ran").exists()


def test_check_on_a_directory_says_it_is_not_a_file(tmp_path, capsys):
    code, err = check(capsys, "--config", str(tmp_path))
    assert code == 2 and "is a directory, not a YAML file" in assert_one_short_line(err)
