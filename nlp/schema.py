"""The config schema: one pydantic model per YAML section, with its defaults and value rules.

`nlp.config` reads YAML and overrides into these. Nothing here imports torch or transformers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nlp.labels import DEFAULT_CUT_POINTS, TOPIC_LABELS

EMBEDDED = "embedded"
_COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


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
    batch_size: int | None = Field(None, ge=1)  # null: the engine's own (default_rows)
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
