"""`nlp check` refuses what a run would refuse: device and dtype, optional parts, fine-tuning configs."""

from __future__ import annotations

import sys

import pytest

from helpers import REPO
from nlp.config import load_config
from nlp.errors import ConfigError, InputError
from nlp.finetune.config import load_finetune_config
from nlp.preflight import check_finetune, check_inference
from nlp.runtime import resolve_device, resolve_dtype


def test_auto_device_and_dtype_are_resolved_to_what_a_run_uses():
    device = resolve_device("auto")
    dtype = str(resolve_dtype("auto", device)).removeprefix("torch.")
    assert check_inference(load_config()) == f"runtime.device auto -> {device}, runtime.dtype auto -> {dtype}"
    explicit = check_inference(load_config(None, ["runtime.device=cpu", "runtime.dtype=bfloat16"]))
    assert explicit == "runtime.device cpu -> cpu, runtime.dtype bfloat16 -> bfloat16"


@pytest.mark.parametrize(
    "overrides,fragment",
    [
        (["runtime.device=cpu", "runtime.dtype=float16"], "runtime.dtype: float16 was requested on the CPU"),
        (["runtime.device=cuda:7"], "runtime.device: 'cuda:7' was requested"),
        (["topic.int8=true"], "topic.int8: the embedded heads run in float32"),
        (
            ["stance.model=some/nli", "stance.int8=true", "runtime.dtype=bfloat16"],
            "stance.int8: int8 quantizes a float32",
        ),
    ],
)
def test_what_a_run_refuses_check_refuses(overrides, fragment):
    with pytest.raises(ConfigError, match=fragment):
        check_inference(load_config(None, overrides))


def test_an_optional_part_the_config_asks_for_must_be_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"infer.backend: ray needs ray\[data\], which is not installed; install"):
        check_inference(load_config(None, ["infer.backend=ray"]))
    monkeypatch.setitem(sys.modules, "ctranslate2", None)
    with pytest.raises(ConfigError, match="summarizer.backend: 'ctranslate2' cannot be honoured: ctranslate2 is not"):
        check_inference(load_config(None, ["runtime.device=cpu", "summarizer.backend=ctranslate2"]))


def test_a_finetune_config_is_checked_as_finetune_would(monkeypatch):
    monkeypatch.chdir(REPO)
    used = check_finetune(load_finetune_config("configs/finetune_topic.yaml", ["runtime.device=cpu"]))
    assert used.startswith("runtime.device cpu -> cpu, runtime.dtype auto -> float32; ")
    assert used.endswith("data file(s), all valid")
    # TrainingArguments' own rules (here: best model at end needs matching eval and save strategies)
    clash = ["training.eval_strategy=steps", "training.save_strategy=epoch", "training.load_best_model_at_end=true"]
    with pytest.raises(ConfigError, match="^training: "):
        check_finetune(load_finetune_config("configs/finetune_topic.yaml", clash))


def test_finetune_data_problems_are_found_by_check(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "North Korea fired.", "topics": "sanction"}\n{"text": "", "topics": "security"}\n')
    config = load_finetune_config(
        "configs/finetune_topic.yaml", [f"data.train_file={bad}", "data.validation_file=null"]
    )
    with pytest.raises(InputError, match="2 problems, training not started"):
        check_finetune(config)
