"""The fine-tuning config (`nlp finetune --config FILE`): task, base model, data, output, `training:`.

`training:` holds `TrainingArguments` / `Seq2SeqTrainingArguments` keys under their own names.
They are checked here against the dataclass fields of the installed transformers (unknown key,
closest name, type; YAML's `2e-5` string becomes a float), before any data or model loads.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from nlp.config import apply_overrides, check_remote_code, override_for, read_yaml, resolve_config_path, validate
from nlp.errors import ConfigError, shorten
from nlp.labels import STANCE_CLASSES, TOPIC_LABELS, stance_value
from nlp.schema import ModelConfig, RuntimeConfig, Section

Task = Literal["topic", "stance", "summarization", "heads"]
DEFAULT_LABELS = {"topic": list(TOPIC_LABELS), "stance": list(STANCE_CLASSES)}
# Keys the toolkit sets itself: where they live instead.
MANAGED = {"output_dir": "the top-level output_dir", "resume_from_checkpoint": "`nlp finetune --resume`"}
SEED_KEYS = ("seed", "data_seed")


class DataConfig(Section):
    train_file: str | list[str]
    validation_file: str | list[str] | None = None
    validation_split: float = Field(0.1, gt=0, lt=1)
    text_field: str = Field("text", min_length=1)
    label_field: str = Field("label", min_length=1)
    summary_field: str = Field("summary", min_length=1)
    stance_field: str = Field("stance", min_length=1)

    @property
    def train_files(self) -> list[str]:
        return [self.train_file] if isinstance(self.train_file, str) else list(self.train_file)

    @property
    def validation_files(self) -> list[str]:
        if self.validation_file is None:
            return []
        return [self.validation_file] if isinstance(self.validation_file, str) else list(self.validation_file)


class HeadsConfig(Section):
    """`task: heads`: the embedded default's trainer (scripts/train_heads.py) and its settings."""

    steps: int = Field(0, ge=0)
    rank: int = Field(8, ge=1)
    alpha: float = Field(16.0, gt=0)
    targets: list[str] = Field(default_factory=lambda: ["query", "value"], min_length=1)
    batch_pairs: int = Field(16, ge=2)
    lr: float = Field(5e-4, gt=0)
    chunk_tokens: int = Field(128, ge=8)
    target: Literal["binary", "ordinal"] = "binary"
    topic_share: float = Field(0.0, ge=0, lt=1)
    cv_folds: int = Field(5, ge=0)
    lexical: bool = True
    min_df: int = Field(3, ge=1)
    max_terms: int = Field(30000, ge=100)
    threads: int = Field(2, ge=1)


class FinetuneConfig(ModelConfig):
    task: Task
    output_dir: str = Field(min_length=1)
    runtime: RuntimeConfig = RuntimeConfig()
    data: DataConfig
    labels: list[str] | None = None
    multi_label: bool | Literal["auto"] = "auto"
    objective: Literal["classification", "regression"] = "classification"
    max_length: int = Field(256, ge=8)
    max_target_length: int = Field(128, ge=1)
    early_stopping_patience: int | None = Field(3, ge=1)
    head_only: bool = False
    heads: HeadsConfig = HeadsConfig()
    training: dict[str, Any] = Field(default_factory=dict)

    @field_validator("labels")
    @classmethod
    def _check_labels(cls, labels: list[str] | None) -> list[str] | None:
        if labels is not None and (len(labels) < 2 or len(set(labels)) != len(labels)):
            raise ValueError("give at least two distinct label names")
        return labels

    @model_validator(mode="after")
    def _labels_fit_the_task(self) -> FinetuneConfig:
        if self.task in ("summarization", "heads") and self.labels is not None:
            raise ValueError(f"task {self.task!r} has no labels; remove `labels`")
        if self.task == "stance" and self.objective == "regression" and self.labels is not None:
            raise ValueError("objective: regression predicts one number; remove `labels`")
        if self.head_only and self.task not in ("topic", "stance"):
            raise ValueError(
                f"head_only trains a classifier head on a frozen body; task {self.task!r} has no such head"
                + (" (use heads.steps: 0 for head-only embedded heads)" if self.task == "heads" else "")
            )
        return self

    @property
    def label_names(self) -> list[str]:
        """The class names (topic, stance classification); empty for regression and summaries."""
        if self.task == "heads":
            return DEFAULT_LABELS["topic"]
        if self.task == "topic" or (self.task == "stance" and self.objective == "classification"):
            return self.labels or DEFAULT_LABELS[self.task]
        return []


