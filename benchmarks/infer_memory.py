"""Peak RSS of `nlp infer` on a small vs a large input: streaming and bounded caches keep memory flat.

Each run is its own process; the peak RSS is read with getrusage in a wrapper process around it.
`--text unique` (default) gives every record sentences no other record has (real data/news
sentences, each tagged with the record number), so a cache keyed by text (sentence vectors,
tokenizations) grows as it would on a real corpus; `--text repeated` cycles five short sentences.
`--config default` runs the offline default (MiniLM summary, topic and stance heads: the caches
that matter); `--config tiny` tiny random-weight models (the toolkit's reading, batching, writing).

    python benchmarks/infer_memory.py [--config default|tiny] [--text unique|repeated]
        [--small 1000] [--large 10000]        # the issue's figure: --large 100000 (hours on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shapes import news_texts  # noqa: E402
from tiny_models import build  # noqa: E402

SENTENCES = [
    "North Korea fired a missile.",
    "The talks ended.",
    "Sanctions on coal were tightened.",
    "Pyongyang said the drills were military provocation.",
    "The envoy arrived in Seoul.",
]
MEASURE = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def unique_sentences() -> list[str]:
    """Distinct sentences of data/news naming North Korea (so stance scores them), 40-200 characters."""
    import re

    found = {
        s.strip()
        for text in news_texts()
        for s in re.split(r"(?<=[.!?])\s+", text)
        if 40 <= len(s.strip()) <= 200 and "North Korea" in s
    }
    return sorted(found)


def write_input(path: Path, n: int, unique: bool) -> None:
    pool = unique_sentences() if unique else SENTENCES
    with path.open("w") as handle:
        for i in range(n):
            picked = [pool[(i * 7 + k * 13) % len(pool)] for k in range(1 + i % 4)]
            if unique:  # the record number makes every sentence one no other record has
                picked = [f"{s.rstrip('.!?')} (record {i}, item {k})." for k, s in enumerate(picked)]
            handle.write(json.dumps({"id": f"r{i}", "text": " ".join(picked)}) + "\n")


def peak_rss_mb(config: Path, source: Path, output: Path) -> tuple[float, float]:
    command = [
        sys.executable,
        "-c",
        MEASURE,
        sys.executable,
        "-m",
        "nlp",
        "infer",
        "--config",
        str(config),
        "--input",
        str(source),
        "--output",
        str(output),
        "--overwrite",
    ]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(result.stdout.strip().splitlines()[-1]) / 1024, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", choices=["default", "tiny"], default="default")
    parser.add_argument("--text", choices=["unique", "repeated"], default="unique")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config = root / "config.yaml"
        if args.config == "default":
            config.write_text("runtime: {device: cpu}\ninfer: {progress: false}\n")
        else:
            models = build(root)
            config.write_text(
                f"runtime: {{device: cpu}}\nsummarizer: {{model: {models['summarizer']}, backend: transformers}}\n"
                f"topic: {{model: {models['nli']}, labels: {{security: about security, diplomacy: about diplomacy, "
                f"sanctions: about sanctions}}}}\nstance: {{model: {models['nli']}}}\ninfer: {{progress: false}}\n"
            )
        print(f"nlp infer, {args.config} config, {args.text} text", flush=True)
        rows = []
        for n in (args.small, args.large):
            write_input(root / f"in{n}.jsonl", n, args.text == "unique")
            rss, seconds = peak_rss_mb(config, root / f"in{n}.jsonl", root / f"out{n}.jsonl")
            rows.append((n, rss, seconds))
    print("| records | peak RSS (MB) | seconds | records/s |\n|---|---|---|---|")
    for n, rss, seconds in rows:
        print(f"| {n} | {rss:.1f} | {seconds:.1f} | {n / seconds:.0f} |")
    (_, small, _), (_, large, _) = rows
    print(
        f"\npeak RSS {args.large} vs {args.small} records: +{large - small:.1f} MB (x{large / small:.3f}); "
        f"goal: within +50 MB"
    )


if __name__ == "__main__":
    main()
