"""The summary support check: numbers, dates and names the source lacks, scores against the threshold,
offsets into the original text, and a tiny seq2seq model made to write a number its source never has."""

from __future__ import annotations

import pytest

from helpers import CORPUS, tiny_bart_model, train_tokenizer
from nlp.config import load_config
from nlp.document import prepare
from nlp.schema import SupportConfig
from nlp.tasks.analyze import Analyzer
from nlp.tasks.support import SupportChecker, Vocabulary, unsupported_tokens

PLANTED = "1987"
SOURCE = (
    "SEOUL, March 3 -- North Korea fired two ballistic missiles into the sea on Tuesday, South Korea's "
    "military said. The missiles flew about 1,000 km. Pyongyang said the launch was a routine drill. "
    "Japanese officials protested."
)
PAGE = f"Home | World | Asia\nShare this article\n{SOURCE}\nAdvertisement\nRead more:\n- Other story\n"


def tokens(sentence: str, source: str = SOURCE) -> list[tuple[str, str]]:
    return [(t["text"], t["kind"]) for t in unsupported_tokens(sentence, Vocabulary(source))]


def test_numbers_dates_and_names_absent_from_the_source_are_listed():
    sentence = "North Korea fired 5 missiles on Friday in May, Kim Yo Jong and Moscow said."
    assert tokens(sentence) == [
        ("5", "number"),
        ("Friday", "date"),
        ("May", "date"),
        ("Kim Yo Jong", "name"),
        ("Moscow", "name"),
    ]


def test_what_the_source_says_in_other_words_is_supported():
    assert tokens("Two missiles flew 1000 km on Tuesday in March, the South Korean military said.") == []
    assert tokens("The DPRK fired missiles; Seoul and Japan protested.") == []  # name groups, demonyms
    assert tokens("Officials said the drill was routine.") == []  # the opening word is not a name
    assert tokens("Sanctions from 2016-17 stayed.", "UN sanctions of 2016-2017 stayed.") == []


@pytest.fixture(scope="module")
def checker(runtime_cpu):
    return SupportChecker(SupportConfig(), runtime_cpu)


def test_sentences_below_the_threshold_or_with_a_planted_number_are_flagged(checker):
    doc = prepare(SOURCE)
    copied = "The missiles flew about 1,000 km."
    support = checker.check([doc], [f"{copied} The missiles flew about {PLANTED} km."])[0]
    first, second = support["sentences"]
    assert first["supported"] and first["score"] == pytest.approx(1.0, abs=1e-3) and first["unsupported"] == []
    assert not second["supported"] and second["unsupported"] == [{"text": PLANTED, "kind": "number"}]
    assert support["flagged"] == 1 and support["supported"] is False and support["method"] == "similarity"
    off_topic = checker.check([doc], ["The bakery sells fresh bread and pastries every morning."])[0]
    assert off_topic["sentences"][0]["score"] < checker.threshold and off_topic["flagged"] == 1


def test_source_offsets_point_into_the_original_text_with_furniture_present(checker):
    doc = prepare(PAGE)
    assert doc.removed  # the furniture was dropped, so body offsets and text offsets differ
    summary = "North Korea fired two missiles into the sea. Japanese officials protested."
    support = checker.check([doc], [summary])[0]
    for sentence in support["sentences"]:
        assert summary[slice(*sentence["span"])] == sentence["text"]
        assert len(sentence["sources"]) == 2
        for source in sentence["sources"]:
            assert PAGE[source["start"] : source["end"]] == source["text"]


def test_an_nli_model_scores_by_entailment(runtime_cpu, tiny_nli):
    nli = SupportChecker(SupportConfig(model=str(tiny_nli)), runtime_cpu)
    support = nli.check([prepare(SOURCE)], ["North Korea fired two missiles."])[0]
    sentence = support["sentences"][0]
    assert support["method"] == "nli" and support["threshold"] == 0.5
    assert 0.0 <= sentence["score"] <= 1.0 and 0.0 < sentence["similarity"] <= 1.0
    assert [entry["kind"] for entry in nli.provenance] == ["support", "support"]


@pytest.fixture(scope="module")
def planting_bart(tmp_path_factory):
    """A one-layer BART whose every generated token is PLANTED (its final logits biased to it)."""
    import torch

    tokenizer = train_tokenizer(bos=True, extra=(f"in {PLANTED} cases .",))
    model = tiny_bart_model(tokenizer)
    with torch.no_grad():
        model.final_logits_bias[0, tokenizer.convert_tokens_to_ids(PLANTED)] = 100.0
    model.generation_config.max_new_tokens = 6
    path = tmp_path_factory.mktemp("planting-bart")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def analyzer(model, *overrides: str) -> Analyzer:
    base = [f"summarizer.model={model}", "topic.enabled=false", "stance.enabled=false", "runtime.device=cpu"]
    return Analyzer(load_config(None, [*base, *overrides]))


def test_an_abstractive_summary_with_a_number_absent_from_the_source_is_flagged(planting_bart):
    record = analyzer(planting_bart).analyze(f"{CORPUS[0]} {CORPUS[2]}")
    summary = record["summary"]
    assert summary["method"] == "abstractive" and PLANTED in summary["text"]
    support = summary["support"]
    assert support["supported"] is False and support["flagged"] == len(support["sentences"]) >= 1
    assert {"text": PLANTED, "kind": "number"} in support["sentences"][0]["unsupported"]
    assert [e["kind"] for e in summary["provenance"]["resolved"]] == ["model", "support"]


def test_the_support_check_switches_off(planting_bart):
    built = analyzer(planting_bart, "summarizer.support.enabled=false")
    assert built.support is None and "support" not in built.analyze(CORPUS[0])["summary"]


def test_stance_evidence_and_extractive_sentences_slice_the_original_page(runtime_cpu):
    record = Analyzer(load_config(None, ["runtime.device=cpu"])).analyze(PAGE)
    assert record["document"]["furniture"]  # furniture was present and dropped
    for item in record["stance"]["evidence"]:
        assert PAGE[item["start"] : item["end"]] == item["text"]
    for start, end in record["summary"]["sentences"]:
        assert PAGE[start:end] in record["summary"]["text"]
    for sentence in record["summary"]["support"]["sentences"]:
        assert sentence["supported"] and all(PAGE[s["start"] : s["end"]] == s["text"] for s in sentence["sources"])
