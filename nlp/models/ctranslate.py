"""CTranslate2 backend for abstractive summaries (`summarizer.backend`, install `.[fast]`).

A hub id or local seq2seq folder is converted once with CTranslate2's converter into a cache
folder keyed by the model, its revision (the resolved commit for a hub id, the files' sizes and
times for a local folder), the compute type and the CTranslate2 version, then run with
`ctranslate2.Translator`. A conversion is written into a temporary folder, a marker file last, and
renamed into place only when complete: a conversion killed half-way is never used, and the next
run converts again (and removes the abandoned temporary folder).

The engine takes the same token ids and generation settings as the transformers engine
(nlp/models/generate.py); `problem()` says why a model, device, compute type or setting cannot be
run here, so the summarizer can fall back (backend auto) or refuse (backend ctranslate2).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from nlp.errors import ConfigError, ModelError
from nlp.models.generate import capped
from nlp.models.load import explain, locate
from nlp.quiet import quiet_loading
from nlp.runtime import Runtime
from nlp.schema import ModelConfig

log = logging.getLogger(__name__)

MARKER = "peninsula-conversion.json"
# Seq2seq architectures CTranslate2 converts, by `model_type`; others (LED, BigBird-Pegasus, ...)
# stay on transformers.
SUPPORTED_TYPES = ("bart", "mbart", "pegasus", "t5", "mt5", "marian")
# transformers 5 dropped BartConfig.normalize_before, which CTranslate2's BART-family loader reads
_PRE_NORM = {"bart": False, "mbart": True, "pegasus": True}
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


def installed() -> bool:
    return importlib.util.find_spec("ctranslate2") is not None


def device_of(runtime: Runtime) -> tuple[str, int] | None:
    """CTranslate2's (device, index) for the runtime's device; None where it has none (mps)."""
    if runtime.device.type == "cpu":
        return "cpu", 0
    if runtime.device.type == "cuda":
        return "cuda", runtime.device.index or 0
    return None


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
    if not installed():
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
        self._prefix = None if forced is None else [tokenizer.convert_ids_to_tokens(forced)]

    @property
    def beams(self) -> int:
        return max(1, self.settings.num_beams or 1)

    def generate(self, batch: list[list[int]], cap: int | None) -> list[list[int]]:
        options = translate_options(capped(self.settings, cap))
        source = [self.tokenizer.convert_ids_to_tokens(ids) for ids in batch]
        prefix = [self._prefix] * len(batch) if self._prefix else None
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


def default_root() -> Path:
    """Where conversions go when `summarizer.convert_dir` is null: $PENINSULA_NLP_CACHE/ctranslate2,
    else ~/.cache/peninsula-nlp/ctranslate2 (the environment names a cache folder, as HF_HOME does)."""
    base = os.environ.get("PENINSULA_NLP_CACHE")
    return Path(base).expanduser() / "ctranslate2" if base else Path.home() / ".cache" / "peninsula-nlp" / "ctranslate2"


def converted(source: ModelConfig, commit: str | None, compute_type: str, root: str | Path | None = None) -> Path:
    """The CTranslate2 folder for `source` at `compute_type`, converted now unless a complete one exists."""
    root = Path(root).expanduser() if root else default_root()
    where = locate(source, "summarizer.model")
    identity = _identity(source, where, commit, compute_type)
    folder = root / _folder_name(where, compute_type, identity)
    if (folder / MARKER).is_file():
        log.info("CTranslate2: reusing the conversion in %s", folder)
        return folder
    if folder.exists():
        log.warning("CTranslate2: %s is an incomplete conversion; converting again", folder)
        shutil.rmtree(folder)
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(root, folder.name)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.{os.getpid()}.", dir=root))
    try:
        started = time.monotonic()
        with quiet_loading():  # no "Loading weights" bar unless the caller's logging asks for library output
            _converter(source, where).convert(str(temporary), quantization=compute_type, force=True)
        (temporary / MARKER).write_text(json.dumps(identity, indent=2, sort_keys=True) + "\n")
        _move_into_place(temporary, folder)
    except (OSError, ValueError) as exc:
        raise ModelError(explain(source, where, "summarizer.model", exc)) from exc
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    log.info(
        "CTranslate2: converted %s to %s in %.1f s (%s)", source.model, folder, time.monotonic() - started, compute_type
    )
    return folder


def _identity(source: ModelConfig, where: str, commit: str | None, compute_type: str) -> dict[str, Any]:
    import ctranslate2

    identity = {
        "model": str(Path(where).resolve()) if Path(where).is_dir() else where,
        "revision": commit or source.revision,
        "compute_type": compute_type,
        "ctranslate2": ctranslate2.__version__.split(".")[0],
    }
    if Path(where).is_dir():  # a local folder changes in place: its files are its revision
        identity["files"] = sorted(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in Path(where).iterdir() if p.is_file()
        )
    return identity


def _folder_name(where: str, compute_type: str, identity: dict) -> str:
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(Path(where).parts[-2:])).strip("-.")[-60:]
    return f"{slug}-{compute_type}-{digest}"


def _move_into_place(temporary: Path, folder: Path) -> None:
    try:
        os.rename(temporary, folder)
    except OSError:
        if not (folder / MARKER).is_file():  # not another process finishing the same conversion first
            raise


def _remove_abandoned(root: Path, name: str) -> None:
    """Temporary folders of this conversion left by processes that no longer run (killed ones)."""
    for path in root.glob(f".{name}.*"):
        pid = path.name[len(name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            log.info("CTranslate2: removing the abandoned conversion %s", path)
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _converter(source: ModelConfig, where: str) -> Any:
    """CTranslate2's transformers converter under this toolkit's loading policy."""
    from ctranslate2.converters import TransformersConverter

    class PolicyConverter(TransformersConverter):
        def load_model(self, model_class: Any, path: str, **kwargs: Any) -> Any:
            kwargs.setdefault("use_safetensors", None if source.allow_pickle else True)
            model = model_class.from_pretrained(path, **kwargs)
            if model.config.model_type in _PRE_NORM and not hasattr(model.config, "normalize_before"):
                model.config.normalize_before = _PRE_NORM[model.config.model_type]
            return model

        def load_tokenizer(self, tokenizer_class: Any, path: str, **kwargs: Any) -> Any:
            return tokenizer_class.from_pretrained(path, revision=source.revision, **kwargs)

    return PolicyConverter(where, revision=source.revision, trust_remote_code=source.trust_remote_code)
