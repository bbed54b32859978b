"""Peak RSS and speed of `nlp report` on 10k vs 1M result records: aggregation must keep memory flat.

Synthetic `nlp infer`-shaped records (40 outlets, dates over 2020-2026, three topics, three evidence
sentences each, every sentence text distinct) are written into the stdin of an `nlp report --input -`
process; its peak RSS is read with getrusage in a wrapper process around it.

    python benchmarks/report_memory.py [--small 10000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEASURE = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)
TOPICS = ["security", "diplomacy", "sanctions"]


def records(n: int, seed: int = 0):
    rng = random.Random(seed)
    for i in range(n):
        score = max(-1.0, min(1.0, rng.gauss(0, 0.5)))
        label = "critical" if score < -0.25 else "supportive" if score > 0.25 else "neutral"
        evidence = [
            {"text": f"Sentence {i}-{k} about North Korea.", "start": 40 * k, "end": 40 * k + 30,
             "score": round(max(-1.0, min(1.0, score + rng.gauss(0, 0.3))), 4), "voice": rng.choice(["own", "quoted"])}
            for k in range(3)
        ]  # fmt: skip
        topic = rng.choice(TOPICS)
        yield {
            "id": f"r{i}",
            "line": i + 1,
            "outlet": f"outlet{rng.randrange(40):02d}",
            "date": f"{rng.randrange(2020, 2027)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "title": f"Headline {i}",
            "topic": {"label": topic, "labels": [topic], "scores": dict.fromkeys(TOPICS, 0.3) | {topic: 0.9}},
            "stance": {"target": "North Korea", "score": round(score, 4), "label": label, "confidence": 0.8,
                       "evidence": evidence, "mentions": 3},
        }  # fmt: skip


def run(n: int, out: Path) -> tuple[float, float]:
    command = [sys.executable, "-c", MEASURE, sys.executable, "-m", "nlp", "report", "--input", "-", "--output"]
    started = time.monotonic()
    process = subprocess.Popen([*command, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    batch = []
    for record in records(n):
        batch.append(json.dumps(record))
        if len(batch) == 1000:
            process.stdin.write("\n".join(batch) + "\n")
            batch = []
    process.stdin.write("".join(line + "\n" for line in batch))
    process.stdin.close()
    peak_kb = int(process.stdout.read().strip().splitlines()[-1])
    if process.wait() != 0:
        raise SystemExit(f"nlp report failed on {n} records")
    return peak_kb / 1024, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in (args.small, args.large):
            rss, seconds = run(n, Path(folder) / f"report{n}")
            rows.append((n, rss, seconds))
    print("| records | peak RSS (MB) | seconds | records/s |")
    print("|---|---|---|---|")
    for n, rss, seconds in rows:
        print(f"| {n} | {rss:.1f} | {seconds:.1f} | {n / seconds:,.0f} |")
    (small, rss_small, _), (large, rss_large, _) = rows
    print(f"\npeak RSS {large} vs {small} records: {rss_large - rss_small:+.1f} MB (x{rss_large / rss_small:.2f})")


if __name__ == "__main__":
    main()
