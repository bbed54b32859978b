"""Write data/examples/report_fixture.jsonl: `nlp infer` output with outlets and dates, for `nlp report`.

    python scripts/make_report_fixture.py [--records 360] [--seed 15] [--output data/examples/report_fixture.jsonl]

Texts come from data/news/train/w*.jsonl (written for this project; each item has an `outlet`).
The dates are synthetic: drawn with a seeded generator over 2024-01-01 .. 2026-06-30, with
diplomacy items drawn later in the span (a square-root draw) so that the plots have a change over
time to show. That drift is made up here and is no finding about any outlet. A few records have no
outlet, an empty or numeric outlet, no date, or a malformed date on purpose, so the report's data
quality counts have something to count.

The texts are then run through `nlp infer` (offline default; summaries off, since the report reads
none, which keeps the file small) carrying `outlet`, `date` and `title`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Outlets with different framings, and how many items each contributes (at most).
OUTLETS = {
    "wire": 40,
    "us_paper": 34,
    "rok_paper": 32,
    "japan_paper": 30,
    "europe_paper": 30,
    "broadcaster": 30,
    "think_tank": 30,
    "human_rights": 24,
    "china_state": 34,
    "russia_state": 30,
    "kcna": 34,
}
START, END = dt.date(2024, 1, 1), dt.date(2026, 6, 30)
BAD_DATES = ["2025-13-01", "2025-02-30", "last Tuesday", "03/04/2025", 20250304, "", None]
BAD_OUTLETS = ["", "   ", 17]


def pick_items(rng: random.Random, records: int) -> list[dict]:
    """Up to OUTLETS[name] items per outlet from data/news/train/w*.jsonl, `records` at most, shuffled."""
    by_outlet: dict[str, list[dict]] = {name: [] for name in OUTLETS}
    for path in sorted((REPO / "data/news/train").glob("w*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("outlet") in by_outlet:
                by_outlet[item["outlet"]].append(item)
    chosen = []
    for name, items in by_outlet.items():
        chosen += rng.sample(items, min(OUTLETS[name], len(items)))
    rng.shuffle(chosen)
    return chosen[:records]


def draw_date(rng: random.Random, topic: str) -> str:
    span = (END - START).days
    u = rng.random() ** 0.5 if topic == "diplomacy" else rng.random()
    return (START + dt.timedelta(days=int(u * span))).isoformat()


def input_records(rng: random.Random, records: int) -> list[dict]:
    """The infer input: id, title, text, outlet, date; a few records damaged on purpose."""
    rows = []
    for item in pick_items(rng, records):
        rows.append(
            {
                "id": item["id"],
                "title": item.get("title"),
                "text": item["text"],
                "outlet": item["outlet"],
                "date": draw_date(rng, item.get("topic", "")),
            }
        )
    damaged = rng.sample(range(len(rows)), 24)
    for k, index in enumerate(damaged):
        row = rows[index]
        if k < 6:
            row.pop("outlet")
        elif k < 9:
            row["outlet"] = BAD_OUTLETS[k - 6]
        elif k < 15:
            row.pop("date")
        else:
            row["date"] = BAD_DATES[(k - 15) % len(BAD_DATES)]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=360)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--output", type=Path, default=REPO / "data/examples/report_fixture.jsonl")
    args = parser.parse_args(argv)
    rows = input_records(random.Random(args.seed), args.records)
    with tempfile.TemporaryDirectory() as tmp:
        source, results = Path(tmp) / "input.jsonl", Path(tmp) / "results.jsonl"
        source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        command = [sys.executable, "-m", "nlp", "infer", "--input", str(source), "--output", str(results)]
        command += ["summarizer.enabled=false", "infer.carry=[outlet,date,title]", "infer.progress=false"]
        command += ["runtime.device=cpu"]
        subprocess.run(command, check=True, cwd=REPO)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(results, args.output)
    print(f"wrote {args.output} ({len(rows)} records, {args.output.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
