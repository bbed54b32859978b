"""Run bookkeeping for `nlp infer`: where files go, the run manifest, and what a resume skips."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp import __version__
from nlp.config import Config
from nlp.errors import OutputError

log = logging.getLogger(__name__)

# Keys that do not change results: batch sizes (and the device, which is not recorded).
_NOT_RESULT_CHANGING = {"batch_size", "enabled"}


@dataclass(frozen=True)
class InferPaths:
    output: Path | None  # None = stdout
    errors: Path
    manifest: Path | None
    summary: Path | None


def infer_paths(output: str, errors_file: str | None) -> InferPaths:
    if output == "-":
        return InferPaths(None, Path(errors_file or "errors.jsonl"), None, None)
    base = Path(output)
    stem = base.name.removesuffix(".gz").removesuffix(".jsonl")
    return InferPaths(
        base,
        Path(errors_file) if errors_file else base.with_name(f"{stem}.errors.jsonl"),
        base.with_name(f"{stem}.manifest.json"),
        base.with_name(f"{stem}.summary.json"),
    )


def manifest_for(config: Config, input_path: str) -> dict[str, Any]:
    """What a resumed run must share with the first one: models and result-changing settings."""
    settings: dict[str, Any] = {"runtime.dtype": config.runtime.dtype, "runtime.seed": config.runtime.seed}
    for task in ("summarizer", "topic", "stance"):
        section = getattr(config, task)
        if section.enabled:
            settings.update(_flatten(section.model_dump(mode="json", exclude=_NOT_RESULT_CHANGING), task))
        settings[f"{task}.enabled"] = section.enabled
    for key in ("text_field", "id_field", "carry"):
        settings[f"infer.{key}"] = getattr(config.infer, key)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "tool": f"peninsula-nlp {__version__}",
        "input": _input_name(input_path),
        "settings_hash": digest,
        "settings": settings,
    }


def _flatten(data: dict[str, Any], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value and key not in ("labels", "hypotheses"):
            out.update(_flatten(value, f"{prefix}.{key}"))
        else:
            out[f"{prefix}.{key}"] = value
    return out


def _input_name(path: str) -> str:
    return "-" if path == "-" else str(Path(path).resolve())


def check_outputs(paths: InferPaths, manifest: dict, resume: bool, overwrite: bool) -> None:
    """Refuse, before anything loads or is touched, a run that would resume wrongly or overwrite."""
    existing = [p for p in (paths.output, paths.errors) if p is not None and p.exists()]
    if resume:
        if paths.output is None:
            raise OutputError("`resume` needs an `output` file, not stdout")
        check_manifest(paths.manifest, manifest)
    elif existing and not overwrite:
        raise OutputError(
            f"{existing[0]} already exists; add `resume` to complete that run or `overwrite` to replace it"
        )


def prepare_outputs(paths: InferPaths, manifest: dict, resume: bool, overwrite: bool) -> set[int]:
    """After `check_outputs` and model loading: the input lines already done when resuming;
    otherwise old outputs are removed (with --overwrite) and the manifest written."""
    if resume:
        return done_lines(paths.output) | done_lines(paths.errors)
    for path in (paths.output, paths.errors):
        if path is not None and path.exists():
            path.unlink()
    if paths.manifest is not None:
        paths.manifest.parent.mkdir(parents=True, exist_ok=True)
        paths.manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return set()


def check_manifest(path: Path | None, manifest: dict) -> None:
    if path is None or not path.exists():
        raise OutputError(f"`resume`: no run manifest at {path}; nothing to resume (drop `resume` to start a run)")
    first = json.loads(path.read_text())
    if first.get("input") != manifest["input"] and manifest["input"] != "-":
        raise OutputError(f"`resume` refused: the first run read {first.get('input')}, this one {manifest['input']}")
    old, new = first.get("settings", {}), manifest["settings"]
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            raise OutputError(
                f"`resume` refused: {key} was {old.get(key)!r} in the first run and is {new.get(key)!r} now; "
                "resume with the same settings, or start again with `overwrite`"
            )


def done_lines(path: Path) -> set[int]:
    """Input line numbers recorded in an output or errors file, after repairing a torn last line."""
    if not path.exists():
        return set()
    repair_torn_tail(path)
    done = set()
    with path.open("rb") as handle:
        for raw in handle:
            done.add(int(json.loads(raw)["line"]))
    return done


def repair_torn_tail(path: Path) -> None:
    """Cut a last line that a crash left without its newline (it is redone on resume)."""
    with path.open("rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        position = size
        while position > 0:
            step = min(65536, position)
            handle.seek(position - step)
            block = handle.read(step)
            newline = block.rfind(b"\n")
            if newline >= 0:
                position = position - step + newline + 1
                break
            position -= step
        if position != size:
            log.warning("%s: removing a torn last line (%d bytes) left by an interrupted run", path, size - position)
            handle.truncate(position)
