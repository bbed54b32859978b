"""Summaries: abstractive with any seq2seq checkpoint, extractive with the embedded encoder.

Both take `list[str]` and return one `dict` per text, in order, with the keys of the output
record's `summary` part (README, "Output record").
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

import torch

from nlp.config import EMBEDDED, SummarizerConfig
from nlp.document import Document, as_documents
from nlp.errors import ConfigError, InputError
from nlp.models.encoder import Encoder
from nlp.models.load import input_limit, load_encoder, load_seq2seq
from nlp.runtime import Runtime
from nlp.sentences import pack_sentences

if TYPE_CHECKING:
    from nlp.tasks.extractive import ExtractiveSummarizer

log = logging.getLogger(__name__)


def build_summarizer(config: SummarizerConfig, runtime: Runtime) -> AbstractiveSummarizer | ExtractiveSummarizer:
    if config.model == EMBEDDED:
        from nlp.tasks.extractive import ExtractiveSummarizer

        tokenizer, model = load_encoder(config, runtime, key="summarizer.model")
        return ExtractiveSummarizer(Encoder(tokenizer, model, runtime), config.max_sentences)
    tokenizer, model = load_seq2seq(config, runtime)
    return AbstractiveSummarizer(tokenizer, model, runtime, config)


class AbstractiveSummarizer:
    """`generate()` over length-sorted batches; long input follows `summarizer.long_input`."""

    method = "abstractive"

    def __init__(self, tokenizer: Any, model: Any, runtime: Runtime, config: SummarizerConfig):
        self.tokenizer, self.model, self.runtime, self.config = tokenizer, model, runtime, config
        limit = input_limit(model, tokenizer)
        if config.max_input_tokens and config.max_input_tokens > limit:
            raise ConfigError(
                f"summarizer.max_input_tokens: {config.max_input_tokens} is over the model's limit "
                f"of {limit} tokens; use at most {limit} or leave it null"
            )
        self.limit = config.max_input_tokens or limit
        task = (getattr(model.config, "task_specific_params", None) or {}).get("summarization", {})
        self.prefix = task.get("prefix", "")
        overhead = len(tokenizer(self.prefix or "", add_special_tokens=True)["input_ids"])
        self.budget = self.limit - overhead  # content tokens that fit beside prefix and specials
        if self.budget < 4:
            raise ConfigError(f"summarizer.max_input_tokens: {self.limit} leaves no room for text")
        self.generation = config.generation.overrides()

    def summarize(self, texts: list[str | Document]) -> list[dict]:
        texts = [doc.body for doc in as_documents(texts)]  # the headline is not summarized again
        counts = [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]
        self._check_lengths(counts)
        records = [
            {"text": "", "method": self.method, "input_tokens": n, "chunks": 1, "truncated": False, "rounds": 1}
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
        outputs = [""] * len(texts)
        lengths = [len(text) for text in texts]
        order = sorted(range(len(texts)), key=lambda i: (caps[i] or 0, -lengths[i]))
        size = self.config.batch_size
        start = 0
        while start < len(order):
            cap = caps[order[start]]
            batch = [i for i in order[start : start + size] if caps[i] == cap]
            for i, summary in zip(batch, self._generate_batch([texts[i] for i in batch], cap)):
                outputs[i] = summary
            start += len(batch)
        return outputs

    @torch.inference_mode()
    def _generate_batch(self, texts: list[str], cap: int | None) -> list[str]:
        settings = copy.deepcopy(self.model.generation_config)
        settings.update(**self.generation)
        if cap is not None:
            settings.max_new_tokens = min(settings.max_new_tokens or cap, cap)
            settings.min_new_tokens = min(settings.min_new_tokens or settings.min_length or 0, cap)
        # *_new_tokens, when set, replace the checkpoint's total-length limits
        if settings.max_new_tokens is not None:
            settings.max_length = None
        if settings.min_new_tokens is not None:
            settings.min_length = None
        encoded = self.tokenizer(
            [self.prefix + text for text in texts],
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.limit,
        ).to(self.runtime.device)
        generated = self.model.generate(**encoded, generation_config=settings)
        return [text.strip() for text in self.tokenizer.batch_decode(generated, skip_special_tokens=True)]

    def _pack(self, text: str) -> list[str]:
        return pack_sentences(text, self.tokenizer, self.budget)
