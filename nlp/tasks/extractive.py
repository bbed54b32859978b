"""Extractive summaries with the embedded encoder: the lede, then the sentences that best add to it.

Takes `list[str | Document]` and returns one `dict` per text with the keys of the output record's `summary` part
(README, "Output record"), `method: "extractive"`, plus `sentences` ([start, end] offsets into `Document.text`).
The headline is the title, never a summary sentence (`Document`). `lead_words` and `oracle_summary` are the
baselines the summary is measured against at equal length (`nlp evaluate`, benchmarks/extractive_rouge.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from nlp.document import Document, as_documents
from nlp.models.encoder import Encoder
from nlp.sentences import Sentence, is_closed

# A sentence opening with one of these leans on the sentence before it ("It said ...", "But ...").
DEPENDENT_OPENERS = frozenset(
    """it its he she they them his her their hers theirs this that these those such but however also and or
nor yet still thus hence therefore then meanwhile moreover furthermore besides instead nevertheless
nonetheless otherwise likewise similarly indeed afterwards accordingly consequently another""".split()
)
_DEPENDENT_PHRASES = re.compile(
    r"^(?:in addition|as a result|in response|by contrast|in contrast|on the other hand|even so|at the same time"
    r"|the (?:move|statement|remarks|comments|announcement|decision|report|launch|test|incident|latest|same|other)\b"
    r"|the two (?:sides|leaders|countries|men))",
    re.I,
)
# "This year's drills", "That same day": a determiner of time, not a pronoun.
_INDEPENDENT_PHRASES = re.compile(
    r"^(?:this|that|these|those) (?:year|week|month|morning|afternoon|evening|same)\b", re.I
)
_OPENING_WORD = re.compile(r"^[\W_]*([A-Za-z]+)")
_MIN_SENTENCE_WORDS = 6


@dataclass(frozen=True)
class Selection:
    """How sentences are scored: `position` weight of the lead prior 1 / (1 + i / `decay`), `centrality`
    weight of the cosine to the article centroid, `title` weight of the cosine to the title;
    `redundancy` penalty on the cosine to what is already picked, and `duplicate` the cosine above
    which a sentence repeats a picked one and is never added; `keep_lede` picks the first sentence
    first. Chosen on data/summaries/train.jsonl (README, "Summarization")."""

    position: float = 0.5
    decay: float = 3.0
    centrality: float = 1.0
    title: float = 1.0
    redundancy: float = 0.0
    duplicate: float = 0.85
    keep_lede: bool = True


class ExtractiveSummarizer:
    """The lede, then the best-scoring sentences under `max_sentences` and `max_words`, in article order.

    A sentence that opens with a pronoun or connective ("It", "He", "This", "But", "However") is picked
    only together with the sentence before it. A sentence too short or without closing punctuation
    (a dateline, a stray label) is not a candidate unless nothing else is.
    """

    method = "extractive"

    def __init__(
        self, encoder: Encoder, max_sentences: int = 3, max_words: int | None = 60, selection: Selection = Selection()
    ):
        self.encoder = encoder
        self.max_sentences = max_sentences
        self.max_words = max_words
        self.selection = selection

    def summarize(self, texts: list[str | Document]) -> list[dict]:
        docs = as_documents(texts)
        titles = [doc.title for doc in docs if doc.title]
        vectors = self.encoder.encode([s.text for doc in docs for s in doc.sentences] + titles)
        title_vectors = iter(vectors[len(vectors) - len(titles) :])
        counts = [
            len(ids) for ids in self.encoder.tokenizer([d.body for d in docs], add_special_tokens=False)["input_ids"]
        ]
        records, offset = [], 0
        for doc, n in zip(docs, counts):
            own = vectors[offset : offset + len(doc.sentences)]
            offset += len(doc.sentences)
            title = next(title_vectors) if doc.title else None
            chosen = select_sentences(
                list(doc.sentences), own, title, self.max_sentences, self.max_words, self.selection
            )
            picked = [fit_words(doc.sentences[i], self.max_words) for i in chosen]
            records.append(
                {
                    "text": join_sentences([s.text for s in picked]),
                    "method": self.method,
                    "input_tokens": n,
                    "chunks": 1,
                    "truncated": False,
                    "sentences": [[s.start, s.end] for s in picked],
                }
            )
        return records


def select_sentences(
    sentences: list[Sentence],
    vectors: np.ndarray,
    title: np.ndarray | None,
    max_sentences: int,
    max_words: int | None,
    selection: Selection = Selection(),
) -> list[int]:
    """Indices (ascending) of the picked sentences: greedy on score minus redundancy, whole sentences
    within the budgets; a dependent sentence comes with its predecessor, or not at all."""
    if not sentences:
        return []
    words = [len(s.text.split()) for s in sentences]
    budget = max_words if max_words is not None else sum(words)
    candidates = [i for i, s in enumerate(sentences) if _is_candidate(s.text)] or list(range(len(sentences)))
    scores = score_sentences(vectors, title, selection)
    chosen: list[int] = []
    if selection.keep_lede:
        chosen.append(candidates[0])  # cut to the budget by fit_words if it is longer
    while len(chosen) < max_sentences:
        used = sum(words[i] for i in chosen)
        best, best_gain = None, -np.inf
        for i in candidates:
            unit = unit_of(i, sentences, chosen)
            if not unit or len(chosen) + len(unit) > max_sentences:
                continue
            if used + sum(words[j] for j in unit) > budget and chosen:
                continue
            redundancy = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            if redundancy > selection.duplicate:
                continue
            gain = float(np.mean([scores[j] for j in unit])) - selection.redundancy * max(redundancy, 0.0)
            if gain > best_gain:
                best, best_gain = unit, gain
        if best is None:
            break
        chosen.extend(best)
    return sorted(set(chosen))


def score_sentences(vectors: np.ndarray, title: np.ndarray | None, selection: Selection) -> np.ndarray:
    """Each sentence's worth: lead prior + centrality (+ similarity to the title when there is one)."""
    n = len(vectors)
    position = 1.0 / (1.0 + np.arange(n) / selection.decay)
    centroid = vectors.mean(axis=0)
    centrality = vectors @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
    score = selection.position * position + selection.centrality * centrality
    if title is not None:
        score = score + selection.title * (vectors @ title)
    return score


