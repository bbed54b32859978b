"""The fine-tuning output folder: what a run may write over, the resumable checkpoint, the saved config,
the lock one run holds on it, and the fingerprint of the data that a resume must train on again.

Below both the runner and the Trainer (whose NaN guard names the last complete checkpoint).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from pathlib import Path

from nlp.config import dump
from nlp.errors import OutputError
from nlp.files import OutputLock, check_writable, file_fingerprint
from nlp.finetune.config import FinetuneConfig

log = logging.getLogger(__name__)

CONFIG_FILE = "finetune_config.yaml"
DATA_FILE = "data_fingerprint.json"  # size and sha256 of each data file the run trains on
# Settings that change what is learned: a resumed run must match the first run on these.
RESUME_KEYS = (
    "task",
    "model",
    "revision",
    "data",
    "labels",
    "multi_label",
    "objective",
    "max_length",
    "max_target_length",
    "head_only",
)


def lock_path(out: Path) -> Path:
    """The lock file of a run writing `out`: beside the folder, not in it (an overwrite clears the folder)."""
    folder = out.resolve()
    return folder.with_name(f"{folder.name}.lock")


def lock_output(out: Path, rank: int) -> contextlib.AbstractContextManager:
    """Check that `out` can be a folder we write, then hold its lock for the run (rank 0 only: the
    other ranks of one `torchrun` job belong to the same run)."""
    check_writable(out, "output_dir", folder=True)
    return OutputLock(lock_path(out), "nlp finetune", out) if rank == 0 else contextlib.nullcontext()


def check_output(config: FinetuneConfig, out: Path, resume: bool, overwrite: bool, rank: int) -> str | None:
    """Refuse an output directory the run may not use (read-only); the checkpoint to resume from."""
    check_writable(out, "output_dir", folder=True)
    saved = out / CONFIG_FILE
    if resume:
        if not saved.is_file():
            raise OutputError(
                f"`resume`: {out} holds no finetune run to resume ({CONFIG_FILE} missing); run without `resume`"
            )
        check_same_run(config, saved)
        check_same_data(config, out / DATA_FILE)
        checkpoint = last_checkpoint(out)
        if checkpoint is None:
            raise OutputError(
                f"`resume`: {out} has no complete checkpoint (checkpoint-N with trainer_state.json); "
                "start over with `overwrite`"
            )
        log.info("resuming from %s", checkpoint)
        return checkpoint
    if rank == 0 and out.is_dir() and any(out.iterdir()):  # other ranks would see rank 0's fresh files
        if not overwrite:
            raise OutputError(
                f"output_dir {out} is not empty; `resume` continues a run from its last checkpoint, "
                "`overwrite` starts over, or choose a new output_dir"
            )
        if not saved.is_file() and not (out / "heads.json").is_file():
            raise OutputError(
                f"output_dir {out} holds files that are not a finetune run; `overwrite` only replaces "
                "finetune outputs - choose a new output_dir"
            )
    return None


def start_output(config: FinetuneConfig, out: Path, rank: int) -> None:
    """On rank 0, clear an earlier run (already allowed by `check_output`) and record the config."""
    if rank != 0:
        return
    if out.is_dir() and any(out.iterdir()) and config.task != "heads":  # heads replace only their own files
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / CONFIG_FILE).write_text(dump(config), encoding="utf-8")
    (out / DATA_FILE).write_text(json.dumps(data_fingerprint(config), indent=2) + "\n", encoding="utf-8")


def data_fingerprint(config: FinetuneConfig) -> dict[str, dict]:
    """{data file as configured: {"bytes", "sha256"}} for the training and validation files that exist
    (a missing one is reported by the data checks)."""
    files = [*config.data.train_files, *config.data.validation_files]
    return {path: file_fingerprint(path) for path in files if Path(path).is_file()}


def check_same_data(config: FinetuneConfig, saved: Path) -> None:
    """A resumed run trains on the same bytes as the first: same paths is not enough."""
    if not saved.is_file():
        log.warning("%s is missing (an older run); resume cannot check that the data are unchanged", saved)
        return
    try:
        first = json.loads(saved.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise OutputError(f"`resume`: {saved} is unreadable; start over with `overwrite`") from None
    now = data_fingerprint(config)
    for path, then in first.items():
        if path in now and now[path] != then:
            raise OutputError(
                f"`resume` refused: the data file {path} changed since the first run ({then.get('bytes')} bytes "
                f"then, {now[path]['bytes']} now); resume on the same data, or start over with `overwrite`"
            )


def check_same_run(config: FinetuneConfig, saved: Path) -> None:
    import yaml

    first = yaml.safe_load(saved.read_text(encoding="utf-8")) or {}
    now = config.model_dump(mode="json")
    for key in RESUME_KEYS:
        if first.get(key) != now.get(key):
            raise OutputError(
                f"`resume` refused: {key} differs from the first run ({first.get(key)!r} then, {now.get(key)!r} now); "
                "resume with the same setting, or start over with `overwrite`"
            )


def last_checkpoint(out: Path) -> str | None:
    """The highest `checkpoint-N` whose trainer state was written (the Trainer writes it last)."""
    complete = [
        path
        for path in out.glob("checkpoint-*")
        if path.name.removeprefix("checkpoint-").isdigit() and (path / "trainer_state.json").is_file()
    ]
    for partial in set(out.glob("checkpoint-*")) - set(complete):
        log.warning("ignoring incomplete checkpoint %s (no trainer_state.json)", partial)
    return str(max(complete, key=lambda p: int(p.name.removeprefix("checkpoint-")))) if complete else None
