"""Topic classification: embedded heads, zero-shot NLI, or a fine-tuned sequence classifier.

Each classifier takes `list[str]` and returns, per text, `{"label", "labels", "scores"}`: a score
in [0, 1] for every configured label, the labels at or above `topic.threshold` (best first), and
the primary label (the best score).
"""

from __future__ import annotations

import numpy as np

from nlp.document import Document, as_documents
from nlp.errors import ConfigError
from nlp.labels import sigmoid, softmax
from nlp.models.embedded import EmbeddedHeads, head_inputs, is_heads_dir, lexical_text
from nlp.models.encoder import document_vectors
from nlp.models.load import load_classifier
from nlp.models.quantize import check_int8_setting
from nlp.models.scorer import SequenceScorer, entailment, label_index
from nlp.runtime import Runtime
from nlp.schema import TopicConfig


def build_topic_classifier(config: TopicConfig, runtime: Runtime) -> EmbeddedTopic | NliTopic | ClassifierTopic:
    check_int8_setting(config, runtime, "topic")  # before any model loads
    if config.backend == "embedded" and not is_heads_dir(config.model):
        raise ConfigError("topic.backend: 'embedded' needs topic.model: embedded (or a folder of trained heads)")
    if is_heads_dir(config.model):
        if config.backend not in ("auto", "embedded"):
            raise ConfigError(
                f"topic.backend: {config.backend!r} needs a model; topic.model {config.model!r} is embedded heads"
            )
        return EmbeddedTopic(EmbeddedHeads.shared(runtime, config.model), config)
    tokenizer, model = load_classifier(config, runtime, key="topic.model")
    scorer = SequenceScorer(tokenizer, model, runtime, config.batch_size, config.int8, "topic.int8", source=config)
    is_nli = any(label.lower().startswith("entail") for label in scorer.labels)
    backend = config.backend if config.backend != "auto" else ("nli" if is_nli else "classifier")
    if backend == "nli":
        label_index(scorer.labels, "entail", config.model)
        return NliTopic(scorer, config)
    return ClassifierTopic(scorer, config, multi_label=model.config.problem_type == "multi_label_classification")


def topic_record(
    labels: list[str],
    scores: np.ndarray,
    config: TopicConfig,
    primary: np.ndarray | None = None,
    independent: bool = True,
) -> dict:
    """The output record's `topic` part from per-label `scores` and a distribution over the primary
    topic (`primary`; by default the scores normalised to sum to 1).

    Scores are rounded to 4 decimals first, so `labels` agrees with the scores a user sees. `label` is
    the most probable primary topic, `confidence` its probability; below `topic.min_confidence` the label
    is `uncertain`. With `independent` scores (one sigmoid or entailment test per label), a text with no
    label at `topic.threshold` is off-topic: `label` None, `labels` []; scores that compete (a softmax)
    always name their best label."""
    rounded = {label: round(float(score), 4) for label, score in zip(labels, scores.tolist())}
    above = sorted((label for label in rounded if rounded[label] >= config.threshold), key=lambda lb: -rounded[lb])
    primary = scores / max(float(scores.sum()), 1e-12) if primary is None else primary
    best, confidence = labels[int(np.argmax(primary))], round(float(np.max(primary)), 4)
    if not above and independent:
        return {"label": None, "labels": [], "scores": rounded, "confidence": confidence}
    label = best if confidence >= config.min_confidence else "uncertain"
    chosen = [best, *(lb for lb in above if lb != best)] if best in above or independent else above
    return {"label": label, "labels": chosen, "scores": rounded, "confidence": confidence}


def check_label_set(config: TopicConfig, known: list[str], where: str) -> None:
    if set(config.labels) != set(known):
        raise ConfigError(
            f"topic.labels: {where} knows the labels {known}, the config has {list(config.labels)}; "
            "make topic.labels match them, or use an NLI model for a label set of your own"
        )


class EmbeddedTopic:
    """Heads over the document vector of the title and sentences: a sigmoid per label, a softmax primary."""

    def __init__(self, heads: EmbeddedHeads, config: TopicConfig):
        check_label_set(config, heads.topic_labels, "the embedded head")
        self.heads, self.config = heads, config

    def classify(self, texts: list[str | Document]) -> list[dict]:
        inputs = [head_inputs(doc) for doc in as_documents(texts)]
        documents, words = document_vectors(self.heads.encoder("topic"), inputs), [lexical_text(i) for i in inputs]
        scores = self.heads.topic_probabilities(documents, words)
        primary = self.heads.primary_probabilities(documents, words)
        return [topic_record(self.heads.topic_labels, s, self.config, p) for s, p in zip(scores, primary)]


class NliTopic:
    """Zero-shot: each label's hypothesis against each premise chunk, all pairs in one batched pass."""

    def __init__(self, scorer: SequenceScorer, config: TopicConfig):
        self.scorer, self.config = scorer, config
        self.labels, self.hypotheses = list(config.labels), list(config.labels.values())

    def classify(self, texts: list[str | Document]) -> list[dict]:
        chunks = [self.scorer.chunks(doc.titled_body, self.hypotheses) for doc in as_documents(texts)]
        premises = [chunk for group in chunks for chunk in group for _ in self.hypotheses]
        hypotheses = [h for group in chunks for _ in group for h in self.hypotheses]
        if self.config.multi_label:
            per_pair = entailment(self.scorer, premises, hypotheses, self.config.model)
        else:
            entail = label_index(self.scorer.labels, "entail", self.config.model)
            logits = self.scorer.logits(premises, hypotheses)[:, entail]
            per_pair = softmax(logits.reshape(-1, len(self.labels))).reshape(-1)
        per_chunk = per_pair.reshape(-1, len(self.labels))
        return [
            topic_record(self.labels, scores, self.config, independent=self.config.multi_label)
            for scores in weighted_means(per_chunk, chunks)
        ]


class ClassifierTopic:
    """A fine-tuned sequence classifier (softmax, or sigmoid when trained multi-label)."""

    def __init__(self, scorer: SequenceScorer, config: TopicConfig, multi_label: bool):
        check_label_set(config, scorer.labels, f"the classifier {config.model!r}")
        self.scorer, self.config, self.multi_label = scorer, config, multi_label

    def classify(self, texts: list[str | Document]) -> list[dict]:
        chunks = [self.scorer.chunks(doc.titled_body) for doc in as_documents(texts)]
        logits = self.scorer.logits([chunk for group in chunks for chunk in group])
        probabilities = sigmoid(logits) if self.multi_label else softmax(logits)
        return [
            topic_record(self.scorer.labels, scores, self.config, independent=self.multi_label)
            for scores in weighted_means(probabilities, chunks)
        ]


def weighted_means(rows: np.ndarray, chunks: list[list[str]]) -> list[np.ndarray]:
    """Per text, the mean of its chunks' rows weighted by chunk length (a long text is not cut)."""
    out, start = [], 0
    for group in chunks:
        weights = np.array([max(1, len(chunk)) for chunk in group], dtype=np.float64)
        out.append((rows[start : start + len(group)] * weights[:, None]).sum(axis=0) / weights.sum())
        start += len(group)
    return out
