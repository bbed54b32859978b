"""Does the embedded extractive summarizer cover an article better than its first sentences?

Same articles: the toolkit's selection (lede, then lead prior + centrality + title similarity over
MiniLM sentence embeddings; k sentences, max_words) against lead-k of the raw text, and against the
body's first words (headline and furniture out) cut to exactly the toolkit summary's word count
(lead-words: the length-fair baseline). Coverage is measured WITHOUT the encoder, so the selection is
not graded by its own objective:
  - tfidf_cos: cosine between the TF-IDF vectors of the summary and of the whole article;
  - content_recall: share of the article's distinct content words (stop words removed) that
    appear in the summary.
Summary length in words is printed too, since longer summaries cover more.

    python benchmarks/extractive_coverage.py [--k 3] [--min-sentences 8] [--max-words 60]
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import Counter
from pathlib import Path

from nlp.document import prepare
from nlp.runtime import resolve_runtime
from nlp.schema import RuntimeConfig, SummarizerConfig
from nlp.sentences import split_sentences
from nlp.tasks.extractive import lead_words
from nlp.tasks.summarize import build_summarizer

STOP = set(
    """a an the and or but of to in on at for from by with as is are was were be been being it its this
that these those he she they them his her their we our you your i not no has have had do does did will would
can could may might shall should said says say also than then there here which who whom whose what when where
why how all any both each few more most other some such only own same so too very just over into about after
before again further once during while up down out off under above below between through against because until
mr ms""".split()
)
WORD = re.compile(r"[a-z][a-z'-]+")


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if w not in STOP]


def articles(root: Path, min_sentences: int) -> list[str]:
    texts = []
    for path in sorted(root.glob("data/news/*/*.jsonl")):
        for line in path.read_text().splitlines():
            text = json.loads(line)["text"]
            if len(split_sentences(text)) >= min_sentences:
                texts.append(text)
    return texts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--min-sentences", type=int, default=8)
    parser.add_argument("--max-words", type=int, default=SummarizerConfig().max_words)
    args = parser.parse_args()
    texts = articles(Path(__file__).resolve().parent.parent, args.min_sentences)
    document_frequency = Counter(w for text in texts for w in set(words(text)))
    idf = {w: math.log(len(texts) / df) + 1.0 for w, df in document_frequency.items()}

    def tfidf_cos(summary: str, article: str) -> float:
        a, b = Counter(words(summary)), Counter(words(article))
        dot = sum(a[w] * b[w] * idf.get(w, 1.0) ** 2 for w in a)
        norm = math.sqrt(sum((c * idf.get(w, 1.0)) ** 2 for w, c in a.items())) * math.sqrt(
            sum((c * idf.get(w, 1.0)) ** 2 for w, c in b.items())
        )
        return dot / norm if norm else 0.0

    def recall(summary: str, article: str) -> float:
        target = set(words(article))
        return len(set(words(summary)) & target) / max(1, len(target))

    runtime = resolve_runtime(RuntimeConfig(device="cpu"))
    ours = build_summarizer(SummarizerConfig(model="embedded", max_sentences=args.k, max_words=args.max_words), runtime)
    docs = [prepare(t) for t in texts]
    toolkit = [r["text"] for r in ours.summarize(docs)]
    systems = {
        f"lead-{args.k}": [" ".join(s.text for s in split_sentences(t)[: args.k]) for t in texts],
        "lead-words (same word count)": [lead_words(d, len(s.split())) for s, d in zip(toolkit, docs)],
        f"toolkit extractive (k={args.k})": toolkit,
    }
    print(f"{len(texts)} articles with >= {args.min_sentences} sentences (data/news)\n")
    print("| system | tfidf_cos | content_recall | words |\n|---|---|---|---|")
    scores = {}
    for name, summaries in systems.items():
        cos = sum(tfidf_cos(s, t) for s, t in zip(summaries, texts)) / len(texts)
        rec = sum(recall(s, t) for s, t in zip(summaries, texts)) / len(texts)
        length = sum(len(s.split()) for s in summaries) / len(texts)
        scores[name] = (cos, rec, length)
        print(f"| {name} | {cos:.3f} | {rec:.3f} | {length:.1f} |")
    lead, same_words, ours_scores = scores.values()
    for name, base in ((f"lead-{args.k}", lead), ("lead-words", same_words)):
        print(
            f"ratio toolkit / {name}: tfidf_cos x{ours_scores[0] / base[0]:.2f}, "
            f"content_recall x{ours_scores[1] / base[1]:.2f}, words x{ours_scores[2] / base[2]:.2f}"
        )


if __name__ == "__main__":
    main()
