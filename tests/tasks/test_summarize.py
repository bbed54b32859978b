from __future__ import annotations

import logging

import pytest
import torch

from helpers import CORPUS, long_text
from nlp.errors import ConfigError, InputError
from nlp.models import conversion
from nlp.models.batches import token_batches
from nlp.schema import SummarizerConfig
from nlp.sentences import count_tokens, split_sentences
from nlp.tasks.summarize import AbstractiveSummarizer, build_summarizer


def make(path, runtime, **settings) -> AbstractiveSummarizer:
    """The transformers backend unless a test asks for another (tests/models/test_ctranslate.py has CTranslate2's)."""
    return build_summarizer(SummarizerConfig(model=str(path), **({"backend": "transformers"} | settings)), runtime)


def loop_summaries(summarizer: AbstractiveSummarizer, texts: list[str], generation: dict) -> list[str]:
    """What a user's per-document `generate` loop writes with the same model and settings."""
    out = []
    with torch.inference_mode():
        for text in texts:
            inputs = summarizer.tokenizer(text, return_tensors="pt", truncation=True, max_length=summarizer.limit)
            ids = summarizer.model.generate(**inputs, **generation, max_length=None, min_length=None)[0]
            out.append(summarizer.tokenizer.decode(ids, skip_special_tokens=True).strip())
    return out


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


@pytest.mark.parametrize("fixture", ["tiny_bart", "tiny_t5"])
@pytest.mark.parametrize("beams", [1, 3])
def test_batched_summaries_are_token_identical_to_a_per_document_loop(fixture, beams, runtime_cpu, request):
    generation = {"num_beams": beams, "min_new_tokens": 6, "max_new_tokens": 6, "no_repeat_ngram_size": 2}
    summarizer = make(request.getfixturevalue(fixture), runtime_cpu, generation=generation, max_batch_tokens=200)
    texts = [" ".join(CORPUS[(i + k) % len(CORPUS)] for k in range(1 + i % 3)) for i in range(7)]
    batched = [r["text"] for r in summarizer.summarize(texts)]
    assert batched == loop_summaries(summarizer, texts, generation)


def test_token_batches_are_longest_first_and_within_the_budget():
    lengths = [5, 40, 12, 40, 3, 30, 100]
    batches = token_batches(lengths, max_tokens=90, max_rows=3)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    flat = [lengths[i] for batch in batches for i in batch]
    assert flat == sorted(lengths, reverse=True)
    assert batches[0] == [6]  # alone over the budget: still one batch of its own
    for batch in batches[1:]:
        assert len(batch) <= 3 and len(batch) * lengths[batch[0]] <= 90


def test_a_generate_call_stays_within_max_batch_tokens(tiny_bart, runtime_cpu, monkeypatch):
    summarizer = make(tiny_bart, runtime_cpu, max_batch_tokens=120, batch_size=50, generation={"num_beams": 2})
    sizes = []
    original = summarizer.engine.generate
    monkeypatch.setattr(
        summarizer.engine,
        "generate",
        lambda batch, cap: sizes.append(len(batch) * max(map(len, batch))) or original(batch, cap),
    )
    summarizer.summarize([CORPUS[i % len(CORPUS)] for i in range(12)])
    assert len(sizes) > 1 and all(size * 2 <= 120 for size in sizes)


def test_records_name_the_backend_and_compute_type(tiny_bart, runtime_cpu):
    record = make(tiny_bart, runtime_cpu).summarize([CORPUS[0]])[0]
    assert (record["backend"], record["compute_type"]) == ("transformers", "float32")


def test_compute_type_with_the_transformers_backend_is_a_config_error(tiny_bart, runtime_cpu):
    with pytest.raises(ConfigError, match="compute_type: 'int8' is a ctranslate2 setting.*runtime.dtype"):
        make(tiny_bart, runtime_cpu, compute_type="int8")


def test_auto_takes_ctranslate2_when_installed_and_says_so(tiny_bart, runtime_cpu, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="nlp.tasks.summarize")
    summarizer = make(tiny_bart, runtime_cpu, backend="auto", convert_dir=str(tmp_path))
    assert summarizer.engine.name == "ctranslate2" and summarizer.engine.compute_type == "int8"
    assert "backend ctranslate2 (auto" in caplog.text


def test_auto_falls_back_to_transformers_and_says_why(tiny_bart, runtime_cpu, tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="nlp.tasks.summarize")
    summarizer = make(tiny_bart, runtime_cpu, backend="auto", generation={"early_stopping": False})
    assert summarizer.engine.name == "transformers"
    assert "backend transformers (auto: summarizer.generation.early_stopping" in caplog.text
    monkeypatch.setattr(conversion, "installed", lambda: False)
    assert make(tiny_bart, runtime_cpu, backend="auto").engine.name == "transformers"
    assert "ctranslate2 is not installed" in caplog.text


def test_an_explicit_compute_type_that_auto_cannot_honour_is_a_config_error(tiny_bart, runtime_cpu, monkeypatch):
    monkeypatch.setattr(conversion, "installed", lambda: False)
    with pytest.raises(
        ConfigError, match=r"summarizer.compute_type: int8 cannot be honoured: ctranslate2 is not installed"
    ):
        make(tiny_bart, runtime_cpu, backend="auto", compute_type="int8")
