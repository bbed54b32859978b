"""Throughput of `nlp infer` against the per-record loop a user would otherwise write.

Same process, same models (the offline default: MiniLM extractive summary, topic and stance
heads), same records. The naive loop calls the same components one record at a time; `infer`
reads the JSONL, batches length-sorted windows under a token budget and writes JSONL.

    python benchmarks/infer_throughput.py [--records 200]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from nlp.config import load_config
from nlp.infer.run import run_infer
from nlp.tasks.analyze import Analyzer

ROOT = Path(__file__).resolve().parent.parent


def news(n: int) -> list[dict]:
    texts = [
        json.loads(line)["text"]
        for path in sorted(ROOT.glob("data/news/*/*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    return [{"id": f"r{i}", "text": texts[i % len(texts)]} for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args()
    config = load_config(None, ["infer.progress=false", "runtime.device=cpu"])
    analyzer = Analyzer(config)
    items = news(args.records)
    analyzer.analyze(items[0]["text"])  # warm-up: models loaded, first-call costs paid
    with tempfile.TemporaryDirectory() as folder:
        source, naive_out = Path(folder) / "in.jsonl", Path(folder) / "naive.jsonl"
        source.write_text("".join(json.dumps(item) + "\n" for item in items))
        for encoder in {
            analyzer.summarizer.encoder,
            *(e for e in (analyzer.topic.heads.base, analyzer.topic.heads.adapted)),
        }:
            encoder._memo.clear()  # no result carried over from the warm-up
        started = time.monotonic()
        with naive_out.open("w") as handle:
            for item in items:
                for encoder in {analyzer.summarizer.encoder, analyzer.topic.heads.base, analyzer.topic.heads.adapted}:
                    encoder._memo.clear()  # a fresh loop would not share sentence vectors either
                record = analyzer.analyze(item["text"])
                handle.write(json.dumps(record | {"id": item["id"]}) + "\n")
        naive = time.monotonic() - started
        for encoder in {analyzer.summarizer.encoder, analyzer.topic.heads.base, analyzer.topic.heads.adapted}:
            encoder._memo.clear()
        started = time.monotonic()
        run_infer(config, str(source), str(Path(folder) / "out.jsonl"), analyze=analyzer.analyze)
        batched = time.monotonic() - started
    print(f"{args.records} news records, offline default (summary + topic + stance), CPU\n")
    print("| method | seconds | records/s |\n|---|---|---|")
    print(f"| per-record loop over the same components | {naive:.1f} | {args.records / naive:.1f} |")
    print(f"| nlp infer (windows, length-sorted token-budget batches) | {batched:.1f} | {args.records / batched:.1f} |")
    print(f"\nspeed-up: x{naive / batched:.2f}")


if __name__ == "__main__":
    main()
