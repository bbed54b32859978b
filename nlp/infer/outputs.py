"""Run bookkeeping for `nlp infer`: where files go, the checks on them before any model loads, the
run manifest, and what a resume skips.

Every output and error record carries `input_digest`, the digest of the input line it came from
(`nlp.jsonl.line_digest`). A resume reads the input once before anything else and refuses, naming
the first differing line, when a line already done is no longer what the first run read (changed,
deleted, lines inserted before it); lines appended after the last one done are welcome.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp import __version__
from nlp.errors import OutputError
from nlp.files import check_writable, refuse_input
from nlp.jsonl import line_digests, open_input
from nlp.schema import Config

log = logging.getLogger(__name__)

# Keys that do not change results: batch sizes (and the device, which is not recorded).
_NOT_RESULT_CHANGING = {"batch_size", "enabled"}


@dataclass(frozen=True)
class InferPaths:
    output: Path | None  # None = stdout
    errors: Path
    manifest: Path | None
    summary: Path | None
    lock: Path  # held for the whole run (`nlp.files.OutputLock`)

    def named(self) -> dict[str, Path | None]:
        """Each file a run writes, by what a message calls it."""
        return {
            "`output`": self.output,
            "the errors file (infer.errors_file)": self.errors,
            "the run manifest": self.manifest,
            "the run summary": self.summary,
            "the lock file": self.lock,
        }


def infer_paths(output: str, errors_file: str | None) -> InferPaths:
    if output == "-":
        errors = Path(errors_file or "errors.jsonl")
        return InferPaths(None, errors, None, None, errors.with_name(f"{_stem(errors)}.lock"))
    base = Path(output)
    stem = _stem(base)
    return InferPaths(
        base,
        Path(errors_file) if errors_file else base.with_name(f"{stem}.errors.jsonl"),
        base.with_name(f"{stem}.manifest.json"),
        base.with_name(f"{stem}.summary.json"),
        base.with_name(f"{stem}.lock"),
    )


def _stem(path: Path) -> str:
    return path.name.removesuffix(".gz").removesuffix(".jsonl")


def check_paths(paths: InferPaths, input_path: str) -> None:
    """Before anything is opened or loaded: no file the run writes is the input (by inode, so symlinks
    and hard links count), and each can be written (not a directory, not under a file, writable)."""
    named = paths.named()
    refuse_input(named, input_path)
    for what, path in named.items():
        if path is not None:
            check_writable(path, what)


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
        "input_digests": "blake2b-64 of each input line, as input_digest in every record",
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


def check_outputs(
    paths: InferPaths, manifest: dict, resume: bool, overwrite: bool, input_path: str, max_line_bytes: int
) -> None:
    """Refuse, before anything loads or is touched, a run that would resume wrongly or overwrite."""
    existing = [p for p in (paths.output, paths.errors) if p is not None and p.exists()]
    if resume:
        if paths.output is None:
            raise OutputError("`resume` needs an `output` file, not stdout")
        check_manifest(paths.manifest, manifest)
        if input_path != "-":  # stdin cannot be read twice: its lines are checked as they come
            done = done_lines(paths.output, repair=False) | done_lines(paths.errors, repair=False)
            check_input_unchanged(input_path, done, max_line_bytes)
    elif existing and not overwrite:
        raise OutputError(
            f"{existing[0]} already exists; add `resume` to complete that run or `overwrite` to replace it"
        )


def prepare_outputs(paths: InferPaths, manifest: dict, resume: bool, overwrite: bool) -> dict[int, str]:
    """After `check_outputs` and model loading: the input lines already done when resuming ({line:
    input digest}); otherwise old outputs are removed (with --overwrite) and the manifest written. A
    resumed run adds its facts (`manifest["runs"]`) to the first run's manifest (`add_runs`)."""
    if resume:
        add_runs(paths.manifest, manifest.get("runs", []))
        return done_lines(paths.output) | done_lines(paths.errors)
    for path in (paths.output, paths.errors):
        if path is not None and path.exists():
            path.unlink()
    if paths.manifest is not None:
        paths.manifest.parent.mkdir(parents=True, exist_ok=True)
        paths.manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return {}


def add_runs(path: Path | None, runs: list[dict]) -> None:
    """Append `runs` (run facts: run id, versions, config hash) to the manifest's `runs`, replacing the
    file whole (written beside it, then renamed), so that every run id in the output is listed there."""
    if path is None or not runs:
        return
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["runs"] = [*manifest.get("runs", []), *runs]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)


def check_manifest(path: Path | None, manifest: dict) -> None:
    if path is None or not path.exists():
        raise OutputError(f"`resume`: no run manifest at {path}; nothing to resume (drop `resume` to start a run)")
    try:
        first = json.loads(path.read_text(encoding="utf-8"))
        first["settings"].items()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise OutputError(f"`resume`: the run manifest {path} is unreadable; start again with `overwrite`") from None
    if first.get("input") != manifest["input"] and manifest["input"] != "-":
        raise OutputError(f"`resume` refused: the first run read {first.get('input')}, this one {manifest['input']}")
    old, new = first["settings"], manifest["settings"]
    # A task switched on or off is the difference to name, not the settings that come and go with it.
    for key in sorted(set(old) | set(new), key=lambda key: (not key.endswith(".enabled"), key)):
        if old.get(key) != new.get(key):
            raise OutputError(
                f"`resume` refused: {key} was {old.get(key)!r} in the first run and is {new.get(key)!r} now; "
                "resume with the same settings, or start again with `overwrite`"
            )


def check_input_unchanged(input_path: str, done: dict[int, str], max_line_bytes: int) -> None:
    """Refuse a resume whose input no longer holds, at each line number done, the line the first run
    read; reads the input up to the last line done, hashing lines without parsing them."""
    expected = sorted((line, digest) for line, digest in done.items() if digest)
    if len(expected) < len(done):
        log.warning(
            "the first run recorded no input digests for %d of %d records (an older version wrote them); "
            "resume cannot check that those input lines are unchanged",
            len(done) - len(expected),
            len(done),
        )
    if not expected:
        return
    index = 0
    with open_input(input_path) as stream:
        for number, digest in line_digests(stream, max_line_bytes):
            if expected[index][0] < number:  # a line done then is blank now
                raise input_changed(expected[index][0])
            if expected[index][0] == number:
                if expected[index][1] != digest:
                    raise input_changed(number)
                index += 1
                if index == len(expected):
                    return
    raise OutputError(
        f"`resume` refused: input line {expected[index][0]}, which the first run read, is gone (the input is "
        "shorter now); resume on the input of the first run, or start again with `overwrite`"
    )


def input_changed(line: int) -> OutputError:
    return OutputError(
        f"`resume` refused: input line {line} is not what the first run read (it was changed, or lines "
        "before it were added or removed); resume on the input of the first run, or start again with "
        "`overwrite` (lines appended at the end are fine)"
    )


def done_lines(path: Path, repair: bool = True) -> dict[int, str]:
    """{input line: input digest ("" if not recorded)} of the records in an output or errors file.
    With `repair` a torn last line is cut first; without, it is skipped (the file is not touched)."""
    if not path.exists():
        return {}
    if repair:
        repair_torn_tail(path)
    done: dict[int, str] = {}
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n") and not repair:
                break
            try:
                record = json.loads(raw)
                done[int(record["line"])] = str(record.get("input_digest") or "")
            except (ValueError, KeyError, TypeError):
                raise OutputError(
                    f"{path} line {number} is not a record of `nlp infer`; it cannot be resumed - "
                    "start again with `overwrite`"
                ) from None
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
