"""CTranslate2 conversions of transformers checkpoints, cached on disk (install `.[fast]`).

A hub id or local folder is converted once with CTranslate2's converter into a cache folder keyed
by the model, its revision (the resolved commit for a hub id, the files' sizes and times for a
local folder), the compute type and the CTranslate2 version. A conversion is written into a
temporary folder, a marker file last, and renamed into place only when complete: a conversion
killed half-way is never used, and the next run converts again (and removes the abandoned
temporary folder). Used by the summarizer (nlp/models/ctranslate.py) and the int8 classifiers
(nlp/models/quantize.py).
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

from nlp.errors import ModelError
from nlp.models.load import explain, locate
from nlp.quiet import quiet_loading
from nlp.runtime import Runtime
from nlp.schema import ModelConfig

log = logging.getLogger(__name__)

MARKER = "peninsula-conversion.json"
# transformers 5 dropped BartConfig.normalize_before, which CTranslate2's BART-family loader reads
_PRE_NORM = {"bart": False, "mbart": True, "pegasus": True}
# ... and BertConfig.position_embedding_type: its models have absolute position embeddings only now
_ABSOLUTE = ("bert", "roberta", "xlm-roberta")


def installed() -> bool:
    return importlib.util.find_spec("ctranslate2") is not None


def device_of(runtime: Runtime) -> tuple[str, int] | None:
    """CTranslate2's (device, index) for the runtime's device; None where it has none (mps)."""
    if runtime.device.type == "cpu":
        return "cpu", 0
    if runtime.device.type == "cuda":
        return "cuda", runtime.device.index or 0
    return None


def default_root() -> Path:
    """Where conversions go when `summarizer.convert_dir` is null: $PENINSULA_NLP_CACHE/ctranslate2,
    else ~/.cache/peninsula-nlp/ctranslate2 (the environment names a cache folder, as HF_HOME does)."""
    base = os.environ.get("PENINSULA_NLP_CACHE")
    return Path(base).expanduser() / "ctranslate2" if base else Path.home() / ".cache" / "peninsula-nlp" / "ctranslate2"


def converted(
    source: ModelConfig,
    commit: str | None,
    compute_type: str,
    root: str | Path | None = None,
    key: str = "summarizer.model",
) -> Path:
    """The CTranslate2 folder for `source` at `compute_type`, converted now unless a complete one exists;
    `key` names the config key of `source` in messages."""
    root = Path(root).expanduser() if root else default_root()
    where = locate(source, key)
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
        raise ModelError(explain(source, where, key, exc)) from exc
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
            if model.config.model_type in _ABSOLUTE and not hasattr(model.config, "position_embedding_type"):
                model.config.position_embedding_type = "absolute"
            return model

        def load_tokenizer(self, tokenizer_class: Any, path: str, **kwargs: Any) -> Any:
            return tokenizer_class.from_pretrained(path, revision=source.revision, **kwargs)

    return PolicyConverter(where, revision=source.revision, trust_remote_code=source.trust_remote_code)
