"""The fine-tuning output folder: what a run may write over, the resumable checkpoint, the saved config.

Below both the runner and the Trainer (whose NaN guard names the last complete checkpoint).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from nlp.config import dump
from nlp.errors import OutputError
from nlp.finetune.config import FinetuneConfig

log = logging.getLogger(__name__)

CONFIG_FILE = "finetune_config.yaml"
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


def check_output(config: FinetuneConfig, out: Path, resume: bool, overwrite: bool, rank: int) -> str | None:
    """Refuse an output directory the run may not use (read-only); the checkpoint to resume from."""
    saved = out / CONFIG_FILE
    if resume:
        if not saved.is_file():
            raise OutputError(
                f"`resume`: {out} holds no finetune run to resume ({CONFIG_FILE} missing); run without `resume`"
            )
        check_same_run(config, saved)
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
