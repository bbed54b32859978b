"""CTranslate2 backend for abstractive summaries (`summarizer.backend`, install `.[fast]`).

A hub id or local seq2seq folder is converted once (nlp/models/conversion.py: a cache keyed by
model, revision and compute type, safe against a killed conversion), then run with
`ctranslate2.Translator`.

The engine takes the same token ids and generation settings as the transformers engine
(nlp/models/generate.py); `problem()` says why a model, device, compute type or setting cannot be
run here, so the summarizer can fall back (backend auto) or refuse (backend ctranslate2).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from nlp.errors import ConfigError, ModelError
from nlp.models import conversion
from nlp.models.conversion import device_of
from nlp.models.generate import capped
from nlp.models.load import explain, locate
from nlp.runtime import Runtime
from nlp.schema import ModelConfig

log = logging.getLogger(__name__)

# Seq2seq architectures CTranslate2 converts, by `model_type`; others (LED, BigBird-Pegasus, ...)
# stay on transformers.
SUPPORTED_TYPES = ("bart", "mbart", "pegasus", "t5", "mt5", "marian")
# generation_config keys that are mapped to CTranslate2 options, or that do not change the output
_MAPPED = {
    "max_length", "max_new_tokens", "min_length", "min_new_tokens", "early_stopping", "do_sample", "num_beams",
    "temperature", "top_k", "top_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size",
    "forced_bos_token_id", "forced_eos_token_id",
}  # fmt: skip
_HARMLESS = {
    "pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id", "use_cache", "cache_implementation",
    "cache_config", "max_cache_len", "output_attentions", "output_hidden_states", "output_scores", "output_logits",
    "return_dict_in_generate", "transformers_version", "_from_model_config", "compile_config", "disable_compile",
    "remove_invalid_values", "low_memory", "prefill_chunk_size", "is_assistant", "num_assistant_tokens",
    "num_assistant_tokens_schedule", "assistant_confidence_threshold", "continuous_batching_config", "use_mtp",
}  # fmt: skip
_TRANSLATORS: dict[tuple, Any] = {}


def compute_type_for(requested: str, runtime: Runtime) -> str:
    """`auto`: int8 on the CPU, float16 on CUDA (int8 on a GPU without float16); an explicit type must
    be one CTranslate2 runs on this device."""
    import ctranslate2

    device = device_of(runtime)[0]
    supported = sorted(ctranslate2.get_supported_compute_types(device))
    if requested == "auto":
        preferred = ("int8", "float32") if device == "cpu" else ("float16", "int8_float16", "int8", "float32")
        return next(kind for kind in preferred if kind in supported)
    if requested not in supported:
        raise ConfigError(
            f"summarizer.compute_type: {requested!r} is not supported by CTranslate2 on this {device} "
            f"(supported here: {', '.join(supported)}); pick one of those or auto"
        )
    return requested


def runtime_problem(runtime: Runtime) -> str | None:
    """Why CTranslate2 cannot run here at all (not installed, device); None if it can."""
    if not conversion.installed():
        from nlp.extras import install_hint

        return f"ctranslate2 is not installed (install the fast extra: {install_hint('fast')})"
    if device_of(runtime) is None:
        return f"CTranslate2 does not run on {runtime.device.type}"
    return None


def model_problem(model_type: str, settings: Any, explicit: dict[str, Any]) -> str | None:
    """Why this architecture or a generation setting cannot run on CTranslate2; None if it can."""
    if model_type not in SUPPORTED_TYPES:
        return f"CTranslate2 does not convert {model_type!r} models (it does {', '.join(SUPPORTED_TYPES)})"
    return generation_problem(settings, explicit)


def read_checkpoint(source: ModelConfig) -> tuple[Any, Any]:
    """The checkpoint's model config and generation_config, read without loading any weights."""
    from transformers import AutoConfig, GenerationConfig

    where = locate(source, "summarizer.model")
    options = {"revision": source.revision, "trust_remote_code": source.trust_remote_code}
    try:
        model_config = AutoConfig.from_pretrained(where, **options)
    except (OSError, ValueError) as exc:
        raise ModelError(explain(source, where, "summarizer.model", exc)) from exc
    try:
        defaults = GenerationConfig.from_pretrained(where, revision=source.revision)
    except OSError:  # no generation_config.json: transformers derives it from the model config too
        defaults = GenerationConfig.from_model_config(model_config)
    return model_config, defaults


def read_tokenizer(source: ModelConfig) -> Any:
    from transformers import AutoTokenizer

    where = locate(source, "summarizer.model")
    try:
        return AutoTokenizer.from_pretrained(
            where, revision=source.revision, trust_remote_code=source.trust_remote_code
        )
    except (OSError, ValueError) as exc:
        raise ModelError(explain(source, where, "summarizer.model", exc)) from exc


