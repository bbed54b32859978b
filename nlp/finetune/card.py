"""The README.md model card written beside a fine-tuned model: data, metrics, use, limitations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nlp.finetune.config import FinetuneConfig

_USE = {
    "topic": ("topic.model", "topic classification of Korean-peninsula news (`nlp summarize --json`, `nlp infer`)"),
    "stance": (
        "stance.model",
        "stance toward North Korea of Korean-peninsula news (`nlp summarize --json`, `nlp infer`)",
    ),
    "summarization": ("summarizer.model", "abstractive summaries of Korean-peninsula news"),
}


def write_card(config: FinetuneConfig, out: Path, record: dict[str, Any]) -> Path:
    """Write `out/README.md` from the resolved config and the run's metrics."""
    key, use = _USE[config.task]
    labels = config.label_names
    head = (
        "regression to a score in [-1, 1]"
        if config.task == "stance" and not labels
        else f"labels {', '.join(labels)}"
        if labels
        else "sequence-to-sequence generation"
    )
    rows = "\n".join(
        f"| {name} | {value:.4f} |"
        for name, value in sorted(record["eval"].items())
        if isinstance(value, float) and not name.endswith(("runtime", "per_second"))
    )
    loading = (
        "`AutoModelForSeq2SeqLM.from_pretrained(DIR)` and `generate()`; transformers 5 has no summarization pipeline"
        if config.task == "summarization"
        else '`pipeline("text-classification", model=DIR)` or `AutoModelForSequenceClassification.from_pretrained(DIR)`'
    )
    data = config.data
    validation = (
        ", ".join(data.validation_files)
        or f"a {data.validation_split:.0%} split of the training data (seed {config.runtime.seed})"
    )
    text = f"""---
library_name: transformers
pipeline_tag: {"summarization" if config.task == "summarization" else "text-classification"}
base_model: {config.model}
---

# {config.task} model fine-tuned with peninsula-nlp

Fine-tuned from `{config.model}`{f" (revision {config.revision})" if config.revision else ""} for {config.task}: {head}.
Trained with `nlp finetune`; the resolved config is `finetune_config.yaml`, all metrics are in `metrics.json`.

## Data

- training: {", ".join(f"`{path}`" for path in data.train_files)} ({record["examples"]["train"]} examples)
- validation: {validation} ({record["examples"]["validation"]} examples)
- fields: text `{data.text_field}`, {"summary `" + data.summary_field if config.task == "summarization" else "label `" + data.label_field}`
- inputs cut at {config.max_length} tokens for training{f", summaries at {config.max_target_length}" if config.task == "summarization" else ""}

## Metrics (validation, best checkpoint)

| metric | value |
|---|---|
{rows}

## Intended use

{use}. Load it with plain transformers ({loading}), or set `{key}: {out}` in a peninsula-nlp config.

## Limitations

- The metrics above come from the validation data only; they say little about text from other
  sources, periods or registers. Evaluate on your own labeled sample (`nlp evaluate`).
- The model learns the labeling conventions of its training data, including their mistakes.
- English news text; inputs longer than {config.max_length} tokens were cut in training (inference
  with the toolkit chunks long texts instead).
"""
    path = out / "README.md"
    path.write_text(text, encoding="utf-8")
    return path
