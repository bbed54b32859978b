"""The Python API: build the enabled components once from a config and analyse texts with them."""

from __future__ import annotations

from nlp.config import Config, load_config
from nlp.document import prepare
from nlp.runtime import Runtime, resolve_runtime


class Analyzer:
    """Summary, topic and stance (each unless switched off) for each text, as output-record dicts.

    >>> analyzer = Analyzer.from_config()          # the offline default
    >>> analyzer.analyze("Pyongyang fired ...")["summary"]["text"]
    """

    def __init__(self, config: Config, runtime: Runtime | None = None):
        self.config = config
        self.runtime = runtime or resolve_runtime(config.runtime)
        self.summarizer = self.topic = self.stance = None
        if config.summarizer.enabled:
            from nlp.tasks.summarize import build_summarizer

            self.summarizer = build_summarizer(config.summarizer, self.runtime)
        if config.topic.enabled:
            from nlp.tasks.topic import build_topic_classifier

            self.topic = build_topic_classifier(config.topic, self.runtime)
        if config.stance.enabled:
            from nlp.tasks.stance import build_stance_scorer

            self.stance = build_stance_scorer(config.stance, self.runtime)

    @classmethod
    def from_config(cls, name: str | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Analyzer:
        return cls(load_config(name, overrides))

    def analyze(
        self, texts: str | list[str], ids: list | None = None, titles: list[str | None] | None = None
    ) -> dict | list[dict]:
        """One record per text, in order; a single string gives a single record. `titles` are the
        texts' headlines (None where there is none): topic and stance read them with the text."""
        single = isinstance(texts, str)
        raw = [texts] if single else list(texts)
        ids = ids if ids is not None else list(range(1, len(raw) + 1))
        titles = titles if titles is not None else [None] * len(raw)
        batch = [prepare(text, title) for text, title in zip(raw, titles)]
        records: list[dict] = [{"id": record_id} for record_id in ids]
        if self.summarizer is not None:
            for record, summary in zip(records, self.summarizer.summarize(batch)):
                record["summary"] = summary | {"model": self.config.summarizer.model}
        if self.topic is not None:
            for record, topic in zip(records, self.topic.classify(batch)):
                record["topic"] = topic | {"model": self.config.topic.model}
        if self.stance is not None:
            for record, stance in zip(records, self.stance.score(batch)):
                record["stance"] = stance | {"model": self.config.stance.model}
        return records[0] if single else records
