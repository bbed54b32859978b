"""Typed configuration: YAML file + `key.sub=value` overrides -> validated `Config` (schema: nlp/schema.py).

Everything here runs before any model loads and imports neither torch nor transformers, so config
mistakes are reported in milliseconds with the file, the key path and the fix.
"""

from __future__ import annotations

import copy
import difflib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from nlp import yamlfile
from nlp.errors import ConfigError, shorten
from nlp.schema import Config, ModelConfig

_BOOL = TypeAdapter(bool)


def shipped_configs() -> dict[str, Path]:
    """The YAML files that ship with the toolkit, by name (`default`, `hub`, ...)."""
    source_tree = Path(__file__).resolve().parent.parent / "configs"
    packaged = Path(str(resources.files("nlp") / "configs"))
    folder = packaged if packaged.is_dir() else source_tree
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def resolve_config_path(name: str | None) -> Path:
    """A path as given, or the name of a shipped config (`hub`, `default`)."""
    if name is None:
        name = "default"
    path = Path(name)
    try:
        if path.is_file():
            return path
        if path.is_dir():
            raise ConfigError(f"config {shorten(name)}: is a directory, not a YAML file")
    except OSError as exc:
        raise ConfigError(f"config {shorten(name)!r}: not a usable path ({exc.strerror})") from None
    shipped = shipped_configs()
    if name in shipped:
        return shipped[name]
    known = ", ".join(shipped) or "none found"
    raise ConfigError(f"config file {shorten(name)!r} does not exist; give a path or a shipped name ({known})")


def load_config(name: str | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read a YAML config (default: the shipped offline default), apply overrides, validate.

    Overrides may set anything but `trust_remote_code` and the model it trusts (`check_remote_code`)."""
    path = resolve_config_path(name)
    data = read_yaml(path)
    base = copy.deepcopy(data)
    applied = apply_overrides(data, overrides)
    check_remote_code(data, applied, str(path))
    return validate(data, source=str(path), override_paths=applied, base=base)


def read_yaml(path: Path) -> dict[str, Any]:
    """A config file's mapping ({} when empty), read within the bounds of `nlp.yamlfile` (size, alias
    expansion, nesting, numbers); anything else is one ConfigError line."""
    text = yamlfile.read_text(path)
    try:
        data = yamlfile.load(text, str(path))
    except yaml.YAMLError as exc:
        raise ConfigError(yamlfile.describe_syntax_error(exc, str(path))) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config is a mapping of sections, found {type(data).__name__}")
    return data


def apply_overrides(data: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Set each `a.b.c=value` in `data` (value parsed as YAML, within the same bounds as a file; text
    that is not YAML stays text). Returns {key path: override text}, in the order they last applied."""
    applied: dict[str, str] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        where = f"override {shorten(item)!r}"
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"{where} is not of the form key.sub=value")
        try:
            value = yamlfile.load(raw, where) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{where}: {shorten(part)!r} is a value, not a section")
            node = child
        node[parts[-1]] = value
        applied.pop(key, None)  # the last override of a key is the one in force
        applied[key] = item
    return applied


def override_for(path: str, overrides: dict[str, str]) -> str | None:
    """The override that set the value at `path`: the last applied to it or to a section above it
    (an override of a whole section replaces everything in it); None when the value is the file's."""
    found = None
    for key, item in overrides.items():
        if path == key or path.startswith(key + "."):
            found = item
    return found


def check_remote_code(
    data: dict[str, Any], overrides: dict[str, str], source: str, schema: type[BaseModel] = Config
) -> None:
    """The remote-code rule, decided on where values came from rather than on how an override is
    spelled: where `trust_remote_code` is true, it and the `model` and `revision` it trusts must come
    from the config file, never from an override (`topic={model: x, trust_remote_code: true}`
    included). One rule for every command: inference and fine-tuning configs call this."""
    for prefix, section in _model_sections(data, schema):
        if not _is_true(section.get("trust_remote_code")):
            continue
        for key in ("trust_remote_code", "model", "revision"):
            item = override_for(prefix + key, overrides)
            if item is None:
                continue
            if key == "trust_remote_code":
                raise ConfigError(
                    f"override {shorten(item)!r}: {prefix}trust_remote_code runs the model's own Python code, so it "
                    "can only be set in a config file (with `revision` pinned to a commit for a hub model), "
                    "never by an override"
                )
            raise ConfigError(
                f"override {shorten(item)!r}: {prefix}trust_remote_code is true in {source}, so {prefix}{key} can "
                "only be changed there (the override would run another model's code)"
            )


