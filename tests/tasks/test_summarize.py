from __future__ import annotations

import pytest

from helpers import CORPUS, long_text
from nlp.config import SummarizerConfig
from nlp.errors import ConfigError, InputError
from nlp.sentences import count_tokens, split_sentences
from nlp.tasks.summarize import AbstractiveSummarizer, build_summarizer


def make(path, runtime, **settings) -> AbstractiveSummarizer:
    return build_summarizer(SummarizerConfig(model=str(path), **settings), runtime)


def test_one_summary_per_input_in_order(tiny_bart, runtime_cpu):
    summarizer = make(tiny_bart, runtime_cpu, batch_size=2)
    texts = [CORPUS[0], long_text(3), CORPUS[1] + " " + CORPUS[2], CORPUS[3][:20]]
    records = summarizer.summarize(texts)
    expected = [len(ids) for ids in summarizer.tokenizer(texts, add_special_tokens=False)["input_ids"]]
    assert [r["input_tokens"] for r in records] == expected
    assert all(r["method"] == "abstractive" and r["chunks"] == 1 and not r["truncated"] for r in records)
    assert all(isinstance(r["text"], str) for r in records)


def test_text_several_times_the_limit_is_chunked_and_terminates(tiny_bart, runtime_cpu):
    summarizer = make(tiny_bart, runtime_cpu)
    text = long_text(30)  # ~420 tokens against a 64-token model
    record = summarizer.summarize([text])[0]
    assert record["input_tokens"] > 5 * summarizer.limit
    assert record["chunks"] >= 2
    assert not record["truncated"]
    assert 1 <= record["rounds"] <= summarizer.config.max_rounds + 1


def test_chunks_respect_the_token_budget_and_sentence_boundaries(tiny_bart, runtime_cpu):
    summarizer = make(tiny_bart, runtime_cpu)
    text = long_text(20)
    chunks = summarizer._pack(text)
    sentences = {s.text for s in split_sentences(text)}
    for chunk in chunks:
        assert count_tokens(summarizer.tokenizer, chunk) <= summarizer.budget
        assert all(s.text in sentences for s in split_sentences(chunk))


def test_over_long_sentence_is_split_not_dropped(tiny_bart, runtime_cpu):
    summarizer = make(tiny_bart, runtime_cpu)
    sentence = " ".join(["missile"] * 200) + "."
    chunks = summarizer._pack(sentence)
    assert len(chunks) >= 4
    assert sum(count_tokens(summarizer.tokenizer, c) for c in chunks) == count_tokens(summarizer.tokenizer, sentence)


def test_verbose_model_still_terminates(tiny_bart, runtime_cpu):
    # min_new_tokens forces every partial to be as long as allowed: the caps must still end it.
    summarizer = make(tiny_bart, runtime_cpu, max_rounds=2, generation={"min_new_tokens": 60, "max_new_tokens": 60})
    record = summarizer.summarize([long_text(40)])[0]
    assert record["rounds"] <= 3
    assert record["text"]


def test_truncate_policy_records_the_cut(tiny_bart, runtime_cpu):
    summarizer = make(tiny_bart, runtime_cpu, long_input="truncate")
    short, long = summarizer.summarize([CORPUS[0], long_text(20)])
    assert short["truncated"] is False and "kept_fraction" not in short
    assert long["truncated"] is True and long["chunks"] == 1
    assert 0 < long["kept_fraction"] < 0.5


def test_error_policy_refuses_long_input(tiny_bart, runtime_cpu):
    summarizer = make(tiny_bart, runtime_cpu, long_input="error")
    with pytest.raises(InputError, match=r"text 2 has \d+ tokens, over the model's limit.*long_input=chunk"):
        summarizer.summarize([CORPUS[0], long_text(20)])


def test_generation_settings_reach_generate(tiny_bart, runtime_cpu, monkeypatch):
    summarizer = make(
        tiny_bart, runtime_cpu, generation={"num_beams": 3, "max_new_tokens": 7, "no_repeat_ngram_size": 2}
    )
    seen = []
    original = summarizer.model.generate

    def spy(*args, **kwargs):
        seen.append(kwargs["generation_config"])
        return original(*args, **kwargs)

    monkeypatch.setattr(summarizer.model, "generate", spy)
    summarizer.summarize([CORPUS[0]])
    assert (seen[0].num_beams, seen[0].max_new_tokens, seen[0].no_repeat_ngram_size) == (3, 7, 2)


def test_unset_generation_keys_keep_the_checkpoint_defaults(tiny_bart, runtime_cpu, monkeypatch):
    summarizer = make(tiny_bart, runtime_cpu)
    seen = []
    original = summarizer.model.generate
    monkeypatch.setattr(
        summarizer.model, "generate", lambda *a, **k: seen.append(k["generation_config"]) or original(*a, **k)
    )
    summarizer.summarize([CORPUS[0]])
    assert seen[0].max_new_tokens == 12  # set in the tiny checkpoint's generation_config


def test_min_new_tokens_pins_the_summary_length(tiny_bart, runtime_cpu):
    summarizer = make(tiny_bart, runtime_cpu, generation={"min_new_tokens": 5, "max_new_tokens": 5})
    record = summarizer.summarize([CORPUS[2]])[0]
    assert 1 <= len(record["text"].split()) <= 5


def test_t5_works_like_bart(tiny_t5, runtime_cpu):
    summarizer = make(tiny_t5, runtime_cpu)
    assert summarizer.limit == 64  # from the tokenizer: T5 has relative positions
    records = summarizer.summarize([CORPUS[0], long_text(30)])
    assert [r["chunks"] for r in records][0] == 1 and records[1]["chunks"] >= 2
    assert all(r["method"] == "abstractive" for r in records)


def test_max_input_tokens_over_the_model_limit_is_a_config_error(tiny_bart, runtime_cpu):
    with pytest.raises(ConfigError, match="over the model's limit of 64"):
        make(tiny_bart, runtime_cpu, max_input_tokens=4096)


def test_smaller_max_input_tokens_makes_more_chunks(tiny_bart, runtime_cpu):
    text = long_text(12)
    default = make(tiny_bart, runtime_cpu).summarize([text])[0]["chunks"]
    smaller = make(tiny_bart, runtime_cpu, max_input_tokens=24).summarize([text])[0]["chunks"]
    assert smaller > default
