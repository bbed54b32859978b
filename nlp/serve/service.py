"""The models behind the page and the API: one Analyzer per process, one size limit, one lock.

A server is one run: its run-level facts (`nlp.models.provenance.run_facts`: run id, start time,
config hash, versions) are fixed when it starts and go into every record it returns, as into the
record of `nlp summarize --json`."""

from __future__ import annotations

import threading
from typing import Any

from nlp.models.provenance import run_facts
from nlp.schema import Config
from nlp.serve.text import checked_text


class Service:
    """The process's one Analyzer, the size limit, and a lock around the models."""

    def __init__(self, config: Config, analyzer: Any = None) -> None:
        if analyzer is None:
            from nlp.tasks.analyze import Analyzer

            analyzer = Analyzer(config)
        self.config, self.analyzer = config, analyzer
        self.max_chars = config.serve.max_chars
        self.run = run_facts(config)
        self._lock = threading.Lock()

    def analyze(self, text: str, record_id: str | int = "text", title: str | None = None) -> dict:
        """The output record of `text` (InputError when it is empty or over the limit)."""
        text = checked_text(text, self.max_chars)
        with self._lock:
            record = self.analyzer.analyze([text], ids=[record_id], titles=[title])[0]
        return {**record, "run": self.run}
