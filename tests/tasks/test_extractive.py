"""The extractive summarizer (embedded MiniLM): sentences of the article, picked by centrality."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.config import SummarizerConfig
from nlp.tasks.extractive import join_sentences, select_central
from nlp.tasks.summarize import build_summarizer


@pytest.fixture(scope="module")
def extractive(runtime_cpu):
    return build_summarizer(SummarizerConfig(model="embedded", max_sentences=2), runtime_cpu)


ARTICLE = (
    "SEOUL, March 4 -- North Korea fired two short-range ballistic missiles on Tuesday, the South's "
    "military said. The missiles flew about 350 km before falling into the sea.\n\n"
    "Japan protested through diplomatic channels in Beijing. The launch came as U.S. and South Korean "
    "forces began spring drills, which Pyongyang calls a rehearsal for invasion.\n\n"
    "Analysts said the North appeared to test a new solid-fuel engine. Aid groups, meanwhile, said "
    "sanctions had slowed deliveries of medicine to the country's north-east."
)


def test_extractive_summary_is_made_of_article_sentences(extractive):
    record = extractive.summarize([ARTICLE])[0]
    assert record["method"] == "extractive" and record["truncated"] is False
    assert len(record["sentences"]) == 2
    picked = [ARTICLE[start:end] for start, end in record["sentences"]]
    assert record["text"] == " ".join(picked)  # every picked sentence ends with a full stop here
    assert [s for s, _ in record["sentences"]] == sorted(s for s, _ in record["sentences"])


def test_extractive_short_text_is_returned_whole(extractive):
    text = "Pyongyang rejected the offer of talks."
    assert extractive.summarize([text])[0]["text"] == text


def test_select_central_prefers_central_then_distinct_sentences():

    a, b, c = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])
    vectors = np.stack([c, a, a, a, b, b])
    picked = select_central(vectors, 2)
    assert picked[0] in (1, 2, 3) and picked[1] in (4, 5)  # one of each theme, the outlier left out


def test_headline_without_full_stop_keeps_its_own_line():
    assert (
        join_sentences(["Missile launched", "It flew far.", "Seoul protested."])
        == "Missile launched\nIt flew far. Seoul protested."
    )
