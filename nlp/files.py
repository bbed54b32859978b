"""Files a run writes: checks that an output path can be written and is not the input, the exclusive
lock one run holds on its output, and content fingerprints of data files.

Shared by the runners (`infer`, `finetune`); everything here runs before any model loads, so a path
mistake costs milliseconds, not a model load.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from nlp.errors import OutputError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; runs are not protected from each other there
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


def same_file(path: Path, other: str | Path) -> bool:
    """Whether `path` is `other`: the same inode when both exist (symlinks and hard links included),
    else the same resolved path. `other` may be "-" (stdin, compared by the inode behind it)."""
    if str(other) == "-":
        try:
            stdin = os.fstat(sys.stdin.fileno())
            mine = path.stat()
        except (OSError, ValueError, AttributeError):
            return False
        return (stdin.st_dev, stdin.st_ino) == (mine.st_dev, mine.st_ino)
    try:
        return os.path.samefile(path, other)
    except OSError:
        return path.resolve() == Path(other).resolve()


def refuse_input(outputs: dict[str, Path | None], input_path: str) -> None:
    """OutputError when any of `outputs` ({what: path}) is the input file: writing it would destroy it."""
    for what, path in outputs.items():
        if path is not None and same_file(path, input_path):
            raise OutputError(
                f"{what} {path} is the input ({input_path}); writing it would destroy the input - "
                "choose another output path"
            )


def check_writable(path: Path, what: str, folder: bool = False) -> None:
    """OutputError unless `path` can be created or replaced: not a directory (a folder, for `folder`),
    not under a file, in a folder this process may write."""
    if path.exists():
        if folder != path.is_dir():
            kind = "a directory; give a file path" if not folder else "a file, not a folder; give a folder path"
            raise OutputError(f"{what} {path} is {kind}")
        if not os.access(path, os.W_OK):
            raise OutputError(f"{what} {path}: cannot write it (permission denied); choose another path")
        return
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"{what} {path} cannot be created: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {path}: cannot write in {ancestor} (permission denied or read-only)")


class OutputLock:
    """An exclusive `flock` on `path`, held while a run writes its outputs; the file records who holds it.

    The OS releases the lock when the process ends, `kill -9` included. The file stays in place
    (deleting a lock file lets two runs lock different files of the same name)."""

    def __init__(self, path: Path, command: str, target: Path | None = None) -> None:
        self.path, self.command, self.target, self.fd = path, command, target or path, None

    def __enter__(self) -> OutputLock:
        if fcntl is None:
            log.warning("no file locking on this platform; make sure no other run writes %s", self.path)
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(
                f"cannot create the lock file {self.path} ({exc.strerror}); check the output path"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise OutputError(
                f"{self.target} is in use by another run ({holder}); wait for it to finish, or stop it "
                f"(the lock in {self.path.name} goes with its process)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps({"pid": os.getpid(), "command": self.command, "since": _now()}) + "\n").encode())
        self.fd = fd
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = None


def _read_holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {holder['pid']}, {holder.get('command', '?')}, since {holder.get('since', '?')}"
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def file_fingerprint(path: str | Path) -> dict[str, Any]:
    """{"bytes", "sha256"} of a file's content, read in blocks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return {"bytes": size, "sha256": digest.hexdigest()}
