"""Summaries: abstractive with any seq2seq checkpoint, extractive with the embedded encoder.

Both take `list[str]` and return one `dict` per text, in order, with the keys of the output
record's `summary` part (README, "Output record").

The abstractive summarizer owns the policy - tokenizing once, the long-input rules, length-sorted
batches under a token budget, decoding - and hands batches of token ids to an engine:
transformers' `generate` (nlp/models/generate.py) or CTranslate2 (nlp/models/ctranslate.py),
chosen by `summarizer.backend` (`choose_backend`).
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Protocol

from nlp.document import Document, as_documents
from nlp.errors import ConfigError, InputError
from nlp.models import conversion, ctranslate
from nlp.models.batches import token_batches
from nlp.models.generate import TransformersEngine, generation_settings
from nlp.models.load import input_limit, load_seq2seq
from nlp.runtime import Runtime
from nlp.schema import EMBEDDED, SummarizerConfig
from nlp.sentences import pack_sentences

if TYPE_CHECKING:
    from nlp.tasks.extractive import ExtractiveSummarizer

log = logging.getLogger(__name__)


class Engine(Protocol):
    """Turns batches of input token ids into generated token ids, at most `cap` new tokens each."""

    name: str
    compute_type: str
    beams: int
    default_rows: int  # texts per call when summarizer.batch_size is null

    def generate(self, batch: list[list[int]], cap: int | None) -> list[list[int]]: ...


def build_summarizer(config: SummarizerConfig, runtime: Runtime) -> AbstractiveSummarizer | ExtractiveSummarizer:
    if config.model == EMBEDDED:
        from nlp.models.embedded import shared_encoder
        from nlp.tasks.extractive import ExtractiveSummarizer

        # the process's one MiniLM Encoder: the heads and the support check reuse its sentence vectors
        return ExtractiveSummarizer(shared_encoder(runtime), config.max_sentences, config.max_words)
    checkpoint = choose_backend(config, runtime)
    if checkpoint is not None:
        model_config, settings = checkpoint
        compute_type = ctranslate.compute_type_for(config.compute_type, runtime)
        folder = conversion.converted(
            config, getattr(model_config, "_commit_hash", None), compute_type, config.convert_dir
        )
        tokenizer = ctranslate.read_tokenizer(config)
        engine = ctranslate.CTranslate2Engine(
            ctranslate.translator(folder, runtime, compute_type), tokenizer, settings, compute_type
        )
        return AbstractiveSummarizer(tokenizer, engine, model_config, config)
    tokenizer, model = load_seq2seq(config, runtime)
    settings = generation_settings(model.generation_config, config.generation.overrides())
    return AbstractiveSummarizer(
        tokenizer, TransformersEngine(model, tokenizer, runtime, settings), model.config, config
    )


def choose_backend(config: SummarizerConfig, runtime: Runtime) -> tuple[Any, Any] | None:
    """(checkpoint config, generation settings) when CTranslate2 runs the model, None for transformers.

    `auto` takes CTranslate2 when it is installed and runs this architecture, device and every
    generation setting, and logs which it took and why; an explicit choice it cannot honour is a
    ConfigError. Reads the checkpoint's config files only: no weights are loaded here.
    """
    explicit = config.generation.overrides()
    if config.backend == "transformers":
        if config.compute_type != "auto":
            raise ConfigError(
                f"summarizer.compute_type: {config.compute_type!r} is a ctranslate2 setting; the transformers "
                "backend computes in runtime.dtype. Set summarizer.backend=ctranslate2, or compute_type=auto"
            )
        return None
    reason = ctranslate.runtime_problem(runtime)
    checkpoint = None
    if reason is None:
        model_config, defaults = ctranslate.read_checkpoint(config)
        checkpoint = model_config, generation_settings(defaults, explicit)
        reason = ctranslate.model_problem(model_config.model_type, checkpoint[1], explicit)
    if reason is None:
        log.info(
            "summarizer: backend ctranslate2 (%s)",
            "chosen" if config.backend != "auto" else "auto: installed, supports it",
        )
        return checkpoint
    if config.backend == "ctranslate2" or config.compute_type != "auto":
        asked = f"backend: {config.backend}" if config.backend != "auto" else f"compute_type: {config.compute_type}"
        raise ConfigError(
            f"summarizer.{asked} cannot be honoured: {reason}. Use summarizer.backend=transformers with "
            "compute_type=auto, or change what is named"
        )
    log.info("summarizer: backend transformers (auto: %s)", reason)
    return None


class AbstractiveSummarizer:
    """An engine over length-sorted token-budget batches; long input follows `summarizer.long_input`."""

    method = "abstractive"

    def __init__(self, tokenizer: Any, engine: Engine, model_config: Any, config: SummarizerConfig):
        self.tokenizer, self.engine, self.config = tokenizer, engine, config
        self.rows = config.batch_size or engine.default_rows
        self.model = getattr(engine, "model", None)  # the transformers model, when that is the engine
        limit = input_limit(SimpleNamespace(config=model_config), tokenizer)
        if config.max_input_tokens and config.max_input_tokens > limit:
            raise ConfigError(
                f"summarizer.max_input_tokens: {config.max_input_tokens} is over the model's limit "
                f"of {limit} tokens; use at most {limit} or leave it null"
            )
        self.limit = config.max_input_tokens or limit
        task = (getattr(model_config, "task_specific_params", None) or {}).get("summarization", {})
        self.prefix = task.get("prefix", "")
        overhead = len(tokenizer(self.prefix or "", add_special_tokens=True)["input_ids"])
        self.budget = self.limit - overhead  # content tokens that fit beside prefix and specials
        if self.budget < 4:
            raise ConfigError(f"summarizer.max_input_tokens: {self.limit} leaves no room for text")

    def summarize(self, texts: list[str | Document]) -> list[dict]:
        texts = [doc.body for doc in as_documents(texts)]  # the headline is not summarized again
        counts = [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]
        self._check_lengths(counts)
        records = [
            {"text": "", "method": self.method, "input_tokens": n, "chunks": 1, "truncated": False, "rounds": 1}
            | {"backend": self.engine.name, "compute_type": self.engine.compute_type}
            for n in counts
        ]
        pending: dict[int, list[str]] = {}
        for i, (text, n) in enumerate(zip(texts, counts)):
            if n <= self.budget:
                pending[i] = [text]
            elif self.config.long_input == "truncate":
                pending[i] = [text]  # cut by the tokenizer in _generate, recorded here
                records[i].update(truncated=True, kept_fraction=round(self.budget / n, 4))
            else:
                pending[i] = self._pack(text)
                records[i]["chunks"] = len(pending[i])
        for round_number in range(1, self.config.max_rounds + 2):
            done = self._run_round(pending, records, round_number)
            for i in done:
                del pending[i]
            if not pending:
                break
        return records

    def _check_lengths(self, counts: list[int]) -> None:
        if self.config.long_input != "error":
            return
        over = [(i, n) for i, n in enumerate(counts) if n > self.budget]
        if over:
            i, n = over[0]
            raise InputError(
                f"text {i + 1} has {n} tokens, over the model's limit of {self.budget} "
                f"({len(over)} text(s) too long); set summarizer.long_input=chunk or truncate"
            )

    def _run_round(self, pending: dict[int, list[str]], records: list[dict], round_number: int) -> list[int]:
        """Summarize every pending chunk once; return the texts whose summary is final."""
        jobs = [(i, chunk) for i, chunks in pending.items() for chunk in chunks]
        # A multi-chunk text's partials must together fit one chunk, so each gets a share of the
        # budget; this is what guarantees that the rounds end even for verbose models.
        caps = [max(1, self.budget // len(pending[i])) if len(pending[i]) > 1 else None for i, _ in jobs]
        outputs = self._generate([chunk for _, chunk in jobs], caps)
        partials: dict[int, list[str]] = {}
        for (i, _), output in zip(jobs, outputs):
            partials.setdefault(i, []).append(output)
        done = []
        for i, parts in partials.items():
            records[i]["rounds"] = round_number
            if len(parts) == 1 or round_number > self.config.max_rounds:
                records[i]["text"] = " ".join(parts)
                done.append(i)
            else:
                pending[i] = self._pack(" ".join(parts))
        return done

    def _generate(self, texts: list[str], caps: list[int | None]) -> list[str]:
        """One summary per text: tokenized once, grouped by cap, batched by padded tokens x beams."""
        if not texts:
            return []
        encoded = self.tokenizer([self.prefix + text for text in texts], truncation=True, max_length=self.limit)[
            "input_ids"
        ]
        outputs = [""] * len(texts)
        max_tokens = max(1, self.config.max_batch_tokens // self.engine.beams)
        for cap in dict.fromkeys(caps):
            group = [i for i, c in enumerate(caps) if c == cap]
            for batch in token_batches([len(encoded[i]) for i in group], max_tokens, self.rows):
                rows = [group[k] for k in batch]
                generated = self.engine.generate([encoded[i] for i in rows], cap)
                for i, text in zip(rows, self.tokenizer.batch_decode(generated, skip_special_tokens=True)):
                    outputs[i] = text.strip()
        return outputs

    def _pack(self, text: str) -> list[str]:
        return pack_sentences(text, self.tokenizer, self.budget)
