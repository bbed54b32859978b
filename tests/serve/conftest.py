"""A tiny-model config for the page and the API, and the written test article."""

from __future__ import annotations

from pathlib import Path

import pytest

# Own voice and a quotation, every sentence naming the target, so each can be evidence.
ARTICLE = (
    "North Korea fired a ballistic missile into the sea on Tuesday, the military said.\n\n"
    'Pyongyang called the joint drills "a rehearsal for invasion" and warned of strong countermeasures.\n\n'
    "The Security Council tightened sanctions on coal and oil exports from North Korea.\n\n"
    "Kim Jong Un inspected a new submarine and called for stronger deterrence."
)


@pytest.fixture(scope="session")
def tiny_serve_config(tmp_path_factory, tiny_bart, tiny_topic_classifier, tiny_stance_classifier) -> Path:
    """Tiny BART summaries (8 tokens, so never empty), tiny classifiers for topic and stance. The cut points are set so wide that
    every score is `neutral`, whose evidence is always the most neutral sentences: never empty."""
    path = tmp_path_factory.mktemp("serve-config") / "tiny.yaml"
    path.write_text(
        "runtime: {device: cpu}\n"
        f"summarizer: {{model: {tiny_bart}, generation: {{min_new_tokens: 8, max_new_tokens: 8}}}}\n"
        f"topic: {{model: {tiny_topic_classifier}}}\n"
        f"stance: {{model: {tiny_stance_classifier}, cut_points: [-0.999, 0.999]}}\n"
        "serve: {max_chars: 2000}\n"
    )
    return path


@pytest.fixture
def article() -> str:
    return ARTICLE
