"""The extractive summarizer (embedded MiniLM): the lede, then sentences that add to it, within budgets."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.document import prepare
from nlp.schema import SummarizerConfig
from nlp.sentences import split_sentences
from nlp.tasks.extractive import (
    Selection,
    depends_on_previous,
    fit_words,
    join_sentences,
    lead_words,
    oracle_summary,
    select_sentences,
)
from nlp.tasks.summarize import build_summarizer


@pytest.fixture(scope="module")
def extractive(runtime_cpu):
    return build_summarizer(SummarizerConfig(model="embedded", max_sentences=3, max_words=60), runtime_cpu)


WIRE = """North Korea fires ballistic missile as allies begin spring drills

SEOUL, March 4 (Reuters) - North Korea fired a short-range ballistic missile into the sea off its east coast on \
Tuesday, South Korea's military said, hours after U.S. and South Korean forces began their annual spring drills.

It said the missile flew about 350 km at an altitude of 50 km before splashing down outside Japan's exclusive \
economic zone. The flight lasted about seven minutes.

Japan protested through diplomatic channels in Beijing. Tokyo said the launch threatened regional peace.

The drills, which Pyongyang calls a rehearsal for invasion, involve about 20,000 troops and will run for ten days.

Analysts said the North appeared to be testing a new solid-fuel engine. Aid groups, meanwhile, said sanctions had \
slowed deliveries of medicine to the country's north-east.
"""


def test_lede_is_kept_and_headline_is_not_repeated(extractive):
    doc = prepare(WIRE)
    record = extractive.summarize([doc])[0]
    assert record["method"] == "extractive" and record["truncated"] is False
    assert record["text"].startswith("SEOUL, March 4 (Reuters) - North Korea fired a short-range ballistic missile")
    assert doc.title not in record["text"]
    picked = [doc.text[start:end] for start, end in record["sentences"]]
    assert record["text"] == " ".join(picked)  # offsets slice the text; every pick closes with a full stop
    assert [s for s, _ in record["sentences"]] == sorted(s for s, _ in record["sentences"])


@pytest.mark.parametrize("max_words", [12, 40, 60])
def test_max_words_is_respected(runtime_cpu, max_words):
    summarizer = build_summarizer(SummarizerConfig(max_sentences=5, max_words=max_words), runtime_cpu)
    record = summarizer.summarize([WIRE])[0]
    assert 0 < len(record["text"].split()) <= max_words
    doc = prepare(WIRE)
    assert all(doc.text[start:end] in record["text"] for start, end in record["sentences"])


def test_no_dangling_sentence_without_the_sentence_it_depends_on(extractive):
    doc = prepare(WIRE)
    record = extractive.summarize([doc])[0]
    starts = [start for start, _ in record["sentences"]]
    index = {s.start: i for i, s in enumerate(doc.sentences)}
    for start in starts:
        i = index[start]
        if depends_on_previous(doc.sentences[i].text):
            assert doc.sentences[i - 1].start in starts, doc.sentences[i].text


def test_a_dependent_sentence_comes_with_its_predecessor_or_not_at_all():
    text = (
        "Seoul said a missile was fired on Tuesday. Officials met at noon in the capital. "
        "It flew about 350 km before landing. Japan protested through diplomatic channels."
    )
    sentences = split_sentences(text)
    # "It flew 350 km." (index 2) is by far the best candidate; its antecedent (1) must come along.
    vectors = np.eye(4, dtype=np.float32)[[0, 1, 2, 3]]
    scores_first = Selection(position=0.0, centrality=0.0, title=1.0, keep_lede=True)
    title = np.array([0.0, 0.0, 1.0, 0.0], dtype=np.float32)
    assert select_sentences(sentences, vectors, title, 3, None, scores_first) == [0, 1, 2]
    # With room for only one more sentence, the pair does not fit: the dependent one is left out.
    picked = select_sentences(sentences, vectors, title, 2, None, scores_first)
    assert 2 not in picked and picked[0] == 0


def test_depends_on_previous_reads_the_opening_word():
    for dependent in [
        "It said the launch was a test.",
        "However, Seoul disagreed.",
        "But talks failed.",
        "He added that more would come.",
        "The move angered Tokyo.",
        '"This is a provocation," he said.',
    ]:
        assert depends_on_previous(dependent), dependent
    for independent in [
        "North Korea fired a missile.",
        "There was no immediate reaction.",
        "This year's drills are the largest.",
        "Both Moscow and Pyongyang deny it.",
    ]:
        assert not depends_on_previous(independent), independent


def test_a_near_duplicate_is_never_added():
    text = (
        "North Korea fired a missile on Tuesday. A missile was fired by North Korea on Tuesday. "
        "Japan protested through diplomatic channels in Beijing."
    )
    sentences = split_sentences(text)
    vectors = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]], dtype=np.float32)
    assert select_sentences(sentences, vectors, None, 2, None, Selection(position=1.0, centrality=1.0)) == [0, 2]


def test_short_text_is_returned_whole(extractive):
    text = "Pyongyang rejected the offer of talks."
    assert extractive.summarize([text])[0]["text"] == text


def test_first_sentence_longer_than_the_budget_is_cut_at_a_word():
    sentence = split_sentences("one two three four five six seven.")[0]
    assert fit_words(sentence, 3).text == "one two three" and fit_words(sentence, 3).end == 13
    assert fit_words(sentence, None) == sentence


def test_lead_words_and_oracle_are_cut_to_the_same_length():
    doc = prepare(WIRE)
    assert lead_words(doc, 8) == "SEOUL, March 4 (Reuters) - North Korea fired"  # the headline is not the lead
    reference = "Japan protested the launch, which came as drills involving 20,000 troops began."
    oracle = oracle_summary(doc, reference, 30)
    assert len(oracle.split()) <= 30 and "Japan protested" in oracle


def test_headline_without_full_stop_keeps_its_own_line():
    assert (
        join_sentences(["Missile launched", "It flew far.", "Seoul protested."])
        == "Missile launched\nIt flew far. Seoul protested."
    )
