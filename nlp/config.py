"""Typed configuration: YAML file + `key.sub=value` overrides -> validated `Config`.

Everything here runs before any model loads and imports neither torch nor transformers, so config
mistakes are reported in milliseconds with the file, the key path and the fix.
"""

from __future__ import annotations

import copy
import difflib
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from nlp import yamlfile
from nlp.errors import ConfigError, shorten
from nlp.labels import DEFAULT_CUT_POINTS, TOPIC_LABELS

EMBEDDED = "embedded"
_COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
_BOOL = TypeAdapter(bool)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RuntimeConfig(Section):
    device: str = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    seed: int = Field(0, ge=0, le=2**32 - 1)  # what numpy, torch and the Trainer all accept

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


class SupportConfig(ModelConfig):
    """The summary support check (nlp/tasks/support.py): each summary sentence against its source.
    `model`: `embedded` scores by MiniLM similarity; an NLI checkpoint by entailment."""

    enabled: bool = True
    threshold: float = Field(0.45, ge=-1, le=1)  # MiniLM cosine of the best supporting source sentence
    nli_threshold: float = Field(0.5, ge=0, le=1)  # entailment probability, when `model` is an NLI checkpoint
    sources: int = Field(2, ge=1)  # supporting source sentences reported per summary sentence


class SummarizerConfig(ModelConfig):
    enabled: bool = True
    long_input: Literal["chunk", "truncate", "error"] = "chunk"
    max_input_tokens: int | None = Field(None, ge=8)
    max_rounds: int = Field(3, ge=1)
    batch_size: int = Field(8, ge=1)
    max_batch_tokens: int = Field(16384, ge=64)  # padded input tokens x beams per generate call
    max_sentences: int = Field(3, ge=1)
    max_words: int | None = Field(60, ge=5)
    generation: GenerationConfig = GenerationConfig()
    backend: Literal["auto", "transformers", "ctranslate2"] = "auto"
    compute_type: Literal["auto", "int8", "int8_float16", "float16", "bfloat16", "float32"] = "auto"
    convert_dir: str | None = None  # CTranslate2 conversions; null = ~/.cache/peninsula-nlp/ctranslate2
    support: SupportConfig = SupportConfig()


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
    "DPR Korea",
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
    min_confidence: float = Field(0.5, ge=0, le=1)
    multi_label: bool = True
    batch_size: int = Field(16, ge=1)
    int8: bool = False  # NLI / classifier model dynamically quantized on the CPU (nlp/models/quantize.py)

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
    min_confidence: float = Field(0.5, ge=0, le=1)
    evidence: int = Field(3, ge=0)
    batch_size: int = Field(16, ge=1)
    int8: bool = False  # as topic.int8

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
    title_field: str = Field("title", min_length=1)
    format: Literal["text", "html"] = "text"
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
    title_field: str = Field("title", min_length=1)
    id_field: str = Field("id", min_length=1)
    topic_field: str = Field("topics", min_length=1)
    stance_field: str = Field("stance", min_length=1)
    summary_field: str = Field("summary", min_length=1)
    report: Literal["markdown", "html"] = "markdown"
    progress: bool = True


class ReportConfig(Section):
    """How `nlp report` reads `nlp infer` results (fields carried with `infer.carry`) and groups them."""

    outlet_field: str = Field("outlet", min_length=1)
    date_field: str = Field("date", min_length=1)
    title_field: str | None = "title"
    period: Literal["week", "month", "quarter"] = "month"
    min_count: int = Field(3, ge=1)
    evidence: int = Field(3, ge=0)
    plot_outlets: int = Field(25, ge=1)
    max_outlets: int = Field(500, ge=1)
    sample_size: int = Field(2000, ge=50)
    bootstrap: int = Field(1000, ge=100)
    confidence: float = Field(0.95, gt=0, lt=1)
    max_line_bytes: int = Field(10_000_000, ge=1024)


class ServeConfig(Section):
    """The local page of `nlp serve`."""

    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(7860, ge=1, le=65535)
    max_chars: int = Field(100_000, ge=100)


class DocumentConfig(Section):
    """How every text is prepared before any task reads it (`nlp/document.py`)."""

    clean: bool = True
    headline: bool = True


class Config(Section):
    runtime: RuntimeConfig = RuntimeConfig()
    document: DocumentConfig = DocumentConfig()
    summarizer: SummarizerConfig = SummarizerConfig()
    topic: TopicConfig = TopicConfig()
    stance: StanceConfig = StanceConfig()
    infer: InferConfig = InferConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    report: ReportConfig = ReportConfig()
    serve: ServeConfig = ServeConfig()


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
