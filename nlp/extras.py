"""Optional parts and the extras that install them: one message, one install line, for every part.

`require_extra("evaluate", "eval", {"sklearn": "scikit-learn"})` raises one ConfigError line when a
module is missing: what needs it, the distributions (not the module names), and the pip command
that works for this installation - `pip install ".[eval]"` in a source checkout (or the checkout's
path when run from elsewhere), `pip install "peninsula-nlp[eval]"` for a package from an index.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from nlp.errors import ConfigError

DISTRIBUTION = "peninsula-nlp"


def missing(modules: dict[str, str]) -> list[str]:
    """The distributions (values) of the modules (keys) that cannot be imported, in the given order."""
    return [package for module, package in modules.items() if not _importable(module)]


def _importable(module: str) -> bool:
    if module in sys.modules and sys.modules[module] is None:  # None: an import that is known to fail
        return False
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require_extra(what: str, extra: str, modules: dict[str, str]) -> None:
    """Raise one ConfigError line when any of `modules` (module name: distribution) is missing."""
    packages = missing(modules)
    if packages:
        raise ConfigError(needs_message(what, extra, packages))


def needs_message(what: str, extra: str, packages: list[str]) -> str:
    """`evaluate needs scipy, which is not installed; install the eval extra: pip install ".[eval]"`."""
    names = packages[0] if len(packages) == 1 else ", ".join(packages[:-1]) + " and " + packages[-1]
    verb = "is" if len(packages) == 1 else "are"
    return f"{what} needs {names}, which {verb} not installed; install the {extra} extra: {install_hint(extra)}"


def install_hint(extra: str) -> str:
    """The pip command that adds `extra` to this installation."""
    root = source_root()
    if root is None:
        return f'pip install "{DISTRIBUTION}[{extra}]"'
    try:
        here = Path.cwd().resolve() == root
    except OSError:
        here = False
    return f'pip install "{"." if here else root}[{extra}]"'


def source_root() -> Path | None:
    """The checkout this package runs from or was installed from (`pip install .`, `-e .`, a path),
    when it is still there; None for a package from an index or a wheel file."""
    beside = Path(__file__).resolve().parent.parent
    if _is_checkout(beside):
        return beside
    try:
        direct = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not direct:
        return None
    try:
        origin = json.loads(direct)
    except ValueError:
        return None
    url = urlparse(origin.get("url", ""))
    if url.scheme != "file" or "dir_info" not in origin:
        return None
    folder = Path(unquote(url.path))
    return folder.resolve() if _is_checkout(folder) else None


def _is_checkout(folder: Path) -> bool:
    project = folder / "pyproject.toml"
    try:
        return project.is_file() and f'name = "{DISTRIBUTION}"' in project.read_text(encoding="utf-8")
    except OSError:
        return False
