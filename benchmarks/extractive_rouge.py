"""Does the extractive summary beat the lead at equal length? ROUGE against written references.

For each article of a labeled JSONL file (`text`, `summary`, optional `title`), in one run:
  - toolkit: the embedded extractive summary with the default settings (or --max-words/--max-sentences);
  - lead (same words): the body's first words (headline and furniture out), cut to the toolkit
    summary's word count - the length-fair baseline;
  - lead-3 (raw): the first three sentences of the text as given (the old baseline, headline included);
  - oracle (same words): the best extractive pick for the reference at the same word count (greedy
    on ROUGE-1 + ROUGE-2), the ceiling for any sentence picker.
ROUGE-1/2/L F-measures (rouge-score, Porter stems) with 95% bootstrap intervals over articles, and
the paired toolkit - lead difference with its interval (resampling articles, seeded).

    python benchmarks/extractive_rouge.py [--input data/summaries/train.jsonl] [--bootstrap 2000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from nlp.document import Document, prepare
from nlp.runtime import resolve_runtime
from nlp.schema import RuntimeConfig, SummarizerConfig
from nlp.tasks.extractive import lead_words, oracle_summary
from nlp.tasks.summarize import build_summarizer

KEYS = ("rouge1", "rouge2", "rougeL")


def read(path: Path) -> tuple[list[Document], list[str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [prepare(r["text"], r.get("title")) for r in rows], [r["summary"] for r in rows]


def per_item(predictions: list[str], references: list[str]) -> np.ndarray:
    """(items, 3) ROUGE-1/2/L F-measures."""
    from rouge_score.rouge_scorer import RougeScorer

    scorer = RougeScorer(list(KEYS), use_stemmer=True)
    return np.array([[scorer.score(ref, pred)[k].fmeasure for k in KEYS] for pred, ref in zip(predictions, references)])


def bootstrap(values: np.ndarray, rounds: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """2.5% and 97.5% quantiles of the column means over `rounds` resamples of the rows."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), size=(rounds, len(values)))
    means = values[picks].mean(axis=1)
    return np.quantile(means, 0.025, axis=0), np.quantile(means, 0.975, axis=0)


def systems(docs: list[Document], references: list[str], args: argparse.Namespace) -> dict[str, list[str]]:
    runtime = resolve_runtime(RuntimeConfig(device="cpu"))
    config = SummarizerConfig(model="embedded", max_sentences=args.max_sentences, max_words=args.max_words)
    toolkit = [r["text"] for r in build_summarizer(config, runtime).summarize(docs)]
    lengths = [len(t.split()) for t in toolkit]
    return {
        "toolkit extractive": toolkit,
        "lead (same words)": [lead_words(d, n) for d, n in zip(docs, lengths)],
        "lead-3 (raw text)": [
            " ".join(s.text for s in prepare(d.text, clean=False, headline=False).sentences[:3]) for d in docs
        ],
        "oracle (same words)": [oracle_summary(d, ref, n) for d, ref, n in zip(docs, references, lengths)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", default="data/summaries/train.jsonl")
    parser.add_argument("--max-words", type=int, default=SummarizerConfig().max_words)
    parser.add_argument("--max-sentences", type=int, default=SummarizerConfig().max_sentences)
    parser.add_argument("--bootstrap", type=int, default=2000)
    args = parser.parse_args()
    docs, references = read(Path(args.input))
    outputs = systems(docs, references, args)
    scores = {name: per_item(texts, references) for name, texts in outputs.items()}
    print(f"{args.input}: {len(docs)} articles; max_words={args.max_words}, max_sentences={args.max_sentences}")
    print("| system | ROUGE-1 | ROUGE-2 | ROUGE-L | words |")
    print("|---|---|---|---|---|")
    for name, values in scores.items():
        low, high = bootstrap(values, args.bootstrap)
        cells = [f"{m:.3f} [{lo:.3f}, {hi:.3f}]" for m, lo, hi in zip(values.mean(axis=0), low, high)]
        words = np.mean([len(t.split()) for t in outputs[name]])
        print(f"| {name} | {' | '.join(cells)} | {words:.1f} |")
    diff = scores["toolkit extractive"] - scores["lead (same words)"]
    low, high = bootstrap(diff, args.bootstrap)
    ratio = scores["toolkit extractive"].mean(axis=0) / scores["lead (same words)"].mean(axis=0)
    print(
        "\ntoolkit - lead (same words), paired: "
        + ", ".join(
            f"{k} {d:+.3f} [{lo:+.3f}, {hi:+.3f}] (x{r:.3f})"
            for k, d, lo, hi, r in zip(KEYS, diff.mean(axis=0), low, high, ratio)
        )
    )
    wins = (diff.mean(axis=1) > 0).mean()
    print(f"articles where the toolkit beats the lead (mean of ROUGE-1/2/L): {wins:.0%}")


if __name__ == "__main__":
    main()
