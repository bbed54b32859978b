"""`nlp finetune`: two-step runs per task that load back through transformers and through a config,
data and config errors before training, resume, reproducibility, NaN stop, 2-process torchrun."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from helpers import CORPUS, REPO, load_script, save_bert_classifier
from nlp.cli import main
from nlp.config import load_config
from nlp.errors import ConfigError, InputError, ModelError, OutputError, RunFailed
from nlp.finetune.config import load_finetune_config
from nlp.finetune.outputs import last_checkpoint
from nlp.finetune.run import run_finetune

TOPICS = ["security", "diplomacy", "sanctions", "security", "security", "diplomacy", "sanctions", "diplomacy"]
STANCES = [-1, 0, -0.5, -0.5, 1, 0.5, 0.5, 0]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("finetune-data")
    rows = [
        {"text": text, "topics": [topic], "stance": stance, "summary": text.split(",")[0]}
        for text, topic, stance in zip(CORPUS * 2, TOPICS * 2, STANCES * 2)
    ]
    rows[3]["topics"] = ["security", "diplomacy"]
    return {
        "train": write_jsonl(folder / "train.jsonl", rows),
        "single": write_jsonl(folder / "single.jsonl", [{"text": r["text"], "label": r["topics"][0]} for r in rows]),
    }


def config_file(tmp_path, text: str):
    path = tmp_path / "finetune.yaml"
    path.write_text(text)
    return str(path)


def finetune(tmp_path, base, task: str, data_file, *overrides: str, name: str = "out", **extra: str):
    """Load a small config for `task` (2 optimizer steps, CPU) with overrides and run it."""
    fields = {
        "topic": "label_field: topics",
        "stance": "label_field: stance",
        "summarization": "summary_field: summary",
    }
    path = config_file(
        tmp_path,
        f"task: {task}\nmodel: {base}\noutput_dir: {tmp_path / name}\n"
        f"runtime: {{device: cpu}}\ndata:\n  train_file: {data_file}\n  {fields[task]}\n"
        "training:\n  max_steps: 2\n  learning_rate: 1e-3\n  disable_tqdm: true\n",
    )
    config = load_finetune_config(path, [*overrides, *(f"{k}={v}" for k, v in extra.items())])
    run_finetune(config)
    return tmp_path / name


def test_topic_model_loads_in_a_pipeline_and_through_a_config(tmp_path, tiny_bert_base, data):
    from transformers import pipeline

    from nlp.tasks.analyze import Analyzer

    out = finetune(tmp_path, tiny_bert_base, "topic", data["train"])
    assert {
        "model.safetensors",
        "tokenizer.json",
        "config.json",
        "metrics.json",
        "README.md",
        "finetune_config.yaml",
    } <= {p.name for p in out.iterdir()}
    assert not list(out.glob("*.bin")) or [p.name for p in out.glob("*.bin")] == ["training_args.bin"]
    model_config = json.loads((out / "config.json").read_text())
    assert model_config["id2label"] == {"0": "security", "1": "diplomacy", "2": "sanctions"}
    assert model_config["problem_type"] == "multi_label_classification"  # one example has two topics
    predicted = pipeline("text-classification", model=str(out), device="cpu")(CORPUS[0])
    assert predicted[0]["label"] in {"security", "diplomacy", "sanctions"}
    overrides = [f"topic.model={out}", "summarizer.enabled=false", "stance.enabled=false", "runtime.device=cpu"]
    record = Analyzer(load_config(None, overrides)).analyze(CORPUS[1])
    assert set(record["topic"]["scores"]) == {"security", "diplomacy", "sanctions"}
    card = (out / "README.md").read_text()
    assert "## Data" in card and "## Metrics" in card and "## Limitations" in card and "macro_f1" in card
    assert "eval" in json.loads((out / "metrics.json").read_text())


def test_single_label_topic_from_a_label_field(tmp_path, tiny_bert_base, data):
    out = finetune(tmp_path, tiny_bert_base, "topic", data["single"], "data.label_field=label")
    assert json.loads((out / "config.json").read_text())["problem_type"] == "single_label_classification"


@pytest.mark.parametrize("objective", ["classification", "regression"])
def test_stance_model_scores_through_a_config(tmp_path, tiny_bert_base, data, objective):
    from nlp.tasks.analyze import Analyzer

    extra = ['labels=["-1", "-0.5", "0", "0.5", "1"]'] if objective == "classification" else []
    out = finetune(tmp_path, tiny_bert_base, "stance", data["train"], f"objective={objective}", *extra)
    labels = json.loads((out / "config.json").read_text())["id2label"]
    assert len(labels) == (5 if objective == "classification" else 1)
    metrics = json.loads((out / "metrics.json").read_text())["eval"]
    assert "mae" in metrics and (("macro_f1" in metrics) == (objective == "classification"))
    overrides = [f"stance.model={out}", "summarizer.enabled=false", "topic.enabled=false", "runtime.device=cpu"]
    overrides.append("stance.min_confidence=0")  # two training steps make no confident model
    stance = Analyzer(load_config(None, overrides)).analyze(CORPUS[0])["stance"]
    assert -1 <= stance["score"] <= 1 and stance["label"] in {"critical", "neutral", "supportive"}


def test_summarizer_loads_as_seq2seq_and_through_a_config(tmp_path, tiny_bart, data):
    from transformers import AutoModelForSeq2SeqLM

    from nlp.tasks.analyze import Analyzer

    out = finetune(tmp_path, tiny_bart, "summarization", data["train"], "max_length=48", "max_target_length=8")
    assert AutoModelForSeq2SeqLM.from_pretrained(out).config.model_type == "bart"
    assert {"rouge1", "rouge2", "rougeL"} <= set(json.loads((out / "metrics.json").read_text())["eval"])
    overrides = [f"summarizer.model={out}", "topic.enabled=false", "stance.enabled=false", "runtime.device=cpu"]
    summary = Analyzer(load_config(None, overrides)).analyze(CORPUS[0])["summary"]
    assert summary["method"] == "abstractive"


def test_head_only_leaves_the_pretrained_body_unchanged(tmp_path, tiny_bert_base, data):
    out = finetune(tmp_path, tiny_bert_base, "topic", data["single"], "data.label_field=label", "head_only=true")
    base, tuned = weights(tiny_bert_base), weights(out)
    body = [key for key in tuned if key.startswith("bert.")]
    assert body and all(torch.equal(tuned[key], base[key.removeprefix("bert.")]) for key in body)
    full = weights(finetune(tmp_path, tiny_bert_base, "topic", data["single"], "data.label_field=label", name="full"))
    assert any(not torch.equal(full[key], base[key.removeprefix("bert.")]) for key in body)
    with pytest.raises(ConfigError, match="head_only trains a classifier head"):
        load_finetune_config(
            config_file(
                tmp_path, "task: summarization\nmodel: x\noutput_dir: o\ndata: {train_file: t.jsonl}\nhead_only: true\n"
            )
        )


def test_bad_data_stops_the_run_before_anything_is_written(tmp_path, tiny_bert_base):
    bad = write_jsonl(
        tmp_path / "bad.jsonl", [{"text": "fine", "topics": ["security"]}, {"text": "", "topics": ["security"]}]
    )
    with pytest.raises(InputError, match=r"1 problem, training not started: empty 'text' \(1 row: line 2\)"):
        finetune(tmp_path, tiny_bert_base, "topic", bad)
    assert not (tmp_path / "out").exists()


def test_a_model_that_fails_to_load_leaves_the_output_untouched(tmp_path, tiny_bert_base, data):
    with pytest.raises(ModelError, match="no such directory"):
        finetune(tmp_path, tmp_path / "no-such-model", "topic", data["train"])
    with pytest.raises(ConfigError, match="multi_label: false, but 1 topic example"):
        finetune(tmp_path, tiny_bert_base, "topic", data["train"], "multi_label=false")
    assert not (tmp_path / "out").exists()  # a rerun needs no --overwrite


def test_training_arguments_own_checks_come_before_any_data(tmp_path, tiny_bert_base):
    path = config_file(
        tmp_path,
        f"task: topic\nmodel: {tiny_bert_base}\noutput_dir: {tmp_path / 'o'}\n"
        f"data: {{train_file: {tmp_path / 'none.jsonl'}}}\n"
        "training: {load_best_model_at_end: true, eval_strategy: epoch, save_strategy: 'no'}\n",
    )
    with pytest.raises(ConfigError, match="training: "):  # not the missing data file: the arguments fail first
        run_finetune(load_finetune_config(path))


def test_an_existing_output_needs_resume_or_overwrite(tmp_path, tiny_bert_base, data):
    finetune(tmp_path, tiny_bert_base, "topic", data["train"])
    with pytest.raises(OutputError, match="`resume` continues a run.*`overwrite` starts over"):
        finetune(tmp_path, tiny_bert_base, "topic", data["train"])
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not a finetune run"):
        run_finetune(
            load_finetune_config(
                config_file(
                    tmp_path,
                    f"task: topic\nmodel: {tiny_bert_base}\n"
                    f"output_dir: {tmp_path / 'mine'}\ndata: {{train_file: {data['train']}, label_field: topics}}\n",
                )
            ),
            overwrite=True,
        )
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def weights(folder) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "model.safetensors"))


def test_same_seed_gives_identical_weights_and_another_seed_does_not(tmp_path, tiny_bert_base, data):
    first = weights(finetune(tmp_path, tiny_bert_base, "topic", data["train"], name="a"))
    again = weights(finetune(tmp_path, tiny_bert_base, "topic", data["train"], name="b"))
    other = weights(finetune(tmp_path, tiny_bert_base, "topic", data["train"], "runtime.seed=1", name="c"))
    assert first.keys() == again.keys() and all(torch.equal(first[k], again[k]) for k in first)
    assert any(not torch.equal(first[k], other[k]) for k in first)


def test_resume_continues_from_the_last_complete_checkpoint(tmp_path, tiny_bert_base, data):
    steps = [
        "training.max_steps=4",
        "training.eval_strategy=steps",
        "training.eval_steps=1",
        "training.save_total_limit=null",
        "early_stopping_patience=null",
        "training.load_best_model_at_end=false",
    ]
    whole = finetune(tmp_path, tiny_bert_base, "topic", data["train"], *steps, name="whole")
    # A crash during step 4's save: checkpoints 1-2 complete, 3 torn (no trainer state), no final model.
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    shutil.copy(whole / "finetune_config.yaml", crashed)
    for step in (1, 2, 3):
        shutil.copytree(whole / f"checkpoint-{step}", crashed / f"checkpoint-{step}")
    (crashed / "checkpoint-3" / "trainer_state.json").unlink()
    assert last_checkpoint(crashed) == str(crashed / "checkpoint-2")
    resumed_config = load_finetune_config(
        config_file(tmp_path, (whole / "finetune_config.yaml").read_text()), [f"output_dir={crashed}"]
    )
    with pytest.raises(
        OutputError, match=r"`resume` refused: max_length differs from the first run \(256 then, 32 now\)"
    ):
        run_finetune(
            load_finetune_config(
                config_file(tmp_path, (whole / "finetune_config.yaml").read_text()),
                [f"output_dir={crashed}", "max_length=32"],
            ),
            resume=True,
        )
    run_finetune(resumed_config, resume=True)
    state = json.loads((crashed / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    a, b = weights(whole), weights(crashed)
    assert all(torch.equal(a[k], b[k]) for k in a)  # same weights as the run that never stopped


def test_nan_loss_stops_the_run_with_a_clear_message(tmp_path, data):
    broken = save_bert_classifier(tmp_path / "broken", ["security", "diplomacy", "sanctions"])
    tensors = load_file(str(broken / "model.safetensors"))
    tensors["classifier.bias"] = torch.full_like(tensors["classifier.bias"], float("nan"))
    from safetensors.torch import save_file

    save_file(tensors, str(broken / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(RunFailed, match=r"training loss became nan at step 1 .*no final model was written"):
        finetune(tmp_path, broken, "topic", data["train"])
    assert not (tmp_path / "out" / "model.safetensors").exists()
    path = config_file(
        tmp_path,
        f"task: topic\nmodel: {broken}\noutput_dir: {tmp_path / 'cli'}\n"
        f"data: {{train_file: {data['train']}, label_field: topics}}\n",
    )
    assert main(["finetune", "--config", path, "runtime.device=cpu", "training.max_steps=1"]) == 5


def test_finetune_needs_a_config_and_refuses_an_inference_one(capsys):
    assert main(["finetune"]) == 2
    assert "finetune needs --config FILE" in capsys.readouterr().err
    assert main(["finetune", "--config", "default"]) == 2
    assert "this is an inference config" in capsys.readouterr().err
    assert main(["finetune", "--config", "finetune_heads", "--resume"]) == 2
    assert "task 'heads' keeps no checkpoints" in capsys.readouterr().err
    assert main(["finetune", "--config", "finetune_topic", "runtime.device=cuda:1"]) == 2
    assert "CUDA_VISIBLE_DEVICES=1 and runtime.device=cuda" in capsys.readouterr().err


@pytest.mark.slow
def test_two_process_torchrun_on_cpu(tmp_path, tiny_bert_base, data):
    path = config_file(
        tmp_path,
        f"task: topic\nmodel: {tiny_bert_base}\noutput_dir: {tmp_path / 'ddp'}\n"
        f"runtime: {{device: cpu}}\ndata: {{train_file: {data['train']}, label_field: topics}}\n"
        "training: {max_steps: 2, disable_tqdm: true, per_device_train_batch_size: 4}\n",
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            "--master_port=29533",
            "-m",
            "nlp",
            "finetune",
            "--config",
            path,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    state = json.loads((tmp_path / "ddp" / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2 and state["train_batch_size"] == 4
    assert run.stderr.count("finetune: topic model written") == 1  # rank 0 reports, once
    from transformers import AutoModelForSequenceClassification

    assert AutoModelForSequenceClassification.from_pretrained(tmp_path / "ddp").num_labels == 3


@pytest.mark.slow
def test_embedded_heads_are_reproduced_by_finetune(tmp_path, runtime_cpu):
    """`task: heads` gives byte-identical heads to scripts/train_heads.py with the same settings."""
    train_heads = load_script("train_heads").main

    rows = [
        json.loads(line)
        for path in sorted((REPO / "data/news/train").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    levels = [[r for r in rows if r["stance"] == value and len(r["text"]) < 1200] for value in (-1, -0.5, 0, 0.5, 1)]
    train = write_jsonl(tmp_path / "train.jsonl", [r for level in levels for r in level[:8]])
    held = write_jsonl(tmp_path / "held.jsonl", [level[8] for level in levels])
    assert (
        train_heads(
            [
                "--output",
                str(tmp_path / "script"),
                "--train",
                str(train),
                "--heldout",
                str(held),
                "--cv-folds",
                "0",
                "--steps",
                "2",
                "--batch-pairs",
                "4",
            ]
        )
        == 0
    )
    path = config_file(
        tmp_path,
        f"task: heads\noutput_dir: {tmp_path / 'finetune'}\n"
        f"data: {{train_file: {train}, validation_file: {held}, label_field: topics}}\n"
        "heads: {cv_folds: 0, steps: 2, batch_pairs: 4}\n",
    )
    assert main(["finetune", "--config", path]) == 0
    script, tuned = (tmp_path / name / "heads.safetensors" for name in ("script", "finetune"))
    assert script.read_bytes() == tuned.read_bytes()
    meta = json.loads((tmp_path / "finetune" / "heads.json").read_text())
    assert meta["command"].startswith("nlp finetune --config")
    overrides = [
        f"topic.model={tmp_path / 'finetune'}",
        f"stance.model={tmp_path / 'finetune'}",
        "summarizer.enabled=false",
        "runtime.device=cpu",
    ]
    from nlp.tasks.analyze import Analyzer

    record = Analyzer(load_config(None, overrides)).analyze("North Korea fired a missile over Japan on Monday.")
    assert record["topic"]["label"] in {"security", "diplomacy", "sanctions"} and record["stance"]["score"] is not None


def test_an_existing_output_is_exit_3_in_finetune_as_in_infer(tmp_path, tiny_bert_base, data, capsys):
    finetune(tmp_path, tiny_bert_base, "topic", data["train"])
    assert main(["finetune", "--config", str(tmp_path / "finetune.yaml")]) == 3
    assert "--resume continues a run" in capsys.readouterr().err  # the CLI names its flags


def test_the_trainer_bar_shows_on_a_terminal_unless_switched_off(monkeypatch):
    from helpers import FakeTerminal
    from nlp.finetune.run import training_arguments

    monkeypatch.chdir(REPO)
    config = load_finetune_config("configs/finetune_topic.yaml", ["runtime.device=cpu"])
    assert training_arguments(config).disable_tqdm is True  # pytest's stderr is no terminal
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    assert training_arguments(config).disable_tqdm is False
    off = load_finetune_config("configs/finetune_topic.yaml", ["runtime.device=cpu", "training.disable_tqdm=true"])
    assert training_arguments(off).disable_tqdm is True