def _model_sections(data: dict[str, Any], schema: type[BaseModel], prefix: str = ""):
    """(key prefix, mapping) for each place in `data` that the schema reads as a `ModelConfig`."""
    if issubclass(schema, ModelConfig):
        yield prefix, data
    for name, field in schema.model_fields.items():
        child = data.get(name)
        if isinstance(child, dict) and _is_section(field.annotation):
            yield from _model_sections(child, field.annotation, f"{prefix}{name}.")


def _is_true(value: Any) -> bool:
    """Whether validation will read `value` as true (pydantic's lax bool: true, "yes", 1, "on" ...)."""
    try:
        return _BOOL.validate_python(value)
    except ValidationError:
        return False


def validate(
    data: dict[str, Any],
    source: str = "<config>",
    override_paths: dict[str, str] | None = None,
    schema: type[BaseModel] = Config,
    base: dict[str, Any] | None = None,
) -> Any:
    """`data` as a `schema` instance (default: the inference `Config`), or one ConfigError line.

    `base` is the file's own data before overrides: with it, an error in a section that an override
    changed is blamed on the override unless the file alone has that error."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc.errors()[0], source, override_paths or {}, schema, base)) from None


def describe_error(
    error: dict[str, Any],
    source: str,
    override_paths: dict[str, str],
    schema: type[BaseModel] = Config,
    base: dict[str, Any] | None = None,
) -> str:
    """One line: where (the override that caused it, else the file), which key, what was found (cut
    to a few hundred characters), what is allowed."""
    loc = [str(part) for part in error["loc"]]
    path = ".".join(loc)
    blamed = override_for(path, override_paths) or _override_inside(path, override_paths, schema, base)
    where = f"override {shorten(blamed)!r}" if blamed else source
    if error["type"] == "extra_forbidden":
        hint = closest_key(loc, schema)
        suggestion = f"; did you mean {hint!r}?" if hint else ""
        return f"{where}: unknown key {shorten(path)!r}{suggestion}"
    message = shorten(error["msg"].removeprefix("Value error, "), 400)
    found = error.get("input")
    shown = "" if isinstance(found, dict) else f" (found {shorten(repr(found))})"
    return f"{where}: {shorten(path) or 'config'}: {message}{shown}"


def _override_inside(
    path: str, overrides: dict[str, str], schema: type[BaseModel], base: dict[str, Any] | None
) -> str | None:
    """For an error about a whole section (e.g. labels that do not fit the model): the last override
    inside it, when the file alone does not have that error."""
    inside = [item for key, item in overrides.items() if not path or key.startswith(path + ".")]
    if not inside or base is None:
        return None
    try:
        schema.model_validate(base)
    except ValidationError as exc:
        if any(".".join(map(str, e["loc"])) == path for e in exc.errors()):
            return None
    return inside[-1]


def closest_key(loc: list[str], schema: type[BaseModel] = Config) -> str | None:
    """The valid key most like `loc`: the same name in another section, a similar sibling, or
    a similar name anywhere."""
    name, parent = loc[-1], loc[:-1]
    everywhere = _all_keys(schema)
    same_name = [path for path in everywhere if path.rsplit(".", 1)[-1] == name]
    if same_name:
        return same_name[0]
    siblings = _fields_at(schema, parent)
    match = difflib.get_close_matches(name, siblings, n=1, cutoff=0.7)
    if match:
        return ".".join([*parent, match[0]])
    leaves = {path.rsplit(".", 1)[-1]: path for path in everywhere}
    match = difflib.get_close_matches(name, list(leaves), n=1, cutoff=0.8)
    return leaves[match[0]] if match else None


def _fields_at(model: type[BaseModel], loc: list[str]) -> list[str]:
    for part in loc:
        field = model.model_fields.get(part)
        if field is None or not _is_section(field.annotation):
            return []
        model = field.annotation
    return list(model.model_fields)


def _all_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        if _is_section(field.annotation):
            keys.extend(_all_keys(field.annotation, f"{prefix}{name}."))
    return keys


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def dump(config: BaseModel) -> str:
    """The fully resolved config as YAML (what `nlp check` prints)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
