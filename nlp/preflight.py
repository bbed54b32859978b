"""`nlp check`: refuse, before any model loads, what a run of the config would refuse.

An inference config: the device and dtype (`auto` resolved to what a run would use; an explicit
one the machine cannot honour is a ConfigError), and the optional parts it asks for by name (the
Ray backend, HTML input, CTranslate2). A fine-tuning config: the `train` extra, the
`TrainingArguments` the run would build (device included), and every data row. With `models`,
where each model would come from (`nlp.models.download.find_model`), without loading it.
Sits beside the CLI: it draws on every layer, and nothing below imports it.
"""

from __future__ import annotations

from pydantic import BaseModel

from nlp.errors import ModelError
from nlp.schema import Config


def check_inference(config: Config) -> str:
    """What a run would use, as `runtime.device auto -> cpu, runtime.dtype auto -> float32`."""
    from nlp.runtime import Runtime, resolve_device, resolve_dtype

    device = resolve_device(config.runtime.device)
    dtype = resolve_dtype(config.runtime.dtype, device)
    if config.infer.backend == "ray":
        from nlp.infer.ray import require_ray

        require_ray()
    if config.infer.format == "html":
        from nlp.html import require_html

        require_html()
    from nlp.models.quantize import check_int8_setting

    for task in ("topic", "stance"):
        if getattr(config, task).enabled:
            check_int8_setting(getattr(config, task), Runtime(device, dtype, config.runtime.seed), task)
    if config.summarizer.enabled and config.summarizer.backend == "ctranslate2":
        from nlp.errors import ConfigError
        from nlp.models.ctranslate import runtime_problem

        problem = runtime_problem(Runtime(device, dtype, config.runtime.seed))
        if problem is not None:
            raise ConfigError(f"summarizer.backend: 'ctranslate2' cannot be honoured: {problem}")
    return _resolved(config.runtime.device, str(device), config.runtime.dtype, str(dtype).removeprefix("torch."))


def check_finetune(config) -> str:
    """The packages, `TrainingArguments` and data a `nlp finetune` run would check first, in its order;
    returns what the run would use and how many rows the data has."""
    from nlp.finetune.data import load_examples
    from nlp.finetune.run import require_packages, training_arguments
    from nlp.runtime import resolve_device

    require_packages(config.task)
    device = str(resolve_device(config.runtime.device))
    if config.task == "heads":
        dtype = "float32"
    else:
        arguments = training_arguments(config)
        dtype = "bfloat16 (bf16)" if arguments.bf16 else "float16 (fp16)" if arguments.fp16 else "float32"
    rows = {path: len(load_examples(path, config)) for path in config.data.train_files}
    rows |= {path: len(load_examples(path, config)) for path in config.data.validation_files}
    data = f"{sum(rows.values())} rows in {len(rows)} data file(s), all valid"
    return f"{_resolved(config.runtime.device, device, config.runtime.dtype, dtype)}; {data}"


def _resolved(device: str, used_device: str, dtype: str, used_dtype: str) -> str:
    return f"runtime.device {device} -> {used_device}, runtime.dtype {dtype} -> {used_dtype}"


def check_models(config: BaseModel) -> list[str]:
    """One line per model: the keys naming it and where it would be loaded from. A model that cannot
    be found is one ModelError naming each such model and the fix."""
    from nlp.models.download import find_model, model_references

    found = [find_model(ref) for ref in model_references(config)]
    missing = [f"{', '.join(f.ref.keys)} {f.ref.model!r}: {f.where}" for f in found if f.kind is None]
    if missing:
        raise ModelError(
            "; ".join(missing) + ". Fetch the models with `nlp download` (same --config and overrides) on a "
            "connected machine and copy the cache here, or fix the names"
        )
    return [f"{', '.join(f.ref.keys)} {f.ref.model!r}: {f.where}" for f in found]
