"""YAML read safely and within bounds: config files and override values.

`yaml.safe_load` runs no code, but it will build whatever a document asks for: a 300-byte list of
aliases can expand to hundreds of millions of values, deep nesting exhausts Python's recursion, and
a 5000-digit number is a ValueError. Here the document is composed first, its expanded size and
depth are checked on the node graph (aliases shared, nothing built yet), and only then constructed;
every failure is one `ConfigError` line that names where it happened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nlp.errors import ConfigError, shorten

MAX_FILE_BYTES = 1 << 20  # a config is a short text file; 1 MiB is far beyond any real one
MAX_EXPANDED = 1_000_000  # values plus scalar characters once every alias is expanded
MAX_DEPTH = 50  # nesting levels (the shipped configs use 4)


def read_text(path: Path) -> str:
    """The file's text: at most `MAX_FILE_BYTES`, UTF-8 (a BOM is allowed)."""
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory, not a config file; give a YAML file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            f"{path}: larger than {MAX_FILE_BYTES >> 10} KiB, which no config needs; is it a config file?"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text ({exc.reason}); save the config as UTF-8") from None


def load(text: str, where: str) -> Any:
    """The YAML value of `text`, within the bounds above. Syntax errors raise `yaml.YAMLError` (the
    caller decides what they mean); everything else is a `ConfigError` naming `where`."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node, where)
        return loader.construct_document(node)
    except RecursionError:
        raise ConfigError(f"{where}: nested more than {MAX_DEPTH} levels deep; flatten it") from None
    except (ValueError, TypeError, OverflowError) as exc:
        if "digits" in str(exc):
            raise ConfigError(f"{where}: a number has more than 4300 digits; no setting needs one that long") from None
        raise ConfigError(f"{where}: a value YAML cannot read ({shorten(first_line(exc), 120)})") from None
    finally:
        loader.dispose()


def describe_syntax_error(exc: yaml.YAMLError, where: str, with_line: bool = True) -> str:
    """One line for a YAML syntax error: where (with the line of a file), and what."""
    mark = getattr(exc, "problem_mark", None)
    at = f"{where}:{mark.line + 1}" if mark is not None and with_line else where
    if isinstance(exc, yaml.reader.ReaderError):
        problem = f"character #x{exc.character:04x} is not allowed in YAML"
    else:
        problem = getattr(exc, "problem", None) or first_line(exc)
    return f"{at}: not valid YAML ({shorten(str(problem), 120)})"


def check_expansion(root: yaml.Node, where: str) -> None:
    """Refuse a document that nests deeper than `MAX_DEPTH`, whose aliases refer to themselves, or
    that expands past `MAX_EXPANDED` values and characters. Iterative, one visit per node."""
    sizes: dict[int, int] = {}
    active = {id(root)}
    stack = [(root, iter(children(root)))]
    while stack:
        node, pending = stack[-1]
        child = next(pending, None)
        if child is not None:
            if id(child) in active:
                raise ConfigError(f"{where}: an alias refers to itself (a structure that contains itself); remove it")
            if id(child) not in sizes:
                if len(stack) >= MAX_DEPTH:
                    raise ConfigError(f"{where}: nested more than {MAX_DEPTH} levels deep; flatten it")
                active.add(id(child))
                stack.append((child, iter(children(child))))
            continue
        stack.pop()
        active.discard(id(node))
        own = len(node.value) if isinstance(node, yaml.ScalarNode) else 0
        size = 1 + own + sum(sizes[id(c)] for c in children(node))
        if size > MAX_EXPANDED:
            raise ConfigError(
                f"{where}: its aliases (*name) expand to more than {MAX_EXPANDED:,} values and characters; "
                "write the values out, or use fewer aliases"
            )
        sizes[id(node)] = size


def children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
