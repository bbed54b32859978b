"""The Ray backend of `nlp infer`: Ray Data `map_batches` with an actor pool that holds the models.

The driver still reads and validates the input (error records are written at once), stages the
valid records in a temporary JSONL file, and lets Ray Data run them through a pool of actors, each
with its own `Analyzer`. Results come back in input order (`preserve_order`) and are written by
the same code as the local backend, so the output contract, the resume rules and the records are
the same.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from nlp.infer.window import process_window
from nlp.jsonl import InputLine, dumps
from nlp.schema import Config

log = logging.getLogger(__name__)


class AnalyzerActor:
    """One per Ray actor: builds the models once, then analyses batches of staged records."""

    def __init__(self, config: dict):
        from nlp.config import validate
        from nlp.infer.window import build_analyze

        self.config = validate(config)
        self.analyze = build_analyze(self.config)

    def __call__(self, batch: dict) -> dict:
        items = [
            InputLine(int(line), json.loads(ids), text, json.loads(record), None, str(digest))
            for line, ids, text, record, digest in zip(
                batch["line"], batch["id_json"], batch["text"], batch["record_json"], batch["digest"]
            )
        ]
        outputs, failures = process_window(items, self.analyze, self.config.infer)
        by_line = {o["line"]: ("ok", o) for o in outputs} | {f["line"]: ("error", f) for f in failures}
        kinds = [by_line[item.line] for item in items]
        return {
            "line": [item.line for item in items],
            "kind": [kind for kind, _ in kinds],
            "json": [json.dumps(value, ensure_ascii=False) for _, value in kinds],
        }


def require_ray() -> None:
    """Ray Data (the `ray` extra) or one ConfigError line; checked before any output file exists."""
    from nlp.extras import require_extra

    require_extra("infer.backend: ray", "ray", {"ray": "ray[data]", "pyarrow": "pyarrow"})


def start_ray(config: Config) -> None:
    """Join `infer.ray_address` or start a local Ray, before the run creates its files, so a Ray
    that cannot start leaves nothing behind to block the rerun."""
    require_ray()
    import ray

    if not ray.is_initialized():
        settings = config.infer
        ray.init(address=settings.ray_address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)


def run_ray(
    config: Config, windows: Iterator[list[InputLine]], write: Callable[[list[dict], list[dict]], None]
) -> None:
    require_ray()
    import ray
    import ray.data

    settings = config.infer
    with tempfile.TemporaryDirectory(prefix="nlp-infer-") as folder:
        staged = Path(folder) / "records.jsonl"
        if not stage(windows, staged, write):
            return
        if not ray.is_initialized():
            ray.init(
                address=settings.ray_address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True
            )
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        dataset = ray.data.read_json(str(staged), lines=True).map_batches(
            AnalyzerActor,
            fn_constructor_kwargs={"config": config.model_dump(mode="json")},
            batch_size=settings.window,
            concurrency=settings.ray_actors,
            num_cpus=settings.ray_cpus_per_actor,
            batch_format="numpy",
        )
        for batch in dataset.iter_batches(batch_size=settings.window, batch_format="numpy"):
            outputs = [json.loads(j) for kind, j in zip(batch["kind"], batch["json"]) if kind == "ok"]
            failures = [json.loads(j) for kind, j in zip(batch["kind"], batch["json"]) if kind == "error"]
            write(outputs, failures)


def stage(windows: Iterator[list[InputLine]], path: Path, write: Callable[[list[dict], list[dict]], None]) -> int:
    """Write invalid lines as error records now and valid ones to `path`; return how many are valid."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for window in windows:
            write([], [item.error for item in window if item.error is not None])
            for item in window:
                if item.error is None:
                    handle.write(
                        dumps(
                            {
                                "line": item.line,
                                "id_json": json.dumps(item.id),
                                "text": item.text,
                                "record_json": json.dumps(item.record, ensure_ascii=False),
                                "digest": item.digest,
                            }
                        )
                    )
                    count += 1
    log.info("staged %d records for Ray", count)
    return count
