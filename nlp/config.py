"""Typed configuration: YAML file + `key.sub=value` overrides -> validated `Config`.

Everything here runs before any model loads and imports neither torch nor transformers, so config
mistakes are reported in milliseconds with the file, the key path and the fix.
"""

from __future__ import annotations

import difflib
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nlp.errors import ConfigError

EMBEDDED = "embedded"
_COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Runtime(Section):
    device: str = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    seed: int = 0

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str) -> str:
        if not _DEVICE.match(value):
            raise ValueError("allowed: auto, cpu, cuda, cuda:N (N = 0, 1, ...), mps")
        return value


class ModelSource(Section):
    """Where a component's weights come from, and what the loader may run to get them."""

    model: str = EMBEDDED
    revision: str | None = None
    trust_remote_code: bool = False
    allow_pickle: bool = False

    @model_validator(mode="after")
    def _remote_code_needs_pinned_revision(self) -> ModelSource:
        if not self.trust_remote_code or Path(self.model).is_dir():
            return self
        if self.revision is None or not _COMMIT_SHA.match(self.revision):
            raise ValueError(
                f"trust_remote_code runs code from {self.model!r}; pin `revision` to a full "
                "40-character commit hash so that code cannot change under you"
            )
        return self


class Generation(Section):
    """Arguments for `generate()`; a key left null keeps the checkpoint's generation_config."""

    num_beams: int | None = Field(None, ge=1)
    max_new_tokens: int | None = Field(None, ge=1)
    min_new_tokens: int | None = Field(None, ge=0)
    length_penalty: float | None = None
    no_repeat_ngram_size: int | None = Field(None, ge=0)
    early_stopping: bool | None = None
    repetition_penalty: float | None = Field(None, gt=0)
    do_sample: bool | None = None
    temperature: float | None = Field(None, gt=0)
    top_p: float | None = Field(None, gt=0, le=1)
    top_k: int | None = Field(None, ge=0)

    def overrides(self) -> dict[str, Any]:
        return {key: value for key, value in self.model_dump().items() if value is not None}


class Summarizer(ModelSource):
    enabled: bool = True
    long_input: Literal["chunk", "truncate", "error"] = "chunk"
    max_input_tokens: int | None = Field(None, ge=8)
    max_rounds: int = Field(3, ge=1)
    batch_size: int = Field(8, ge=1)
    max_sentences: int = Field(3, ge=1)
    generation: Generation = Generation()


class Config(Section):
    runtime: Runtime = Runtime()
    summarizer: Summarizer = Summarizer()


# ---------------------------------------------------------------------------------------------
# Loading

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
    if path.is_file():
        return path
    shipped = shipped_configs()
    if name in shipped:
        return shipped[name]
    known = ", ".join(shipped) or "none found"
    raise ConfigError(f"config file {name!r} does not exist; give a path or a shipped name ({known})")


def load_config(name: str | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read a YAML config (default: the shipped offline default), apply overrides, validate."""
    path = resolve_config_path(name)
    data = read_yaml(path)
    override_paths = apply_overrides(data, overrides)
    if any(key.endswith("trust_remote_code") for key in override_paths):
        raise ConfigError(
            "trust_remote_code can only be set in a config file (with a pinned revision), "
            "not by a command-line override"
        )
    return validate(data, source=str(path), override_paths=override_paths)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config is a mapping of sections, found {type(data).__name__}")
    return data


def apply_overrides(data: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Set each `a.b.c=value` in `data` (value parsed as YAML); return {path: original text}."""
    applied: dict[str, str] = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"override {item!r} is not of the form key.sub=value")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {part!r} is a value, not a section")
            node = child
        node[parts[-1]] = value
        applied[key] = item
    return applied


def validate(data: dict[str, Any], source: str = "<config>", override_paths: dict[str, str] | None = None) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc.errors()[0], source, override_paths or {})) from None


def describe_error(error: dict[str, Any], source: str, override_paths: dict[str, str]) -> str:
    """One line: where, which key, what was found, what is allowed."""
    loc = [str(part) for part in error["loc"]]
    path = ".".join(loc)
    where = f"override {override_paths[path]!r}" if path in override_paths else source
    if error["type"] == "extra_forbidden":
        hint = closest_key(loc)
        suggestion = f"; did you mean {hint!r}?" if hint else ""
        return f"{where}: unknown key {path!r}{suggestion}"
    message = error["msg"].removeprefix("Value error, ")
    found = error.get("input")
    shown = "" if isinstance(found, dict) else f" (found {found!r})"
    return f"{where}: {path or 'config'}: {message}{shown}"


def closest_key(loc: list[str]) -> str | None:
    """The valid key most like `loc`: the same name in another section, a similar sibling, or
    a similar name anywhere."""
    name, parent = loc[-1], loc[:-1]
    everywhere = _all_keys(Config)
    same_name = [path for path in everywhere if path.rsplit(".", 1)[-1] == name]
    if same_name:
        return same_name[0]
    siblings = _fields_at(Config, parent)
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


def dump(config: Config) -> str:
    """The fully resolved config as YAML (what `nlp check` prints)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
