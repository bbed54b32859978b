"""int8 NLI and classifier models (`topic.int8`, `stance.int8`): CTranslate2's encoder with the
model's own head where it converts the architecture, torch dynamic quantization elsewhere, and the
agreement with float32 the README documents for the fixtures."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import torch

from helpers import CORPUS, NLP, REPO, save_bert_classifier
from nlp.errors import ConfigError
from nlp.models import conversion
from nlp.models.load import load_classifier
from nlp.models.quantize import CTranslate2Classifier
from nlp.models.scorer import SequenceScorer, entailment
from nlp.schema import ModelConfig, StanceConfig, TopicConfig
from nlp.tasks import stance as stance_module
from nlp.tasks import topic as topic_module
from nlp.tasks.stance import build_stance_scorer
from nlp.tasks.topic import build_topic_classifier

pytest.importorskip("ctranslate2")

NLI_LABELS = ["contradiction", "neutral", "entailment"]
# The agreement of int8 with float32 documented for these random-weight fixtures (README
# "Performance"): entailment probabilities and topic scores within 0.12 (measured: CTranslate2 0.04
# BERT, 0.09 DistilBERT, 0.09 RoBERTa, 0.11 XLM-RoBERTa; torch 0.01-0.03), stance scores within 0.1. On the trained MiniLM, CTranslate2's int8 is the closer of the two
# (benchmarks/int8_agreement.py).
PROBABILITY_TOLERANCE = 0.12
STANCE_TOLERANCE = 0.1
HYPOTHESES = ["This text is about sanctions.", "This text is about diplomacy.", "This text is about security."]


@pytest.fixture(autouse=True)
def conversion_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PENINSULA_NLP_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "ctranslate2"


@pytest.fixture(scope="module", params=["bert", "distilbert", "roberta", "xlm-roberta"])
def varied_nli(request, tmp_path_factory):
    """One layer of width 16 with widely spread weights: outputs differ a lot from text to text."""
    return save_bert_classifier(
        tmp_path_factory.mktemp(f"varied-{request.param}"), NLI_LABELS, architecture=request.param
    )


@pytest.fixture(scope="module", params=["bert", "distilbert", "roberta", "xlm-roberta"])
def small_nli(request, tmp_path_factory):
    """Two layers of width 64, weights spread less: outputs vary, and int8 can follow them."""
    folder = tmp_path_factory.mktemp(f"small-{request.param}")
    return save_bert_classifier(folder, NLI_LABELS, architecture=request.param, hidden=64, layers=2, init=0.15)


def pairs() -> tuple[list[str], list[str]]:
    premises = [text for text in CORPUS for _ in HYPOTHESES]
    return premises, HYPOTHESES * len(CORPUS)


def test_ctranslate2_encoder_with_the_model_head_gives_the_model_logits(varied_nli, runtime_cpu):
    # float32 conversion: any difference is in the wiring (pooler, head, token types), not rounding
    tokenizer, model = load_classifier(ModelConfig(model=str(varied_nli)), runtime_cpu, "topic.model")
    premises, hypotheses = pairs()
    reference = SequenceScorer(tokenizer, model, runtime_cpu, 16).logits(premises, hypotheses)
    ct2 = CTranslate2Classifier(model, ModelConfig(model=str(varied_nli)), "topic.model", compute_type="float32")
    encoded = tokenizer(premises, hypotheses, truncation=True, max_length=64)
    ours = ct2.logits(encoded)
    assert np.ptp(reference, axis=0).min() > 0.5  # the texts give different outputs
    np.testing.assert_allclose(ours, reference, atol=1e-4)


@pytest.mark.parametrize("engine", ["ctranslate2", "torch"])
def test_int8_agrees_with_float32_within_the_documented_tolerance(engine, small_nli, runtime_cpu, monkeypatch):
    if engine == "torch":
        monkeypatch.setattr(conversion, "installed", lambda: False)
    tokenizer, model = load_classifier(ModelConfig(model=str(small_nli)), runtime_cpu, "topic.model")
    premises, hypotheses = pairs()
    float32 = SequenceScorer(tokenizer, model, runtime_cpu, 16)
    int8 = SequenceScorer(tokenizer, model, runtime_cpu, 16, int8=True, source=ModelConfig(model=str(small_nli)))
    assert int8.engine == engine and float32.engine is None
    reference = entailment(float32, premises, hypotheses, str(small_nli))
    quantized = entailment(int8, premises, hypotheses, str(small_nli))
    assert np.ptp(reference) > 0.15  # the fixture's probabilities vary enough to be a test
    assert np.abs(quantized - reference).max() <= PROBABILITY_TOLERANCE
    assert not np.allclose(quantized, reference, atol=1e-6)  # it did run in int8
    assert next(model.parameters()).dtype == torch.float32  # the shared float32 model is untouched


def test_topic_and_stance_int8_agree_with_float32_and_say_how_they_ran(small_nli, runtime_cpu, conversion_cache):
    labels = dict(zip(["sanctions", "diplomacy", "security"], HYPOTHESES))
    outputs = {}
    for int8 in (False, True):
        topic = build_topic_classifier(TopicConfig(model=str(small_nli), labels=labels, int8=int8), runtime_cpu)
        stance = build_stance_scorer(StanceConfig(model=str(small_nli), int8=int8), runtime_cpu)
        outputs[int8] = topic.classify(CORPUS), stance.score(CORPUS), topic, stance
    (topics32, stances32, *_), (topics8, stances8, topic, stance) = outputs[False], outputs[True]
    for a, b in zip(topics32, topics8):  # (the fixture's topics are too close to call: primary-topic
        # agreement is measured on trained weights, benchmarks/int8_agreement.py)
        assert max(abs(a["scores"][k] - b["scores"][k]) for k in labels) <= PROBABILITY_TOLERANCE
    scored = [(a["score"], b["score"]) for a, b in zip(stances32, stances8) if a["score"] is not None]
    assert scored and max(abs(a - b) for a, b in scored) <= STANCE_TOLERANCE
    assert topic.scorer.engine == stance.backend.scorer.engine == "ctranslate2"
    assert len([p for p in conversion_cache.iterdir() if not p.name.startswith(".")]) == 1  # one conversion


def test_second_build_reuses_the_conversion(small_nli, runtime_cpu, monkeypatch):
    config = TopicConfig(model=str(small_nli), int8=True)
    build_topic_classifier(config, runtime_cpu)
    monkeypatch.setattr(conversion, "_converter", lambda *a: pytest.fail("converted again"))
    assert build_topic_classifier(config, runtime_cpu).scorer.engine == "ctranslate2"


def test_an_architecture_ctranslate2_has_no_head_for_runs_in_torch_int8(tmp_path, runtime_cpu):
    albert = save_bert_classifier(tmp_path / "albert", NLI_LABELS, architecture="albert")
    stance = build_stance_scorer(StanceConfig(model=str(albert), int8=True), runtime_cpu)
    assert stance.backend.scorer.engine == "torch"
    assert stance.score(CORPUS[:2])[0]["target"] == "North Korea"


@pytest.mark.parametrize("task", ["topic", "stance"])
def test_int8_on_the_embedded_heads_is_a_config_error_before_anything_loads(task, runtime_cpu, monkeypatch):
    module = topic_module if task == "topic" else stance_module
    monkeypatch.setattr(module.EmbeddedHeads, "shared", lambda *a: pytest.fail("loaded the heads"))
    build, config = (build_topic_classifier, TopicConfig) if task == "topic" else (build_stance_scorer, StanceConfig)
    with pytest.raises(ConfigError, match=rf"{task}.int8: the embedded heads run in float32.*Set {task}.int8=false"):
        build(config(int8=True), runtime_cpu)


@pytest.mark.parametrize("task", ["topic", "stance"])
def test_int8_outside_a_float32_cpu_runtime_is_a_config_error_before_the_model_loads(task, small_nli, monkeypatch):
    from nlp.runtime import resolve_runtime
    from nlp.schema import RuntimeConfig

    module = topic_module if task == "topic" else stance_module
    monkeypatch.setattr(module, "load_classifier", lambda *a, **k: pytest.fail("loaded the model"))
    runtime = resolve_runtime(RuntimeConfig(device="cpu", dtype="bfloat16"))
    build, config = (build_topic_classifier, TopicConfig) if task == "topic" else (build_stance_scorer, StanceConfig)
    with pytest.raises(ConfigError, match=rf"{task}.int8: int8 quantizes a float32 model"):
        build(config(model=str(small_nli), int8=True), runtime)


def test_infer_with_int8_records_it_in_each_part(small_nli, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": str(i), "text": text}) + "\n" for i, text in enumerate(CORPUS[:3])))
    output = tmp_path / "out.jsonl"
    command = [
        *NLP,
        "infer",
        "--input",
        str(source),
        "--output",
        str(output),
        "summarizer.enabled=false",
        f"topic.model={small_nli}",
        f"stance.model={small_nli}",
        "topic.int8=true",
        "stance.int8=true",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(records) == 3
    for record in records:
        for part in ("topic", "stance"):
            provenance = record[part]["provenance"]
            assert (provenance["compute_type"], provenance["int8_engine"]) == ("int8", "ctranslate2")
