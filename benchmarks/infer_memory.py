"""Peak RSS of `nlp infer` on 1k vs 100k records: streaming must keep memory flat.

Each run is its own process (`nlp infer` with tiny random-weight models, so the run measures the
toolkit's reading, batching and writing rather than model size); the peak RSS is read with
getrusage in a wrapper process around it.

    python benchmarks/infer_memory.py [--small 1000] [--large 100000]
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


def write_input(path: Path, n: int) -> None:
    with path.open("w") as handle:
        for i in range(n):
            text = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(1 + i % 4))
            handle.write(json.dumps({"id": f"r{i}", "text": text}) + "\n")


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
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        models = build(root)
        config = root / "config.yaml"
        config.write_text(
            f"runtime: {{device: cpu}}\nsummarizer: {{model: {models['summarizer']}}}\n"
            f"topic: {{model: {models['nli']}, labels: {{security: about security, diplomacy: about diplomacy, "
            f"sanctions: about sanctions}}}}\nstance: {{model: {models['nli']}}}\ninfer: {{progress: false}}\n"
        )
        rows = []
        for n in (args.small, args.large):
            write_input(root / f"in{n}.jsonl", n)
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