def load_finetune_config(name: str, overrides: list[str] | tuple[str, ...] = ()) -> FinetuneConfig:
    """Read, override and validate a fine-tuning config, `training:` included; the remote-code rule of
    inference configs holds here too (`nlp.config.check_remote_code`)."""
    path = resolve_config_path(name)
    data = read_yaml(path)
    base = copy.deepcopy(data)
    override_paths = apply_overrides(data, overrides)
    if "task" not in data and "runtime" in data and "summarizer" in data:
        raise ConfigError(
            f"{path}: this is an inference config; finetune takes a config with `task:` "
            "(e.g. configs/finetune_topic.yaml)"
        )
    check_remote_code(data, override_paths, str(path), FinetuneConfig)
    config = validate(data, source=str(path), override_paths=override_paths, schema=FinetuneConfig, base=base)
    where = {key: item for key in config.training if (item := override_for(f"training.{key}", override_paths))}
    config.training = check_training(config.task, config.training, str(path), where)
    if config.task == "stance" and config.objective == "classification":
        check_stance_labels(config.label_names, str(path))
    return config


def check_stance_labels(labels: list[str], source: str) -> None:
    """Each stance class must carry a value (the score is the expected value over the classes)."""
    for label in labels:
        if stance_value(label) is None:
            raise ConfigError(
                f"{source}: labels: the stance class {label!r} has no value; name the classes "
                'critical/neutral/supportive or numbers in [-1, 1] (e.g. "-0.5")'
            )


def argument_fields(task: str) -> dict[str, dataclasses.Field]:
    """The init fields of the arguments class the task's Trainer takes."""
    from transformers import Seq2SeqTrainingArguments, TrainingArguments

    cls = Seq2SeqTrainingArguments if task == "summarization" else TrainingArguments
    return {field.name: field for field in dataclasses.fields(cls) if field.init}


def check_training(task: str, training: dict[str, Any], source: str, overrides: dict[str, str]) -> dict[str, Any]:
    """Each `training.KEY` a real arguments field with a value of its type (numbers from strings)."""
    if task == "heads":
        if training:
            raise ConfigError(f"{source}: task 'heads' does not use the Trainer; its settings are under `heads:`")
        return {}
    fields = argument_fields(task)
    checked = {}
    for key, value in training.items():
        where = f"override {shorten(overrides[key])!r}" if key in overrides else source
        if key in MANAGED:
            raise ConfigError(f"{where}: training.{key} is set by the toolkit; use {MANAGED[key]}")
        if key not in fields:
            hint = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
            suggestion = f"; did you mean 'training.{hint[0]}'?" if hint else ""
            raise ConfigError(f"{where}: unknown key 'training.{key}' (not a TrainingArguments field){suggestion}")
        checked[key] = coerce(value, str(fields[key].type), f"{where}: training.{key}")
        if key in SEED_KEYS and isinstance(checked[key], int) and not 0 <= checked[key] < 2**32:
            raise ConfigError(f"{where}: training.{key} must be in 0 .. 4294967295 (what numpy accepts)")
    return checked


def coerce(value: Any, annotation: str, where: str) -> Any:
    """`value` as the annotated type: '2e-5' -> float, 3.0 -> int; anything else a clear error."""
    kinds = set(re.findall(r"\b(int|float|bool|str|dict|list)\b", annotation)) or {"str"}
    if value is None:
        if "None" in annotation or "Optional" in annotation:
            return None
        raise ConfigError(f"{where}: null is not allowed; expected {annotation}")
    if isinstance(value, bool):
        if "bool" in kinds or "str" in kinds:
            return value
    elif isinstance(value, (int, float)):
        if "float" in kinds:
            return float(value) if not isinstance(value, int) or "int" not in kinds else value
        if "int" in kinds and float(value).is_integer():
            return int(value)
    elif isinstance(value, str):
        if "str" in kinds:
            return value
        number = _number(value)
        if number is not None and "float" in kinds:
            return number
        if number is not None and "int" in kinds and number.is_integer():
            return int(number)
    elif isinstance(value, (list, dict)) and ({"list", "dict"} & kinds or "str" in kinds):
        return value
    raise ConfigError(f"{where}: expected {_readable(annotation)}, found {shorten(repr(value))}")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _readable(annotation: str) -> str:
    return re.sub(r"<class '(\w+)'>", r"\1", annotation)
