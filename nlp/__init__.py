"""Summaries, topic and stance toward North Korea for Korean-peninsula news.

Importing the package is cheap; torch and transformers load when a component is built.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Analyzer", "load_config", "__version__"]


def __getattr__(name: str):
    if name == "Analyzer":
        from nlp.tasks.analyze import Analyzer

        return Analyzer
    if name == "load_config":
        from nlp.config import load_config

        return load_config
    raise AttributeError(name)
