"""Word and word-pair features of a text (TF-IDF), the second input of the embedded heads.

A sentence embedding blurs what a stance turns on ("should lift sanctions", "we condemn", "puppet
traitors", "respected Comrade"); the heads read these words directly beside the MiniLM vector. One
definition serves training (`fit_vocabulary`) and inference (`LexicalFeatures`): lower-cased words of
two or more letters or digits, single words and adjacent pairs, sublinear term frequency
(1 + ln count), smoothed idf (ln((1 + n) / (1 + df)) + 1), each text's vector L2-normalised.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import numpy as np

VOCABULARY_FILE = "vocabulary.txt"
_WORD = re.compile(r"(?u)\b\w\w+\b")


def terms(text: str) -> list[str]:
    """The text's words and adjacent word pairs, in order."""
    words = _WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def fit_vocabulary(texts: list[str], min_df: int = 3, max_terms: int = 30000) -> tuple[list[str], np.ndarray]:
    """The `max_terms` most frequent terms that occur in at least `min_df` texts, and their idf."""
    document_frequency: Counter = Counter()
    corpus_frequency: Counter = Counter()
    for text in texts:
        found = Counter(terms(text))
        document_frequency.update(found.keys())
        corpus_frequency.update(found)
    kept = [term for term, df in document_frequency.items() if df >= min_df]
    kept = sorted(sorted(kept), key=lambda term: -corpus_frequency[term])[:max_terms]
    vocabulary = sorted(kept)
    n = len(texts)
    idf = np.array([math.log((1 + n) / (1 + document_frequency[t])) + 1.0 for t in vocabulary], dtype=np.float32)
    return vocabulary, idf


class LexicalFeatures:
    """Sparse TF-IDF rows of texts, as (column indices, values) per text, over a fixed vocabulary."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray):
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)

    @property
    def size(self) -> int:
        return len(self.index)

    @classmethod
    def load(cls, folder: Path, idf: np.ndarray) -> LexicalFeatures:
        return cls((folder / VOCABULARY_FILE).read_text(encoding="utf-8").splitlines(), idf)

    def rows(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        out = []
        for text in texts:
            counts = Counter(i for i in map(self.index.get, terms(text)) if i is not None)
            columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self.idf[
                columns
            ]
            norm = float(np.linalg.norm(values))
            out.append((columns, values / norm if norm > 0 else values))
        return out

    def logits(self, texts: list[str], weight: np.ndarray) -> np.ndarray:
        """`rows(texts) @ weight.T` without building the sparse matrix: (n, outputs)."""
        return (
            np.stack([weight[:, columns] @ values for columns, values in self.rows(texts)])
            if texts
            else (np.zeros((0, weight.shape[0]), dtype=np.float32))
        )

    def matrix(self, texts: list[str]):
        """The rows as a scipy CSR matrix (training; scipy comes with the `train` extra)."""
        from scipy.sparse import csr_matrix

        rows = self.rows(texts)
        indptr = np.cumsum([0] + [len(columns) for columns, _ in rows])
        columns = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0, dtype=np.float32)
        return csr_matrix((values, columns, indptr), shape=(len(rows), self.size))

    def save(self, folder: Path) -> None:
        vocabulary = sorted(self.index, key=self.index.get)
        (folder / VOCABULARY_FILE).write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
