"""The finetune config: task keys, and `training:` checked against TrainingArguments before anything loads."""

from __future__ import annotations

import pytest

from nlp.errors import ConfigError
from nlp.finetune.config import load_finetune_config


def write(tmp_path, text: str) -> str:
    path = tmp_path / "finetune.yaml"
    path.write_text("task: topic\nmodel: base\noutput_dir: out\ndata: {train_file: train.jsonl}\n" + text)
    return str(path)


def test_unknown_training_key_names_the_closest_field(tmp_path):
    with pytest.raises(
        ConfigError, match=r"unknown key 'training.num_train_epoch'.*did you mean 'training.num_train_epochs'\?"
    ):
        load_finetune_config(write(tmp_path, "training:\n  num_train_epoch: 2\n"))


def test_values_take_the_field_types(tmp_path):
    path = write(
        tmp_path, "training:\n  learning_rate: 2e-5\n  num_train_epochs: 2\n  save_steps: 10\n  max_steps: 4.0\n"
    )
    training = load_finetune_config(path).training
    assert training["learning_rate"] == pytest.approx(2e-5) and isinstance(
        training["learning_rate"], float
    )  # YAML gave a str
    assert (
        isinstance(training["num_train_epochs"], float)
        and training["max_steps"] == 4
        and isinstance(training["max_steps"], int)
    )
    with pytest.raises(ConfigError, match=r"override 'training.per_device_train_batch_size=many'.*expected int"):
        load_finetune_config(path, ["training.per_device_train_batch_size=many"])
    with pytest.raises(ConfigError, match=r"training.max_steps: expected int, found 2.5"):
        load_finetune_config(path, ["training.max_steps=2.5"])
    with pytest.raises(ConfigError, match=r"training.learning_rate: null is not allowed"):
        load_finetune_config(path, ["training.learning_rate=null"])


def test_toolkit_managed_keys_point_to_their_place(tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(ConfigError, match="training.output_dir is set by the toolkit; use the top-level output_dir"):
        load_finetune_config(path, ["training.output_dir=/tmp/x"])
    with pytest.raises(
        ConfigError, match="training.resume_from_checkpoint is set by the toolkit; use `nlp finetune --resume`"
    ):
        load_finetune_config(path, ["training.resume_from_checkpoint=x"])


def test_task_level_keys_are_validated(tmp_path):
    path = write(tmp_path, "")
    with pytest.raises(ConfigError, match="unknown key 'data.text_feild'; did you mean 'data.text_field'"):
        load_finetune_config(path, ["data.text_feild=body"])
    with pytest.raises(ConfigError, match="task: Input should be 'topic', 'stance', 'summarization' or 'heads'"):
        load_finetune_config(path, ["task=ner"])
    with pytest.raises(ConfigError, match="objective: regression predicts one number; remove `labels`"):
        load_finetune_config(path, ["task=stance", "objective=regression", "labels=[a, b]"])
    with pytest.raises(ConfigError, match="task 'heads' does not use the Trainer"):
        load_finetune_config(path, ["task=heads", "training.learning_rate=1e-3"])
    assert load_finetune_config(path, ["task=stance"]).label_names == ["critical", "neutral", "supportive"]
    with pytest.raises(ConfigError, match="labels: the stance class 'pro' has no value"):
        load_finetune_config(path, ["task=stance", "labels=[against, pro]"])
