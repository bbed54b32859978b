"""Stance toward a target (default: North Korea): score in [-1, 1], label, confidence, evidence.

A text that never mentions the target (or an alias) gets `score: null` and `label:
"not_about_target"`, without running a model. Otherwise a backend gives a document score and a
score per sentence; the evidence is the few sentences that push hardest in the document's
direction (for a neutral text: the most neutral ones), with their offsets in the original text.
"""

from __future__ import annotations

import numpy as np

from nlp.document import Document, as_documents
from nlp.errors import ConfigError, ModelError
from nlp.labels import side_confidence, softmax, stance_label, stance_value
from nlp.models.embedded import EmbeddedHeads, head_inputs, is_heads_dir, lexical_text
from nlp.models.encoder import document_vectors
from nlp.models.load import load_classifier
from nlp.models.quantize import check_int8_setting
from nlp.models.scorer import SequenceScorer, entailment
from nlp.runtime import Runtime
from nlp.schema import StanceConfig
from nlp.sentences import Sentence
from nlp.targets import TargetMatcher
from nlp.voice import OWN, dprk_register, sentence_voices

# (document score, confidence, one score per sentence; NaN where a sentence was not scored)
Prediction = tuple[float, float, np.ndarray]
_NLI_MAX_SENTENCES = 64


def build_stance_scorer(config: StanceConfig, runtime: Runtime) -> StanceScorer:
    check_int8_setting(config, runtime, "stance")  # before any model loads
    if is_heads_dir(config.model):
        if config.backend not in ("auto", "embedded"):
            raise ConfigError(
                f"stance.backend: {config.backend!r} needs a model; stance.model {config.model!r} is embedded heads"
            )
        return StanceScorer(config, EmbeddedStance(EmbeddedHeads.shared(runtime, config.model), config))
    if config.backend == "embedded":
        raise ConfigError("stance.backend: 'embedded' needs stance.model: embedded (or a folder of trained heads)")
    tokenizer, model = load_classifier(config, runtime, key="stance.model")
    scorer = SequenceScorer(tokenizer, model, runtime, config.batch_size, config.int8, "stance.int8", source=config)
    is_nli = any(label.lower().startswith("entail") for label in scorer.labels)
    if config.backend == "nli" or (config.backend == "auto" and is_nli):
        return StanceScorer(config, NliStance(scorer, config))
    return StanceScorer(config, ClassifierStance(scorer, config))


class StanceScorer:
    """Target detection, abstention, labels and evidence around a backend's predictions."""

    def __init__(self, config: StanceConfig, backend: EmbeddedStance | NliStance | ClassifierStance):
        self.config, self.backend = config, backend
        self.matcher = TargetMatcher(config.names)

    def score(self, texts: list[str | Document]) -> list[dict]:
        docs = as_documents(texts)
        sentences = [list(doc.sentences) for doc in docs]
        mentions = [[self.matcher.mentioned_in(s.text) for s in group] for group in sentences]
        about = [i for i, doc in enumerate(docs) if any(mentions[i])]
        predictions = self.backend.predict(
            [docs[i] for i in about], [sentences[i] for i in about], [mentions[i] for i in about]
        )
        records = [self._abstain() for _ in texts]
        for i, (score, confidence, per_sentence) in zip(about, predictions):
            label, confidence = self.label(score), round(float(np.clip(confidence, 0.0, 1.0)), 4)
            voices = sentence_voices([s.text for s in sentences[i]])
            records[i] = {
                "target": self.config.target,
                "score": round(score, 4),
                "label": label if confidence >= self.config.min_confidence else "uncertain",
                "confidence": confidence,
                "evidence": pick_evidence(
                    sentences[i],
                    per_sentence,
                    mentions[i],
                    voices,
                    label,
                    self.config.evidence,
                    state_voice=dprk_register(docs[i].body) >= 1.0,
                ),
                "mentions": sum(mentions[i]),
            }
        return records

    def label(self, score: float) -> str:
        return stance_label(score, self.config.cut_points)

    def _abstain(self) -> dict:
        return {
            "target": self.config.target,
            "score": None,
            "label": "not_about_target",
            "confidence": 1.0,
            "evidence": [],
            "mentions": 0,
        }


def pick_evidence(
    sentences: list[Sentence],
    scores: np.ndarray,
    mentions: list[bool],
    voices: list[str],
    label: str,
    k: int,
    state_voice: bool = False,
) -> list[dict]:
    """The k sentences that most support `label`, each with its voice (`own` or `quoted`).

    Sentences naming the target count double, and so do the text's own words against reported speech:
    quoting is not endorsing - except in a text written in the DPRK's voice, whose quotations of its
    leaders are that voice too (`state_voice`)."""
    scored = [i for i in range(len(sentences)) if not np.isnan(scores[i])]
    if label == "supportive":
        strength = {i: scores[i] for i in scored if scores[i] > 0}
    elif label == "critical":
        strength = {i: -scores[i] for i in scored if scores[i] < 0}
    else:
        strength = {i: 1.0 - abs(scores[i]) for i in scored}

    def weight(i: int) -> float:
        return (1.0 if mentions[i] else 0.5) * (1.0 if voices[i] == OWN or state_voice else 0.5)

    ranked = sorted(strength, key=lambda i: -strength[i] * weight(i))[:k]
    return [
        {
            "text": sentences[i].text,
            "start": sentences[i].start,
            "end": sentences[i].end,
            "score": round(float(scores[i]), 4),
            "voice": voices[i],
        }
        for i in ranked
    ]


