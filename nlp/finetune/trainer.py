"""The Hugging Face Trainer for a fine-tuning task: datasets, collator, metrics, early stopping,
and a guard that stops the run on the first NaN or infinite loss.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import DataCollatorForSeq2Seq, DataCollatorWithPadding, EarlyStoppingCallback, Seq2SeqTrainer, Trainer

from nlp.errors import ConfigError, ModelError, RunFailed
from nlp.finetune.config import FinetuneConfig
from nlp.finetune.outputs import last_checkpoint

log = logging.getLogger(__name__)


class LossGuard:
    """Raise `RunFailed` as soon as a training step's loss is not finite (before the optimizer step)."""

    def training_step(self, model, inputs, num_items_in_batch=None):
        loss = super().training_step(model, inputs, num_items_in_batch)
        if not torch.isfinite(loss).all():
            step, epoch = self.state.global_step + 1, self.state.epoch or 0.0
            saved = last_checkpoint(Path(self.args.output_dir))
            raise RunFailed(
                f"the training loss became {loss.item()} at step {step} (epoch {epoch:.2f}); training stopped and no "
                f"final model was written (last complete checkpoint: {saved or 'none'}). Lower training.learning_rate, "
                "set training.max_grad_norm, or check the base model's weights and the data"
            )
        return loss


class GuardedTrainer(LossGuard, Trainer):
    pass


class GuardedSeq2SeqTrainer(LossGuard, Seq2SeqTrainer):
    pass


def build_trainer(config: FinetuneConfig, arguments: Any, train: list[dict], validation: list[dict]) -> Trainer:
    """The task's Trainer over tokenized `datasets`, ready for `.train()`."""
    from datasets import Dataset

    multi_label = is_multi_label(config, train + validation)
    tokenizer, model = load_base(config, multi_label)
    task = (getattr(model.config, "task_specific_params", None) or {}).get("summarization", {})
    train_set, validation_set = (
        Dataset.from_list(rows).map(
            encoder(config, tokenizer, multi_label, prefix=task.get("prefix", ""), split=split),
            batched=True,
            remove_columns=list(rows[0]),
        )
        for split, rows in (("training", train), ("validation", validation))
    )
    callbacks = []
    if config.early_stopping_patience and arguments.load_best_model_at_end:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    if config.task == "summarization":
        return GuardedSeq2SeqTrainer(
            model=model,
            args=arguments,
            train_dataset=train_set,
            eval_dataset=validation_set,
            processing_class=tokenizer,
            data_collator=DataCollatorForSeq2Seq(tokenizer, model=model),
            compute_metrics=rouge_metrics(tokenizer),
            callbacks=callbacks,
        )
    return GuardedTrainer(
        model=model,
        args=arguments,
        train_dataset=train_set,
        eval_dataset=validation_set,
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=label_metrics(config, multi_label),
        callbacks=callbacks,
    )


def load_base(config: FinetuneConfig, multi_label: bool):
    """(tokenizer, model) to train, under the toolkit's loading policy, with the task's head."""
    from transformers import AutoModelForSeq2SeqLM, AutoModelForSequenceClassification, AutoTokenizer, set_seed

    from nlp.models.load import explain, locate

    where = locate(config, "model")
    options = {
        "revision": config.revision,
        "trust_remote_code": config.trust_remote_code,
        "use_safetensors": None if config.allow_pickle else True,
    }
    set_seed(int(config.training.get("seed", config.runtime.seed)))  # the new head's initial weights
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            where, revision=config.revision, trust_remote_code=config.trust_remote_code
        )
        if config.task == "summarization":
            return tokenizer, AutoModelForSeq2SeqLM.from_pretrained(where, **options)
        names = config.label_names or ["score"]
        problem = (
            "multi_label_classification"
            if multi_label
            else "regression"
            if not config.label_names
            else "single_label_classification"
        )
        model = AutoModelForSequenceClassification.from_pretrained(
            where,
            num_labels=len(names),
            id2label=dict(enumerate(names)),
            label2id={n: i for i, n in enumerate(names)},
            problem_type=problem,
            ignore_mismatched_sizes=True,
            **options,
        )
    except (OSError, ValueError) as exc:
        raise ModelError(explain(config, where, "model", exc)) from exc
    if config.head_only:  # the pretrained body stays as it is; only the new task head learns
        model.base_model.requires_grad_(False)
        log.info(
            "head_only: training %d of %d parameters",
            sum(p.numel() for p in model.parameters() if p.requires_grad),
            sum(p.numel() for p in model.parameters()),
        )
    return tokenizer, model


