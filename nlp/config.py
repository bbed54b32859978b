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
from nlp.labels import DEFAULT_CUT_POINTS, TOPIC_LABELS

EMBEDDED = "embedded"
_COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RuntimeConfig(Section):
    device: str = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    seed: int = 0

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str) -> str:
        if not _DEVICE.match(value):
            raise ValueError("allowed: auto, cpu, cuda, cuda:N (N = 0, 1, ...), mps")
        return value


class ModelConfig(Section):
    """Where a component's weights come from, and what the loader may run to get them."""

    model: str = EMBEDDED
    revision: str | None = None
    trust_remote_code: bool = False
    allow_pickle: bool = False

    @model_validator(mode="after")
    def _remote_code_needs_pinned_revision(self) -> ModelConfig:
        if not self.trust_remote_code or Path(self.model).is_dir():
            return self
        if self.revision is None or not _COMMIT_SHA.match(self.revision):
            raise ValueError(
                f"trust_remote_code runs code from {self.model!r}; pin `revision` to a full "
                "40-character commit hash so that code cannot change under you"
            )
        return self


class GenerationConfig(Section):
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


class SummarizerConfig(ModelConfig):
    enabled: bool = True
    long_input: Literal["chunk", "truncate", "error"] = "chunk"
    max_input_tokens: int | None = Field(None, ge=8)
    max_rounds: int = Field(3, ge=1)
    batch_size: int = Field(8, ge=1)
    max_sentences: int = Field(3, ge=1)
    generation: GenerationConfig = GenerationConfig()


DEFAULT_TOPICS = dict(
    zip(
        TOPIC_LABELS,
        (
            "This text is about military security: weapons, missiles, nuclear tests, troops or drills.",
            "This text is about diplomacy: talks, summits, envoys or relations between governments.",
            "This text is about sanctions: their enforcement, evasion, or relief.",
        ),
    )
)
DEFAULT_ALIASES = [
    "North Korea",
    "North Korean",
    "North Koreans",
    "N. Korea",
    "NK",
    "DPRK",
    "Pyongyang",
    "the North",
    "Kim Jong Un",
    "Kim Jong-un",
    "Kim Yo Jong",
    "Democratic People's Republic of Korea",
    "KCNA",
    "Korean Central News Agency",
    "Rodong Sinmun",
    "Workers' Party of Korea",
]
BackendName = Literal["auto", "embedded", "nli", "classifier"]


class TopicConfig(ModelConfig):
    enabled: bool = True
    backend: BackendName = "auto"
    labels: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TOPICS))
    threshold: float = Field(0.5, ge=0, le=1)
    multi_label: bool = True
    batch_size: int = Field(16, ge=1)

    @field_validator("labels")
    @classmethod
    def _check_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        if len(labels) < 2:
            raise ValueError("give at least two labels, each `name: hypothesis or description`")
        for name, hypothesis in labels.items():
            if not name.strip() or name != name.strip():
                raise ValueError(f"label name {name!r} is empty or has surrounding spaces")
            if not isinstance(hypothesis, str) or not hypothesis.strip():
                raise ValueError(f"label {name!r} needs a non-empty hypothesis/description string")
        return labels

    @model_validator(mode="after")
    def _embedded_knows_its_labels(self) -> TopicConfig:
        if self.model == EMBEDDED and set(self.labels) != set(DEFAULT_TOPICS):
            raise ValueError(
                f"the embedded head knows the labels {list(DEFAULT_TOPICS)}, the config has "
                f"{list(self.labels)}; keep those labels, or set topic.model to an NLI model for labels of your own"
            )
        return self


class StanceConfig(ModelConfig):
    enabled: bool = True
    backend: BackendName = "auto"
    target: str = Field("North Korea", min_length=1)
    aliases: list[str] = Field(default_factory=lambda: list(DEFAULT_ALIASES))
    hypotheses: dict[Literal["supportive", "critical"], str] = Field(
        default_factory=lambda: {
            "supportive": "This text is supportive of {target}.",
            "critical": "This text is critical of {target}.",
        }
    )
    cut_points: tuple[float, float] = DEFAULT_CUT_POINTS
    evidence: int = Field(3, ge=0)
    batch_size: int = Field(16, ge=1)

    @field_validator("cut_points")
    @classmethod
    def _check_cut_points(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not -1 <= value[0] < value[1] <= 1:
            raise ValueError(
                "need [low, high] with -1 <= low < high <= 1 (critical < low <= neutral <= high < supportive)"
            )
        return value

    @field_validator("hypotheses")
    @classmethod
    def _check_hypotheses(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) != {"supportive", "critical"}:
            raise ValueError("give both `supportive` and `critical` hypotheses")
        return value

    @property
    def names(self) -> list[str]:
        """The target and its aliases, each once."""
        return list(dict.fromkeys([self.target, *self.aliases]))


class InferConfig(Section):
    text_field: str = Field("text", min_length=1)
    id_field: str = Field("id", min_length=1)
    carry: list[str] = Field(default_factory=list)
    window: int = Field(256, ge=1)
    max_batch_tokens: int = Field(16384, ge=64)
    max_line_bytes: int = Field(1_000_000, ge=1024)
    max_depth: int = Field(64, ge=2)
    max_error_rate: float = Field(1.0, ge=0, le=1)
    errors_file: str | None = None
    progress: bool = True
    backend: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    ray_actors: int = Field(1, ge=1)
    ray_cpus_per_actor: float = Field(1.0, gt=0)


class EvaluateConfig(Section):
    """Where `nlp evaluate` finds each record's text and gold labels in a labeled JSONL file."""

    text_field: str = Field("text", min_length=1)
    id_field: str = Field("id", min_length=1)
    topic_field: str = Field("topics", min_length=1)
    stance_field: str = Field("stance", min_length=1)
    summary_field: str = Field("summary", min_length=1)
    report: Literal["markdown", "html"] = "markdown"


class Config(Section):
    runtime: RuntimeConfig = RuntimeConfig()
    summarizer: SummarizerConfig = SummarizerConfig()
    topic: TopicConfig = TopicConfig()
    stance: StanceConfig = StanceConfig()
    infer: InferConfig = InferConfig()
    evaluate: EvaluateConfig = EvaluateConfig()


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


def validate(
    data: dict[str, Any],
    source: str = "<config>",
    override_paths: dict[str, str] | None = None,
    schema: type[BaseModel] = Config,
) -> Any:
    """`data` as a `schema` instance (default: the inference `Config`), or one ConfigError line."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc.errors()[0], source, override_paths or {}, schema)) from None


def describe_error(
    error: dict[str, Any], source: str, override_paths: dict[str, str], schema: type[BaseModel] = Config
) -> str:
    """One line: where, which key, what was found, what is allowed."""
    loc = [str(part) for part in error["loc"]]
    path = ".".join(loc)
    where = f"override {override_paths[path]!r}" if path in override_paths else source
    if error["type"] == "extra_forbidden":
        hint = closest_key(loc, schema)
        suggestion = f"; did you mean {hint!r}?" if hint else ""
        return f"{where}: unknown key {path!r}{suggestion}"
    message = error["msg"].removeprefix("Value error, ")
    found = error.get("input")
    shown = "" if isinstance(found, dict) else f" (found {found!r})"
    return f"{where}: {path or 'config'}: {message}{shown}"


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
