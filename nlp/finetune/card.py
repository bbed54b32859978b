"""The README.md model card written beside a fine-tuned model: data, metrics, use, limitations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nlp.finetune.config import FinetuneConfig
from nlp.schema import EMBEDDED

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
    base = base_model(config)
    text = f"""---
library_name: transformers
pipeline_tag: {"summarization" if config.task == "summarization" else "text-classification"}
base_model: {base}
---

# {config.task} model fine-tuned with peninsula-nlp

Fine-tuned from `{base}`{f" (revision {config.revision})" if config.revision else ""} for {config.task}: {head}.
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

{provenance_section(config)}"""
    path = out / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


def base_model(config: FinetuneConfig) -> str:
    """The base model's name: the hub name of the packaged MiniLM for `embedded`, else the reference."""
    from nlp.models.provenance import EMBEDDED_BASE

    return EMBEDDED_BASE if config.model == EMBEDDED else config.model


def provenance_section(config: FinetuneConfig) -> str:
    """The card's "Provenance" section: what the base model resolved to (hub commit or content hash of its
    weights) and the run's facts (run id, config hash, versions)."""
    from nlp.models.provenance import resolved, run_facts

    facts = run_facts(config)
    lines = []
    for entry in resolved(config.model, config.revision):
        identity = f"commit `{entry['commit']}`" if "commit" in entry else f"weights sha256 `{entry['sha256']}`"
        package = f" (package {entry['package']})" if "package" in entry else ""
        lines.append(f"- base model: `{entry['name']}`{package}, {identity}")
    versions = ", ".join(f"{name} {version}" for name, version in facts["versions"].items())
    lines += [
        f"- run `{facts['run_id']}`, started {facts['started']}; resolved config hash `{facts['config_hash']}`",
        f"- versions: {versions}",
    ]
    return "## Provenance\n\n" + "\n".join(lines) + "\n"
