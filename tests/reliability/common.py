"""Shared pieces of the reliability suite (imported as `reliability.common`): records, JSONL files, and
`nlp` processes that run the runner's real bookkeeping around a stub analyzer (stub_cli.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import CORPUS, REPO

STUB_CLI = Path(__file__).with_name("stub_cli.py")


def records(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"doc-{i}", "text": CORPUS[i % len(CORPUS)] + f" Item {i}."} for i in range(start, start + n)]


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def stub_command(*args) -> list[str]:
    return [sys.executable, str(STUB_CLI), *map(str, args)]


def stub_env(delay: float = 0.0) -> dict[str, str]:
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "NLP_STUB_DELAY": str(delay), "PYTHONPATH": pythonpath}


def stub_run(*args, delay: float = 0.0, timeout: int = 120) -> subprocess.CompletedProcess:
    """`nlp <args>` in its own process, models replaced by the stub; text output."""
    return subprocess.run(
        stub_command(*args), capture_output=True, text=True, timeout=timeout, cwd=REPO, env=stub_env(delay)
    )


def stub_start(*args, delay: float) -> subprocess.Popen:
    return subprocess.Popen(
        stub_command(*args), cwd=REPO, env=stub_env(delay), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


QUIET = ["infer.progress=false", "infer.window=4"]  # overrides for fast stub runs