def unit_of(i: int, sentences: list[Sentence], chosen: list[int]) -> list[int]:
    """The sentences picking `i` brings in: itself, and the predecessors it depends on that are not
    chosen yet (at most two back); empty when `i` is already chosen."""
    if i in chosen:
        return []
    unit = [i]
    j = i
    while j > 0 and depends_on_previous(sentences[j].text) and j - 1 not in chosen and len(unit) < 3:
        j -= 1
        unit.insert(0, j)
    return unit


def depends_on_previous(sentence: str) -> bool:
    """Whether the sentence opens with a pronoun or connective that needs the sentence before it."""
    opening = sentence.lstrip("\"'\u201c\u2018( ")
    match = _OPENING_WORD.match(opening)
    if not match or _INDEPENDENT_PHRASES.match(opening):
        return False
    return match.group(1).lower() in DEPENDENT_OPENERS or bool(_DEPENDENT_PHRASES.match(opening))


def fit_words(sentence: Sentence, max_words: int | None) -> Sentence:
    """The sentence, or its first `max_words` words when it is longer (offsets follow the cut)."""
    if max_words is None:
        return sentence
    spans = [m.span() for m in re.finditer(r"\S+", sentence.text)]
    if len(spans) <= max_words:
        return sentence
    end = spans[max_words - 1][1]
    return Sentence(sentence.text[:end], sentence.start, sentence.start + end)


def join_sentences(sentences: list[str]) -> str:
    """Join with spaces; a line without closing punctuation (a headline) keeps its own line."""
    out = ""
    for sentence in sentences:
        if out:
            out += " " if out[-1] in ".!?\"'\u201d\u2019)]" else "\n"
        out += sentence
    return out


def lead_words(doc: Document, n: int) -> str:
    """The body's first `n` words (headline and furniture out): lead-k cut to a summary's length."""
    return " ".join(" ".join(s.text for s in doc.sentences).split()[:n])


def oracle_summary(doc: Document, reference: str, n: int) -> str:
    """The best extractive pick for `reference` at `n` words: sentences added greedily (kept in article
    order, the whole cut to `n` words) while ROUGE-1 + ROUGE-2 F-measure still rises. Needs rouge-score."""
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(["rouge1", "rouge2"], use_stemmer=True)

    def value(picked: list[int]) -> float:
        text = " ".join(" ".join(doc.sentences[i].text for i in sorted(picked)).split()[:n])
        scores = scorer.score(reference, text)
        return scores["rouge1"].fmeasure + scores["rouge2"].fmeasure

    picked: list[int] = []
    best = 0.0
    while True:
        trials = [(value(picked + [i]), i) for i in range(len(doc.sentences)) if i not in picked]
        if not trials or max(trials)[0] <= best:
            break
        best, i = max(trials)
        picked.append(i)
    return " ".join(" ".join(doc.sentences[i].text for i in sorted(picked)).split()[:n])


def _is_candidate(text: str) -> bool:
    return len(text.split()) >= _MIN_SENTENCE_WORDS and is_closed(text)