def score_confidence(score: float, cut_points: tuple[float, float]) -> float:
    """For backends with no distribution: how far the score sits inside its label's range."""
    return 1.0 - abs(score) if stance_label(score, cut_points) == "neutral" else abs(score)


class EmbeddedStance:
    """A 5-way head (-1, -0.5, 0, 0.5, 1) over the document vector of the title and sentences; the score is
    the expected value. Each sentence is scored by the same head for the evidence."""

    def __init__(self, heads: EmbeddedHeads, config: StanceConfig):
        self.heads, self.config = heads, config

    def predict(
        self, docs: list[Document], sentences: list[list[Sentence]], mentions: list[list[bool]]
    ) -> list[Prediction]:
        encoder, inputs = self.heads.encoder("stance"), [head_inputs(d) for d in docs]
        documents = self.heads.stance_probabilities(
            document_vectors(encoder, inputs), [lexical_text(group) for group in inputs]
        )
        flat = [s.text for group in sentences for s in group]
        vectors = encoder.encode(flat)  # memoised: no second pass
        counts = [len(group) for group in sentences]
        per_sentence = self.heads.stance_probabilities(vectors, flat) @ self.heads.stance_values
        out, start = [], 0
        for probabilities, count in zip(documents, counts):
            score = float(probabilities @ self.heads.stance_values)
            confidence = side_confidence(probabilities, self.heads.stance_values, score, self.config.cut_points)
            out.append((score, confidence, per_sentence[start : start + count]))
            start += count
        return out


class ClassifierStance:
    """A fine-tuned classifier (labels named critical/neutral/supportive or numbers) or a 1-output regressor."""

    def __init__(self, scorer: SequenceScorer, config: StanceConfig):
        self.scorer, self.config = scorer, config
        self.regression = len(scorer.labels) == 1
        self.values = None if self.regression else np.array([label_value(name, config.model) for name in scorer.labels])

    def predict(
        self, docs: list[Document], sentences: list[list[Sentence]], mentions: list[list[bool]]
    ) -> list[Prediction]:
        chunks = [self.scorer.chunks(doc.titled_body) for doc in docs]
        flat_sentences = [s.text for group in sentences for s in group]
        logits = self.scorer.logits([c for group in chunks for c in group] + flat_sentences)
        n_chunks = sum(len(group) for group in chunks)
        chunk_scores, sentence_scores = self._scores(logits[:n_chunks]), self._scores(logits[n_chunks:])
        out, chunk_start, sentence_start = [], 0, 0
        for group, sentence_group in zip(chunks, sentences):
            weights = np.array([len(c) for c in group], dtype=np.float64)
            rows = chunk_scores[chunk_start : chunk_start + len(group)]
            mean = (rows * weights[:, None]).sum(axis=0) / weights.sum()
            score = float(np.clip(mean[0], -1, 1)) if self.regression else float(mean @ self.values)
            confidence = (
                score_confidence(score, self.config.cut_points)
                if self.regression
                else side_confidence(mean, self.values, score, self.config.cut_points)
            )
            sentence_rows = sentence_scores[sentence_start : sentence_start + len(sentence_group)]
            per_sentence = sentence_rows[:, 0] if self.regression else sentence_rows @ self.values
            out.append((score, confidence, np.clip(per_sentence, -1, 1)))
            chunk_start += len(group)
            sentence_start += len(sentence_group)
        return out

    def _scores(self, logits: np.ndarray) -> np.ndarray:
        """Raw outputs for a regressor, probabilities otherwise."""
        return logits if self.regression else softmax(logits)


def label_value(label: str, model: str) -> float:
    value = stance_value(label)
    if value is not None:
        return value
    raise ModelError(
        f"stance.model {model!r}: cannot read a stance value from its label {label!r}; name labels "
        f"critical/neutral/supportive or numbers in [-1, 1], or give a 1-output regressor"
    )


class NliStance:
    """Zero-shot: the sentences naming the target against a supportive and a critical hypothesis."""

    def __init__(self, scorer: SequenceScorer, config: StanceConfig):
        self.scorer, self.config = scorer, config
        self.hypotheses = [config.hypotheses[key].format(target=config.target) for key in ("supportive", "critical")]

    def predict(
        self, docs: list[Document], sentences: list[list[Sentence]], mentions: list[list[bool]]
    ) -> list[Prediction]:
        picked = [[i for i, named in enumerate(flags) if named][:_NLI_MAX_SENTENCES] for flags in mentions]
        premises = [group[i].text for group, indices in zip(sentences, picked) for i in indices for _ in (0, 1)]
        hypotheses = self.hypotheses * (len(premises) // 2)
        probabilities = entailment(self.scorer, premises, hypotheses, self.config.model).reshape(-1, 2)
        sentence_scores = probabilities[:, 0] - probabilities[:, 1]
        out, start = [], 0
        for group, indices in zip(sentences, picked):
            per_sentence = np.full(len(group), np.nan)
            per_sentence[indices] = sentence_scores[start : start + len(indices)]
            start += len(indices)
            score = float(np.nanmean(per_sentence)) if indices else 0.0
            out.append((score, score_confidence(score, self.config.cut_points), per_sentence))
        return out
