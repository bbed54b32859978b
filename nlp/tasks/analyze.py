"""The Python API: build the enabled components once from a config and analyse texts with them."""

from __future__ import annotations

import copy

from nlp.config import load_config
from nlp.document import TextFormat, prepare
from nlp.runtime import Runtime, resolve_runtime
from nlp.schema import Config


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
        self.support = None
        if config.summarizer.enabled and config.summarizer.support.enabled:
            from nlp.tasks.support import SupportChecker

            self.support = SupportChecker(config.summarizer.support, self.runtime)
        self.provenance = self._provenance()

    def _provenance(self) -> dict[str, dict]:
        """Each built task's `provenance` (nlp/models/provenance.py), by output part; the summary's also
        names the weights its support check runs on."""
        from nlp.models.provenance import describe

        built = {"summary": ("summarizer", self.summarizer), "topic": ("topic", self.topic)}
        built["stance"] = ("stance", self.stance)
        out = {
            part: describe(task, getattr(self.config, task), component, self.runtime)
            for part, (task, component) in built.items()
            if component is not None
        }
        if self.support is not None:
            out["summary"]["resolved"] += self.support.provenance
        return out

    @classmethod
    def from_config(cls, name: str | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Analyzer:
        return cls(load_config(name, overrides))

    @classmethod
    def from_dict(cls, data: dict, overrides: list[str] | tuple[str, ...] = ()) -> Analyzer:
        """From a mapping shaped like a config file (`{"topic": {"threshold": 0.4}}`; what it leaves out
        keeps the default), validated as a file is; `overrides` as on the command line."""
        import copy

        from nlp.config import apply_overrides, check_remote_code, validate

        data = copy.deepcopy(data)
        applied = apply_overrides(data, overrides)
        check_remote_code(data, applied, "<dict>")
        return cls(validate(data, source="<dict>", override_paths=applied))

    def analyze(
        self,
        texts: str | list[str],
        ids: list | None = None,
        titles: list[str | None] | None = None,
        format: TextFormat = "text",
    ) -> dict | list[dict]:
        """One record per text, in order; a single string gives a single record. `titles` are the
        texts' headlines (None where there is none): topic and stance read them with the text.
        `format="html"`: each text is a web page whose article is extracted first. Texts are prepared
        by `document.prepare` with the config's `document` settings; a record gains a `document` part
        when preparation found something (`Document.describe`). Each task's part carries its `provenance`
        (nlp/models/provenance.py), the summary its `support` check (nlp/tasks/support.py)."""
        single = isinstance(texts, str)
        raw = [texts] if single else list(texts)
        ids = ids if ids is not None else list(range(1, len(raw) + 1))
        titles = titles if titles is not None else [None] * len(raw)
        settings = self.config.document
        batch = [
            prepare(text, title, clean=settings.clean, headline=settings.headline, format=format)
            for text, title in zip(raw, titles)
        ]
        records: list[dict] = [{"id": record_id} for record_id in ids]
        for record, doc in zip(records, batch):
            described = doc.describe()
            if described is not None:
                record["document"] = described
        if self.summarizer is not None:
            for record, summary in zip(records, self.summarizer.summarize(batch)):
                record["summary"] = summary | {"model": self.config.summarizer.model}
        if self.topic is not None:
            for record, topic in zip(records, self.topic.classify(batch)):
                record["topic"] = topic | {"model": self.config.topic.model}
        if self.stance is not None:
            for record, stance in zip(records, self.stance.score(batch)):
                record["stance"] = stance | {"model": self.config.stance.model}
        if self.support is not None:  # last: the sentence vectors that topic and stance made are memoised
            texts = [record["summary"]["text"] for record in records]
            for record, support in zip(records, self.support.check(batch, texts)):
                record["summary"]["support"] = support
        for record in records:
            for part, provenance in self.provenance.items():
                record[part]["provenance"] = copy.deepcopy(provenance)
        return records[0] if single else records