def generation_problem(settings: Any, explicit: dict[str, Any]) -> str | None:
    """A resolved generation setting CTranslate2 cannot honour, named with where it came from."""

    def origin(key: str) -> str:
        return f"summarizer.generation.{key}" if key in explicit else f"the checkpoint's generation_config {key}"

    if settings.do_sample and (settings.num_beams or 1) > 1:
        key = "num_beams" if "num_beams" in explicit else "do_sample"
        return f"{origin(key)}: CTranslate2 samples with num_beams: 1 only"
    if explicit.get("early_stopping") is False or settings.early_stopping == "never":
        return (
            f"{origin('early_stopping')}: {settings.early_stopping!r} - CTranslate2 ends beam search once num_beams "
            "hypotheses are finished (early_stopping: true)"
        )
    unknown = sorted(set(settings.to_diff_dict()) - _MAPPED - _HARMLESS)
    if unknown:
        return f"the checkpoint's generation_config sets {', '.join(unknown)}, which CTranslate2 has no option for"
    return None


def translate_options(settings: Any) -> dict[str, Any]:
    """`ctranslate2.Translator.translate_batch` options for resolved transformers settings."""
    max_new = settings.max_new_tokens if settings.max_new_tokens is not None else (settings.max_length or 20) - 1
    min_new = settings.min_new_tokens if settings.min_new_tokens is not None else (settings.min_length or 1) - 1
    if settings.forced_eos_token_id is not None:
        max_new -= 1  # transformers spends the last step on the forced end token, which is not text
    max_new = max(1, max_new)
    options = {
        "beam_size": max(1, settings.num_beams or 1),
        "max_decoding_length": max_new,
        "min_decoding_length": max(0, min(min_new, max_new)),
        "length_penalty": 1.0 if settings.length_penalty is None else float(settings.length_penalty),
        "no_repeat_ngram_size": settings.no_repeat_ngram_size or 0,
        "repetition_penalty": settings.repetition_penalty or 1.0,
        "max_input_length": 0,  # the summarizer has already fitted every input to the model
    }
    if settings.do_sample:
        options |= {
            "sampling_topk": settings.top_k or 0,  # 0: the whole vocabulary, as top_k: 0 in transformers
            "sampling_topp": settings.top_p or 1.0,
            "sampling_temperature": settings.temperature or 1.0,
        }
    return options


class CTranslate2Engine:
    """`translate_batch` over batches of token ids, with the same settings as `TransformersEngine`."""

    name = "ctranslate2"

    def __init__(self, translator: Any, tokenizer: Any, settings: Any, compute_type: str):
        self.translator, self.tokenizer, self.settings, self.compute_type = (
            translator,
            tokenizer,
            settings,
            compute_type,
        )
        forced = settings.forced_bos_token_id
        self.target_prefix = None if forced is None else [tokenizer.convert_ids_to_tokens(forced)]
        # on the CPU, batches of 4 ran 6% faster than 8 (32 DistilBART-size articles, beam 4, int8:
        # benchmarks/summary_speed.py); on CUDA larger batches pay
        self.default_rows = 4 if translator.device == "cpu" else 8

    @property
    def beams(self) -> int:
        return max(1, self.settings.num_beams or 1)

    def generate(self, batch: list[list[int]], cap: int | None) -> list[list[int]]:
        options = translate_options(capped(self.settings, cap))
        source = [self.tokenizer.convert_ids_to_tokens(ids) for ids in batch]
        prefix = [self.target_prefix] * len(batch) if self.target_prefix else None
        results = self.translator.translate_batch(source, target_prefix=prefix, **options)
        return [self.tokenizer.convert_tokens_to_ids(result.hypotheses[0]) for result in results]


def translator(folder: Path, runtime: Runtime, compute_type: str) -> Any:
    """One `ctranslate2.Translator` per (folder, device, compute type) and process."""
    import ctranslate2
    import torch

    device, index = device_of(runtime)
    key = (str(folder), device, index, compute_type)
    if key not in _TRANSLATORS:
        threads = torch.get_num_threads() if device == "cpu" else 0
        _TRANSLATORS[key] = ctranslate2.Translator(
            str(folder), device=device, device_index=index, compute_type=compute_type, intra_threads=threads
        )
        log.info("loaded CTranslate2 model %s (%s, %s)", folder, device, compute_type)
    if runtime.seed is not None:
        ctranslate2.set_random_seed(runtime.seed)
    return _TRANSLATORS[key]
