"""The Python API: build the enabled components once from a config and analyse texts with them."""

from __future__ import annotations

from nlp.config import Config, load_config
from nlp.runtime import Runtime, resolve_runtime


class Analyzer:
    """Summary (and, when enabled, topic and stance) for each text, as output-record dicts.

    >>> analyzer = Analyzer.from_config()          # the offline default
    >>> analyzer.analyze("Pyongyang fired ...")["summary"]["text"]
    """

    def __init__(self, config: Config, runtime: Runtime | None = None):
        self.config = config
        self.runtime = runtime or resolve_runtime(config.runtime)
        self.summarizer = None
        if config.summarizer.enabled:
            from nlp.summarize import build_summarizer

            self.summarizer = build_summarizer(config.summarizer, self.runtime)

    @classmethod
    def from_config(cls, name: str | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Analyzer:
        return cls(load_config(name, overrides))

    def analyze(self, texts: str | list[str], ids: list | None = None) -> dict | list[dict]:
        """One record per text, in order; a single string gives a single record."""
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        ids = ids if ids is not None else list(range(1, len(batch) + 1))
        records: list[dict] = [{"id": record_id} for record_id in ids]
        if self.summarizer is not None:
            for record, summary in zip(records, self.summarizer.summarize(batch)):
                record["summary"] = summary | {"model": self.config.summarizer.model}
        return records[0] if single else records
