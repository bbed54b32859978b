"""Fine-tuning (`nlp finetune`): a topic or stance classifier or a seq2seq summarizer with the
Hugging Face Trainer, or the embedded default's heads (`task: heads`).

Order of work: config and `TrainingArguments` (config errors), then every data row (input
errors), then the model. The output directory is a plain `save_pretrained` model that
`transformers` and the toolkit's configs load, plus the resolved config, metrics and a model card.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from nlp.errors import ConfigError, InputError
from nlp.finetune.config import FinetuneConfig
from nlp.finetune.data import load_examples, warn_leak
from nlp.finetune.outputs import check_output, lock_output, start_output

log = logging.getLogger(__name__)


def run_finetune(
    config: FinetuneConfig, resume: bool = False, overwrite: bool = False, command: str = "nlp finetune"
) -> dict[str, Any]:
    """Train, save and describe the model; returns {"output_dir", "metrics", "rank"}.

    One run per output_dir at a time: a second one is an OutputError naming the first (its lock file
    sits beside the folder, `<output_dir>.lock`)."""
    with lock_output(Path(config.output_dir), int(os.environ.get("RANK", "0"))):
        return _finetune(config, resume, overwrite, command)


def _finetune(config: FinetuneConfig, resume: bool, overwrite: bool, command: str) -> dict[str, Any]:
    out, rank = Path(config.output_dir), int(os.environ.get("RANK", "0"))
    require_packages(config.task)
    if config.task == "heads":
        if resume:
            raise ConfigError("`resume`: task 'heads' keeps no checkpoints; rerun it with `overwrite`")
        return {"output_dir": str(out), "metrics": train_embedded_heads(config, out, overwrite, command), "rank": rank}
    arguments = training_arguments(config)
    checkpoint = check_output(config, out, resume, overwrite, rank)
    train, validation = load_splits(config)
    from nlp.finetune.trainer import build_trainer

    trainer = build_trainer(config, arguments, train, validation)  # a model that fails to load leaves out untouched
    if checkpoint is None:
        start_output(config, out, rank)
    result = trainer.train(resume_from_checkpoint=checkpoint)
    metrics = {key.removeprefix("eval_"): value for key, value in trainer.evaluate().items()}
    trainer.save_model(str(out))
    if trainer.is_world_process_zero():
        from nlp.finetune.card import write_card

        record = {
            "eval": metrics,
            "train": result.metrics,
            "examples": {"train": len(train), "validation": len(validation)},
            "best_checkpoint": trainer.state.best_model_checkpoint,
        }
        (out / "metrics.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        write_card(config, out, record)
    return {"output_dir": str(out), "metrics": metrics, "rank": rank}


def require_packages(task: str) -> None:
    """The `train` extra, checked up front so a missing package is one line, not an ImportError."""
    from nlp.extras import require_extra

    needed = ["peft", "sklearn", "scipy"] if task == "heads" else ["accelerate", "datasets", "sklearn", "scipy"]
    needed += ["rouge_score"] if task == "summarization" else []
    names = {"sklearn": "scikit-learn", "rouge_score": "rouge-score"}
    require_extra("finetune", "train", {module: names.get(module, module) for module in needed})


def training_arguments(config: FinetuneConfig):
    """`TrainingArguments` (or the Seq2Seq ones): the toolkit's defaults under the user's `training:`."""
    import torch
    from transformers import Seq2SeqTrainingArguments, TrainingArguments

    from nlp.runtime import resolve_device

    device = config.runtime.device
    if device.startswith("cuda:") and device != "cuda:0":
        raise ConfigError(
            f"runtime.device: finetune trains on the first visible GPU; for {device!r} run with "
            f"CUDA_VISIBLE_DEVICES={device.partition(':')[2]} and runtime.device=cuda"
        )
    resolve_device(device)  # an explicit device the machine lacks is an error, not a fallback
    metric = best_metric(config)
    values = {
        "eval_strategy": "epoch",
        "save_strategy": "epoch",
        "logging_strategy": "epoch",
        "load_best_model_at_end": True,
        "metric_for_best_model": metric,
        "greater_is_better": metric != "mae",
        "save_total_limit": 2,
        "report_to": "none",
        "seed": config.runtime.seed,
        "num_train_epochs": 3.0,
        "learning_rate": 5e-5 if config.task == "summarization" else 3e-5,
        "per_device_train_batch_size": 8,
        "per_device_eval_batch_size": 16,
        "use_cpu": device == "cpu",
        "dataloader_pin_memory": device != "cpu" and torch.cuda.is_available(),  # pinning needs a GPU
        "bf16": config.runtime.dtype == "bfloat16",
        "fp16": config.runtime.dtype == "float16",
        "disable_tqdm": not sys.stderr.isatty(),  # the Trainer's bar (steps, loss per log), on a terminal only
    }
    if config.task == "summarization":
        values |= {"predict_with_generate": True, "generation_max_length": config.max_target_length}
    values |= config.training
    if values["eval_strategy"] == "no" and "load_best_model_at_end" not in config.training:
        values["load_best_model_at_end"] = False
    if values["eval_strategy"] != "epoch" and "save_strategy" not in config.training:
        values["save_strategy"] = values["eval_strategy"]
        if "eval_steps" in config.training and "save_steps" not in config.training:
            values["save_steps"] = config.training["eval_steps"]
    cls = Seq2SeqTrainingArguments if config.task == "summarization" else TrainingArguments
    try:
        return cls(output_dir=config.output_dir, **values)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"training: {str(exc).strip().splitlines()[0]}") from None


def best_metric(config: FinetuneConfig) -> str:
    if config.task == "summarization":
        return "rougeL"
    return "mae" if config.task == "stance" and config.objective == "regression" else "macro_f1"


def load_splits(config: FinetuneConfig) -> tuple[list[dict], list[dict]]:
    """Checked training and validation examples; without a validation file, a seeded split."""
    train = [example for path in config.data.train_files for example in load_examples(path, config)]
    if config.data.validation_files:
        validation = [example for path in config.data.validation_files for example in load_examples(path, config)]
        warn_leak(train, validation, config.data.validation_files[0])
        return train, validation
    if len(train) < 2:
        raise InputError(
            f"{config.data.train_files[0]}: {len(train)} example(s); give at least 2, or a data.validation_file"
        )
    order = np.random.default_rng(config.runtime.seed).permutation(len(train))
    size = max(1, math.ceil(config.data.validation_split * len(train)))
    held = set(order[:size].tolist())
    log.info("validation: %d of %d examples held out (seed %d)", size, len(train), config.runtime.seed)
    return [e for i, e in enumerate(train) if i not in held], [e for i, e in enumerate(train) if i in held]


def train_embedded_heads(config: FinetuneConfig, out: Path, overwrite: bool, command: str) -> dict[str, float]:
    """`task: heads`: check the data, then run the embedded default's own trainer (`nlp.finetune.heads`) with
    the validated `heads:` settings; `scripts/train_heads.py` calls the same function."""
    from nlp.finetune.heads import train_heads

    data, heads = config.data, config.heads
    if (data.text_field, data.label_field, data.stance_field) != ("text", "topics", "stance"):
        raise ConfigError(
            "task 'heads' reads the data/news format (data/news/GUIDELINE.md); set data.text_field: text, "
            "data.label_field: topics, data.stance_field: stance"
        )
    if not data.validation_file:
        raise ConfigError("task 'heads' needs data.validation_file: the held-out items its metrics are reported on")
    check_output(config, out, resume=False, overwrite=overwrite, rank=0)
    for path in [*data.train_files, *data.validation_files]:
        load_examples(path, config)
    start_output(config, out, rank=0)
    meta = train_heads(heads, data.train_files, data.validation_files, out, config.runtime.seed, command)
    return meta["metrics"][data.validation_files[0]]