def is_multi_label(config: FinetuneConfig, examples: list[dict]) -> bool:
    """Topic only: `multi_label: auto` is true when some example has more than one label."""
    if config.task != "topic":
        return False
    several = sum(len(example["labels"]) > 1 for example in examples)
    if config.multi_label is False and several:
        raise ConfigError(
            f"multi_label: false, but {several} topic example(s) carry several labels; "
            "set multi_label: auto (or true), or give one label per example"
        )
    return bool(several) if config.multi_label == "auto" else bool(config.multi_label)


def encoder(config: FinetuneConfig, tokenizer: Any, multi_label: bool, prefix: str = "", split: str = "training"):
    """A batched `Dataset.map` function: tokens (cut at max_length, counted in the log) and label ids.

    `prefix` is a T5-style task prefix from the model config (empty for BART-likes); `split` names the
    examples in the log (training, validation)."""
    names = config.label_names

    def encode(batch: dict[str, list]) -> dict[str, list]:
        tokens = tokenizer([prefix + text for text in batch["text"]], truncation=True, max_length=config.max_length)
        cut = sum(len(ids) >= config.max_length for ids in tokens["input_ids"])
        if cut:
            texts, were = ("text", "was") if cut == 1 else ("texts", "were")
            log.warning("%d %s %s longer than max_length=%d tokens %s cut", cut, split, texts, config.max_length, were)
        if config.task == "summarization":
            tokens["labels"] = tokenizer(
                text_target=batch["summary"], truncation=True, max_length=config.max_target_length
            )["input_ids"]
        elif multi_label:
            tokens["labels"] = [[float(name in labels) for name in names] for labels in batch["labels"]]
        elif names:
            tokens["labels"] = [
                names.index(labels[0] if isinstance(labels, list) else labels) for labels in batch["labels"]
            ]
        else:
            tokens["labels"] = [float(value) for value in batch["labels"]]
        return tokens

    return encode


def label_metrics(config: FinetuneConfig, multi_label: bool):
    """compute_metrics for classifiers (accuracy, macro-F1; MAE/Spearman of stance values) and regressors."""
    from nlp.labels import softmax, stance_value
    from nlp.metrics import classification_metrics, multilabel_metrics, score_metrics

    names = config.label_names

    def compute(prediction) -> dict[str, float]:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        gold = prediction.label_ids
        if not names:  # regression
            return numbers(score_metrics(gold.reshape(-1).tolist(), np.clip(logits.reshape(-1), -1, 1).tolist()))
        if multi_label:
            chosen = logits >= 0.0  # sigmoid >= 0.5, and the best label always in
            chosen[np.arange(len(chosen)), logits.argmax(1)] = True
            as_names = [[n for n, on in zip(names, row) if on] for row in chosen]
            return numbers(
                multilabel_metrics([[n for n, on in zip(names, row) if on] for row in gold > 0.5], as_names, names)
            )
        out = classification_metrics([names[i] for i in gold], [names[i] for i in logits.argmax(1)], names)
        result = {"accuracy": out["accuracy"], "macro_f1": out["macro_f1"]}
        if config.task == "stance":
            values = np.array([stance_value(name) for name in names])  # checked with the config
            result |= numbers(score_metrics(values[gold].tolist(), (softmax(logits) @ values).tolist()))
        return result

    return compute


def rouge_metrics(tokenizer: Any):
    """compute_metrics for generated summaries: ROUGE-1/2/L F-measures (rouge-score) and length."""
    from nlp.metrics import rouge_scores

    def compute(prediction) -> dict[str, float]:
        predicted = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        gold = np.where(prediction.label_ids != -100, prediction.label_ids, tokenizer.pad_token_id)
        predicted = np.where(predicted != -100, predicted, tokenizer.pad_token_id)
        texts = tokenizer.batch_decode(predicted, skip_special_tokens=True)
        references = tokenizer.batch_decode(gold, skip_special_tokens=True)
        lengths = (predicted != tokenizer.pad_token_id).sum(1)
        return numbers(rouge_scores(texts, references)) | {"gen_len": float(lengths.mean())}

    return compute


def numbers(metrics: dict) -> dict[str, float]:
    """Only the numeric entries (the Trainer logs floats; an undefined Spearman is left out)."""
    return {
        key: float(value)
        for key, value in metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "n"
    }
