"""How well does the summary support check tell supported summary sentences from unsupported ones?

On labeled JSONL (`text`, `summary`, optional `title`), in one run, each reference summary (written by a
person from that article: its sentences are supported) is checked three ways:
  - own: against its own article - every flag here is a false alarm;
  - swapped: against another article of the file (the next one) - a sentence not flagged is a miss;
  - planted: against its own article, each sentence with a number that is not in the article added
    ("... in 1,987 cases.") - the token check should flag every one.
Prints, per similarity threshold, the share of sentences flagged in each case (flagged = score below
the threshold, or an unsupported number, date or name), and the share flagged by the token check
alone. The shipped default `summarizer.support.threshold` is chosen from this table.

    python benchmarks/summary_support.py [--input data/summaries/train.jsonl] [--input2 ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from nlp.document import prepare
from nlp.runtime import resolve_runtime
from nlp.schema import RuntimeConfig, SupportConfig
from nlp.tasks.support import SupportChecker

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def read(path: Path, references: Path | None) -> list[tuple]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if references is not None:
        by_id = {r["id"]: r["summary"] for r in map(json.loads, references.read_text().splitlines()) if r}
        rows = [r | {"summary": by_id[r["id"]]} for r in rows if r["id"] in by_id]
    return [(prepare(r["text"], r.get("title")), r["summary"]) for r in rows if r.get("summary")]


def plant(summary: str) -> str:
    """Each sentence of `summary` with a number the articles of this file never use."""
    from nlp.sentences import split_sentences

    return " ".join(s.text.rstrip(".") + " in 1,987 cases." for s in split_sentences(summary))


def sentence_rows(checker: SupportChecker, docs, summaries) -> list[tuple[float, bool]]:
    """(score, has unsupported tokens) of every summary sentence."""
    out = []
    for record in checker.check(docs, summaries):
        out += [(s["score"], bool(s["unsupported"])) for s in record["sentences"]]
    return out


def table(name: str, rows: list[tuple[float, bool]]) -> str:
    scores = np.array([score for score, _ in rows])
    tokens = np.array([flag for _, flag in rows])
    cells = [f"{np.mean((scores < t) | tokens):.3f}" for t in THRESHOLDS]
    quartiles = " / ".join(f"{q:.2f}" for q in np.quantile(scores, [0.05, 0.25, 0.5]))
    return f"| {name} | {len(rows)} | {np.mean(tokens):.3f} | {quartiles} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=Path("data/summaries/train.jsonl"))
    parser.add_argument("--references", type=Path, default=None, help="a JSONL of {id, summary} for --input")
    args = parser.parse_args()
    pairs = read(args.input, args.references)
    docs, summaries = [d for d, _ in pairs], [s for _, s in pairs]
    checker = SupportChecker(SupportConfig(), resolve_runtime(RuntimeConfig(device="cpu", dtype="float32")))
    swapped = docs[1:] + docs[:1]
    print(f"{args.input}: {len(pairs)} articles with a reference summary\n")
    print(
        "| check | sentences | tokens flag | score p5 / p25 / p50 | "
        + " | ".join(f"flagged @{t}" for t in THRESHOLDS)
        + " |"
    )
    print("|---" * (4 + len(THRESHOLDS)) + "|")
    print(table("own article (false alarms)", sentence_rows(checker, docs, summaries)))
    print(table("swapped article (caught)", sentence_rows(checker, swapped, summaries)))
    print(table("planted number (caught)", sentence_rows(checker, docs, [plant(s) for s in summaries])))


if __name__ == "__main__":
    main()
