"""Errors a user can cause, each with its documented exit code (see README, "Exit codes")."""

from __future__ import annotations


class NlpError(Exception):
    """Base for user-facing errors: the CLI prints the message on one line, no traceback."""

    exit_code = 1


class ConfigError(NlpError):
    """Bad config file, key, value or override; also a device/dtype the machine cannot honour."""

    exit_code = 2


class InputError(NlpError):
    """Missing input file, unreadable or invalid input data, input refused by the length policy.

    Messages name the parameters of the library call in backquotes (`input_path`, `resume`); the
    CLI shows the matching flags (--input, --resume) instead."""

    exit_code = 3


class OutputError(NlpError):
    """An output the run may not use: it exists (and neither resume nor overwrite was asked), it is
    locked by another run, it cannot be written, or a resume does not match the first run."""

    exit_code = 3


class ModelError(NlpError):
    """A model that cannot be found or is refused by the loading policy."""

    exit_code = 4


class RunFailed(NlpError):
    """A run that could not finish its job: infer over its error budget, finetune with a NaN loss.

    `summary` is the run's summary when there is one (all output is written before this is raised)."""

    exit_code = 5

    def __init__(self, message: str, summary: dict | None = None) -> None:
        super().__init__(message)
        self.summary = summary


class Problems:
    """Problems found in a data file, by kind, each with its line numbers, the odd values that caused
    them and a hint; `raise_if_any` reports them all in one line:

    `data.jsonl: 3 problems, training not started: unknown label (2 rows: lines 4, 9; found 'x'); empty
    text (1 row: line 7)`
    """

    SHOWN = 5

    def __init__(self) -> None:
        self.lines: dict[str, list[int]] = {}
        self.values: dict[str, list[str]] = {}
        self.hints: dict[str, str] = {}

    def add(self, kind: str, line: int, value: object = None, hint: str = "") -> None:
        self.lines.setdefault(kind, []).append(line)
        shown = self.values.setdefault(kind, [])
        if value is not None and len(shown) < self.SHOWN and (text := shorten(repr(value), 60)) not in shown:
            shown.append(text)
        if hint:
            self.hints[kind] = hint

    def __bool__(self) -> bool:
        return bool(self.lines)

    def describe(self, path: str, consequence: str) -> str:
        parts = []
        for kind, lines in self.lines.items():
            many = len(lines) > 1
            shown = ", ".join(map(str, lines[: self.SHOWN])) + (", ..." if len(lines) > self.SHOWN else "")
            found = f"; found {', '.join(sorted(self.values[kind]))}" if self.values[kind] else ""
            hint = f"; {self.hints[kind]}" if kind in self.hints else ""
            parts.append(f"{kind} ({len(lines)} row{'s' * many}: line{'s' * many} {shown}{found}{hint})")
        total = sum(len(lines) for lines in self.lines.values())
        return f"{path}: {total} problem{'s' * (total > 1)}, {consequence}: {'; '.join(parts)}"

    def raise_if_any(self, path: str, consequence: str, fix: str = "") -> None:
        if self:
            raise InputError(self.describe(path, consequence) + fix)


def shorten(text: str, limit: int = 200) -> str:
    """`text` cut to `limit` characters with an ellipsis: what error messages echo of a user's value."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
