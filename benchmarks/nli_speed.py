"""Zero-shot topic + stance (NLI): the toolkit against the `zero-shot-classification` pipeline.

Same process, same random-weight `typeform/distilbert-base-uncased-mnli`-shaped model
(benchmarks/shapes.py), same documents (data/news), same (premise, hypothesis) pairs: each
document's pairs are read off the toolkit's own calls (topic: each premise chunk against the three
topic hypotheses; stance: each sentence naming North Korea against the two stance hypotheses) and
fed to the pipeline one document at a time (`multi_label=True`, `hypothesis_template="{}"`), as a
user would. Arms, interleaved:

- `pipeline`: `transformers.pipeline("zero-shot-classification")`, per document (the baseline);
- `nlp float32`: topic.classify + stance.score on all documents (token-sorted pairs, padded-token budget);
- `nlp int8 torch`: the same with the model dynamically quantized by torch (`topic.int8` /
  `stance.int8` without `.[fast]`);
- `nlp int8 ctranslate2`: `topic.int8` / `stance.int8` with `.[fast]`: the encoder converted to
  int8 and run by CTranslate2, the model's own classification head in torch.

Correctness: the largest |P(entailment)| difference from the pipeline over all pairs, and for int8
the primary topic and stance score against `nlp float32` (random weights: the int8 agreement that
decides defaults is measured on trained weights by `benchmarks/int8_agreement.py`).

    python benchmarks/nli_speed.py [--documents 48] [--repetitions 3] [--workdir /tmp/peninsula-bench]
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
from pathlib import Path
from unittest.mock import patch

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arms import interleaved, table  # noqa: E402
from shapes import distilbert_mnli, news_texts  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=48)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/peninsula-bench")
    return parser.parse_args()


def pairs_per_document(topic, stance, documents) -> list[list[tuple[list[str], list[str]]]]:
    """For each document, the (premises, hypotheses) of each scorer call the toolkit makes for it."""
    calls: list[tuple[list[str], list[str]]] = []
    scorers = {id(topic.scorer): topic.scorer, id(stance.backend.scorer): stance.backend.scorer}
    originals = {key: scorer.logits for key, scorer in scorers.items()}

    def spy(original):
        def logits(texts, pairs=None):
            calls.append((list(texts), list(pairs or [])))
            return original(texts, pairs)

        return logits

    for key, scorer in scorers.items():
        scorer.logits = spy(originals[key])
    out = []
    for document in documents:
        calls.clear()
        topic.classify([document])
        stance.score([document])
        out.append([call for call in calls if call[0]])
    for key, scorer in scorers.items():
        scorer.logits = originals[key]
    return out


def pipeline_arm(pipe, per_document):
    """The pipeline over each document's pairs; returns P(entailment) per pair, in pair order."""

    def run() -> list[float]:
        scores = []
        for calls in per_document:
            for premises, hypotheses in calls:
                labels = list(dict.fromkeys(hypotheses))
                unique = list(dict.fromkeys(premises))
                results = pipe(unique, candidate_labels=labels, hypothesis_template="{}", multi_label=True)
                by_premise = {r["sequence"]: dict(zip(r["labels"], r["scores"])) for r in results}
                scores += [by_premise[p][h] for p, h in zip(premises, hypotheses)]
        return scores

    return run


def main() -> None:
    args = parse()
    logging.basicConfig(level=logging.WARNING)
    import torch
    import transformers

    from nlp.document import prepare
    from nlp.models import conversion
    from nlp.models.scorer import SequenceScorer, entailment
    from nlp.runtime import resolve_runtime
    from nlp.schema import ModelConfig, RuntimeConfig, StanceConfig, TopicConfig
    from nlp.tasks.stance import build_stance_scorer
    from nlp.tasks.topic import build_topic_classifier

    transformers.logging.set_verbosity_error()
    os.environ.setdefault("PENINSULA_NLP_CACHE", str(Path(args.workdir) / "cache"))  # the int8 conversion
    folder = distilbert_mnli(Path(args.workdir) / "distilbert-mnli")
    runtime = resolve_runtime(RuntimeConfig(device="cpu", dtype="float32"))
    topic = build_topic_classifier(TopicConfig(model=str(folder), backend="nli"), runtime)
    stance = build_stance_scorer(StanceConfig(model=str(folder), backend="nli"), runtime)
    texts = [t for t in news_texts() if "North Korea" in t][: args.documents]
    documents = [prepare(text) for text in texts]
    per_document = pairs_per_document(topic, stance, documents)
    flat = [(p, h) for calls in per_document for premises, hyps in calls for p, h in zip(premises, hyps)]
    scorer = topic.scorer
    int8 = {}
    for engine in ("torch", "ctranslate2"):
        with patch.object(
            conversion, "installed", lambda e=engine: e == "ctranslate2" and importlib.util.find_spec("ctranslate2")
        ):
            int8[engine] = SequenceScorer(
                scorer.tokenizer,
                scorer.model,
                runtime,
                scorer.batch_size,
                int8=True,
                source=ModelConfig(model=str(folder)),
            )
        if int8[engine].engine != engine:  # ctranslate2 not installed
            del int8[engine]

    def ours(use):
        def run():
            topic.scorer = stance.backend.scorer = use
            return topic.classify(documents), stance.score(documents)

        return run

    pipe = transformers.pipeline("zero-shot-classification", model=scorer.model, tokenizer=scorer.tokenizer, device=-1)
    arms = {"pipeline": pipeline_arm(pipe, per_document), "nlp float32": ours(scorer)}
    arms |= {f"nlp int8 {engine}": ours(use) for engine, use in int8.items()}
    tokens = sum(len(ids) for ids in scorer.tokenizer([p for p, _ in flat], [h for _, h in flat])["input_ids"])
    print(
        f"distilbert-mnli-shaped model (random weights), {len(documents)} documents, {len(flat)} pairs, "
        f"{tokens} pair tokens, cpu float32, torch threads {torch.get_num_threads()}",
        flush=True,
    )
    for arm in arms.values():
        arm()
    results = interleaved(arms, args.repetitions)
    reference = np.array(results["pipeline"]["last"])
    premises, hypotheses = [p for p, _ in flat], [h for _, h in flat]
    correctness = {}
    for name, use in (("nlp float32", scorer), *((f"nlp int8 {e}", u) for e, u in int8.items())):
        diff = np.abs(entailment(use, premises, hypotheses, str(folder)) - reference).max()
        correctness[name] = f"max P(entail) diff vs pipeline {diff:.4f}"
    topics32, stances32 = results["nlp float32"]["last"]
    for engine in int8:
        topics8, stances8 = results[f"nlp int8 {engine}"]["last"]
        same = sum(a["label"] == b["label"] for a, b in zip(topics32, topics8))
        scored = [(a["score"], b["score"]) for a, b in zip(stances32, stances8) if a["score"] is not None]
        worst = max((abs(a - b) for a, b in scored), default=0.0)
        correctness[f"nlp int8 {engine}"] += (
            f"; primary topic = float32 {same}/{len(topics32)}, stance max diff {worst:.4f}"
        )
    print()
    print(table(results, "pipeline", len(documents), "documents", {"correctness": correctness}))


if __name__ == "__main__":
    main()
