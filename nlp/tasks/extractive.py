"""Extractive summaries with the embedded encoder: the sentences that best cover the article.

Takes `list[str | Document]` and returns one `dict` per text with the keys of the output record's `summary` part
(README, "Output record"), `method: "extractive"`.
"""

from __future__ import annotations

import numpy as np

from nlp.document import Document, as_documents
from nlp.models.encoder import Encoder


class ExtractiveSummarizer:
    """Picks the sentences closest to the article's centroid, avoiding repeats (centroid + MMR).

    The centroid is the mean of the article's sentence embeddings; each pick maximises
    `0.7 * similarity(sentence, centroid) - 0.3 * max similarity(sentence, already picked)`, so
    the summary stays central while spreading over what the article says. Sentences are
    returned in article order. benchmarks/extractive_coverage.py compares it with lead-k.
    """

    method = "extractive"

    def __init__(self, encoder: Encoder, max_sentences: int = 3):
        self.encoder = encoder
        self.max_sentences = max_sentences

    def summarize(self, texts: list[str | Document]) -> list[dict]:
        docs = as_documents(texts)
        split = [doc.sentences for doc in docs]
        vectors = self.encoder.encode([s.text for sentences in split for s in sentences])
        counts = [
            len(ids) for ids in self.encoder.tokenizer([d.body for d in docs], add_special_tokens=False)["input_ids"]
        ]
        records, offset = [], 0
        for sentences, n in zip(split, counts):
            chosen = select_central(vectors[offset : offset + len(sentences)], self.max_sentences)
            offset += len(sentences)
            records.append(
                {
                    "text": join_sentences([sentences[i].text for i in chosen]),
                    "method": self.method,
                    "input_tokens": n,
                    "chunks": 1,
                    "truncated": False,
                    "sentences": [[sentences[i].start, sentences[i].end] for i in chosen],
                }
            )
        return records


def join_sentences(sentences: list[str]) -> str:
    """Join with spaces; a line without closing punctuation (a headline) keeps its own line."""
    out = ""
    for sentence in sentences:
        if out:
            out += " " if out[-1] in ".!?\"'\u201d\u2019)]" else "\n"
        out += sentence
    return out


def select_central(vectors: np.ndarray, k: int, relevance: float = 0.7) -> list[int]:
    """Indices (ascending) of up to k unit-length rows picked by maximal marginal relevance
    to their centroid."""
    if len(vectors) <= k:
        return list(range(len(vectors)))
    centroid = vectors.mean(axis=0)
    centrality = vectors @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
    redundancy = np.full(len(vectors), -np.inf)
    chosen: list[int] = []
    for _ in range(k):
        score = relevance * centrality - (1 - relevance) * np.maximum(redundancy, 0.0)
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return sorted(chosen)
